"""`/project …` text → a `Command`. Pure: no Slack, no database; bad input raises `UserError`.

>>> parse('step add Draft brief <@U1|ann> due:fri')
Command(verb='step add', title='Draft brief', user_ids=('U1',), date_word='fri')
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from bot.core.errors import UserError
from bot.core.text import cut, escape, link_url, mention_id, plain
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
_OPTION = re.compile(r"^(client|due|budget):(.*)$", re.IGNORECASE | re.DOTALL)
_NUMBER = re.compile(r"^#?(\d{1,6})$")
_HOURS = re.compile(r"^(\d{1,5}(?:\.\d{1,2})?)\s*h?(?:ours?|rs?)?$", re.IGNORECASE)
_FORCE = {"--force", "—force", "–force", "-force"}  # phones turn "--" into a dash


@dataclass(frozen=True)
class Command:
    verb: str
    project: str | None = None  # a project named in the text; None → the channel's project
    title: str | None = None
    client: str | None = None
    user_ids: tuple[str, ...] = ()
    numbers: tuple[int, ...] = ()
    date_word: str | None = None
    stage: Stage | None = None  # None with verb "stage" means "next"
    force: bool = False
    link: str | None = None
    hours: float | None = None
    scope: str | None = None
    unknown: str | None = field(default=None)  # for help: the word we did not understand
    suggestion: str | None = None  # for help: the command it probably meant

    def __repr__(self) -> str:  # only the fields that are set, for readable test failures
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if getattr(self, f.name) != f.default]
        return f"Command({', '.join(shown)})"


@dataclass(frozen=True)
class Token:
    raw: str  # as Slack sent it (quotes removed)
    quoted: bool = False

    @property
    def lower(self) -> str:
        return self.raw.lower()


def tokenize(text: str) -> list[Token]:
    """Split on spaces; "double quotes" (straight or curly) group words, and Slack's own
    `<…>` markup (a mention, or a link whose label has spaces) stays one token."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        buf: list[str] = []
        quoted = False
        while i < n and not text[i].isspace():
            if text[i] in '"“”':
                close = text.find("”" if text[i] == "“" else '"', i + 1)
                if close == -1:
                    close = text.find('"' if text[i] == "“" else "”", i + 1)
                if close == -1:
                    raise UserError('A quote is missing its closing `"`. Check the quotes and try again.')
                buf.append(text[i + 1 : close])
                quoted = True
                i = close + 1
            elif text[i] == "<" and text.find(">", i) != -1:
                close = text.find(">", i)
                buf.append(text[i : close + 1])
                i = close + 1
            else:
                buf.append(text[i])
                i += 1
        tokens.append(Token("".join(buf), quoted))
    return tokens


def parse(text: str) -> Command:
    tokens = tokenize(text or "")
    if not tokens:
        return Command("help")
    verb, rest = tokens[0].lower, tokens[1:]
    parser = _PARSERS.get(verb)
    if parser is None:
        return Command("help", unknown=cut(plain(tokens[0].raw), 40), suggestion=closest(verb, VERBS))
    return parser(rest)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a typo most likely meant (`stpe` → `step`), if any is close."""
    found = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _join(tokens: list[Token]) -> str:
    return plain(" ".join(t.raw for t in tokens))


def _project(tokens: list[Token]) -> str | None:
    name = _join(tokens)
    return cut(name, NAME_MAX) if name else None


def _user_ids(tokens: list[Token], what: str) -> tuple[str, ...]:
    ids = []
    for token in tokens:
        user_id = mention_id(token.raw)
        if user_id is None:
            raise UserError(f"{what}: `{escape(cut(plain(token.raw), 40))}` isn't a person. Mention them with @, e.g. `@ann`.")
        if user_id not in ids:
            ids.append(user_id)
    if not ids:
        raise UserError(f"{what}: mention someone with @, e.g. `@ann`.")
    return tuple(ids)


def _numbers(tokens: list[Token], usage: str) -> tuple[int, ...]:
    if not tokens:
        raise UserError(f"Which step? Give its number, e.g. `{usage}`.")
    numbers = []
    parts = [Token(part) for token in tokens for part in token.raw.split(",") if part]  # "1,2" and "#1, #2"
    for token in parts:
        match = _NUMBER.match(token.raw)
        if not match:
            raise UserError(
                f"`{escape(cut(plain(token.raw), 40))}` isn't a step number. Use the number from the status card, e.g. `{usage}`."
            )
        numbers.append(int(match.group(1)))
    return tuple(dict.fromkeys(numbers))


SINGLE_VALUE_OPTIONS = ("due", "budget")  # one word each; `client:` may run to several


def _options(tokens: list[Token]) -> tuple[list[Token], dict[str, list[Token]]]:
    """Split `words key:value words…` into plain words and options.

    `due:` and `budget:` take one word (`due:fri`, or `due: fri`); `client:` runs until the next
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
                raise UserError(f"`{key}:` is given twice; give it once.")
            options[key] = [Token(value, token.quoted)] if value else []
            taking = None if value and key in SINGLE_VALUE_OPTIONS else key
        elif taking and not mention_id(token.raw):
            options[taking].append(token)
            if taking in SINGLE_VALUE_OPTIONS:
                taking = None
        else:
            taking = None
            words.append(token)
    return words, options


