"""How `/project …` text reads: tokens, options, and one typed result per command.

Pure: no Slack calls, no database; unreadable input raises `BadInput`. Which parser serves which
verb is declared beside the verb's handler (`handlers/commands/`).

>>> step_add(tokenize('Draft brief <@U1|ann> due:fri'))
StepAdd(title='Draft brief', assignee_id='U1', due_word='fri')
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.core.dates import incomplete
from bot.core.errors import BadInput
from bot.core.hours_grammar import BUDGET_MAX, checked_hours, hours_of
from bot.core.text import bare_at, channel_id, cut, link_url, mention_id, plain
from bot.core.tokens import Token
from bot.core.tokens import tokenize as tokenize  # re-exported: what every grammar and its callers read
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
LIST_SCOPES = ("mine", "all", "overdue")
_OPTION = re.compile(r"^(client|due|budget|internal|for):(.*)$", re.IGNORECASE | re.DOTALL)
_NUMBER = re.compile(r"^#?(\d{1,6})$")
_FORCE = {"--force", "—force", "–force", "-force"}  # phones turn "--" into a dash


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a typo most likely meant (`stpe` → `step`), if any is close."""
    found = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _join(tokens: list[Token]) -> str:
    return plain(" ".join(t.raw for t in tokens))


def _project(tokens: list[Token]) -> str | None:
    name = _join(tokens)
    return cut(name, NAME_MAX) if name else None


def not_a_mention(token: Token, extra: str = "") -> BadInput:
    return BadInput(
        "{word} isn't a Slack mention, so I can't tell who that is. Type @ and pick the person from Slack's list, "
        "so it arrives as a mention." + extra,
        token.raw,
    )


def _user_ids(tokens: list[Token], what: str) -> tuple[str, ...]:
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


def _numbers(tokens: list[Token], usage: str) -> tuple[int, ...]:
    if not tokens:
        raise BadInput("Which step? Give its number, e.g. `{usage}`.", values={"usage": usage})
    numbers = []
    parts = [Token(part) for token in tokens for part in token.raw.split(",") if part]  # "1,2" and "#1, #2"
    for token in parts:
        match = _NUMBER.match(token.raw)
        if not match:
            raise BadInput(
                "{word} isn't a step number. Use the number from the status card, e.g. `{usage}`.",
                plain(token.raw),
                {"usage": usage},
            )
        numbers.append(int(match.group(1)))
    return tuple(dict.fromkeys(numbers))


SINGLE_VALUE_OPTIONS = ("due", "budget", "internal", "for")  # one word each; `client:` may run to several


def _options(tokens: list[Token]) -> tuple[list[Token], dict[str, list[Token]]]:
    """Split `words key:value words…` into plain words and options.

    `due:` and `budget:` take one word (`due:fri`, or `due: fri`; two for `due:next fri` or
    `due:dec 5`); `client:` runs until the next
    option or mention. Everything else, wherever it stands, belongs to the words.
    """
    words: list[Token] = []
    options: dict[str, list[Token]] = {}
    taking: str | None = None  # the option still taking words
    for token in tokens:
        match = None if token.quoted and ":" not in token.raw.split(" ")[0] else _OPTION.match(token.raw)
        if match:
            key, value = match.group(1).lower(), match.group(2)
            if key in options:
                raise BadInput("{word} is given twice; give it once.", f"{key}:")
            options[key] = [Token(value, token.quoted)] if value else []
            taking = None if value and key in SINGLE_VALUE_OPTIONS and not _needs_more(key, options[key]) else key
        elif taking and not mention_id(token.raw):
            options[taking].append(token)
            if taking in SINGLE_VALUE_OPTIONS and not _needs_more(taking, options[taking]):
                taking = None
        else:
            taking = None
            words.append(token)
    return words, options


def _needs_more(key: str, values: list[Token]) -> bool:
    """`due:next fri`, `due:dec 5`, `due:5 dec`: a date's first word that needs its second."""
    return key == "due" and len(values) == 1 and incomplete(values[0].raw)


