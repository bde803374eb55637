"""A worker's side of written-down work: the request is dispatched again, through an app whose
listeners run to the end, with `ack()` going nowhere (Slack had its answer long ago) and every
`services.work.submit` done on the spot. What the ack decided is read from the job's notes
(`bot.work.ack_note`), so the work takes the way the ack promised.

    workers = Workers(db, team_id=team, run=replayer(services, client, handlers.register), threads=8, me=worker_id())
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltRequest
from slack_sdk import WebClient

from bot.services import Services
from bot.slack.app import Listeners, create_app
from bot.work import CURRENT, Pending
from storage.jobs import Claimed

log = logging.getLogger(__name__)


def replayer(services: Services, client: WebClient, listeners: Listeners) -> Callable[[Claimed], None]:
    app = create_app(services, listeners, client=client, replaying=True)

    def run(job: Claimed) -> None:
        pending = Pending(team_id=job.team_id, body=job.body, replaying=True, notes=job.notes, job_id=job.id, db=services.db)
        token = CURRENT.set(pending)
        try:
            response = app.dispatch(BoltRequest(body=job.body, mode="socket_mode"))
        finally:
            CURRENT.reset(token)
        if not pending.submitted:
            log.warning("%s (job %s): the request, replayed, asked for no work (answer %s)", job.name, job.id, response.status)

    return run