def _hours(raw: str, what: str) -> float:
    match = _HOURS.match(raw.strip())
    if not match or float(match.group(1)) <= 0:
        raise UserError(f"{what}: `{escape(cut(raw, 40))}` isn't a number of hours. Try `120` or `7.5h`.")
    return float(match.group(1))


def _date_option(values: list[Token] | None) -> str | None:
    if values is None:
        return None
    word = " ".join(t.raw for t in values).strip()
    if not word:
        raise UserError("`due:` needs a date right after it, e.g. `due:fri` or `due:2026-12-01`.")
    return plain(word)


def _parse_new(tokens: list[Token]) -> Command:
    if not tokens:
        return Command("new")
    words, options = _options(tokens)
    name = _project(words)
    if not name:
        raise UserError('Give the project a name: `/project new "Acme website" client:Acme due:2026-12-01`.')
    if mention_id(words[0].raw):
        raise UserError("A project name can't be a person. Try `/project new Acme website`.")
    client = _join(options["client"]) if "client" in options else None
    if "client" in options and not client:
        raise UserError("`client:` needs a name right after it, e.g. `client:Acme`.")
    budget = _hours(_join(options["budget"]), "budget") if "budget" in options else None
    return Command(
        "new",
        title=name,
        client=cut(client, NAME_MAX) if client else None,
        date_word=_date_option(options.get("due")),
        hours=budget,
    )


def _parse_status(tokens: list[Token]) -> Command:
    return Command("status", project=_project(tokens))


def _parse_list(tokens: list[Token]) -> Command:
    if not tokens:
        return Command("list")
    scope = tokens[0].lower
    if len(tokens) > 1 or scope not in LIST_SCOPES:
        raise UserError("`list` takes one of `mine`, `all` or `overdue`, e.g. `/project list overdue`.")
    return Command("list", scope=scope)


def _parse_stage(tokens: list[Token]) -> Command:
    force = any(t.lower in _FORCE for t in tokens)
    tokens = [t for t in tokens if t.lower not in _FORCE]
    usage = "`/project stage next` or `/project stage planning`"
    if not tokens:
        raise UserError(f"Which stage? Try {usage}.")
    if tokens[-1].lower == "next":
        return Command("stage", project=_project(tokens[:-1]), force=force)
    for split in range(len(tokens)):  # longest stage name at the end wins
        suffix = " ".join(plain(t.raw).lower() for t in tokens[split:])
        if suffix in STAGE_WORDS:
            return Command("stage", project=_project(tokens[:split]), stage=STAGE_WORDS[suffix], force=force)
    shown = escape(cut(_join(tokens), 60))
    guess = closest(plain(tokens[-1].raw), [*STAGE_WORDS, "next"])
    hint = f" Did you mean `{guess}`?" if guess else ""
    raise UserError(
        f"I don't know the stage `{shown}`.{hint} Stages are Initiation, Planning, Execution & Monitoring and Closure; "
        f"try {usage}."
    )


