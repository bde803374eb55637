"""How `/project …` text reads: tokens, and the readers every command's words share (step numbers,
people, a project's name, options, `--force`).

Pure: no Slack calls, no database; unreadable input raises `BadInput`. Each concept's commands read
their words in a module of the same name as in the other layers (`grammar/steps.py`,
`grammar/targets.py`, `grammar/hours.py`, `grammar/projects.py`, …); which parser serves which verb
is declared beside the verb's handler (`handlers/commands/`).

>>> [t.raw for t in tokenize('step add "Draft brief" <@U1|ann> due:fri')]
['step', 'add', 'Draft brief', '<@U1|ann>', 'due:fri']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.core.dates import incomplete
from bot.core.errors import BadInput
from bot.core.text import bare_at, channel_id, cut, mention_id, plain
from bot.core.tokens import Token as Token  # re-exported: every grammar reads tokens from here
from bot.core.tokens import tokenize as tokenize
from storage.models import Stage

NAME_MAX = 80
TITLE_MAX = 200

STAGE_WORDS: dict[str, Stage] = {
    "initiation": Stage.INITIATION, "init": Stage.INITIATION, "initiate": Stage.INITIATION,
    "planning": Stage.PLANNING, "plan": Stage.PLANNING,
    "execution": Stage.EXECUTION, "exec": Stage.EXECUTION, "monitoring": Stage.EXECUTION,
    "execution & monitoring": Stage.EXECUTION, "execution and monitoring": Stage.EXECUTION,
    "execution monitoring": Stage.EXECUTION,
    "closure": Stage.CLOSURE, "closing": Stage.CLOSURE,
}  # fmt: skip
_OPTION = re.compile(r"^(client|due|budget|internal|for):(.*)$", re.IGNORECASE | re.DOTALL)
_NUMBER = re.compile(r"^#?(\d{1,6})$")
FORCE = {"--force", "—force", "–force", "-force"}  # phones turn "--" into a dash


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a typo most likely meant (`stpe` → `step`), if any is close."""
    found = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def join(tokens: list[Token]) -> str:
    """The words as one plain text."""
    return plain(" ".join(t.raw for t in tokens))


def project_word(tokens: list[Token]) -> str | None:
    """A project's name in the words, or None: the channel's project."""
    name = join(tokens)
    return cut(name, NAME_MAX) if name else None


def forced(tokens: list[Token]) -> tuple[list[Token], bool]:
    """The words without `--force` (or a phone's dash for it), and whether it was there."""
    return [t for t in tokens if t.lower not in FORCE], any(t.lower in FORCE for t in tokens)


def not_a_mention(token: Token, extra: str = "") -> BadInput:
    return BadInput(
        "{word} isn't a Slack mention, so I can't tell who that is. Type @ and pick the person from Slack's list, "
        "so it arrives as a mention." + extra,
        token.raw,
    )


def user_ids(tokens: list[Token], what: str) -> tuple[str, ...]:
    """The people mentioned, each once; anything else is refused."""
    ids = []
    for token in tokens:
        user_id = mention_id(token.raw)
        if user_id is None and bare_at(token.raw):
            raise not_a_mention(token)
        if user_id is None:
            raise BadInput("{what}: {word} isn't a person. Mention them with @, e.g. `@ann`.", plain(token.raw), {"what": what})
        if user_id not in ids:
            ids.append(user_id)
    if not ids:
        raise BadInput("{what}: mention someone with @, e.g. `@ann`.", values={"what": what})
    return tuple(ids)


def numbers(tokens: list[Token], usage: str) -> tuple[int, ...]:
    """Step numbers, each once: `#1 2`, `1,2` and `#1, #2`."""
    if not tokens:
        raise BadInput("Which step? Give its number, e.g. `{usage}`.", values={"usage": usage})
    found = []
    parts = [Token(part) for token in tokens for part in token.raw.split(",") if part]  # "1,2" and "#1, #2"
    for token in parts:
        match = _NUMBER.match(token.raw)
        if not match:
            raise BadInput(
                "{word} isn't a step number. Use the number from the status card, e.g. `{usage}`.",
                plain(token.raw),
                {"usage": usage},
            )
        found.append(int(match.group(1)))
    return tuple(dict.fromkeys(found))


def channel(values: list[Token], usage: str) -> str:
    """The id of the one channel picked with #."""
    found = channel_id(values[0].raw) if len(values) == 1 else None
    if found is None:
        word = " ".join(plain(t.raw) for t in values)
        raise BadInput("{word} isn't a channel. Pick one with #, e.g. `" + usage + "`.", word)
    return found


SINGLE_VALUE_OPTIONS = ("due", "budget", "internal", "for")  # one word each; `client:` may run to several


def options(tokens: list[Token]) -> tuple[list[Token], dict[str, list[Token]]]:
    """Split `words key:value words…` into plain words and options.

    `due:` and `budget:` take one word (`due:fri`, or `due: fri`; two for `due:next fri` or
    `due:dec 5`); `client:` runs until the next
    option or mention. Everything else, wherever it stands, belongs to the words.
    """
    words: list[Token] = []
    found: dict[str, list[Token]] = {}
    taking: str | None = None  # the option still taking words
    for token in tokens:
        match = None if token.quoted and ":" not in token.raw.split(" ")[0] else _OPTION.match(token.raw)
        if match:
            key, value = match.group(1).lower(), match.group(2)
            if key in found:
                raise BadInput("{word} is given twice; give it once.", f"{key}:")
            found[key] = [Token(value, token.quoted)] if value else []
            taking = None if value and key in SINGLE_VALUE_OPTIONS and not _needs_more(key, found[key]) else key
        elif taking and not mention_id(token.raw):
            found[taking].append(token)
            if taking in SINGLE_VALUE_OPTIONS and not _needs_more(taking, found[taking]):
                taking = None
        else:
            taking = None
            words.append(token)
    return words, found


def _needs_more(key: str, values: list[Token]) -> bool:
    """`due:next fri`, `due:dec 5`, `due:5 dec`: a date's first word that needs its second."""
    return key == "due" and len(values) == 1 and incomplete(values[0].raw)


def date_option(values: list[Token] | None) -> str | None:
    """The date `due:` gives, or None when there is no `due:`."""
    if values is None:
        return None
    word = " ".join(t.raw for t in values).strip()
    if not word:
        raise BadInput("`due:` needs a date right after it, e.g. `due:fri` or `due:2026-12-01`.")
    return plain(word)


# --- typed results and parsers more than one concept's verbs share ----------------------------


@dataclass(frozen=True)
class ProjectOnly:
    """`status [project]`, `report [project]`, `update [project]`: None means the channel's project."""

    project: str | None = None


@dataclass(frozen=True)
class People:
    user_ids: tuple[str, ...]


def project_only(tokens: list[Token]) -> ProjectOnly:
    return ProjectOnly(project_word(tokens))


def people(what: str) -> Callable[[list[Token]], People]:
    def parse(tokens: list[Token]) -> People:
        return People(user_ids(tokens, what))

    return parse
