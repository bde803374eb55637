"""Posting the scheduler's messages within Slack's limits, from any number of sender threads: at
most one message per second per channel, and after a 429 nothing of that method until Slack's
Retry-After has passed. A short wait is waited out; a long one raises `RateLimited`, so the pass
hands the reminder to a later pass instead of sitting on its claim.

    outbox = Outbox(client)
    outbox.post("U123", {"text": "…", "blocks": [...]})
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack.ratelimit import RateLimited, retry_after_of

log = logging.getLogger(__name__)


class Outbox:
    def __init__(
        self,
        client: WebClient,
        *,
        min_gap: float = 1.0,
        max_wait: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.min_gap, self.max_wait = min_gap, max_wait
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next_turn: dict[str, float] = {}  # channel → the earliest moment its next post may go
        self._hold_until = 0.0  # a 429's Retry-After, for every channel (the limit may be the method's)
        self.stopping = threading.Event()

    def post(self, channel: str, message: dict[str, Any]) -> SlackResponse:
        for attempt in range(3):
            self._wait_turn(channel)
            try:
                return self.client.chat_postMessage(channel=channel, **message)
            except SlackApiError as error:
                if error.response.status_code != 429:
                    raise
                retry_after = retry_after_of(error.response)
                with self._lock:
                    self._hold_until = max(self._hold_until, self._clock() + retry_after)
                if retry_after > self.max_wait or attempt == 2:
                    raise RateLimited(retry_after) from error
                log.info("Slack asked us to wait %gs before posting again", retry_after)
        raise AssertionError("unreachable")

    def _wait_turn(self, channel: str) -> None:
        """Reserve this channel's next slot (one a second), then wait for it. A wait longer than
        `max_wait` (a long Retry-After still running) hands the message to a later pass."""
        with self._lock:
            now = self._clock()
            ready = max(self._hold_until, self._next_turn.get(channel, 0.0), now)
            wait = ready - now
            if wait > self.max_wait:
                raise RateLimited(wait)
            self._next_turn[channel] = ready + self.min_gap
        if wait > 0 and self.stopping.wait(0) is False:
            self._sleep(wait)
