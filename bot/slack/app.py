"""The app factory: a Bolt app wired to Shepherd's handlers, with every token passed explicitly.

services = Services(settings, Database(settings.database_url))
app = create_app(services)
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

import handlers
from bot.services import Services
from bot.settings import Settings

# Listeners run here after ack(); more workers than Bolt's default 5 so that a few slow Slack
# calls cannot delay the acknowledgement of the next request.
LISTENER_THREADS = 16


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


def create_app(services: Services, *, client: WebClient | None = None) -> App:
    settings = services.settings
    bolt_log = logging.getLogger("shepherd.bolt")
    if not any(isinstance(f, _TokenGivenTwice) for f in bolt_log.filters):
        bolt_log.addFilter(_TokenGivenTwice())
    app = App(
        client=client or listener_client(settings),
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="shepherd-listener"),
        logger=bolt_log,
    )
    handlers.register(app, services)
    return app
