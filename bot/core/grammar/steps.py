"""How the step commands read: `step add|done|reopen|assign|due|rename|remove|wait|resume` and
`steps`.

>>> from bot.core.grammar import tokenize
>>> step_add(tokenize('Draft brief <@U1|ann> due:fri'))
StepAdd(title='Draft brief', assignee_id='U1', due_word='fri')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.errors import BadInput
from bot.core.grammar import (
    STAGE_WORDS,
    TITLE_MAX,
    Token,
    date_option,
    join,
    not_a_mention,
    numbers,
    options,
    project_word,
    user_ids,
)
from bot.core.text import bare_at, cut, mention_id, plain
from storage.models import Stage

CLEAR_WORDS = ("none", "clear", "-")


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
class StepsScope:
    """`steps [project] [mine|@user|all|<stage>]`: open steps by default."""

    project: str | None = None
    scope: str = "open"  # open | mine | all | user | stage
    user_id: str | None = None
    stage: Stage | None = None


@dataclass(frozen=True)
class StepTitle:
    number: int
    title: str


@dataclass(frozen=True)
class StepWait:
    number: int
    reason: str | None = None


def step_add(tokens: list[Token]) -> StepAdd:
    words, given = options(tokens)
    for token in words:
        if not token.quoted and bare_at(token.raw):
            raise not_a_mention(token, " To keep it in the title as text, put it in quotes.")
    mentions = [t for t in words if mention_id(t.raw)]
    if len(mentions) > 1:
        raise BadInput("A step has one assignee: mention just one person.")
    title = join([t for t in words if not mention_id(t.raw)])
    if not title:
        raise BadInput("Give the step a title: `/project step add Draft the brief @ann due:fri`.")
    for key in given:
        if key != "due":
            raise BadInput("{word} doesn't apply to steps; use `due:<date>`.", f"{key}:")
    return StepAdd(cut(title, TITLE_MAX), mention_id(mentions[0].raw) if mentions else None, date_option(given.get("due")))


def step_numbers(usage: str) -> Callable[[list[Token]], StepNumbers]:
    def parse(tokens: list[Token]) -> StepNumbers:
        return StepNumbers(numbers(tokens, usage))

    return parse


def step_one(usage: str) -> Callable[[list[Token]], StepNumbers]:
    """One step number: `step remove #3`, `step resume #3`."""

    def parse(tokens: list[Token]) -> StepNumbers:
        if len(tokens) != 1:
            raise BadInput("Give one step number, e.g. `{usage}`.", values={"usage": usage})
        return StepNumbers(numbers(tokens, usage))

    return parse


def step_assign(tokens: list[Token]) -> StepAssign:
    if not tokens or mention_id(tokens[0].raw):
        raise BadInput("Which step? Give its number, then the person: `/project step assign #3 @ann`.")
    found = numbers(tokens[:1], "/project step assign #3 @ann")
    assignees = user_ids(tokens[1:], "step assign")
    if len(assignees) != 1:
        raise BadInput("A step has one assignee: `/project step assign #3 @ann`.")
    return StepAssign(found[0], assignees[0])


def step_due(tokens: list[Token]) -> StepDue:
    if len(tokens) < 2:
        raise BadInput("Give the step and the date: `/project step due #3 fri` (or `none` to clear it).")
    found = numbers(tokens[:1], "/project step due #3 fri")
    word = join(tokens[1:])
    return StepDue(found[0], None if word.lower() in CLEAR_WORDS else word)


def steps(tokens: list[Token]) -> StepsScope:
    if not tokens:
        return StepsScope()
    last, before = tokens[-1], tokens[:-1]
    if last.lower in ("mine", "all", "open"):
        return StepsScope(project_word(before), last.lower)
    if mention_id(last.raw):
        return StepsScope(project_word(before), "user", user_id=mention_id(last.raw))
    if not last.quoted and bare_at(last.raw):
        raise not_a_mention(last)
    for split in range(len(tokens)):  # a stage name at the end: the longest wins
        suffix = " ".join(plain(t.raw).lower() for t in tokens[split:])
        if suffix in STAGE_WORDS:
            return StepsScope(project_word(tokens[:split]), "stage", stage=STAGE_WORDS[suffix])
    return StepsScope(project_word(tokens))


def step_rename(tokens: list[Token]) -> StepTitle:
    if len(tokens) < 2:
        raise BadInput("Give the step and its new title: `/project step rename #3 Homepage copy`.")
    title = join(tokens[1:])
    return StepTitle(numbers(tokens[:1], "/project step rename #3 Homepage copy")[0], cut(title, TITLE_MAX))


def step_wait(tokens: list[Token]) -> StepWait:
    usage = "/project step wait #3 client waiting for the logo files"
    if len(tokens) < 2 or tokens[1].lower != "client":
        raise BadInput("Say who it waits on: `" + usage + "` (steps wait on the client).")
    reason = join(tokens[2:])
    return StepWait(numbers(tokens[:1], usage)[0], cut(reason, TITLE_MAX) if reason else None)