def _parse_step(tokens: list[Token]) -> Command:
    if not tokens:
        raise UserError("What about the step? Try `/project step add <title>`; see `/project help`.")
    sub, rest = tokens[0].lower, tokens[1:]
    if sub == "add":
        words, options = _options(rest)
        mentions = [t for t in words if mention_id(t.raw)]
        if len(mentions) > 1:
            raise UserError("A step has one assignee: mention just one person.")
        title = _join([t for t in words if not mention_id(t.raw)])
        if not title:
            raise UserError("Give the step a title: `/project step add Draft the brief @ann due:fri`.")
        for key in options:
            if key != "due":
                raise UserError(f"`{key}:` doesn't apply to steps; use `due:<date>`.")
        return Command(
            "step add",
            title=cut(title, TITLE_MAX),
            user_ids=tuple(mention_id(t.raw) or "" for t in mentions),
            date_word=_date_option(options.get("due")),
        )
    if sub in ("done", "reopen"):
        return Command(f"step {sub}", numbers=_numbers(rest, f"/project step {sub} #3"))
    if sub == "assign":
        if not rest or mention_id(rest[0].raw):
            raise UserError("Which step? Give its number, then the person: `/project step assign #3 @ann`.")
        numbers = _numbers(rest[:1], "/project step assign #3 @ann")
        user_ids = _user_ids(rest[1:], "step assign")
        if len(user_ids) != 1:
            raise UserError("A step has one assignee: `/project step assign #3 @ann`.")
        return Command("step assign", numbers=numbers, user_ids=user_ids)
    if sub == "due":
        if len(rest) < 2:
            raise UserError("Give the step and the date: `/project step due #3 fri` (or `none` to clear it).")
        numbers = _numbers(rest[:1], "/project step due #3 fri")
        return Command("step due", numbers=numbers, date_word=_join(rest[1:]))
    guess = closest(sub, STEP_VERBS)
    hint = f" Did you mean `step {guess}`?" if guess else ""
    raise UserError(
        f"`step {escape(cut(plain(tokens[0].raw), 30))}` isn't a step command.{hint} "
        "Use `step add`, `step done`, `step assign`, `step due` or `step reopen`."
    )


def _parse_approver(tokens: list[Token]) -> Command:
    if not tokens or tokens[0].lower not in ("add", "remove", "rm", "delete"):
        raise UserError("Use `/project approver add @client` or `/project approver remove @client`.")
    sub = "add" if tokens[0].lower == "add" else "remove"
    return Command(f"approver {sub}", user_ids=_user_ids(tokens[1:], f"approver {sub}"))


def _parse_owner(tokens: list[Token]) -> Command:
    user_ids = _user_ids(tokens, "owner")
    if len(user_ids) != 1:
        raise UserError("A project has one owner: `/project owner @ann`.")
    return Command("owner", user_ids=user_ids)


def _parse_deliverable(tokens: list[Token]) -> Command:
    link = link_url(tokens[-1].raw) if tokens else None
    words = tokens[:-1] if link else tokens
    title = _join(words)
    if not title:
        raise UserError('Name the deliverable: `/project deliverable "Homepage design" https://link`.')
    return Command("deliverable", title=cut(title, TITLE_MAX), link=link)


def _parse_close(tokens: list[Token]) -> Command:
    return Command("close", project=_project(tokens))


def _parse_log(tokens: list[Token]) -> Command:
    if len(tokens) != 1:
        raise UserError("Log hours spent as a number: `/project log 3.5h`.")
    return Command("log", hours=_hours(tokens[0].raw, "log"))


def _parse_budget(tokens: list[Token]) -> Command:
    if len(tokens) != 1:
        raise UserError("Set the budget in hours: `/project budget 120h`.")
    return Command("budget", hours=_hours(tokens[0].raw, "budget"))


def _parse_help(tokens: list[Token]) -> Command:
    return Command("help")


STEP_VERBS = ("add", "done", "assign", "due", "reopen")

_PARSERS = {
    "help": _parse_help,
    "?": _parse_help,
    "new": _parse_new,
    "create": _parse_new,
    "status": _parse_status,
    "list": _parse_list,
    "ls": _parse_list,
    "stage": _parse_stage,
    "step": _parse_step,
    "steps": _parse_step,
    "approver": _parse_approver,
    "approvers": _parse_approver,
    "owner": _parse_owner,
    "deliverable": _parse_deliverable,
    "close": _parse_close,
    "log": _parse_log,
    "budget": _parse_budget,
}

VERBS = tuple(_PARSERS)
