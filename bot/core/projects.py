"""Projects: finding them, their lifecycle (create, stage, hand over) and approvers.

Every function takes the workspace's `team_id` and only ever sees that workspace's rows.
Refusals raise `UserError` before anything is written, so a refused command changes nothing.

    project = find_project(session, team_id="T1", channel_id="C1", name=None)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from bot.core.errors import (
    AlreadyInStage,
    AlreadyOwner,
    Blocker,
    ChannelTaken,
    InternalIsProjectChannel,
    LastStage,
    NameTaken,
    NoProjectHere,
    NotApprovers,
    NotInDirectMessage,
    NotOwner,
    OpenStepsGate,
    ProjectClosed,
    ProjectNotFound,
    StageGate,
)
from storage.db import note_change
from storage.hours import BudgetChange
from storage.models import (
    Approver,
    AuditEvent,
    Baseline,
    Deliverable,
    DeliverableState,
    Project,
    Stage,
    Step,
)


def local_today(tz: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def audit(
    session: Session, *, team_id: str, project_id: int | None, actor: str, action: str, now: datetime, **detail: object
) -> None:
    """Keep the change in the audit trail, and note it for whoever follows changes (the Home tabs
    of people it concerns are refreshed once it commits)."""
    event = AuditEvent(
        team_id=team_id,
        project_id=project_id,
        actor_id=actor,
        action=action,
        detail=json.dumps(detail, default=str, sort_keys=True),
        at=now,
    )
    session.add(event)
    note_change(session, (event.team_id, event.project_id, event.detail))


def audit_project(session: Session, project: Project, *, actor: str, action: str, now: datetime, **detail: object) -> None:
    audit(session, team_id=project.team_id, project_id=project.id, actor=actor, action=action, now=now, **detail)


# --- finding -----------------------------------------------------------------------------


def project_in_channel(session: Session, *, team_id: str, channel_id: str, include_closed: bool = False) -> Project | None:
    """The channel's open project; with `include_closed`, else the one closed most recently."""
    query = select(Project).where(Project.team_id == team_id, Project.channel_id == channel_id)
    if not include_closed:
        query = query.where(col(Project.closed_at).is_(None))
    # Open first (NULL closed_at), then the latest closed.
    return session.exec(query.order_by(col(Project.closed_at).is_(None).desc(), col(Project.closed_at).desc())).first()


def project_named(session: Session, *, team_id: str, name: str) -> Project | None:
    return session.exec(select(Project).where(Project.team_id == team_id, Project.name_key == name_key(name))).first()


def find_project(session: Session, *, team_id: str, channel_id: str, name: str | None) -> Project:
    """The project named, or else the one linked to this channel; a friendly refusal otherwise."""
    if name:
        project = project_named(session, team_id=team_id, name=name)
        if project is None:
            raise ProjectNotFound(name)
        return project
    project = project_in_channel(session, team_id=team_id, channel_id=channel_id, include_closed=True)
    if project is None:
        raise NoProjectHere()
    return project


def name_key(name: str, limit: int = 80) -> str:
    """What makes two names the same: case and spacing ignored. Cut to its column's length,
    since casefold() can lengthen text ("ß" → "ss")."""
    return " ".join(name.split()).casefold()[:limit]


def require_owner(project: Project, actor: str, what: str) -> None:
    if actor != project.owner_id:
        raise NotOwner(project.owner_id, what)


def require_open(project: Project) -> None:
    if project.closed_at is not None:
        raise ProjectClosed(project.name)


def approver_ids(session: Session, project: Project) -> list[str]:
    rows = session.exec(select(Approver.user_id).where(Approver.project_id == project.id).order_by(col(Approver.id)))
    return list(rows)


# --- projects ----------------------------------------------------------------------------


