"""One scheduler pass, defined once: what the serving process's timer runs every REMINDER_INTERVAL
and what `python -m bot remind` runs once. Each part is one line of `PARTS`; a part that breaks is
logged and counted, and the parts after it still run. Once-only delivery comes from the database.

    report = run_pass(services, client, utcnow(), team_id="T1")
    log.info("pass: %s", report)   # reminders: sent 3, deferred 0, failed 0, held 1; slip alerts: …
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient

from bot.core.reminders.model import PassReport, Tally
from bot.services import Services
from bot.slack.approvals import repair_messages
from bot.slack.home_tabs import retry_failed_homes
from bot.slack.notices import deliver_notices
from bot.slack.outbox import Outbox
from bot.slack.reminder_pass import remind
from bot.slack.signoff import repair_signoffs
from bot.slack.slip_alerts import alert_slips
from bot.slack.updates import draft_weekly_updates
from storage.models import utcnow
from storage.outage import outage

log = logging.getLogger(__name__)


@dataclass
class Pass:
    """What every part of one pass works with."""

    services: Services
    client: WebClient
    team_id: str
    outbox: Outbox
    started_at: datetime  # the pass's `now`
    reminders: PassReport | None = None  # the reminder part's own, finer report
    _began: datetime = field(default_factory=utcnow)

    def now(self) -> datetime:
        """`started_at`, moved on by the time the pass has taken so far (a part's "now")."""
        return self.started_at + (utcnow() - self._began)


def _reminders(run: Pass, tally: Tally) -> None:
    report = remind(run.services, run.client, run.now(), outbox=run.outbox, team_id=run.team_id)
    run.reminders = report
    tally.sent += report.sent
    tally.deferred += report.deferred
    tally.failed += report.failed
    tally.held += report.held_outside_hours + report.unknown_people


def _approval_repairs(run: Pass, tally: Tally) -> None:
    repair_messages(run.services, run.client, team_id=run.team_id, now=run.now(), tally=tally)


def _signoff_repairs(run: Pass, tally: Tally) -> None:  # sign-offs a close could not post
    repair_signoffs(run.services, run.client, team_id=run.team_id, now=run.now(), tally=tally)


def _slip_alerts(run: Pass, tally: Tally) -> None:
    alert_slips(run.services, run.client, team_id=run.team_id, now=run.now(), stop=run.outbox.stopping, tally=tally)


def _home_retries(run: Pass, tally: Tally) -> None:  # Home tabs Slack failed to take
    retry_failed_homes(run.services, run.client, team_id=run.team_id, now=run.now(), stop=run.outbox.stopping, tally=tally)


def _weekly_drafts(run: Pass, tally: Tally) -> None:  # each project's weekly client update, to its owner
    draft_weekly_updates(run.services, run.client, team_id=run.team_id, now=run.now(), stop=run.outbox.stopping, tally=tally)


def _step_notices(run: Pass, tally: Tally) -> None:  # changes someone else made to people's steps
    tally.sent += deliver_notices(run.services, run.outbox, team_id=run.team_id, now=run.now())


Part = Callable[[Pass, Tally], None]

# The pass, in order. A new job is one line here: a name for the report and a function of (Pass, Tally).
PARTS: tuple[tuple[str, Part], ...] = (
    ("reminders", _reminders),
    ("approval repairs", _approval_repairs),
    ("sign-off repairs", _signoff_repairs),
    ("slip alerts", _slip_alerts),
    ("weekly drafts", _weekly_drafts),
    ("home retries", _home_retries),
    ("step notices", _step_notices),
)


@dataclass
class PassSummary:
    """What a whole pass did, part by part; `python -m bot remind` prints it, the timer logs it."""

    parts: dict[str, Tally]
    broken: list[str]  # parts that raised: logged, the next pass tries again
    reminders: PassReport | None = None

    @property
    def busy(self) -> bool:
        """Anything worth a log line: sent, deferred, failed, held back or broken."""
        return bool(self.broken) or any(vars(t) != vars(Tally()) for t in self.parts.values())

    def lines(self) -> list[str]:
        """A line per part: "slip alerts: sent 1, deferred 0, failed 0, held 0"."""
        return [
            f"{name}: {tally}" + (" (broke: see the log)" if name in self.broken else "") for name, tally in self.parts.items()
        ]

    def __str__(self) -> str:
        lines = self.lines()
        if self.reminders is not None:
            lines.append(f"reminders in detail: {self.reminders}")
        return "; ".join(lines)


def run_pass(
    services: Services, client: WebClient, now: datetime, *, team_id: str, outbox: Outbox | None = None,
    parts: tuple[tuple[str, Part], ...] | None = None,
) -> PassSummary:  # fmt: skip
    """Run every part (`PARTS` unless told) at `now` for the workspace `team_id`; nothing new starts
    once the outbox is stopping."""
    run = Pass(services, client, team_id, outbox or Outbox(client), now)
    summary = PassSummary({}, [])
    for name, part in PARTS if parts is None else parts:
        if run.outbox.stopping.is_set():
            break  # the process is stopping: a later pass (maybe another process's) has the rest
        tally = summary.parts[name] = Tally()
        try:
            part(run, tally)
        except Exception as error:  # one part's trouble must not hold back the others
            if not outage.noticed(error):  # the database out of reach: one line for the whole outage
                log.exception("the %s part of the pass failed; the next pass tries again", name)
            summary.broken.append(name)
    summary.reminders = run.reminders
    return summary
