"""The app factory: a Bolt app with every token passed explicitly, wired to the listeners the
start-up code hands it (Shepherd's are `handlers.register`; this layer does not import handlers).

services = Services(settings, Database(settings.database_url))
app = create_app(services, handlers.register)
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.services import Services
from bot.settings import Settings
from bot.slack.outage import database_down
from bot.work import CURRENT, Pending
from storage.outage import outage

log = logging.getLogger(__name__)


def web_client(settings: Settings, *, timeout: int = 15) -> WebClient:
    """A Web API client at SLACK_API_URL that retries only connection errors (the scheduler paces
    and retries its own sends)."""
    return WebClient(token=settings.bot_token, base_url=settings.slack_api_url or WebClient.BASE_URL, timeout=timeout)


def listener_client(settings: Settings) -> WebClient:
    """The client of request listeners: it also retries 429s (after Slack's Retry-After) and 5xx,
    twice. Listeners call Slack only after ack(), so waiting costs the user nothing, and the update
    that shows a decision is worth waiting for."""
    client = web_client(settings)
    client.retry_handlers.extend([RateLimitErrorRetryHandler(max_retry_count=2), ServerErrorRetryHandler(max_retry_count=2)])
    return client


class _TokenGivenTwice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and then warns that the `client` we
    give it (with our base URL and retries) wins. That is the intent: drop the warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


Listeners = Callable[[App, Services], None]  # registers the listeners on the app: `handlers.register`


def create_app(services: Services, listeners: Listeners, *, client: WebClient | None = None, replaying: bool = False) -> App:
    """Listeners run in the request's own thread and Slack gets its answer when they return
    (`process_before_response`): none of them calls Slack or waits, they hand that work to
    `services.work`, so this costs the ack nothing, and it spares every request Bolt's hand-over
    to a listener thread and its 10 ms polling for the ack.

    `replaying`: the app of a worker, which runs the work of requests acknowledged before
    (`bot/slack/replay.py`): `services.work` runs that work on the spot, and nothing is verified
    again (the request was verified when it arrived, maybe minutes ago)."""
    settings = services.settings
    bolt_log = logging.getLogger("shepherd.bolt")
    if not any(isinstance(f, _TokenGivenTwice) for f in bolt_log.filters):
        bolt_log.addFilter(_TokenGivenTwice())
    app = App(
        client=client or listener_client(settings),
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=not settings.socket_mode and not replaying,
        process_before_response=True,
        logger=bolt_log,
    )
    if not replaying:
        app.middleware(remember_request)
    app.error(unhandled)
    listeners(app, services)
    return app


def unhandled(error: Exception, request: BoltRequest) -> BoltResponse:
    """A request Bolt or a listener tripped on (a payload shape Slack doesn't send): one line, and a
    400 rather than a 500 and a traceback. Acknowledged already, the acknowledgement stands. The
    database out of reach: a 200 and the person told that nothing was changed."""
    acked = request.context.ack.response if request.context.ack is not None else None
    if outage.noticed(error):
        return database_down(request.body, acked=acked)
    log.warning("refused a signed request Shepherd can't handle: %s: %.120r", type(error).__name__, str(error))
    if acked is not None and acked.status < 400:
        return BoltResponse(status=acked.status, body=acked.body, headers=acked.headers)
    return BoltResponse(status=400, body="")


def remember_request(req: BoltRequest, context: BoltContext, next: Callable[[], None]) -> None:
    """Let the work a listener hands on (`services.work.submit`) know the request it is for, so it
    can be written down and, should this process die, done by another from the request itself.
    Bolt runs its middleware one after another, then the listener, in this thread: what is set
    here is what the listener sees, until the next request in this thread sets its own."""
    team = context.team_id if isinstance(context.team_id, str) else None  # the payload's, whatever shape it came in
    if team is None and context.authorize_result is not None:
        team = context.authorize_result.team_id
    CURRENT.set(Pending(team_id=team or "", body=req.body))
    next()
