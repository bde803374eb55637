"""Reminder scenarios as a function of `now`: a fixed week, a seeded project, and one reminder pass
run under freezegun against the Slack stand-in.

    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    run_pass(make_services(db, slack), slack, at(WED, "09:05"))
    assert "Wireframes" in text_of(posts(slack, "U_BOB")[0])
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun import freeze_time
from slack_sdk import WebClient
from sqlmodel import select

from bot.core import projects
from bot.core import steps as step_rules
from bot.core.reminders.model import PassReport
from bot.services import Services
from bot.settings import Settings
from bot.slack.outbox import Outbox
from bot.slack.reminder_pass import remind
from storage.db import Database
from storage.models import Project, Reminder, utcnow
from tests.support.harness import HOME_TEAM, HOME_TOKEN, SECRET
from tests.support.slack_stub import SlackStub

# A week in December 2026: Mon 30 Nov … Fri 4 Dec, the weekend, Mon 7 Dec.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 11, 30) + timedelta(days=n) for n in range(7))
NEXT_MON = date(2026, 12, 7)
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # when the projects were set up


def at(day: date, clock: str, tz: str = "UTC") -> datetime:
    """A local wall-clock time in `tz`, as an aware UTC datetime."""
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def make_services(db: Database, slack: SlackStub, **env: str) -> Services:
    settings = Settings.from_mapping(
        {"SLACK_BOT_TOKEN": HOME_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url, **env}
    )
    return Services(settings, db)


class Sleeps:
    """The pass's sleep, recorded instead of slept (the pacer and Retry-After go through it), and
    the clock the outbox reads, which only these sleeps move: the waits it computes are exact, however
    slowly a loaded machine runs the pass.

        sleeps = Sleeps()
        outbox = Outbox(client, sleep=sleeps, clock=sleeps.clock)
    """

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.now = 0.0

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def run_pass(services: Services, slack: SlackStub, when: datetime, *, sleeps: Sleeps | None = None) -> PassReport:
    client = WebClient(token=HOME_TOKEN, base_url=slack.api_url)
    sleeps = sleeps or Sleeps()
    with freeze_time(when):
        return remind(services, client, utcnow(), outbox=Outbox(client, sleep=sleeps, clock=sleeps.clock))


def seed(
    db: Database,
    *,
    name: str = "Acme website",
    channel: str = "C_PROJ",
    owner: str = "U_OWNER",
    tz: str = "UTC",
    steps: list[tuple[str, str | None, date | None]] | None = None,
) -> Project:
    with db.transaction() as session:
        project = projects.create_project(
            session, team_id=HOME_TEAM, channel_id=channel, owner_id=owner, name=name, client=None,
            target_date=None, tz=tz, now=START,
        )  # fmt: skip
        for title, assignee, due in steps or ():
            step_rules.add_step(session, project=project, actor=owner, title=title, assignee_id=assignee, due_date=due, now=START)
    return project


def posts(slack: SlackStub, channel: str | None = None) -> list[dict[str, Any]]:
    """The messages Slack accepted (failed attempts left out), optionally to one channel or user."""
    return [c.params for c in slack.calls_to("chat.postMessage") if not c.failed and channel in (None, c.params["channel"])]


def reminders(db: Database) -> dict[str, Reminder]:
    with db.reader() as session:
        return {row.key: row for row in session.exec(select(Reminder))}
