"""Slip alerts: when a project's forecast first passes its agreed target (and again after every
SLIP_ALERT_DAYS more working days) its owner gets one DM, in their working hours, with the causes
and a Propose new date button. Once per level across processes: the database decides."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from slack_sdk import WebClient

from bot.core.reminders.model import Tally
from bot.core.reminders.plan import Clock
from bot.core.slips import claim_slip_alert, release_slip_alert, slips_to_alert
from bot.messages import targets as messages
from bot.services import Services
from bot.slack.people import user_tz

log = logging.getLogger(__name__)


def alert_slips(
    services: Services, client: WebClient, *, team_id: str, now: datetime, stop: threading.Event, tally: Tally | None = None
) -> int:
    settings, db = services.settings, services.db
    tally = tally if tally is not None else Tally()
    every = settings.slip_alert_days
    with db.reader() as session:
        slips = slips_to_alert(session, team_id=team_id, now=now, work_days=settings.work_days, every=every)
    sent = 0
    for n, slip in enumerate(slips):
        if stop.is_set():
            tally.held += len(slips) - n
            break
        owner = slip.project.owner_id
        tz = user_tz(db, client, team_id=team_id, user_id=owner, default_tz=slip.project.tz, now=now)
        if not Clock(settings, now).working_hours(tz):
            tally.held += 1
            continue  # a later pass, in the owner's working hours
        with db.transaction() as session:
            if not claim_slip_alert(session, project_id=slip.project.id or 0, slip_days=slip.slip_days, every=every):
                continue
        try:
            client.chat_postMessage(channel=owner, **messages.slip_alert(slip, every=every))
            sent += 1
            tally.sent += 1
        except Exception:  # give the level back: a later pass tries again
            log.warning("slip alert for project %s failed; it will be retried", slip.project.id, exc_info=True)
            tally.deferred += 1
            with db.transaction() as session:
                release_slip_alert(
                    session, project_id=slip.project.id or 0, slip_days=slip.slip_days, previous=slip.project.slip_alerted
                )
    return sent
