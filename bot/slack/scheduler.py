"""The reminder scheduler inside the bot process: an APScheduler 3 background job that runs one
reminder pass every REMINDER_INTERVAL seconds, and repairs approval messages Slack failed to
update. Once-only delivery comes from the database, not from here.

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
from bot.slack.approvals import repair_messages
from bot.slack.notices import deliver_notices
from bot.slack.outbox import Outbox
from bot.slack.reminder_pass import remind
from bot.slack.signoff import repair_signoffs
from bot.slack.slip_alerts import alert_slips
from bot.slack.updates import draft_weekly_updates
from storage.models import utcnow

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
        try:
            if self._team_id is None:
                self._team_id = self.client.auth_test()["team_id"]
            report = remind(self.services, self.client, utcnow(), outbox=self.outbox, team_id=self._team_id)
            repaired = repair_messages(self.services, self.client, team_id=self._team_id, now=utcnow())
            repair_signoffs(self.services, self.client, team_id=self._team_id, now=utcnow())  # sign-offs a close could not post
            alert_slips(self.services, self.client, team_id=self._team_id, now=utcnow(), stop=self.outbox.stopping)
            draft_weekly_updates(  # each project's weekly client update, to its owner
                self.services, self.client, team_id=self._team_id, now=utcnow(), stop=self.outbox.stopping
            )
            deliver_notices(self.services, self.outbox, team_id=self._team_id, now=utcnow())  # changes to people's steps
        except Exception:  # the next pass tries again; nothing is lost, only delayed
            log.exception("reminder pass failed")
            return
        if repaired:
            log.info("repaired %s approval message(s) that Slack had failed to update", repaired)
        if report.sent or report.deferred or report.failed:
            log.info("reminder pass: %s", report)