def create_project(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    owner_id: str,
    name: str,
    client: str | None,
    target_date: date | None,
    tz: str,
    now: datetime,
    budget_hours: float | None = None,
    approvers: Sequence[str] = (),
    internal_channel_id: str | None = None,
) -> Project:
    check_new_project(session, team_id=team_id, channel_id=channel_id, name=name)
    if internal_channel_id == channel_id:
        raise InternalIsProjectChannel()
    today = local_today(tz, now)
    project = Project(
        team_id=team_id,
        name=name,
        name_key=name_key(name),
        client=client,
        channel_id=channel_id,
        owner_id=owner_id,
        stage=Stage.INITIATION.value,
        start_date=today,
        target_date=target_date,
        budget_hours=budget_hours,
        internal_channel_id=internal_channel_id,
        tz=tz,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    try:
        session.flush()  # a concurrent `new` with the same name or channel loses here
    except IntegrityError:
        session.rollback()
        check_new_project(session, team_id=team_id, channel_id=channel_id, name=name)
        raise
    project_id = _id(project)
    if target_date is not None:  # what the client was first promised: the first baseline
        session.add(
            Baseline(
                team_id=team_id,
                project_id=project_id,
                target_date=target_date,
                reason="at kick-off",
                agreed_by=owner_id,
                agreed_at=now,
            )  # fmt: skip
        )
    if budget_hours is not None:  # the original budget: every later change is kept beside it
        session.add(
            BudgetChange(
                team_id=team_id, project_id=project_id, hours=budget_hours, reason=None, changed_by=owner_id, changed_at=now
            )
        )
    for user_id in dict.fromkeys(approvers):
        session.add(Approver(team_id=team_id, project_id=project_id, user_id=user_id, added_by=owner_id, added_at=now))
    audit(
        session, team_id=team_id, project_id=project.id, actor=owner_id, action="project.created", now=now,
        name=name, client=client, target_date=target_date, approvers=list(approvers),
    )  # fmt: skip
    return project


def check_new_project(session: Session, *, team_id: str, channel_id: str, name: str) -> None:
    if channel_id.startswith("D"):
        raise NotInDirectMessage()
    linked = project_in_channel(session, team_id=team_id, channel_id=channel_id)
    if linked is not None:
        raise ChannelTaken(linked.name)
    if project_named(session, team_id=team_id, name=name) is not None:
        raise NameTaken(name)


@dataclass(frozen=True)
class StageMove:
    old: Stage
    new: Stage
    overridden: list[Deliverable]  # waiting deliverables `--force` went past
    carried: list[Step]  # open steps `--force` carried into the new stage
    skipped: list[Stage]  # stages jumped over, shown as skipped


def move_stage(session: Session, *, project: Project, actor: str, target: Stage | None, force: bool, now: datetime) -> StageMove:
    """Move to `target` (None → the next stage). A move forward waits for the current stage's
    deliverables to be approved and its steps done; the owner's `--force` goes past them, and
    the open steps are carried into the new stage."""
    require_open(project)
    require_owner(project, actor, "change the stage")
    current = Stage(project.stage)
    new = target or current.next
    if new is None:
        raise LastStage(project.name)
    if new == current:
        raise AlreadyInStage(project.name, current.label)
    forward = new.order > current.order
    again = "/project stage next --force" if target is None else f"/project stage {new.value} --force"
    waiting = gate_blockers(session, project=project, stage=current) if forward else []
    if waiting and not force:
        raise StageGate(current.label, [Blocker(d.title, d.version, d.state) for d in waiting], again)
    passed = [s for s in Stage if current.order <= s.order < new.order] if forward else []
    open_steps = list(
        session.exec(
            select(Step)
            .where(
                Step.project_id == project.id,
                col(Step.stage).in_([s.value for s in passed]),
                col(Step.done_at).is_(None),
                col(Step.removed_at).is_(None),
            )  # fmt: skip
            .order_by(col(Step.number))
        )
    )
    if open_steps and not force:
        raise OpenStepsGate(current.label, [(s.number, s.title) for s in open_steps], again)
    for step in open_steps:
        step.stage = new.value
        session.add(step)
    skipped = [s for s in passed if s != current]
    marks = {m for m in project.skipped_stages.split(",") if m}
    marks = marks | {s.value for s in skipped} if forward else {m for m in marks if Stage(m).order < new.order}
    project.skipped_stages = ",".join(s.value for s in Stage if s.value in marks)
    project.stage = new.value
    project.updated_at = now
    session.add(project)
    audit_project(session, project, actor=actor, now=now,
        action="stage.forced" if waiting or open_steps else "stage.changed",
        old=current.value, new=new.value, overridden=[d.id for d in waiting], carried=[s.number for s in open_steps],
        skipped=[s.value for s in skipped],
    )  # fmt: skip
    return StageMove(current, new, waiting, open_steps, skipped)


def gate_blockers(session: Session, *, project: Project, stage: Stage) -> list[Deliverable]:
    """Deliverables of `stage` whose latest version is not approved."""
    rows = session.exec(
        select(Deliverable)
        .where(
            Deliverable.project_id == project.id,
            Deliverable.stage == stage.value,
            Deliverable.state.in_([DeliverableState.PENDING.value, DeliverableState.REJECTED.value]),  # type: ignore[attr-defined]
        )
        .order_by(col(Deliverable.submitted_at))
    )
    return list(rows)


def hand_over(session: Session, *, project: Project, actor: str, new_owner: str, now: datetime) -> None:
    require_open(project)
    require_owner(project, actor, "hand the project over")
    if new_owner == project.owner_id:
        raise AlreadyOwner(new_owner, project.name)
    old = project.owner_id
    project.owner_id = new_owner
    project.updated_at = now
    session.add(project)
    audit_project(
        session,
        project,
        actor=actor,
        action="owner.changed",
        now=now,
        old=old,
        new=new_owner,
    )


# --- approvers ---------------------------------------------------------------------------


def add_approvers(
    session: Session, *, project: Project, actor: str, user_ids: Sequence[str], now: datetime
) -> tuple[list[str], list[str]]:
    """Returns (added, already approvers)."""
    require_open(project)
    require_owner(project, actor, "choose approvers")
    added, existing = [], []
    for user_id in dict.fromkeys(user_ids):
        row = Approver(team_id=project.team_id, project_id=_id(project), user_id=user_id, added_by=actor, added_at=now)
        if insert_once(session, row):
            added.append(user_id)
            audit_project(session, project, actor=actor, action="approver.added", now=now, user=user_id)
        else:  # already one, or added by a concurrent command a moment ago
            existing.append(user_id)
    return added, existing


def _id(project: Project) -> int:
    """A saved project's id (every project the core is handed has been flushed)."""
    assert project.id is not None
    return project.id


def insert_once(session: Session, row: SQLModel) -> bool:
    """Insert `row` unless a unique key already holds it (perhaps a concurrent insert): True if inserted."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def remove_approvers(session: Session, *, project: Project, actor: str, user_ids: Sequence[str], now: datetime) -> list[str]:
    require_open(project)
    require_owner(project, actor, "choose approvers")
    rows = list(session.exec(select(Approver).where(Approver.project_id == project.id, Approver.user_id.in_(user_ids))))  # type: ignore[attr-defined]
    if not rows:
        raise NotApprovers(list(user_ids), project.name)
    for row in rows:
        session.delete(row)
        audit_project(
            session,
            project,
            actor=actor,
            action="approver.removed",
            now=now,
            user=row.user_id,
        )
    return [row.user_id for row in rows]
