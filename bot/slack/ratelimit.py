"""Slack's errors: what it said, and for its 429s how long it asks us to wait, with the one
exception that carries it.

Every Web API method has its own per-minute tier; a 429 answer names the wait in `Retry-After`.
The scheduler never retries blindly: it waits out a short Retry-After and hands the rest of the
work to a later pass on a long one.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

DEFAULT_RETRY_AFTER = 30.0  # a 429 without a usable Retry-After header


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:g}s")
        self.retry_after = retry_after


def retry_after_of(response: SlackResponse) -> float:
    """Slack's Retry-After in seconds (at least 1)."""
    for name, value in (response.headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(float(value[0] if isinstance(value, list) else value), 1.0)
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER


def error_code(error: Exception) -> str:
    """What Slack said went wrong (`not_in_channel`), or "no answer" when it said nothing."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "error")
    return "no answer"


def limited(error: SlackApiError) -> RateLimited | None:
    """The wait Slack asks for when `error` is a 429, else None."""
    if error.response.status_code == 429 or error.response.get("error") == "ratelimited":
        return RateLimited(retry_after_of(error.response))
    return None
