"""Steps: a project's numbered pieces of work, added, done, reopened, assigned, dated, snoozed.

step = add_step(session, project=project, actor="U1", title="Brief", assignee_id=None,
                due_date=None, now=utcnow())
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.core.errors import (
    AlreadyWaiting,
    NoSuchStep,
    NotStepsPerson,
    NotWaiting,
    NotYourStep,
    StepAlreadyDone,
    StepGone,
    StepIsDone,
    StepRemoved,
)
from bot.core.notices import ASSIGNED, DONE, REDATED, UNASSIGNED, noticed
from bot.core.projects import audit_project, require_open
from storage.models import Hold, Project, Step


def steps_of(session: Session, project: Project) -> list[Step]:
    return list(session.exec(select(Step).where(Step.project_id == project.id).order_by(col(Step.number))))


def step_numbered(session: Session, project: Project, number: int) -> Step:
    step = session.exec(select(Step).where(Step.project_id == project.id, Step.number == number)).first()
    if step is None:
        count = session.exec(select(func.count()).select_from(Step).where(Step.project_id == project.id)).one()
        raise NoSuchStep(project.name, number, count)
    return step


def add_step(
    session: Session,
    *,
    project: Project,
    actor: str,
    title: str,
    assignee_id: str | None,
    due_date: date | None,
    now: datetime,
) -> Step:
    require_open(project)
    # Lock the project row so people adding steps at the same moment queue for the next number
    # (PostgreSQL; SQLite's write transactions are serial already). The unique (project, number)
    # constraint stays the final guarantee.
    session.exec(select(Project.id).where(Project.id == project.id).with_for_update()).one()
    number = (session.exec(select(func.max(Step.number)).where(Step.project_id == project.id)).one() or 0) + 1
    step = Step(
        team_id=project.team_id,
        project_id=project.id,  # type: ignore[arg-type]
        number=number,
        title=title,
        stage=project.stage,
        assignee_id=assignee_id,
        due_date=due_date,
        created_by=actor,
        created_at=now,
    )
    session.add(step)
    session.flush()
    audit_project(session, project, actor=actor, action="step.added", now=now,
        step=number, title=title, assignee=assignee_id, due=due_date,
    )  # fmt: skip
    noticed(session, project=project, step=step, kind=ASSIGNED, recipient=assignee_id, actor=actor, now=now)
    return step


def complete_steps(
    session: Session, *, project: Project, actor: str, numbers: Sequence[int], now: datetime
) -> tuple[list[Step], list[Step]]:
    """Mark steps done. Returns (newly done, already done). Unknown numbers refuse the whole command."""
    return _flip(session, project=project, actor=actor, numbers=numbers, now=now, done=True)


def reopen_steps(
    session: Session, *, project: Project, actor: str, numbers: Sequence[int], now: datetime
) -> tuple[list[Step], list[Step]]:
    """Open done steps again. Returns (reopened, already open)."""
    return _flip(session, project=project, actor=actor, numbers=numbers, now=now, done=False)


def _flip(
    session: Session, *, project: Project, actor: str, numbers: Sequence[int], now: datetime, done: bool
) -> tuple[list[Step], list[Step]]:
    """Set steps done (or open) each in one conditional update: of concurrent commands only the
    first changes a row, so one audit row is written and the first actor is kept."""
    require_open(project)
    steps = [live_step(session, project, n) for n in numbers]
    changed, already = [], []
    for step in steps:
        result = session.execute(
            update(Step)
            .where(col(Step.id) == step.id, col(Step.done_at).is_(None) if done else col(Step.done_at).is_not(None))
            .values(done_at=now if done else None, done_by=actor if done else None)
            .execution_options(synchronize_session=False)
        )
        session.refresh(step)
        if getattr(result, "rowcount", 0) == 1:
            changed.append(step)
            action = "step.done" if done else "step.reopened"
            audit_project(session, project, actor=actor, action=action, now=now, step=step.number)
            if done:
                noticed(session, project=project, step=step, kind=DONE, recipient=step.assignee_id, actor=actor, now=now)
        else:
            already.append(step)
    return changed, already


def assign_step(session: Session, *, project: Project, actor: str, number: int, assignee_id: str, now: datetime) -> Step:
    require_open(project)
    step = live_step(session, project, number)
    old = step.assignee_id
    step.assignee_id = assignee_id
    step.reminded_on = None  # the new assignee has never been reminded of it
    session.add(step)
    audit_project(
        session,
        project,
        actor=actor,
        action="step.assigned",
        now=now,
        step=number,
        old=old,
        new=assignee_id,
    )
    if old != assignee_id:
        noticed(session, project=project, step=step, kind=ASSIGNED, recipient=assignee_id, actor=actor, now=now)
        noticed(session, project=project, step=step, kind=UNASSIGNED, recipient=old, actor=actor, now=now)
    return step


def set_step_due(session: Session, *, project: Project, actor: str, number: int, due_date: date | None, now: datetime) -> Step:
    require_open(project)
    step = live_step(session, project, number)
    old = step.due_date
    step.due_date = due_date
    step.snoozed_until = step.reminded_on = None  # a new date starts the reminders afresh
    session.add(step)
    audit_project(
        session,
        project,
        actor=actor,
        action="step.due_changed",
        now=now,
        step=number,
        old=old,
        new=due_date,
    )
    if old != due_date:
        noticed(session, project=project, step=step, kind=REDATED, recipient=step.assignee_id, actor=actor, now=now)
    return step


def step_for_button(session: Session, *, team_id: str, step_id: int, actor: str) -> tuple[Step, Project]:
    """The step a reminder button is about, if `actor` may act on it: its assignee or its project's owner."""
    row = session.exec(
        select(Step, Project).join(Project, col(Project.id) == Step.project_id).where(Step.id == step_id, Step.team_id == team_id)
    ).first()
    if row is None:
        raise StepGone()
    step, project = row
    if actor not in (step.assignee_id, project.owner_id):
        raise NotStepsPerson(step.number, step.assignee_id, project.owner_id)
    return step, project


