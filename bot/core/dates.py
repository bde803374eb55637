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

import calendar
import re
from collections.abc import Iterable
from datetime import date, timedelta

from bot.core.errors import BadInput

# The calendar's words, once. Monday is 0, as `date.weekday()` counts.
WEEKDAY_ABBREVIATIONS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekday_named(word: str) -> int | None:
    """The weekday a word names by three letters or more of it, or None.

    >>> weekday_named("Thurs"), weekday_named("fri"), weekday_named("fr")
    (3, 4, None)
    """
    word = word.strip().lower()
    found = [day for day, full in enumerate(WEEKDAY_FULL_NAMES) if len(word) >= 3 and full.startswith(word)]
    return found[0] if found else None


def weekday_label(weekday: int) -> str:
    """`Monday` for 0: how a weekday reads in a sentence."""
    return WEEKDAY_FULL_NAMES[weekday].title()


WEEKDAY_NAMES = {
    "mon": 0, "monday": 0,
    "tue": 1, "tues": 1, "tuesday": 1,
    "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
        start=1,
    )
    for name in names
}  # fmt: skip
DATE_FORMS = "`2026-12-01`, `today`, `tomorrow`, a weekday like `fri`, `next fri`, `+3d`, `+2w`, `+1m`, `eow` or `dec 5`"
_OFFSET = re.compile(r"^\+(\d{1,3})([dwm])$")

# A hand-written grammar rather than a date-parsing library on purpose: the forms people may type
# are exactly the ones help lists, each with one meaning (`fri` is always the next Friday, `dec 5`
# the next 5 December), and anything else is refused with the word named, never guessed at.


def parse_date(word: str, today: date, work_days: frozenset[int] = frozenset(range(5))) -> date:
    """Read a date as people type it, relative to `today` (the project's local date).

    >>> parse_date("fri", date(2026, 11, 26))   # a Thursday
    datetime.date(2026, 11, 27)
    >>> parse_date("next fri", date(2026, 11, 26)), parse_date("5 dec", date(2026, 12, 9))
    (datetime.date(2026, 12, 4), datetime.date(2027, 12, 5))

    A weekday name means the next such day after today, `next <weekday>` the one after that;
    `eow` is the last working day of this week; `+1m` the same day next month (or its last day).
    """
    raw = " ".join(word.split())
    lowered = raw.lower()
    parts = lowered.split(" ")
    if lowered == "today":
        return today
    if lowered == "tomorrow":
        return today + timedelta(days=1)
    if lowered in WEEKDAY_NAMES:
        return _next_weekday(today, WEEKDAY_NAMES[lowered])
    if len(parts) == 2 and parts[0] == "next" and parts[1] in WEEKDAY_NAMES:
        return _next_weekday(today, WEEKDAY_NAMES[parts[1]]) + timedelta(days=7)
    if lowered in ("eow", "end of week"):
        return _end_of_week(today, work_days)
    offset = _OFFSET.match(lowered)
    if offset:
        count, unit = int(offset.group(1)), offset.group(2)
        if unit == "m":
            return _add_months(today, count)
        return today + timedelta(days=count * (7 if unit == "w" else 1))
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", raw):
        year, month, day = (int(part) for part in raw.split("-"))
        return _real(raw, year, month, day)
    month_day = _month_day(parts)
    if month_day is not None:
        month, day = month_day
        this_year = _real(raw, today.year if (month, day) != (2, 29) else _leap_from(today.year), month, day)
        if this_year >= today:
            return this_year
        return _real(raw, this_year.year + 1 if (month, day) != (2, 29) else _leap_from(this_year.year + 1), month, day)
    raise BadInput("I couldn't read the date {word}. Try {forms}.", raw, {"forms": DATE_FORMS})


def incomplete(word: str) -> bool:
    """A first word that needs the next one to be a date (`next`, `dec`, `5`): `due:` then takes two."""
    lowered = word.lower()
    return lowered == "next" or lowered in MONTH_NAMES or (lowered.isdigit() and 1 <= int(lowered) <= 31)


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _end_of_week(today: date, work_days: frozenset[int]) -> date:
    """The last day of this run of working days (Thursday for sun-thu); from a day off, of the next run."""
    if not work_days or len(work_days) == 7:
        return today + timedelta(days=6 - today.weekday())
    day = today
    while day.weekday() not in work_days:
        day += timedelta(days=1)
    while (day + timedelta(days=1)).weekday() in work_days:
        day += timedelta(days=1)
    return day


def _add_months(today: date, count: int) -> date:
    month_index = today.month - 1 + count
    year, month = today.year + month_index // 12, month_index % 12 + 1
    for day in range(today.day, 27, -1):  # 31 Jan + 1m → 28/29 Feb
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(today.day, 28))


def _month_day(parts: list[str]) -> tuple[int, int] | None:
    """`dec 5`, `5 dec`, `december 5th` → (12, 5)."""
    if len(parts) != 2:
        return None
    first, second = parts
    if first in MONTH_NAMES:
        month, day = MONTH_NAMES[first], re.sub(r"(st|nd|rd|th)$", "", second)
    elif second in MONTH_NAMES:
        month, day = MONTH_NAMES[second], re.sub(r"(st|nd|rd|th)$", "", first)
    else:
        return None
    return (month, int(day)) if day.isdigit() and len(day) <= 2 else None


def _leap_from(year: int) -> int:
    while not calendar.isleap(year):
        year += 1
    return year


def _real(raw: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise BadInput("{word} is not a real date. Try {forms}.", raw, {"forms": DATE_FORMS}) from None


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
