"""The baseline of bench_capacity.py: a Bolt app that does nothing but acknowledge, served the way
Shepherd is served (Bolt's WSGI adapter behind waitress, 16 server threads, listeners run in the
request's thread as Shepherd's are: `process_before_response`), so the difference between the two
is what Shepherd itself costs.

    NOOP_TOKEN=xoxb-test SLACK_SIGNING_SECRET=… SLACK_API_URL=http://127.0.0.1:…/api/ PORT=3001 python bench/noop_bolt.py

A `/project` command and any block action are acknowledged with an empty 200; `GET /healthz`
answers 200 so the benchmark knows the server is up. With `NOOP_WRITE_URL` (a database URL) each
request first writes one row, in one autocommit round trip from a pool: the least a durable
acknowledgement can cost (`bench_capacity.py --noop-writes`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

THREADS = 16  # bot.slack.server.SERVER_THREADS


def one_write(url: str) -> Callable[[dict], None]:
    from sqlalchemy import create_engine

    engine = create_engine(url, pool_size=THREADS, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS noop_ack (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)")

    def write(body: dict) -> None:
        with engine.connect() as connection:
            connection.exec_driver_sql("INSERT INTO noop_ack (body) VALUES (%(body)s)", {"body": json.dumps(body)})

    return write


def build() -> Callable[..., Iterable[bytes]]:
    client = WebClient(token=os.environ["NOOP_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=True,  # as Shepherd's app (bot/slack/app.py)
    )

    write = one_write(os.environ["NOOP_WRITE_URL"]) if os.environ.get("NOOP_WRITE_URL") else (lambda _: None)

    @app.command("/project")
    def command(ack: Ack, body: dict) -> None:
        write(body)
        ack()

    @app.action(re.compile(".*"))
    def action(ack: Ack, body: dict) -> None:
        write(body)
        ack()

    bolt = SlackRequestHandler(app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "11")])
            return [b'{"ok":true}']
        return bolt(environ, start_response)

    return application


if __name__ == "__main__":
    waitress.serve(build(), host="127.0.0.1", port=int(os.environ["PORT"]), threads=THREADS, ident="noop")
