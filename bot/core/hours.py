"""Hours: time entries (`log`) and the budget with every change to it (`budget`, `new … budget:`).

A project's hours are the sum of its entries; each `log` adds its entry and, in the same
transaction and inside the database, the sum on the project, so concurrent logs all count.

    entry = log_time(session, project=project, person="U_ANN", hours=3.5, note="site audit", now=utcnow())
    changes = budget_history(session, project)  # the original first
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core.closure import BUDGET_ALERTS
from bot.core.projects import audit_project, local_today, require_open, require_owner
from storage.hours import BudgetChange, TimeEntry
from storage.models import Project, UserProfile


def log_time(session: Session, *, project: Project, person: str, hours: float, note: str | None, now: datetime) -> TimeEntry:
    """One entry on the person's own day (their Slack time zone when known, else the project's)."""
    require_open(project)
    assert project.id is not None
    tz = session.exec(select(UserProfile.tz).where(UserProfile.team_id == project.team_id, UserProfile.user_id == person)).first()
    entry = TimeEntry(
        team_id=project.team_id, project_id=project.id, person=person, day=_local_day(tz or project.tz, now),
        hours=hours, note=note, created_at=now,
    )  # fmt: skip
    session.add(entry)
    # Added in the database, not to a value read earlier: concurrent `log`s each count.
    session.execute(
        update(Project)
        .where(col(Project.id) == project.id)
        .values(hours_used=col(Project.hours_used) + hours, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(project)
    audit_project(session, project, actor=person, action="hours.logged", now=now, hours=hours, note=note)
    return entry


def _local_day(tz: str, now: datetime) -> date:
    try:
        return local_today(tz, now)
    except (KeyError, ValueError):  # a time zone Python doesn't know: the UTC day
        return now.date()


def time_entries(session: Session, project: Project) -> list[TimeEntry]:
    """Every entry of the project, oldest first."""
    query = select(TimeEntry).where(TimeEntry.project_id == project.id)
    return list(session.exec(query.order_by(col(TimeEntry.day), col(TimeEntry.created_at), col(TimeEntry.id))))


def change_budget(
    session: Session, *, project: Project, actor: str, hours: float, reason: str | None, now: datetime
) -> float | None:
    """Set a new budget (owner), kept with its reason beside every earlier one; returns the old budget.

    The 80 % and 100 % alerts start again from the new figure: levels the hours already reach
    are not announced again, the ones still ahead will be."""
    require_open(project)
    require_owner(project, actor, "set the budget")
    assert project.id is not None
    old = project.budget_hours
    project.budget_hours = hours
    burn = 100 * (project.hours_used or 0) / hours
    project.budget_alerted = max((level for level in BUDGET_ALERTS if burn >= level), default=0)
    project.updated_at = now
    session.add(project)
    session.add(
        BudgetChange(team_id=project.team_id, project_id=project.id, hours=hours, reason=reason, changed_by=actor, changed_at=now)
    )
    audit_project(session, project, actor=actor, action="budget.set", now=now, old=old, new=hours, reason=reason)
    return old


def budget_history(session: Session, project: Project) -> list[BudgetChange]:
    """Every budget the project had, the original first."""
    query = select(BudgetChange).where(BudgetChange.project_id == project.id)
    return list(session.exec(query.order_by(col(BudgetChange.changed_at), col(BudgetChange.id))))


def original_budget(session: Session, project: Project) -> float | None:
    """The budget first given, when the current one differs from it (for the card's "was")."""
    first = session.exec(
        select(BudgetChange.hours)
        .where(BudgetChange.project_id == project.id)
        .order_by(col(BudgetChange.changed_at), col(BudgetChange.id))
    ).first()
    return first if first is not None and first != project.budget_hours else None