def snooze_step(session: Session, *, step: Step, project: Project, actor: str, until: date, now: datetime) -> None:
    """Leave the step out of reminders until `until` (the assignee's next working day)."""
    require_open(project)
    if step.done_at is not None:
        raise StepAlreadyDone(step.number)
    step.snoozed_until = until
    session.add(step)
    audit_project(session, project, actor=actor, action="step.snoozed", now=now, step=step.number, until=until)


def require_assigned(session: Session, *, project: Project, numbers: Sequence[int], user_id: str) -> None:
    """Refuse unless every step named is assigned to `user_id` (what a client may change)."""
    for number in numbers:
        if step_numbered(session, project, number).assignee_id != user_id:
            raise NotYourStep(number)


def rename_step(session: Session, *, project: Project, actor: str, number: int, title: str, now: datetime) -> Step:
    require_open(project)
    step = live_step(session, project, number)
    old, step.title = step.title, title
    session.add(step)
    audit_project(session, project, actor=actor, action="step.renamed", now=now, step=number, old=old, new=title)
    return step


def remove_step(session: Session, *, project: Project, actor: str, number: int, now: datetime) -> Step:
    """Out of the plan and reminders; kept, with who removed it and when, for the history and report."""
    require_open(project)
    step = live_step(session, project, number)
    if step.done_at is not None:
        raise StepIsDone(number, "removed")
    step.removed_at, step.removed_by = now, actor
    session.add(step)
    _end_hold(session, step, now)
    audit_project(session, project, actor=actor, action="step.removed", now=now, step=number, title=step.title)
    return step


def wait_on_client(session: Session, *, project: Project, actor: str, number: int, reason: str | None, now: datetime) -> Step:
    """The step can't move until the client does something: its days count as client-held."""
    require_open(project)
    step = live_step(session, project, number)
    if step.done_at is not None:
        raise StepIsDone(number, "waiting")
    if _open_hold(session, step) is not None:
        raise AlreadyWaiting(number)
    session.add(
        Hold(
            team_id=project.team_id,
            project_id=_id(project),
            step_id=step.id or 0,
            reason=reason,
            started_by=actor,
            started_at=now,
        )
    )
    audit_project(session, project, actor=actor, action="step.waiting", now=now, step=number, reason=reason)
    return step


def resume(session: Session, *, project: Project, actor: str, number: int, now: datetime) -> Step:
    require_open(project)
    step = live_step(session, project, number)
    if not _end_hold(session, step, now):
        raise NotWaiting(number)
    audit_project(session, project, actor=actor, action="step.resumed", now=now, step=number)
    return step


def waiting_step_ids(session: Session, project: Project) -> set[int]:
    rows = session.exec(select(Hold.step_id).where(Hold.project_id == project.id, col(Hold.ended_at).is_(None)))
    return set(rows)


def live_step(session: Session, project: Project, number: int) -> Step:
    step = step_numbered(session, project, number)
    if step.removed_at is not None:
        raise StepRemoved(number)
    return step


def _open_hold(session: Session, step: Step) -> Hold | None:
    return session.exec(select(Hold).where(Hold.step_id == step.id, col(Hold.ended_at).is_(None))).first()


def _end_hold(session: Session, step: Step, now: datetime) -> bool:
    hold = _open_hold(session, step)
    if hold is None:
        return False
    hold.ended_at = now
    session.add(hold)
    return True


def _id(project: Project) -> int:
    assert project.id is not None
    return project.id
