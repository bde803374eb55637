"""How the commands about whole projects read: `help`, `new`, `status`, `list`, `stage`, `owner`,
`close`.

>>> from bot.core.grammar import tokenize
>>> stage_move(tokenize("Acme execution & monitoring --force"))
StageMove(project='Acme', stage=<Stage.EXECUTION: 'execution'>, force=True)
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import BadInput
from bot.core.grammar import (
    NAME_MAX,
    STAGE_WORDS,
    Token,
    channel,
    closest,
    date_option,
    forced,
    join,
    options,
    project_word,
    user_ids,
)
from bot.core.grammar.hours import BUDGET_MAX, checked_hours, hours_of
from bot.core.text import cut, mention_id, plain
from storage.models import Stage

LIST_SCOPES = ("mine", "all", "overdue")


@dataclass(frozen=True)
class Nothing:
    """A command that takes no words (`help`)."""


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
class ListScope:
    scope: str = "open"  # open | mine | all | overdue


@dataclass(frozen=True)
class StageMove:
    project: str | None = None
    stage: Stage | None = None  # None means "next"
    force: bool = False


@dataclass(frozen=True)
class Person:
    user_id: str


def nothing(tokens: list[Token]) -> Nothing:
    return Nothing()


def status(tokens: list[Token]) -> StatusArgs:
    share = bool(tokens) and tokens[-1].lower == "share" and not tokens[-1].quoted
    return StatusArgs(project_word(tokens[:-1] if share else tokens), share)


def new(tokens: list[Token]) -> New:
    if not tokens:
        return New(None)
    words, given = options(tokens)
    name = project_word(words)
    if not name:
        raise BadInput('Give the project a name: `/project new "Acme website" client:Acme due:2026-12-01`.')
    if mention_id(words[0].raw):
        raise BadInput("A project name can't be a person. Try `/project new Acme website`.")
    client = join(given["client"]) if "client" in given else None
    if "client" in given and not client:
        raise BadInput("`client:` needs a name right after it, e.g. `client:Acme`.")
    budget = None
    if "budget" in given:
        word = join(given["budget"])
        budget = checked_hours(hours_of(word), word, what="budget", most=BUDGET_MAX)
    internal_channel = channel(given["internal"], "internal:#acme-team") if "internal" in given else None
    return New(name, cut(client, NAME_MAX) if client else None, date_option(given.get("due")), budget, internal_channel)


def list_scope(tokens: list[Token]) -> ListScope:
    if not tokens:
        return ListScope()
    scope = tokens[0].lower
    if len(tokens) > 1 or scope not in LIST_SCOPES:
        raise BadInput("`list` takes one of `mine`, `all` or `overdue`, e.g. `/project list overdue`.")
    return ListScope(scope)


def stage_move(tokens: list[Token]) -> StageMove:
    tokens, force = forced(tokens)
    if not tokens:
        raise BadInput("Which stage? Try `/project stage next` or `/project stage planning`.")
    if tokens[-1].lower == "next":
        return StageMove(project_word(tokens[:-1]), None, force)
    for split in range(len(tokens)):  # longest stage name at the end wins
        suffix = " ".join(plain(t.raw).lower() for t in tokens[split:])
        if suffix in STAGE_WORDS:
            return StageMove(project_word(tokens[:split]), STAGE_WORDS[suffix], force)
    guess = closest(plain(tokens[-1].raw), [*STAGE_WORDS, "next"])
    raise BadInput(
        "I don't know the stage {word}." + (" Did you mean `{guess}`?" if guess else "") + " Stages are Initiation, "
        "Planning, Execution & Monitoring and Closure; try `/project stage next` or `/project stage planning`.",
        join(tokens),
        {"guess": guess},
    )


def owner(tokens: list[Token]) -> Person:
    found = user_ids(tokens, "owner")
    if len(found) != 1:
        raise BadInput("A project has one owner: `/project owner @ann`.")
    return Person(found[0])


def close(tokens: list[Token]) -> StageMove:
    """`close [project] [--force]`: the force flag rides on the stage-move shape (project, force)."""
    tokens, force = forced(tokens)
    return StageMove(project_word(tokens), None, force)
