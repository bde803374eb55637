"""The project store's tables. Every row carries the Slack team id of the installation it belongs to.

Timestamps are aware UTC datetimes (`utcnow()`); dates are calendar dates in the project's time zone.
The schema itself is owned by the Alembic migrations in `storage/migrations`; a test checks
that they match these models.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, in UTC (what every timestamp column holds). freezegun steers it."""
    return datetime.now(UTC)


class Stage(StrEnum):
    INITIATION = "initiation"
    PLANNING = "planning"
    EXECUTION = "execution"
    CLOSURE = "closure"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]

    @property
    def order(self) -> int:
        return list(Stage).index(self)

    @property
    def next(self) -> Stage | None:
        stages = list(Stage)
        return stages[self.order + 1] if self.order + 1 < len(stages) else None


STAGE_LABELS = {
    Stage.INITIATION: "Initiation",
    Stage.PLANNING: "Planning",
    Stage.EXECUTION: "Execution & Monitoring",
    Stage.CLOSURE: "Closure",
}


class DeliverableState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class ProjectBase(SQLModel):
    team_id: str = Field(max_length=32)
    name: str = Field(max_length=80)
    client: str | None = Field(default=None, max_length=80)
    channel_id: str = Field(max_length=32)
    owner_id: str = Field(max_length=32)
    stage: str = Field(default=Stage.INITIATION.value, max_length=16)
    start_date: date
    target_date: date | None = None
    budget_hours: float | None = None
    hours_used: float = 0.0
    tz: str = Field(default="UTC", max_length=64)


