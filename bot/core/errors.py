"""What the core refuses, as data: each refusal names its facts, and `bot.messages.errors`
turns them into the sentence a person reads. Nothing here knows Slack's markup.

>>> error = NotOwner(owner_id="U1", action="change the stage")
>>> error.owner_id, error.action
('U1', 'change the stage')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# The refusals of closure, the weekly update and the report live beside this module; every refusal
# is still imported from here.
from bot.core.closing_errors import (
    AlreadyConfirmed,
    BadRating,
    DebriefEmpty,
    NotASignoffDecider,
    ReportNotUploaded,
    SignoffGone,
    SignoffNotCurrent,
    UpdateBeingPosted,
    UpdateDecided,
    UpdateGone,
    UpdateNotOwner,
)
from bot.core.refusal import UserError


@dataclass(eq=False)
class BadInput(UserError):
    """Command text that can't be read. `template` is a static sentence that may hold `{word}`
    (the user's word, shown as code) and other `{name}`s filled from `values` (shown as text)."""

    template: str
    word: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


# --- projects --------------------------------------------------------------------------------


@dataclass(eq=False)
class ProjectNotFound(UserError):
    name: str


@dataclass(eq=False)
class NoProjectHere(UserError):
    pass


@dataclass(eq=False)
class NotInDirectMessage(UserError):
    pass


@dataclass(eq=False)
class ChannelTaken(UserError):
    project_name: str


@dataclass(eq=False)
class NameTaken(UserError):
    name: str


@dataclass(eq=False)
class NotOwner(UserError):
    owner_id: str
    action: str  # "change the stage"


@dataclass(eq=False)
class ProjectClosed(UserError):
    project_name: str


@dataclass(eq=False)
class AlreadyOwner(UserError):
    user_id: str
    project_name: str


@dataclass(eq=False)
class NotApprovers(UserError):
    user_ids: list[str]
    project_name: str


# --- stages ----------------------------------------------------------------------------------


@dataclass(eq=False)
class LastStage(UserError):
    project_name: str


@dataclass(eq=False)
class AlreadyInStage(UserError):
    project_name: str
    stage_label: str


@dataclass(frozen=True)
class Blocker:
    """A deliverable that keeps a stage from closing."""

    title: str
    version: int
    state: str


@dataclass(eq=False)
class StageGate(UserError):
    stage_label: str
    blockers: list[Blocker]
    retry: str  # the command that overrides, e.g. "/project stage next --force"


# --- steps -----------------------------------------------------------------------------------


@dataclass(eq=False)
class NoSuchStep(UserError):
    project_name: str
    number: int
    count: int  # how many steps the project has


@dataclass(eq=False)
class StepGone(UserError):
    pass


@dataclass(eq=False)
class StepAlreadyDone(UserError):
    number: int


@dataclass(eq=False)
class NotStepsPerson(UserError):
    """Only the step's assignee or the project owner may use its reminder buttons."""

    number: int
    assignee_id: str | None
    owner_id: str


# --- deliverables ----------------------------------------------------------------------------


@dataclass(eq=False)
class DeliverableGone(UserError):
    pass


@dataclass(eq=False)
class SubmittedJustNow(UserError):
    title: str
    resubmitted: bool = False


@dataclass(eq=False)
class BeingPosted(UserError):
    """Someone else's `/project deliverable` is posting this version's message right now."""

    title: str


@dataclass(eq=False)
class AlreadyApproved(UserError):
    title: str
    version: int
    approver_id: str | None


@dataclass(eq=False)
class ReasonRequired(UserError):
    pass


@dataclass(eq=False)
class NotADecider(UserError):
    """The clicker may not decide this deliverable. Nothing was written: the caller audits it."""

    title: str
    version: int
    deciders: list[str]
    owner_decides: bool  # the project names no approver, so its owner signs off


@dataclass(eq=False)
class AlreadyDecided(UserError):
    """Someone (perhaps the clicker, a moment ago) decided first, or a newer version replaced it."""

    title: str
    version: int
    actor: str  # who clicked now
    approver_id: str | None = None  # None: replaced by a newer version before anyone decided
    verdict: str | None = None
    decided_at: datetime | None = None


# --- the client boundary ---------------------------------------------------------------------


@dataclass(eq=False)
class TeamOnly(UserError):
    """A client asked for something only the project team may do."""

    verb: str
    project_id: int | None = None  # the project it would have touched, when known


@dataclass(eq=False)
class NotYourStep(UserError):
    """A client may change only the steps assigned to them."""

    number: int


@dataclass(eq=False)
class OwnerIsTeam(UserError):
    user_id: str


@dataclass(eq=False)
class NotAPerson(UserError):
    user_id: str


@dataclass(eq=False)
class NotClients(UserError):
    user_ids: list[str]
    project_name: str


@dataclass(eq=False)
class InternalIsProjectChannel(UserError):
    pass


@dataclass(eq=False)
class NotYourProject(UserError):
    """A client asked about a project that is not theirs, or none: the same answer either way."""

    name: str | None


@dataclass(eq=False)
class StaysClient(UserError):
    """`team add` for someone named a client of this very project (`named_here`), or whom Slack says
    is a client (another organization, a guest) or can't say."""

    user_id: str
    named_here: bool


@dataclass(eq=False)
class NotTeamNamed(UserError):
    user_ids: list[str]
    project_name: str


# --- changing the plan -----------------------------------------------------------------------


@dataclass(eq=False)
class TargetInPast(UserError):
    target: date


@dataclass(eq=False)
class SameTarget(UserError):
    target: date


@dataclass(eq=False)
class ProposalGone(UserError):
    pass


@dataclass(eq=False)
class ProposalDecided(UserError):
    state: str  # accepted | discuss | superseded
    decided_by: str | None


@dataclass(eq=False)
class ProposedJustNow(UserError):
    pass


@dataclass(eq=False)
class NotProposalDecider(UserError):
    deciders: list[str]


@dataclass(eq=False)
class StepIsDone(UserError):
    """`step remove` or `step wait` of a done step."""

    number: int
    verb: str


@dataclass(eq=False)
class StepRemoved(UserError):
    number: int


@dataclass(eq=False)
class NotWaiting(UserError):
    number: int


@dataclass(eq=False)
class AlreadyWaiting(UserError):
    number: int


@dataclass(eq=False)
class OpenStepsGate(UserError):
    """A stage can't close with open steps, unless the owner forces it (they are carried)."""

    stage_label: str
    steps: list[tuple[int, str]]
    retry: str


@dataclass(eq=False)
class CloseChecklist(UserError):
    """What still stands in the way of closing; `close --force` (owner) closes anyway."""

    open_steps: list[tuple[int, str]]
    waiting: list[tuple[str, int]]  # deliverables pending: (title, version)
    proposal: date | None  # a date change waiting for the approvers
    over_budget: tuple[float, float] | None  # (hours used, budget)


@dataclass(eq=False)
class NotClosed(UserError):
    project_name: str


# --- the Home tab and the message shortcut -----------------------------------------------------


@dataclass(eq=False)
class NoProjectForMessage(UserError):
    """The "Add as a step" shortcut on a message outside a project channel: a DM, or one with no project."""

    in_dm: bool


__all__ = [
    "UserError",
    "SignoffGone",
    "SignoffNotCurrent",
    "NotASignoffDecider",
    "AlreadyConfirmed",
    "BadRating",
    "DebriefEmpty",
    "UpdateGone",
    "UpdateNotOwner",
    "UpdateDecided",
    "UpdateBeingPosted",
    "ReportNotUploaded",
]
