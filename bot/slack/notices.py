"""Delivering what others changed on people's steps: each person's pending notices as one DM,
within their working hours in their own time zone, once across processes (`storage/notices.py`).

    sent = deliver_notices(services, outbox, team_id="T1", now=utcnow())   # from the scheduler's pass
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.core.notices import reads_as_client, what_changed
from bot.core.reminders.plan import Clock
from bot.messages.notices import step_changes_dm
from bot.services import Services
from bot.slack.outbox import Outbox
from bot.slack.people import user_tzs
from bot.slack.ratelimit import RateLimited
from bot.slack.reminder_pass import PERMANENT_ERRORS
from storage import notices as store
from storage.jobs import worker_id

log = logging.getLogger(__name__)


def deliver_notices(services: Services, outbox: Outbox, *, team_id: str, now: datetime, me: str | None = None) -> int:
    """One DM per person with pending notices who may be reached now; how many DMs went out."""
    db, settings = services.db, services.settings
    with db.reader() as session:
        pending = store.waiting(session, team_id=team_id, now=now)
    newest: dict[str, int] = {}
    for notice in pending:
        newest[notice.recipient] = max(newest.get(notice.recipient, 0), notice.id or 0)
    if not newest:
        return 0
    zones = user_tzs(
        db, outbox.client, team_id=team_id, user_ids=list(newest), default_tz=settings.default_tz, now=now, stop=outbox.stopping
    )
    clock, me = Clock(settings, now), me or worker_id()
    sent = 0
    for recipient, up_to in newest.items():
        tz = zones.get(recipient)
        if outbox.stopping.is_set():
            break
        if tz is None or not clock.working_hours(tz):  # outside their hours (or not placed yet): a later pass
            continue
        token = store.claim(db, team_id=team_id, recipient=recipient, up_to=up_to, me=me, now=now)
        sent += send(services, outbox, recipient, token, team_id=team_id, now=now)
    return sent


def send(services: Services, outbox: Outbox, recipient: str, token: str, *, team_id: str, now: datetime) -> int:
    """Send the DM of the notices `token` took; 1 if it went out."""
    db = services.db
    taken = store.claimed(db, token)
    if not taken:
        return 0  # another process took them first
    with db.reader() as session:
        found = what_changed(session, recipient, taken)
        client = reads_as_client(session, team_id=team_id, recipient=recipient, project_ids={n.project_id for n in taken})
    if not found:  # nothing left worth saying: removed steps, closed projects, given and taken back
        store.finish(db, token, status=store.DROPPED, now=now)
        return 0
    try:
        outbox.post(recipient, step_changes_dm(found, client=client))
    except RateLimited as limited:
        store.release(db, token, until=now + timedelta(seconds=limited.retry_after))
        return 0
    except SlackApiError as error:
        code = str(error.response.get("error") or f"http_{error.response.status_code}")
        if code in PERMANENT_ERRORS:
            log.warning("step notices for %s: Slack refused for good (%s)", recipient, code)
            store.finish(db, token, status=store.FAILED, now=now)
        else:
            store.release(db, token, until=None)
        return 0
    except Exception as error:  # timeouts, connection errors: the next pass tries again
        log.warning("step notices for %s: %s", recipient, error)
        store.release(db, token, until=None)
        return 0
    store.finish(db, token, status=store.SENT, now=now)  # right after Slack took it
    return 1
