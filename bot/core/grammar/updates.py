"""How `/project update weekly <day> <time>|off` reads: when the weekly client update is drafted
(`update [project]` reads a project's name, `grammar.project_only`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import BadInput
from bot.core.grammar import Token
from bot.core.update_times import OFF, Schedule, read_clock, read_day


@dataclass(frozen=True)
class Weekly:
    """`update weekly <day> <time>` or `update weekly off` (schedule None)."""

    schedule: Schedule | None


WEEKLY_FORMS = "`/project update weekly fri 15:00` (a day and a 24-hour time) or `/project update weekly off`"


def weekly(tokens: list[Token]) -> Weekly:
    """
    >>> from bot.core.grammar import tokenize
    >>> weekly(tokenize("Friday 9:30")), weekly(tokenize("off"))
    (Weekly(schedule=Schedule(weekday=4, at=datetime.time(9, 30))), Weekly(schedule=None))
    """
    words = [t.raw for t in tokens]
    if [w.lower() for w in words] == [OFF]:
        return Weekly(None)
    if len(words) == 2:
        day, clock = read_day(words[0]), read_clock(words[1])
        if day is not None and clock is not None:
            return Weekly(Schedule(day, clock))
    if not words:
        raise BadInput("When should the weekly client update be drafted? Use {forms}.", values={"forms": WEEKLY_FORMS})
    raise BadInput(
        "{word} isn't a time for the weekly update, so nothing was changed. Use " + WEEKLY_FORMS + ".",
        " ".join(words),
    )
