"""Date words as people type them (`fri`, `+3d`, `2026-12-01`) and working-day arithmetic.

Working days are a set of weekday numbers, Monday = 0:

    >>> thursday, weekdays = date(2026, 11, 26), frozenset(range(5))
    >>> parse_date("+2w", thursday)
    datetime.date(2026, 12, 10)
    >>> next_working_day(date(2026, 11, 27), weekdays)     # Friday → Monday
    datetime.date(2026, 11, 30)
    >>> working_days_between(thursday, date(2026, 12, 3), weekdays)
    5
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from bot.core.errors import BadInput

WEEKDAY_NAMES = {
    "mon": 0, "monday": 0,
    "tue": 1, "tues": 1, "tuesday": 1,
    "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
DATE_FORMS = "`2026-12-01`, `today`, `tomorrow`, a weekday like `fri`, `+3d` or `+2w`"
_OFFSET = re.compile(r"^\+(\d{1,3})([dw])$")


def parse_date(word: str, today: date) -> date:
    """Read one date word relative to `today` (the project's local date).

    >>> parse_date("fri", date(2026, 11, 26))   # a Thursday
    datetime.date(2026, 11, 27)

    A weekday name means the next such day after today; `today` means today.
    """
    raw = word.strip()
    lowered = raw.lower()
    if lowered == "today":
        return today
    if lowered == "tomorrow":
        return today + timedelta(days=1)
    if lowered in WEEKDAY_NAMES:
        ahead = (WEEKDAY_NAMES[lowered] - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead)
    offset = _OFFSET.match(lowered)
    if offset:
        count = int(offset.group(1))
        return today + timedelta(days=count * (7 if offset.group(2) == "w" else 1))
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", raw):
        year, month, day = (int(part) for part in raw.split("-"))
        try:
            return date(year, month, day)
        except ValueError:
            raise BadInput("{word} is not a real date. Try {forms}.", raw, {"forms": DATE_FORMS}) from None
    raise BadInput("I couldn't read the date {word}. Try {forms}.", raw, {"forms": DATE_FORMS})


def is_working_day(day: date, work_days: Iterable[int]) -> bool:
    return day.weekday() in set(work_days)


def working_days_between(start: date, end: date, work_days: frozenset[int]) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    if end <= start:
        return 0
    full_weeks, rest = divmod((end - start).days, 7)
    count = full_weeks * len(work_days)
    for offset in range(1, rest + 1):
        if (start + timedelta(days=full_weeks * 7 + offset)).weekday() in work_days:
            count += 1
    return count


def previous_working_day(day: date, work_days: frozenset[int]) -> date:
    """The last working day strictly before `day`."""
    if not work_days:
        return day - timedelta(days=1)
    day -= timedelta(days=1)
    while day.weekday() not in work_days:
        day -= timedelta(days=1)
    return day


def next_working_day(day: date, work_days: frozenset[int]) -> date:
    """The first working day strictly after `day`."""
    if not work_days:
        return day + timedelta(days=1)
    day += timedelta(days=1)
    while day.weekday() not in work_days:
        day += timedelta(days=1)
    return day