def _date_option(values: list[Token] | None) -> str | None:
    if values is None:
        return None
    word = " ".join(t.raw for t in values).strip()
    if not word:
        raise BadInput("`due:` needs a date right after it, e.g. `due:fri` or `due:2026-12-01`.")
    return plain(word)


# --- one typed result per command ------------------------------------------------------------


@dataclass(frozen=True)
class Nothing:
    """A command that takes no words (`help`)."""


@dataclass(frozen=True)
class ProjectOnly:
    """`status [project]`, `close [project]`: None means the channel's project."""

    project: str | None = None


@dataclass(frozen=True)
class StatusArgs:
    """`status [project] [share]`."""

    project: str | None = None
    share: bool = False


@dataclass(frozen=True)
class New:
    name: str | None  # None: no words at all, so open the form
    client: str | None = None
    due_word: str | None = None
    budget: float | None = None
    internal_channel: str | None = None


@dataclass(frozen=True)
class Channel:
    channel_id: str


@dataclass(frozen=True)
class ListScope:
    scope: str = "open"  # open | mine | all | overdue


@dataclass(frozen=True)
class StageMove:
    project: str | None = None
    stage: Stage | None = None  # None means "next"
    force: bool = False


@dataclass(frozen=True)
class StepAdd:
    title: str
    assignee_id: str | None = None
    due_word: str | None = None


@dataclass(frozen=True)
class StepNumbers:
    numbers: tuple[int, ...]


@dataclass(frozen=True)
class StepAssign:
    number: int
    assignee_id: str


@dataclass(frozen=True)
class StepDue:
    number: int
    due_word: str | None  # None clears the date


@dataclass(frozen=True)
class People:
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    user_id: str


@dataclass(frozen=True)
class Submit:
    title: str
    link: str | None = None
    step_number: int | None = None  # `for:#n`: approving it completes step #n


# --- the parsers: tokens after the verb → the command's typed result --------------------------


def nothing(tokens: list[Token]) -> Nothing:
    return Nothing()


def project_only(tokens: list[Token]) -> ProjectOnly:
    return ProjectOnly(_project(tokens))


def status(tokens: list[Token]) -> StatusArgs:
    share = bool(tokens) and tokens[-1].lower == "share" and not tokens[-1].quoted
    return StatusArgs(_project(tokens[:-1] if share else tokens), share)


def _channel(values: list[Token], usage: str) -> str:
    found = channel_id(values[0].raw) if len(values) == 1 else None
    if found is None:
        word = " ".join(plain(t.raw) for t in values)
        raise BadInput("{word} isn't a channel. Pick one with #, e.g. `" + usage + "`.", word)
    return found


def internal(tokens: list[Token]) -> Channel:
    if not tokens:
        raise BadInput("Which channel? Pick one with #: `/project internal #acme-team`.")
    return Channel(_channel(tokens, "/project internal #acme-team"))


def new(tokens: list[Token]) -> New:
    if not tokens:
        return New(None)
    words, options = _options(tokens)
    name = _project(words)
    if not name:
        raise BadInput('Give the project a name: `/project new "Acme website" client:Acme due:2026-12-01`.')
    if mention_id(words[0].raw):
        raise BadInput("A project name can't be a person. Try `/project new Acme website`.")
    client = _join(options["client"]) if "client" in options else None
    if "client" in options and not client:
        raise BadInput("`client:` needs a name right after it, e.g. `client:Acme`.")
    budget = None
    if "budget" in options:
        word = _join(options["budget"])
        budget = checked_hours(hours_of(word), word, what="budget", most=BUDGET_MAX)
    internal_channel = _channel(options["internal"], "internal:#acme-team") if "internal" in options else None
    return New(name, cut(client, NAME_MAX) if client else None, _date_option(options.get("due")), budget, internal_channel)


def list_scope(tokens: list[Token]) -> ListScope:
    if not tokens:
        return ListScope()
    scope = tokens[0].lower
    if len(tokens) > 1 or scope not in LIST_SCOPES:
        raise BadInput("`list` takes one of `mine`, `all` or `overdue`, e.g. `/project list overdue`.")
    return ListScope(scope)