class Project(ProjectBase, table=True):
    __table_args__ = (
        UniqueConstraint("team_id", "name_key", name="uq_project_team_name"),
        # One open project per channel; a closed one leaves the channel free for the next.
        Index(
            "uq_project_team_open_channel",
            "team_id",
            "channel_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index("ix_project_team_owner", "team_id", "owner_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name_key: str = Field(max_length=80)  # lower-cased name: names are unique case-insensitively
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    # Where team-only posts go (the overdue digest, escalation copies); None: see `bot.core.audience`.
    internal_channel_id: str | None = Field(default=None, max_length=32)
    # What conversations.info last said: is the project channel shared with another organization?
    channel_shared: bool | None = None
    channel_checked_at: datetime | None = None
    # Stages jumped over by a stage move (comma-separated), shown as skipped, not done.
    skipped_stages: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    # The highest budget alert sent (0, 80 or 100 %): each is sent once, however many `log`s race.
    budget_alerted: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Working days of slip the owner was last alerted about (None: not since the target last moved).
    slip_alerted: int | None = None
    # The weekly client update (`update weekly <day> <time>|off`): None → CLIENT_UPDATE_DAY/TIME;
    # update_day "off" → no weekly draft (on-demand `update` still works).
    update_day: str | None = Field(default=None, max_length=8)
    update_time: str | None = Field(default=None, max_length=5)  # "HH:MM", project-local


class StepBase(SQLModel):
    title: str = Field(max_length=200)
    stage: str = Field(max_length=16)
    assignee_id: str | None = Field(default=None, max_length=32)
    due_date: date | None = None


class Step(StepBase, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "number", name="uq_step_project_number"),
        # The reminder pass looks for open steps by due date across the workspace.
        Index("ix_step_open_due", "done_at", "due_date"),
        Index("ix_step_team_assignee", "team_id", "assignee_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    number: int
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
    done_by: str | None = Field(default=None, max_length=32)
    snoozed_until: date | None = None
    # The assignee's local date of the last sent reminder DM that showed this step (None: never).
    reminded_on: date | None = None
    # `step remove`: out of the plan and reminders, kept in history and the report.
    removed_at: datetime | None = None
    removed_by: str | None = Field(default=None, max_length=32)
    # The Slack message the step was made from ("Add as a step"): its permalink, from chat.getPermalink.
    link: str | None = Field(default=None, max_length=500)


class Approver(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_approver_project_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    added_by: str = Field(max_length=32)
    added_at: datetime = Field(default_factory=utcnow)


class Deliverable(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "title_key", "version", name="uq_deliverable_version"),
        Index("ix_deliverable_project_state", "project_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    title: str = Field(max_length=200)
    title_key: str = Field(max_length=200)
    link: str | None = Field(default=None, max_length=2000)
    stage: str = Field(max_length=16)
    version: int = 1
    previous_id: int | None = Field(default=None, foreign_key="deliverable.id")
    state: str = Field(default=DeliverableState.PENDING.value, max_length=16)
    submitted_by: str = Field(max_length=32)
    submitted_at: datetime = Field(default_factory=utcnow)
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    # Who is posting its approval message right now: one post per version, however many submits.
    post_claimed_at: datetime | None = None
    # Set with every change the message must show, cleared once chat.update succeeded: the
    # scheduler repairs any message left behind (Slack failing, a crash after the commit).
    refresh_due_at: datetime | None = None
    # `deliverable … for:#n`: approving it completes this step of the project.
    step_number: int | None = None


class Decision(SQLModel, table=True):
    """One per deliverable version, ever: the unique deliverable_id is what makes a decision final."""

    __table_args__ = (UniqueConstraint("deliverable_id", name="uq_decision_deliverable"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    deliverable_id: int = Field(foreign_key="deliverable.id", ondelete="CASCADE")
    approver_id: str = Field(max_length=32)
    verdict: str = Field(max_length=16)  # approved | rejected
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    __table_args__ = (Index("ix_audit_project_at", "project_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    actor_id: str = Field(max_length=32)
    action: str = Field(max_length=48)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    at: datetime = Field(default_factory=utcnow)


class ClientContact(SQLModel, table=True):
    """Someone the owner named a client of the project (`/project client add @u`)."""

    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_clientcontact_project_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    added_by: str = Field(max_length=32)
    added_at: datetime = Field(default_factory=utcnow)


class UserProfile(SQLModel, table=True):
    """What Slack's users.info told us about a person, cached: time zone, organization, guest."""

    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_userprofile_team_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    tz: str | None = Field(default=None, max_length=64)
    fetched_at: datetime = Field(default_factory=utcnow)
    # The person's own organization (users.info `team_id`) and whether they are a workspace guest;
    # None: not known yet, which counts as a client (fail closed).
    slack_team_id: str | None = Field(default=None, max_length=32)
    guest: bool | None = None
    bot: bool | None = None


class Reminder(SQLModel, table=True):
    """One row per reminder ever due; its unique key is what makes each reminder go out once."""

    __table_args__ = (Index("ix_reminder_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)  # kind:subject:recipient:local-date
    team_id: str = Field(max_length=32)
    kind: str = Field(max_length=24)
    recipient: str = Field(max_length=32)  # a user id (DM) or channel id (digest)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    status: str = Field(default="claimed", max_length=16)  # claimed | sent | retry | failed | superseded
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=255)
    sent_at: datetime | None = None
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class SeenRequest(SQLModel, table=True):
    """Signatures of the signed requests served in the last minutes: a replay is not run twice."""

    signature: str = Field(primary_key=True, max_length=80)
    seen_at: datetime = Field(default_factory=utcnow, index=True)


class Hold(SQLModel, table=True):
    """A stretch of time the project waited on the client for a step (`step wait #n client`)."""

    __table_args__ = (Index("ix_hold_project", "project_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    step_id: int = Field(foreign_key="step.id", ondelete="CASCADE")
    reason: str | None = Field(default=None, max_length=200)
    started_by: str = Field(max_length=32)
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None


class Baseline(SQLModel, table=True):
    """An agreed target date; every one is kept (the first is what the client was first promised)."""

    __table_args__ = (Index("ix_baseline_project", "project_id", "agreed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    target_date: date
    reason: str | None = Field(default=None, max_length=500)
    agreed_by: str = Field(max_length=32)
    agreed_at: datetime = Field(default_factory=utcnow)
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")


class ProposalState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DISCUSS = "discuss"  # an approver wants to talk it over first: the target stays
    SUPERSEDED = "superseded"


class Proposal(SQLModel, table=True):
    """A change of the target date put to the approvers (`/project due <date> [reason]`)."""

    __table_args__ = (
        Index("ix_proposal_project_state", "project_id", "state"),
        # One proposal waits per project: a new one supersedes it.
        Index(
            "uq_proposal_project_pending",
            "project_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    old_target: date | None = None
    new_target: date
    reason: str | None = Field(default=None, max_length=500)
    slip_days: int | None = None  # working days of slip when proposed
    held_days: int = 0  # working days the client held the project up, when proposed
    proposed_by: str = Field(max_length=32)
    proposed_at: datetime = Field(default_factory=utcnow)
    state: str = Field(default=ProposalState.PENDING.value, max_length=16)
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = None
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    refresh_due_at: datetime | None = None


class UpdateState(StrEnum):
    DRAFTED = "drafted"  # DMed to the owner, waiting for Post / Edit / Skip
    POSTED = "posted"
    SKIPPED = "skipped"


class ClientUpdate(SQLModel, table=True):
    """One weekly client update per project per week: the unique week is what makes the draft go
    out once across processes; `post_claimed_at` is what makes it reach the client once."""

    __table_args__ = (UniqueConstraint("project_id", "week", name="uq_clientupdate_project_week"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    week: date  # the Monday of the project-local week the update belongs to
    state: str = Field(default=UpdateState.DRAFTED.value, max_length=16)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    owner_id: str = Field(max_length=32)  # who the draft was sent to
    drafted_at: datetime = Field(default_factory=utcnow)
    dm_channel_id: str | None = Field(default=None, max_length=32)
    dm_ts: str | None = Field(default=None, max_length=32)
    edited_by: str | None = Field(default=None, max_length=32)
    edited_at: datetime | None = None
    post_claimed_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=32)  # who posted or skipped it
    decided_at: datetime | None = None
    channel_id: str | None = Field(default=None, max_length=32)  # where it was posted (no message_ts: may be)
    message_ts: str | None = Field(default=None, max_length=32)


class Closing(SQLModel, table=True):
    """One per time a project was closed: its completion sign-off message and the owner's debrief."""

    __table_args__ = (Index("ix_closing_project", "project_id", "closed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    closed_at: datetime = Field(default_factory=utcnow)
    closed_by: str = Field(max_length=32)
    forced: bool = False
    # The completion sign-off message in the project channel (claimed before posting: one post).
    post_claimed_at: datetime | None = None
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    # The owner's debrief.
    debrief_went_well: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    debrief_improve: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    debrief_lessons: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    debrief_by: str | None = Field(default=None, max_length=32)
    debrief_at: datetime | None = None


class Signoff(SQLModel, table=True):
    """An approver confirming the project complete, with a 1–5 rating: once per approver per closing."""

    __table_args__ = (UniqueConstraint("closing_id", "approver_id", name="uq_signoff_closing_approver"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    closing_id: int = Field(foreign_key="closing.id", ondelete="CASCADE")
    approver_id: str = Field(max_length=32)
    rating: int | None = None  # 1–5
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    confirmed_at: datetime = Field(default_factory=utcnow)


class Job(SQLModel, table=True):
    """A request Shepherd has acknowledged and still owes work for, kept until the work is done: a
    process that dies mid-way leaves it here for another (or the next) to do."""

    __table_args__ = (Index("ix_job_team_claim", "team_id", "claimed_by", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    body: str = Field(sa_column=Column(Text, nullable=False))  # the request's payload, as JSON
    name: str = Field(max_length=120)  # what the work is, for the logs
    notes: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))  # the ack's decisions
    received_at: datetime = Field(default_factory=utcnow)
    claimed_by: str | None = Field(default=None, max_length=64)  # the worker doing it (None: waiting)
    attempts: int = 0


class Worker(SQLModel, table=True):
    """A process that does acknowledged work, and when it last said it is alive."""

    id: str = Field(primary_key=True, max_length=64)
    beat_at: float = Field(index=True)  # the database's clock, in Unix seconds (no test clock steers it)
