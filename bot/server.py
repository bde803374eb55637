"""HTTP mode: Bolt behind a production WSGI server (waitress), with `GET /healthz`.

serve(wsgi_app(app, db), port=3000)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from storage.db import Database

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
SERVER_THREADS = 16


def wsgi_app(app: App, db: Database) -> Callable[..., Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return healthz(db, start_response)
        return slack(environ, start_response)

    return application


def healthz(db: Database, start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        status, body = "200 OK", {"ok": True}
    except Exception as error:  # the database is what the bot cannot work without
        log.warning("health check failed: %s", error)
        status, body = "503 Service Unavailable", {"ok": False, "error": "database unavailable"}
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def serve(application: Callable[..., Iterable[bytes]], *, port: int, host: str = "0.0.0.0") -> None:
    waitress.serve(application, host=host, port=port, threads=SERVER_THREADS, ident="shepherd")


def create_server(application: Callable[..., Iterable[bytes]], *, port: int = 0, host: str = "127.0.0.1") -> Any:
    """A waitress server not yet running (tests and benchmarks run it in a thread; `stop_server` ends it)."""
    return waitress.create_server(application, host=host, port=port, threads=SERVER_THREADS, ident="shepherd")


def stop_server(server: Any) -> None:
    server.task_dispatcher.shutdown()  # let in-flight requests finish before the sockets close
    server.close()
