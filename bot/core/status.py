"""Where a project stands: the numbers behind the status card and `list`. Pure functions of rows and a date.

Forecast rule: an open step can't finish before today, and the project can't finish before its
last open step. Slip is how far the forecast lies past the agreed target, in working days, the one
unit of every day count Shepherd shows.

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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.core.dates import working_days_between
from storage.models import Deliverable, DeliverableState, Project, Step

DUE_SOON_DAYS = 7
BURN_AHEAD_POINTS = 15  # hours burnt ahead of progress by more than this: at risk
WEEKDAYS = frozenset(range(5))


class Health(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    BEHIND = "behind"
    CLOSED = "closed"

    @property
    def emoji(self) -> str:
        return {
            Health.ON_TRACK: ":large_green_circle:",
            Health.AT_RISK: ":large_yellow_circle:",
            Health.BEHIND: ":red_circle:",
            Health.CLOSED: ":white_circle:",
        }[self]

    @property
    def rank(self) -> int:
        """Most at risk first."""
        return [Health.BEHIND, Health.AT_RISK, Health.ON_TRACK, Health.CLOSED].index(self)


@dataclass(frozen=True)
class StepLine:
    step: Step
    days: int  # working days late (overdue), or calendar days until due (upcoming)


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
    slip_days: int | None  # working days past the agreed target
    waiting: list[Waiting]
    next_open: list[Step] = field(default_factory=list)  # the next open steps, dated or not

    @property
    def burn(self) -> int | None:
        return burn_percent(self.project)

    @property
    def progress(self) -> int:
        return progress_percent(self.done, self.total)

    @property
    def health(self) -> Health:
        return project_health(self.project, overdue=len(self.overdue), slip_days=self.slip_days, progress=self.progress)


def forecast_date(open_due_dates: Sequence[date | None], today: date) -> date:
    """The earliest the project can finish: today at best, never before its last open step."""
    return max([today, *(d for d in open_due_dates if d is not None)])


def slip(forecast: date, target: date | None, work_days: frozenset[int] = WEEKDAYS) -> int | None:
    """Working days the forecast lies past the target (0 = on time); None without a target.

    >>> slip(date(2026, 12, 7), date(2026, 12, 4))   # Friday → Monday: one working day
    1
    """
    if target is None:
        return None
    return working_days_between(target, forecast, work_days)


def progress_percent(done: int, total: int) -> int:
    """Steps done as a share of the plan, in percent (0 for an empty plan)."""
    return round(100 * done / total) if total else 0


def burn_percent(project: Project) -> int | None:
    """Hours used as a share of the budget, in percent; None without a budget."""
    if not project.budget_hours:
        return None
    return round(100 * (project.hours_used or 0) / project.budget_hours)


def project_health(project: Project, *, overdue: int, slip_days: int | None, progress: int | None = None) -> Health:
    """Behind when late (an overdue step, a slip) or past the budget; at risk when hours burn
    ahead of progress by more than 15 points; else on track."""
    if project.closed_at is not None:
        return Health.CLOSED
    burn = burn_percent(project)
    if overdue or (slip_days or 0) > 0 or (burn is not None and burn > 100):
        return Health.BEHIND
    if burn is not None and progress is not None and burn - progress > BURN_AHEAD_POINTS:
        return Health.AT_RISK
    return Health.ON_TRACK


def summarize(
    project: Project,
    steps: Sequence[Step],
    deliverables: Sequence[Deliverable],
    today: date,
    work_days: frozenset[int] = WEEKDAYS,
) -> Status:
    live = [s for s in steps if s.removed_at is None]
    open_steps = [s for s in live if s.done_at is None]
    overdue = sorted(
        (
            StepLine(s, max(working_days_between(s.due_date, today, work_days), 1))
            for s in open_steps
            if s.due_date and s.due_date < today
        ),
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
        done=len(live) - len(open_steps),
        total=len(live),
        overdue=overdue,
        due_soon=due_soon,
        forecast=forecast,
        slip_days=slip(forecast, project.target_date, work_days),
        waiting=waiting,
        next_open=sorted(open_steps, key=lambda s: (s.due_date is None, s.due_date or today, s.number))[:5],
    )
