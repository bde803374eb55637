"""The playground's clock: the whole process runs on a virtual time that ticks like a real one and
can be moved forward, so a week of reminders can be seen in a minute. Everything Shepherd reads the
time with (`utcnow()`, Slack's request timestamps, the scheduler pass) reads this one.

    clock = Clock.start()
    clock.move_to(clock.next_working_day(settings))
"""

from __future__ import annotations

import contextlib
import importlib
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import freezegun

from bot.settings import Settings

# Left on real time: the web server's and the database pool's timeouts, which a jump of a day would
# otherwise expire at once.
# The browser driver of `screenshots.py` keeps its own event loop's time too.
REAL_TIME = ["waitress", "sqlalchemy.pool", "psycopg", "psycopg_pool", "http.server", "socketserver"]
REAL_TIME += ["asyncio", "playwright", "greenlet"]


class Clock:
    def __init__(self, factory: Any, freezer: Any) -> None:
        self._factory, self._freezer = factory, freezer

    @classmethod
    def start(cls, at: datetime | None = None) -> Clock:
        # A C extension that reads the datetime types when first imported must meet the real ones.
        with contextlib.suppress(ImportError):
            importlib.import_module("psycopg")
        freezegun.configure(extend_ignore_list=REAL_TIME)
        freezer = freezegun.freeze_time(at or datetime.now(UTC), tick=True)
        return cls(freezer.start(), freezer)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def move_to(self, moment: datetime) -> None:
        self._factory.move_to(moment.astimezone(UTC).replace(tzinfo=None))

    def stop(self) -> None:
        self._freezer.stop()

    def next_working_day(self, settings: Settings) -> datetime:
        """The next working day, just after the morning digest time, in DEFAULT_TZ."""
        zone = ZoneInfo(settings.default_tz)
        day = self.now().astimezone(zone).date() + timedelta(days=1)
        while day.weekday() not in settings.work_days:
            day += timedelta(days=1)
        at = datetime.combine(day, settings.nudge_time, tzinfo=zone) + timedelta(minutes=5)
        return at.astimezone(UTC)

    def later_today(self, hours: int = 3) -> datetime:
        return self.now() + timedelta(hours=hours)