def stage_move(tokens: list[Token]) -> StageMove:
    force = any(t.lower in _FORCE for t in tokens)
    tokens = [t for t in tokens if t.lower not in _FORCE]
    if not tokens:
        raise BadInput("Which stage? Try `/project stage next` or `/project stage planning`.")
    if tokens[-1].lower == "next":
        return StageMove(_project(tokens[:-1]), None, force)
    for split in range(len(tokens)):  # longest stage name at the end wins
        suffix = " ".join(plain(t.raw).lower() for t in tokens[split:])
        if suffix in STAGE_WORDS:
            return StageMove(_project(tokens[:split]), STAGE_WORDS[suffix], force)
    guess = closest(plain(tokens[-1].raw), [*STAGE_WORDS, "next"])
    raise BadInput(
        "I don't know the stage {word}." + (" Did you mean `{guess}`?" if guess else "") + " Stages are Initiation, "
        "Planning, Execution & Monitoring and Closure; try `/project stage next` or `/project stage planning`.",
        _join(tokens),
        {"guess": guess},
    )


def step_add(tokens: list[Token]) -> StepAdd:
    words, options = _options(tokens)
    for token in words:
        if not token.quoted and bare_at(token.raw):
            raise not_a_mention(token, " To keep it in the title as text, put it in quotes.")
    mentions = [t for t in words if mention_id(t.raw)]
    if len(mentions) > 1:
        raise BadInput("A step has one assignee: mention just one person.")
    title = _join([t for t in words if not mention_id(t.raw)])
    if not title:
        raise BadInput("Give the step a title: `/project step add Draft the brief @ann due:fri`.")
    for key in options:
        if key != "due":
            raise BadInput("{word} doesn't apply to steps; use `due:<date>`.", f"{key}:")
    return StepAdd(cut(title, TITLE_MAX), mention_id(mentions[0].raw) if mentions else None, _date_option(options.get("due")))


def step_numbers(usage: str) -> Callable[[list[Token]], StepNumbers]:
    def parse(tokens: list[Token]) -> StepNumbers:
        return StepNumbers(_numbers(tokens, usage))

    return parse


def step_assign(tokens: list[Token]) -> StepAssign:
    if not tokens or mention_id(tokens[0].raw):
        raise BadInput("Which step? Give its number, then the person: `/project step assign #3 @ann`.")
    numbers = _numbers(tokens[:1], "/project step assign #3 @ann")
    user_ids = _user_ids(tokens[1:], "step assign")
    if len(user_ids) != 1:
        raise BadInput("A step has one assignee: `/project step assign #3 @ann`.")
    return StepAssign(numbers[0], user_ids[0])


def step_due(tokens: list[Token]) -> StepDue:
    if len(tokens) < 2:
        raise BadInput("Give the step and the date: `/project step due #3 fri` (or `none` to clear it).")
    numbers = _numbers(tokens[:1], "/project step due #3 fri")
    word = _join(tokens[1:])
    return StepDue(numbers[0], None if word.lower() in CLEAR_WORDS else word)


def people(what: str) -> Callable[[list[Token]], People]:
    def parse(tokens: list[Token]) -> People:
        return People(_user_ids(tokens, what))

    return parse


def owner(tokens: list[Token]) -> Person:
    user_ids = _user_ids(tokens, "owner")
    if len(user_ids) != 1:
        raise BadInput("A project has one owner: `/project owner @ann`.")
    return Person(user_ids[0])


def deliverable(tokens: list[Token]) -> Submit:
    words, options = _options(tokens)
    for key in options:
        if key != "for":
            raise BadInput("{word} doesn't apply to deliverables; use `for:#3` to tie it to a step.", f"{key}:")
    link = link_url(words[-1].raw) if words else None
    title = _join(words[:-1] if link else words)
    if not title:
        raise BadInput('Name the deliverable: `/project deliverable "Homepage design" https://link`.')
    step = _numbers(options["for"], "for:#3")[0] if "for" in options else None
    return Submit(cut(title, TITLE_MAX), link, step)


CLEAR_WORDS = ("none", "clear", "-")
