"""Answers while the database can't be reached: every command and click still gets its 200 and
one line, "nothing was changed"; the log gets one line per outage (`storage/outage.py`).

    if outage.noticed(error):
        return database_down(request.body)
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk.webhook import WebhookClient

from bot.messages.errors import DB_DOWN, OOPS
from storage.outage import outage

log = logging.getLogger(__name__)
MESSAGE = {"response_type": "ephemeral", "text": DB_DOWN, "replace_original": False}


def database_down(body: dict[str, Any], *, acked: BoltResponse | None = None) -> BoltResponse:
    """The acknowledgement: a command's carries the line itself; a form shows it on its first
    field; a click (or anything acknowledged already) is answered by its response_url."""
    if acked is None and body.get("command"):
        return _json({"response_type": "ephemeral", "text": DB_DOWN})
    if acked is None and body.get("type") == "view_submission":
        view = body.get("view")
        shown = view.get("blocks") if isinstance(view, dict) else None
        blocks = [b for b in shown or [] if isinstance(b, dict) and b.get("type") == "input"]
        if blocks and isinstance(blocks[0].get("block_id"), str):
            return _json({"response_action": "errors", "errors": {blocks[0]["block_id"]: DB_DOWN}})
    tell_database_down(body)
    if acked is not None and acked.status < 400:
        return BoltResponse(status=acked.status, body=acked.body, headers=acked.headers)
    return BoltResponse(status=200, body="")


def tell_database_down(body: dict[str, Any]) -> None:
    """One ephemeral line by the request's response_url, if it has one, off the request's thread."""
    urls = [body.get("response_url")] + [u.get("response_url") for u in body.get("response_urls") or [] if isinstance(u, dict)]
    url = next((u for u in urls if isinstance(u, str) and u.startswith(("https://", "http://"))), None)
    if url is not None:
        threading.Thread(target=_send, args=(url,), name="shepherd-db-down", daemon=True).start()


def _send(url: str) -> None:
    try:
        WebhookClient(url, timeout=10).send_dict(MESSAGE)
    except Exception as error:  # the person sees Slack's own failure instead; nothing else to do
        log.info("could not tell that the database is down (%s)", type(error).__name__)


def _json(answer: dict[str, Any]) -> BoltResponse:
    return BoltResponse(status=200, body=answer)  # a dict: sent as JSON


def oops(error: BaseException, logger: logging.Logger, what: str, *args: object) -> str:
    """The line for a request that failed unexpectedly (call it where the exception is handled):
    the database out of reach says so, logged once per outage; anything else is OOPS, and its
    traceback is logged as `what`."""
    if outage.noticed(error):
        return DB_DOWN
    logger.exception(what, *args)
    return OOPS
