"""Slip alerts' rule: which open projects' forecast passed their agreed target (by the status
card's own math, so the alert and the card agree), and one alert per slip level across processes.

    for slip in slips_to_alert(session, team_id="T1", now=utcnow(), work_days=WEEKDAYS, every=3):
        if claim_slip_alert(session, project_id=slip.project.id, slip_days=slip.slip_days, every=3): ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core.overview import status_of
from bot.core.steps import steps_of
from bot.core.targets import client_held_days
from storage.models import Project, Step


@dataclass(frozen=True)
class Slip:
    """A project whose forecast passed its agreed target: what the owner's alert says."""

    project: Project
    forecast: date
    slip_days: int
    overdue: int
    held_days: int
    drivers: list[Step] = field(default_factory=list)  # the open steps dated on the forecast: what sets it


def slips_to_alert(session: Session, *, team_id: str, now: datetime, work_days: frozenset[int], every: int) -> list[Slip]:
    """Open projects whose forecast first passed the agreed target, or slipped `every` more
    working days since the owner was last told."""
    found = []
    projects = session.exec(
        select(Project).where(Project.team_id == team_id, col(Project.closed_at).is_(None), col(Project.target_date).is_not(None))
    )
    for project in projects:
        steps = steps_of(session, project)
        status = status_of(session, project, now, work_days, steps)
        slip_days = status.slip_days or 0
        if slip_days <= 0 or (project.slip_alerted is not None and slip_days < project.slip_alerted + every):
            continue
        held = client_held_days(session, project, today=status.today, work_days=work_days, steps=steps)
        drivers = [s for s in steps if s.done_at is None and s.removed_at is None and s.due_date == status.forecast]
        found.append(Slip(project, status.forecast, slip_days, len(status.overdue), held, drivers))
    return found


def claim_slip_alert(session: Session, *, project_id: int, slip_days: int, every: int) -> bool:
    """One alert per slip level, across processes: the conditional update decides who sends it."""
    result = session.execute(
        update(Project)
        .where(
            col(Project.id) == project_id,
            (col(Project.slip_alerted).is_(None)) | (col(Project.slip_alerted) + every <= slip_days),
        )
        .values(slip_alerted=slip_days)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release_slip_alert(session: Session, *, project_id: int, slip_days: int, previous: int | None) -> None:
    session.execute(
        update(Project)
        .where(col(Project.id) == project_id, col(Project.slip_alerted) == slip_days)
        .values(slip_alerted=previous)
        .execution_options(synchronize_session=False)
    )
