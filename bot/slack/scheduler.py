"""The scheduler inside the bot process: an APScheduler 3 background job that runs one pass
(`bot.slack.passes`: reminders, slip alerts, weekly drafts, message repairs…) every
REMINDER_INTERVAL seconds. Once-only delivery comes from the database, not from here.

    scheduler = ReminderScheduler(services)
    scheduler.start()
    ...
    scheduler.stop()
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.services import Services
from bot.slack.app import web_client
from bot.slack.outbox import Outbox
from bot.slack.passes import run_pass
from storage.models import utcnow
from storage.outage import outage

log = logging.getLogger(__name__)
JOB_ID = "reminder-pass"


class ReminderScheduler:
    """Runs `remind` on a timer in its own thread, with its own WebClient: the pass may sleep on
    Retry-After or on the per-channel pacer, and that must never hold up a request thread."""

    def __init__(self, services: Services, client: WebClient | None = None) -> None:
        self.services = services
        # A short timeout: a pass in flight when the process stops ends within seconds, whatever Slack does.
        self.client = client or web_client(services.settings, timeout=5)
        self.outbox = Outbox(self.client)  # one per process: pacing holds across passes
        self._team_id: str | None = None
        self._scheduler = BackgroundScheduler(timezone=UTC)

    def start(self) -> None:
        self._scheduler.add_job(
            self.run_pass,
            "interval",
            seconds=self.services.settings.reminder_interval,
            id=JOB_ID,
            max_instances=1,  # a long pass (a 429, many messages) is never overlapped by the next one
            coalesce=True,  # runs missed meanwhile collapse into one
            misfire_grace_time=None,  # however late a busy process gets to it, the run still happens
            next_run_time=datetime.now(UTC) + timedelta(seconds=2),
        )
        self._scheduler.start()
        log.info("reminder scheduler started: a pass every %ss", self.services.settings.reminder_interval)

    def stop(self) -> None:
        """Finish the messages being sent, skip the rest of the pass (later passes have it), stop."""
        self.outbox.stopping.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def run_pass(self) -> None:
        """One pass (`bot.slack.passes`: the same one `python -m bot remind` runs)."""
        try:
            if self._team_id is None:
                self._team_id = self.client.auth_test()["team_id"]
            summary = run_pass(self.services, self.client, utcnow(), team_id=self._team_id, outbox=self.outbox)
        except Exception as error:  # the next pass tries again; nothing is lost, only delayed
            if not outage.noticed(error):  # the database out of reach: one line for the whole outage
                log.exception("reminder pass failed")
            return
        if summary.busy:
            log.info("reminder pass: %s", summary)
