"""Where a project stands: the numbers behind the status card and `list`. Pure functions of rows and a date.

Forecast rule: an open step can't finish before today, and the project can't finish before its
last open step. Slip is the forecast minus the target date, in calendar days.

    >>> today = date(2026, 11, 26)
    >>> forecast = forecast_date([date(2026, 11, 20), None, date(2026, 12, 4)], today)
    >>> forecast, slip(forecast, date(2026, 12, 1)), slip(forecast, None)
    (datetime.date(2026, 12, 4), 3, None)
    >>> project = Project(team_id="T1", name="Acme", channel_id="C1", owner_id="U1", target_date=date(2026, 12, 1))
    >>> status = summarize(project, [Step(number=1, title="Wireframes", due_date=date(2026, 11, 24))], [], today)
    >>> status.done, status.total, [line.days for line in status.overdue], status.health
    (0, 1, [2], <Health.BEHIND: 'behind'>)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from storage.models import Deliverable, DeliverableState, Project, Step

DUE_SOON_DAYS = 7


class Health(StrEnum):
    ON_TRACK = "on track"
    BEHIND = "behind"
    CLOSED = "closed"

    @property
    def emoji(self) -> str:
        return {Health.ON_TRACK: ":large_green_circle:", Health.BEHIND: ":red_circle:", Health.CLOSED: ":white_circle:"}[self]


@dataclass(frozen=True)
class StepLine:
    step: Step
    days: int  # days late (overdue) or days until due (upcoming)


@dataclass(frozen=True)
class Waiting:
    deliverable: Deliverable
    since: datetime


@dataclass(frozen=True)
class Status:
    project: Project
    today: date
    done: int
    total: int
    overdue: list[StepLine]
    due_soon: list[StepLine]
    forecast: date
    slip_days: int | None
    waiting: list[Waiting]

    @property
    def health(self) -> Health:
        return project_health(self.project, overdue=len(self.overdue), slip_days=self.slip_days)


def forecast_date(open_due_dates: Sequence[date | None], today: date) -> date:
    """The earliest the project can finish: today at best, never before its last open step."""
    return max([today, *(d for d in open_due_dates if d is not None)])


def slip(forecast: date, target: date | None) -> int | None:
    """Days the forecast lies past the target (0 = on time); None without a target."""
    if target is None:
        return None
    return max((forecast - target).days, 0)


def project_health(project: Project, *, overdue: int, slip_days: int | None) -> Health:
    if project.closed_at is not None:
        return Health.CLOSED
    if overdue or (slip_days or 0) > 0:
        return Health.BEHIND
    return Health.ON_TRACK


def summarize(project: Project, steps: Sequence[Step], deliverables: Sequence[Deliverable], today: date) -> Status:
    open_steps = [s for s in steps if s.done_at is None]
    overdue = sorted(
        (StepLine(s, (today - s.due_date).days) for s in open_steps if s.due_date and s.due_date < today),
        key=lambda line: (-line.days, line.step.number),
    )
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    due_soon = sorted(
        (StepLine(s, (s.due_date - today).days) for s in open_steps if s.due_date and today <= s.due_date <= horizon),
        key=lambda line: (line.days, line.step.number),
    )
    forecast = forecast_date([s.due_date for s in open_steps], today)
    waiting = sorted(
        (Waiting(d, d.submitted_at) for d in deliverables if d.state == DeliverableState.PENDING),
        key=lambda w: w.since,
    )
    return Status(
        project=project,
        today=today,
        done=len(steps) - len(open_steps),
        total=len(steps),
        overdue=overdue,
        due_soon=due_soon,
        forecast=forecast,
        slip_days=slip(forecast, project.target_date),
        waiting=waiting,
    )
