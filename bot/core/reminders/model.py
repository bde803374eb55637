"""What reminders are about and what a pass decides, as plain data (no Slack, no session)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

ASSIGNEE, DIGEST, CHASE, ESCALATION, UNREACHABLE = "assignee", "digest", "chase", "escalation", "unreachable"


@dataclass(frozen=True)
class DueStep:
    """An open step with a due date, with what a reminder needs to say about its project."""

    step_id: int
    number: int
    title: str
    due_date: date
    assignee_id: str | None
    project_id: int
    project_name: str
    channel_id: str
    owner_id: str
    project_tz: str = "UTC"
    snoozed_until: date | None = None
    reminded_on: date | None = None  # the assignee's local date of the last sent DM that showed it
    digest_to: str | None = None  # where the project's team-only posts go (None: the project channel)
    assignee_is_client: bool = False  # the digest says "waiting on <client>", not staff lateness


@dataclass(frozen=True)
class WaitingDeliverable:
    """A deliverable still waiting for a decision."""

    deliverable_id: int
    title: str
    version: int
    project_id: int
    project_name: str
    channel_id: str
    owner_id: str
    submitted_at: datetime


@dataclass(frozen=True)
class WaitingProposal:
    """A date-change proposal (`/project due`) still waiting for the approvers, and where its message is."""

    proposal_id: int
    project_id: int
    project_name: str
    channel_id: str
    owner_id: str
    old_target: date | None
    new_target: date
    proposed_at: datetime
    message: tuple[str, str] | None = None  # (channel, ts) of its Accept / Discuss message, once posted


def in_dm_order(steps: Sequence[DueStep]) -> list[DueStep]:
    """The order an assignee's DM lists steps in (its first MAX_DM_STEPS are shown, and stamped)."""
    return sorted(steps, key=lambda s: (s.due_date, s.project_name.casefold(), s.number))


@dataclass(frozen=True)
class Owed:
    """A ledger row that still owes a message: a retry now due, or a claim whose claimer died."""

    key: str
    kind: str
    recipient: str
    project_id: int | None


@dataclass
class World:
    """Everything a pass plans from, as `load` read it."""

    steps: list[DueStep]
    waiting: list[tuple[WaitingDeliverable, tuple[str, ...]]]  # with its approvers (the owner if none)
    owed: list[Owed]  # retry rows now due, and claims that expired
    project_names: dict[int, str] = field(default_factory=dict)
    proposals: list[tuple[WaitingProposal, tuple[str, ...]]] = field(default_factory=list)  # with their approvers

    def people(self) -> set[str]:
        found = {s.assignee_id for s in self.steps if s.assignee_id} | {s.owner_id for s in self.steps}
        found |= {user for _, approvers in self.waiting for user in approvers}
        found |= {user for _, approvers in self.proposals for user in approvers}
        found |= {row.recipient for row in self.owed if row.kind != DIGEST and not row.recipient.startswith(("C", "G"))}
        return found


@dataclass(frozen=True)
class Outgoing:
    """One reminder to send now: its key, where it goes, and what it is about (written at send time)."""

    key: str
    kind: str
    recipient: str  # a user id (a DM) or a channel id
    project_id: int | None
    tz: str  # whose local date the message's words ("due tomorrow") are computed in
    steps: tuple[DueStep, ...] = ()
    waiting: tuple[WaitingDeliverable, ...] = ()
    proposals: tuple[WaitingProposal, ...] = ()  # CHASE: date changes waiting, beside the deliverables
    report_to: tuple[str, ...] = ()  # owners to tell if Slack refuses the recipient for good
    reminds_on: date | None = None  # when sent, stamp `steps` as reminded on this (the recipient's) date
    batch: str | None = None  # outgoings with one batch that a pass claims go out as one message
    about: tuple[str, str, str | None] | None = None  # UNREACHABLE: (who, Slack's error, project name)


@dataclass(frozen=True)
class Candidate:
    """A reminder someone could get today: `triggered` says it is owed, `in_window` that now is the hour."""

    outgoing: Outgoing
    slot: str  # the key without its date: the same reminder on another day
    triggered: bool
    in_window: bool


@dataclass
class PassReport:
    """What one pass did, and what it holds back; `python -m bot remind` prints it."""

    sent: int = 0
    deferred: int = 0  # Slack said "later" (429, 5xx, timeout): retried on a later pass
    failed: int = 0  # Slack refused for good: recorded and reported to the owner
    already: int = 0  # sent earlier, or being sent right now by another pass (maybe another process)
    superseded: int = 0  # an older reminder that a newer one (or nothing left to say) replaces
    held_outside_hours: int = 0  # owed, but its recipient is outside their working hours now
    snoozed: int = 0  # steps left out of today's reminders because someone snoozed them
    unknown_people: int = 0  # people Slack couldn't tell us about yet: their reminders wait

    def __str__(self) -> str:
        return ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in vars(self).items())


@dataclass
class Tally:
    """What one part of a pass (slip alerts, weekly drafts, repairs…) did: the pass's report counts
    each part with one of these."""

    sent: int = 0
    deferred: int = 0  # Slack failed or the work broke: a later pass tries again
    failed: int = 0  # given up for good, or the part itself broke this time
    held: int = 0  # owed, but held back now (outside the recipient's working hours, or the process is stopping)

    def __str__(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in vars(self).items())
