"""How the plan-changing commands read: `steps`, `step rename|remove|wait|resume`, `due`.

>>> from bot.core.grammar import tokenize
>>> target_date(tokenize("next fri the client added a section"))
TargetDate(due_word='next fri', reason='the client added a section')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.dates import incomplete
from bot.core.errors import BadInput
from bot.core.grammar import (
    _FORCE,
    STAGE_WORDS,
    TITLE_MAX,
    StageMove,
    StepNumbers,
    Token,
    _join,
    _numbers,
    _project,
    not_a_mention,
)
from bot.core.text import bare_at, cut, mention_id, plain
from storage.models import Stage


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


@dataclass(frozen=True)
class TargetDate:
    due_word: str
    reason: str | None = None


def steps(tokens: list[Token]) -> StepsScope:
    if not tokens:
        return StepsScope()
    last, before = tokens[-1], tokens[:-1]
    if last.lower in ("mine", "all", "open"):
        return StepsScope(_project(before), last.lower)
    if mention_id(last.raw):
        return StepsScope(_project(before), "user", user_id=mention_id(last.raw))
    if not last.quoted and bare_at(last.raw):
        raise not_a_mention(last)
    for split in range(len(tokens)):  # a stage name at the end: the longest wins
        suffix = " ".join(plain(t.raw).lower() for t in tokens[split:])
        if suffix in STAGE_WORDS:
            return StepsScope(_project(tokens[:split]), "stage", stage=STAGE_WORDS[suffix])
    return StepsScope(_project(tokens))


def step_rename(tokens: list[Token]) -> StepTitle:
    if len(tokens) < 2:
        raise BadInput("Give the step and its new title: `/project step rename #3 Homepage copy`.")
    title = _join(tokens[1:])
    return StepTitle(_numbers(tokens[:1], "/project step rename #3 Homepage copy")[0], cut(title, TITLE_MAX))


def step_wait(tokens: list[Token]) -> StepWait:
    usage = "/project step wait #3 client waiting for the logo files"
    if len(tokens) < 2 or tokens[1].lower != "client":
        raise BadInput("Say who it waits on: `" + usage + "` (steps wait on the client).")
    reason = _join(tokens[2:])
    return StepWait(_numbers(tokens[:1], usage)[0], cut(reason, TITLE_MAX) if reason else None)


def step_one(usage: str) -> Callable[[list[Token]], StepNumbers]:
    """One step number: `step remove #3`, `step resume #3`."""

    def parse(tokens: list[Token]) -> StepNumbers:
        if len(tokens) != 1:
            raise BadInput("Give one step number, e.g. `{usage}`.", values={"usage": usage})
        return StepNumbers(_numbers(tokens, usage))

    return parse


def target_date(tokens: list[Token]) -> TargetDate:
    """`due <date> [reason]`: the date is one word, or two when the first needs the second."""
    if not tokens:
        raise BadInput("Give the new target date: `/project due 2027-02-01 the client added a section`.")
    size = 2 if incomplete(tokens[0].raw) and len(tokens) > 1 else 1
    reason = _join(tokens[size:])
    return TargetDate(plain(" ".join(t.raw for t in tokens[:size])), cut(reason, 500) if reason else None)


def close(tokens: list[Token]) -> StageMove:
    """`close [project] [--force]`: the force flag rides on the stage-move shape (project, force)."""
    force = any(t.lower in _FORCE for t in tokens)
    return StageMove(_project([t for t in tokens if t.lower not in _FORCE]), None, force)
