"""When a project's weekly client update falls due: the schedule (`update weekly fri 15:00`, or
`off`, as `bot/core/grammar/updates.py` reads it), the week it belongs to, and the sane hours it
may reach the owner in.

    due_now(local, Schedule(4, time(15)), hours=(time(9), time(18)), work_days=frozenset(range(5)))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.core.dates import WEEKDAY_ABBREVIATIONS, weekday_named
from storage.models import Project

OFF = "off"
DAY_NAMES = WEEKDAY_ABBREVIATIONS  # how a project's update day is stored


@dataclass(frozen=True)
class Schedule:
    """When a project's weekly draft is due: a weekday (Monday=0) and a local time."""

    weekday: int
    at: time

    def __str__(self) -> str:
        return f"{DAY_NAMES[self.weekday]} {self.at:%H:%M}"


def read_day(word: str) -> int | None:
    """`fri`, `Friday`, `thurs` → the weekday; anything else → None."""
    return weekday_named(word)


def read_clock(word: str) -> time | None:
    """A 24-hour time, `15:00` or `9:30`; anything else → None."""
    hours, colon, minutes = word.strip().partition(":")
    if not colon or not hours.isdigit() or not minutes.isdigit() or len(hours) > 2 or len(minutes) != 2:
        return None
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return time(int(hours), int(minutes))


def schedule_of(project: Project, default: Schedule) -> Schedule | None:
    """The project's own schedule, else the workspace default; None when its weekly draft is off."""
    if project.update_day == OFF:
        return None
    day = read_day(project.update_day) if project.update_day else None
    clock = read_clock(project.update_time) if project.update_time else None
    return Schedule(default.weekday if day is None else day, clock or default.at)


def week_of(day: date) -> date:
    """The Monday of `day`'s week: what a week's update is keyed by."""
    return day - timedelta(days=day.weekday())


def update_moment(local: datetime, schedule: Schedule) -> datetime:
    """When the draft of `local`'s week falls due, in the project's time zone."""
    return datetime.combine(week_of(local.date()) + timedelta(days=schedule.weekday), schedule.at, tzinfo=local.tzinfo)


def due_now(
    local: datetime, schedule: Schedule, hours: tuple[time, time], work_days: frozenset[int] = frozenset(range(7))
) -> bool:
    """Is this week's draft owed at `local` (project-local)? From the update day and time to the end
    of the week, so a process that was down or a Slack that failed loses nothing; but only at a sane
    hour: within working hours (`hours`), or the hour after the update time when that lies outside,
    and after the update day itself only on working days (no weekend DM for a Friday missed).

    >>> fri = Schedule(4, time(15))
    >>> due_now(datetime(2026, 11, 28, 10), fri, (time(9), time(18)), frozenset(range(5)))  # Saturday
    False
    >>> due_now(datetime(2026, 11, 28, 10), fri, (time(9), time(18)))
    True
    """
    if local < update_moment(local, schedule):
        return False
    if local.weekday() != schedule.weekday and local.weekday() not in work_days:
        return False
    minutes = local.hour * 60 + local.minute
    at = schedule.at.hour * 60 + schedule.at.minute
    start = min(at, hours[0].hour * 60 + hours[0].minute)
    end = max(hours[1].hour * 60 + hours[1].minute, min(at + 60, 24 * 60))
    return start <= minutes < end
