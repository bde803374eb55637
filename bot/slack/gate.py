"""The door of HTTP mode, before Bolt: a request Slack did not sign gets 401, a signed one Shepherd
can't read gets 400, and a replayed one (a signature already served) is not run again — each
with at most one log line, never a traceback.

    application = gate(bolt_wsgi, signing_secret="…", db=db)
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import delete
from sqlmodel import col

from bot.work import SIGNED, Signed
from storage.db import Database
from storage.models import SeenRequest, utcnow
from storage.outage import outage

log = logging.getLogger(__name__)
WSGI = Callable[..., Iterable[bytes]]
MAX_BODY = 1 << 20  # Slack's payloads are far smaller; more is not from Slack
REPLAY_WINDOW = timedelta(minutes=6)  # Slack's 5-minute timestamp window, and a margin


class QuietLog:
    """One line per source and reason a minute, however many requests arrive."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self._last: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def warning(self, source: str, reason: str, message: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get((source, reason), -self.every) < self.every:
                return
            if len(self._last) > 10_000:  # a flood from many sources: forget the old ones
                self._last = {k: t for k, t in self._last.items() if now - t < self.every}
            self._last[(source, reason)] = now
        log.warning(message + " (from %s; more like it this minute are not logged)", *args, source)


def gate(inner: WSGI, *, signing_secret: str, db: Database) -> WSGI:
    verifier = SignatureVerifier(signing_secret)
    quiet = QuietLog()
    purge = _Purge(db)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        source = str(environ.get("REMOTE_ADDR") or "?")  # the peer, not a header: a header is whatever the sender says
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            quiet.warning(source, "size", "refused a request of unusable length %s", environ.get("CONTENT_LENGTH"))
            return _answer(start_response, "413 Payload Too Large")
        body = environ["wsgi.input"].read(length) if length else b""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if not _signed(verifier, body, timestamp, signature):
            quiet.warning(source, "signature", "refused a request that Slack did not sign (or signed over 5 minutes ago)")
            return _answer(start_response, "401 Unauthorized")
        problem = _unreadable(body, environ.get("CONTENT_TYPE") or "")
        if problem:
            quiet.warning(source, "shape", "refused a signed request Shepherd can't read: %s", problem)
            return _answer(start_response, "400 Bad Request")
        assert signature is not None
        purge.maybe()
        environ["wsgi.input"] = io.BytesIO(body)
        # The replay guard: a request that hands on work writes it with its job (one round trip,
        # `bot.work`), and none of that work runs if the signature was served before; for any
        # other request it is written here, and a replay's answer is not sent.
        signed = Signed(signature)
        token = SIGNED.set(signed)
        try:
            answered = _Answered()
            try:
                content = _run(inner, environ, answered)
            except Exception as error:  # a shape Bolt itself trips on: refuse it, without a traceback
                quiet.warning(source, "crash", "refused a signed request Shepherd can't handle: %s", _brief(error))
                return _answer(start_response, "400 Bad Request")
        finally:
            SIGNED.reset(token)
        if not signed.checked:
            try:
                signed.replay = not _first_time(db, signature)
            except Exception as error:  # out of reach, the database kept nothing to replay either
                if not outage.noticed(error):
                    raise
        if signed.replay:
            quiet.warning(source, "replay", "did not run a replayed request (its signature was already served)")
            return _answer(start_response, "200 OK")
        start_response(answered.status, answered.headers)
        return [content]

    return application


class _Answered:
    """What the app answered, held until the replay guard has spoken."""

    def __init__(self) -> None:
        self.status = "500 Internal Server Error"  # if the app never answered
        self.headers: list[tuple[str, str]] = []

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        self.status, self.headers = status, headers
        return lambda _: None


def _run(inner: WSGI, environ: dict[str, Any], answered: _Answered) -> bytes:
    result = inner(environ, answered.start_response)
    try:
        return b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()


def _brief(error: BaseException) -> str:
    """An exception in one short line: its type and the start of its message."""
    return f"{type(error).__name__}: {str(error)[:120]!r}"


def _signed(verifier: SignatureVerifier, body: bytes, timestamp: str | None, signature: str | None) -> bool:
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit() or len(signature) > 80:
        return False
    if len(timestamp) > 12:  # Unix seconds have 10 digits until the year 2286; more overflows a float
        return False
    try:
        return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except Exception:  # whatever the headers hold, an unverifiable request is simply not signed
        return False


def _unreadable(body: bytes, content_type: str) -> str | None:
    """Why a signed body is not something Slack sends Shepherd, or None when it reads fine."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if content_type.startswith("application/json"):
        try:
            event = json.loads(text)
        except ValueError:
            return "broken JSON"
        if not isinstance(event, dict):
            return "JSON that is not an object"
        inner = event.get("event")
        if event.get("type") == "event_callback" and not isinstance(inner, dict):
            return "an event callback without its event"
        if isinstance(inner, dict) and inner.get("type") == "app_home_opened" and not _id(inner.get("user")):
            return "a Home tab opened by no proper user"
        return None
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            return "a payload that is not JSON"
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return "a payload without a type"
        user = payload.get("user")
        if payload["type"] in ("block_actions", "view_submission", "view_closed", "message_action", "shortcut") and not (
            isinstance(user, dict) and _id(user.get("id"))
        ):
            return f"a {payload['type']} without a user"
        if payload["type"] == "block_actions" and not (isinstance(payload.get("actions"), list) and payload["actions"]):
            return "a click without an action"
        if payload["type"] in ("view_submission", "view_closed") and not isinstance(payload.get("view"), dict):
            return "a form without its view"
        return None
    if "command" in form:
        missing = [k for k in ("user_id", "channel_id") if not _id(form.get(k, [""])[0])]
        return f"a command without {', '.join(missing)}" if missing else None
    return "neither a command nor a payload"


def _id(value: object) -> bool:
    """Shaped like a Slack id (U0ALICE, C0PROJ, T_HOME): what the database's id columns hold."""
    return isinstance(value, str) and 0 < len(value) <= 32 and value.isascii() and value.replace("_", "").isalnum()


def _first_time(db: Database, signature: str) -> bool:
    """Record the signature; False if it was served before (by this or any other process)."""
    return db.insert_new(SeenRequest.__table__, signature=signature, seen_at=utcnow())  # type: ignore[attr-defined]


class _Purge:
    """Forget signatures older than the replay window, at most once a minute."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._next = 0.0
        self._lock = threading.Lock()

    def maybe(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                return
            self._next = now + 60
        try:
            with self.db.transaction() as session:
                session.execute(delete(SeenRequest).where(col(SeenRequest.seen_at) < utcnow() - REPLAY_WINDOW))
        except Exception as error:  # only housekeeping: the next minute tries again
            if not outage.noticed(error):
                log.warning("could not forget old request signatures", exc_info=True)


def _answer(start_response: Callable[..., Any], status: str) -> Iterable[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "0")])
    return [b""]
