"""How hours read, as people type them: `3.5h`, `3.5`, `1h30m`, `1h30`, `90m`, `1.5 hours`,
`2 hrs`, `45 min`, `1:30`; and the two commands that take them, `log` and `budget`.

>>> from bot.core.grammar import tokenize
>>> log_time(tokenize("1h30m site audit, interviews"))
LogTime(hours=1.5, note='site audit, interviews')
>>> budget(tokenize("130h the client added two landing pages"))
BudgetChange(hours=130.0, reason='the client added two landing pages')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.errors import BadInput
from bot.core.text import cut, plain

if TYPE_CHECKING:
    from bot.core.tokens import Token

LOG_MAX = 24.0  # one entry is one person's day
BUDGET_MAX = 99999.0
NOTE_MAX = 500
FORMS = "`3.5h`, `1h30m`, `90m`, `2 hrs` or `45 min`"

_NUMBER = r"\d{1,7}(?:[.,]\d{1,2})?"
_H = r"(?:h|hr|hrs|hour|hours)"
_M = r"(?:m|min|mins|minute|minutes)"
_HOURS = re.compile(rf"^({_NUMBER})(?:\s?{_H})?$", re.IGNORECASE)
_MINUTES = re.compile(rf"^({_NUMBER})\s?{_M}$", re.IGNORECASE)
_HOURS_MINUTES = re.compile(rf"^(\d{{1,3}})\s?{_H}(?:(\d{{1,2}})|\s?(\d{{1,2}})\s?{_M})$", re.IGNORECASE)  # 1h30, 1h 30m
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)$")  # 1:30


@dataclass(frozen=True)
class LogTime:
    """`log <hours> [note]`."""

    hours: float
    note: str | None = None


@dataclass(frozen=True)
class BudgetChange:
    """`budget <hours>h [reason]`."""

    hours: float
    reason: str | None = None


def hours_of(text: str) -> float | None:
    """The hours `text` says, or None when it says none (`lots`, `-3`, `3x`).

    >>> hours_of("90m"), hours_of("1h30"), hours_of("2 hrs"), hours_of("7,5"), hours_of("22h,")
    (1.5, 1.5, 2.0, 7.5, 22.0)
    """
    text = " ".join(text.split()).rstrip(",;:.")  # "22h, site audit"
    if match := _HOURS.match(text):
        return float(match.group(1).replace(",", "."))
    if match := _MINUTES.match(text):
        return round(float(match.group(1).replace(",", ".")) / 60, 2)
    if match := _HOURS_MINUTES.match(text):
        minutes = int(match.group(2) or match.group(3))
        return None if minutes >= 60 else round(int(match.group(1)) + minutes / 60, 2)
    if match := _CLOCK.match(text):
        return round(int(match.group(1)) + int(match.group(2)) / 60, 2)
    return None


def _leading_hours(tokens: Sequence[Token]) -> tuple[float, int] | None:
    """The hours the first words say (`1.5 hours`, `1 hour 30 min`: up to four words) and how many words."""
    for size in range(min(4, len(tokens)), 0, -1):
        found = hours_of(" ".join(t.raw for t in tokens[:size]))
        if found is not None:
            return found, size
    return None


def checked_hours(found: float | None, word: str, *, what: str, most: float) -> float:
    """`found` when it is a sensible amount; a friendly refusal that names `word` otherwise."""
    if found is None:
        raise BadInput("{what}: {word} isn't a number of hours. Write hours as " + FORMS + ".", word, {"what": what})
    if found <= 0:
        raise BadInput("{what}: {word} is no time at all. Give more than 0 hours, e.g. `30m` or `2h`.", word, {"what": what})
    if found > most:
        limit = f"at most {most:g}h" + (": one entry is one person's day, so log each day on its own" if what == "log" else "")
        raise BadInput("{what}: {word} is more than I can take; " + limit + ".", word, {"what": what})
    return found


def log_time(tokens: list[Token]) -> LogTime:
    usage = "`/project log 3.5h site audit, interviews`"
    if not tokens:
        raise BadInput("How many hours? " + usage + " (hours as " + FORMS + ", then a note).")
    found = _leading_hours(tokens)
    if found is None:
        word = plain(tokens[0].raw)
        raise BadInput("Start with the hours, then the note: " + usage + ". {word} isn't a number of hours.", word)
    hours, size = found
    checked_hours(hours, plain(" ".join(t.raw for t in tokens[:size])), what="log", most=LOG_MAX)
    note = plain(" ".join(t.raw for t in tokens[size:]))
    return LogTime(hours, cut(note, NOTE_MAX) if note else None)


def budget(tokens: list[Token]) -> BudgetChange:
    usage = "`/project budget 130h the client added two landing pages`"
    if not tokens:
        raise BadInput("Set the budget in hours, with why if it changes: " + usage + ".")
    found = _leading_hours(tokens)
    if found is None:
        raise BadInput("Start with the hours, then why: " + usage + ". {word} isn't a number of hours.", plain(tokens[0].raw))
    hours, size = found
    checked_hours(hours, plain(" ".join(t.raw for t in tokens[:size])), what="budget", most=BUDGET_MAX)
    reason = plain(" ".join(t.raw for t in tokens[size:]))
    return BudgetChange(hours, cut(reason, NOTE_MAX) if reason else None)
