"""The end of a project and its budget's alerts: closing after a checklist (or forced by the owner),
reopening, and the budget levels the team is told about once.

    waiting = close_project(session, project=project, actor="U_OWNER", force=False, now=utcnow())
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core.errors import ChannelTaken, CloseChecklist, NotClosed, ProjectClosed
from bot.core.projects import audit_project, project_in_channel, require_open, require_owner
from storage.models import Closing, Deliverable, DeliverableState, Project, Proposal, ProposalState, Step


def close_project(session: Session, *, project: Project, actor: str, force: bool, now: datetime) -> list[int]:
    """Close, after the checklist: open steps, deliverables waiting, a date proposal waiting, hours
    over budget. `force` closes anyway (audited). Records a `Closing` (the sign-off and debrief hang
    on it). Returns the waiting deliverables, whose messages must now say the project closed;
    reminders stop because closed projects are never planned."""
    require_open(project)
    require_owner(project, actor, "close the project")
    open_steps = list(
        session.exec(
            select(Step.number, Step.title)
            .where(Step.project_id == project.id, col(Step.done_at).is_(None), col(Step.removed_at).is_(None))
            .order_by(col(Step.number))
        )
    )
    waiting = list(
        session.exec(
            select(Deliverable).where(Deliverable.project_id == project.id, Deliverable.state == DeliverableState.PENDING.value)
        )
    )
    proposal = session.exec(
        select(Proposal).where(Proposal.project_id == project.id, Proposal.state == ProposalState.PENDING.value)
    ).first()
    over = (
        (project.hours_used, project.budget_hours) if project.budget_hours and project.hours_used > project.budget_hours else None
    )
    blocked = bool(open_steps or waiting or proposal or over)
    if blocked and not force:
        raise CloseChecklist(
            [(n, t) for n, t in open_steps], [(d.title, d.version) for d in waiting],
            proposal.new_target if proposal else None, over,
        )  # fmt: skip
    for deliverable in waiting:
        deliverable.refresh_due_at = now  # its message must now say the project closed
        session.add(deliverable)
    if proposal is not None:
        proposal.state, proposal.refresh_due_at = ProposalState.SUPERSEDED.value, now
        session.add(proposal)
    assert project.id is not None
    if not _flip_closed(session, project, to=now, now=now):
        raise ProjectClosed(project.name)
    session.add(Closing(team_id=project.team_id, project_id=project.id, closed_at=now, closed_by=actor, forced=blocked))
    audit_project(
        session, project, actor=actor, action="project.closed_forced" if blocked else "project.closed", now=now,
        open_steps=[n for n, _ in open_steps], waiting=[d.id for d in waiting],
    )  # fmt: skip
    return [d.id for d in waiting if d.id is not None]


def reopen_project(session: Session, *, project: Project, actor: str, now: datetime) -> None:
    """The owner opens a closed project again (its channel must be free of another open project)."""
    if project.closed_at is None:
        raise NotClosed(project.name)
    require_owner(project, actor, "reopen the project")
    linked = project_in_channel(session, team_id=project.team_id, channel_id=project.channel_id)
    if linked is not None and linked.id != project.id:
        raise ChannelTaken(linked.name)
    if not _flip_closed(session, project, to=None, now=now):
        raise NotClosed(project.name)
    audit_project(session, project, actor=actor, action="project.reopened", now=now)


def _flip_closed(session: Session, project: Project, *, to: datetime | None, now: datetime) -> bool:
    """Close (`to`: when) or reopen (`to=None`) the project unless it already is: one conditional
    update, so one close or reopen wins however many race. False: another got there first."""
    still = col(Project.closed_at).is_(None) if to is not None else col(Project.closed_at).is_not(None)
    flipped = session.execute(
        update(Project)
        .where(col(Project.id) == project.id, still)
        .values(closed_at=to, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(flipped, "rowcount", 0) != 1:
        return False
    project.closed_at, project.updated_at = to, now
    return True


BUDGET_ALERTS = (80, 100)  # percent of the budget at which the team is told, once each


def claim_budget_alert(session: Session, *, project: Project) -> int | None:
    """The budget alert level the hours now reach, if no one has sent it yet (one conditional
    update: concurrent `log`s send it once)."""
    if not project.budget_hours:
        return None
    burn = 100 * (project.hours_used or 0) / project.budget_hours
    reached = max((level for level in BUDGET_ALERTS if burn >= level), default=None)
    if reached is None:
        return None
    result = session.execute(
        update(Project)
        .where(col(Project.id) == project.id, col(Project.budget_alerted) < reached)
        .values(budget_alerted=reached)
        .execution_options(synchronize_session=False)
    )
    return reached if getattr(result, "rowcount", 0) == 1 else None
