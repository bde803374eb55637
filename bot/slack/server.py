"""HTTP mode: Bolt behind a production WSGI server (waitress), with `GET /healthz`.

server = create_server(wsgi_app(app, db, signing_secret="…"), host="0.0.0.0", port=3000)
server.run()
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore

from bot.slack.gate import gate
from bot.work import Backlog
from storage import jobs
from storage.db import Database
from storage.outage import outage

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
SERVER_THREADS = 16


def wsgi_app(app: App, db: Database, *, signing_secret: str, work: Backlog | None = None) -> Callable[..., Iterable[bytes]]:
    """`POST /slack/events` through the gate into Bolt, and `GET /healthz`."""
    slack = gate(SlackRequestHandler(app, path=EVENTS_PATH), signing_secret=signing_secret, db=db)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return healthz(db, start_response, work=work)
        return slack(environ, start_response)

    return application


def healthz(db: Database, start_response: Callable[..., Any], *, work: Backlog | None = None) -> Iterable[bytes]:
    """200 when the database answers (503 when not), with the acknowledged work not yet done (in
    every process: `jobs`) and this process's backlog of work waiting on Slack (`work`)."""
    body: dict[str, Any]
    try:
        status, body = "200 OK", {"ok": True, "jobs": jobs.waiting(db)}  # work acknowledged, not yet done
    except Exception as error:  # the database is what the bot cannot work without
        if not outage.noticed(error):  # out of reach: one line per outage, however often it is asked
            log.warning("health check failed: %s", error)
        status, body = "503 Service Unavailable", {"ok": False, "error": "database unavailable"}
    if work is not None:
        body["work"] = work.stats()
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def create_server(application: Callable[..., Iterable[bytes]], *, port: int = 0, host: str = "127.0.0.1") -> Any:
    """A waitress server not yet running (tests and benchmarks run it in a thread; `stop_server` ends it)."""
    return waitress.create_server(application, host=host, port=port, threads=SERVER_THREADS, ident="shepherd")


def stop_server(server: Any, timeout: float = 10) -> None:
    """Stop a server whose `run()` loop is in another thread: in-flight requests finish, then its
    sockets are closed from inside that loop (closing them from here races its select())."""
    server.task_dispatcher.shutdown()
    closed = threading.Event()

    def close_all() -> None:
        wasyncore.close_all(server._map)
        closed.set()

    try:
        server.trigger.pull_trigger(close_all)
    except OSError:  # its wake-up pipe is already closed, so the loop is not running: close here
        with contextlib.suppress(OSError):
            wasyncore.close_all(server._map)
        return
    closed.wait(timeout)
