"""How fast an Approve click is acknowledged, beside a no-op Bolt action served the same way.

    python bench/bench_approve.py [--clicks 300] [--database-url postgresql://…]

Both apps run behind the same WSGI server (waitress) and take signed HTTP clicks one at a time;
the Web API is the local stand-in from the tests. Each Approve decides a fresh deliverable, and
the next click waits until that decision's chat.update and thread reply have gone out, so runs
never pile up. Printed: acknowledgement round trip, and click → chat.update for Approve.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repository root, so `tests.support` imports as a package

from slack_bolt import Ack, App  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

import handlers  # noqa: E402
from bot.core import approvals, projects  # noqa: E402
from bot.messages import ids  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.app import create_app  # noqa: E402
from bot.slack.server import create_server, stop_server, wsgi_app  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import utcnow  # noqa: E402
from tests.support.slack_requests import SlackSender  # noqa: E402
from tests.support.slack_stub import SlackStub  # noqa: E402

SECRET, TOKEN, TEAM = "bench-signing-secret", "xoxb-bench", "T0BENCH"
PM, CLIENT, CHANNEL = "U0PM", "U0CLIENT", "C0BENCH"
WARM_UP = 20


def serve(app: App, db: Database) -> tuple[SlackSender, Any]:
    server = create_server(wsgi_app(app, db, signing_secret=SECRET))
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    return SlackSender(f"http://127.0.0.1:{server.effective_port}", SECRET), server


def noop_app(stub: SlackStub) -> App:
    app = App(client=WebClient(token=TOKEN, base_url=stub.api_url), signing_secret=SECRET)

    @app.action("noop")
    def noop(ack: Ack) -> None:
        ack()

    return app


def prepare(db: Database, count: int) -> list[int]:
    """A project with one approver and `count` pending deliverables, each with its message posted."""
    now = utcnow()
    with db.transaction() as session:
        project = projects.create_project(
            session, team_id=TEAM, channel_id=CHANNEL, owner_id=PM, name="Bench", client=None,
            target_date=None, tz="UTC", now=now, approvers=[CLIENT],
        )  # fmt: skip
        ids_ = []
        for i in range(count):
            sub = approvals.submit(session, project=project, actor=PM, title=f"Deliverable {i}", link=None, now=now)
            session.flush()
            assert sub.deliverable.id is not None
            approvals.record_message(session, deliverable_id=sub.deliverable.id, channel_id=CHANNEL, message_ts=f"1.{i}")
            ids_.append(sub.deliverable.id)
    return ids_


def click(sender: SlackSender, stub: SlackStub, action_id: str, value: str) -> float:
    """One signed click; returns the HTTP round trip of the acknowledgement in seconds."""
    started = time.monotonic()
    reply = sender.action(
        action_id=action_id, value=value, user_id=CLIENT, channel_id=CHANNEL, message_ts="1.0",
        response_url=stub.response_url("bench"), team_id=TEAM,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert reply.status == 200, reply
    return elapsed


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=300)
    parser.add_argument("--database-url", help="an empty database (it is migrated and filled); default: a temporary SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, SlackStub(tokens={TOKEN: TEAM}) as stub:
        db = Database(args.database_url or f"sqlite:///{tmp}/bench.db")
        db.migrate()
        deliverable_ids = prepare(db, WARM_UP + args.clicks)
        settings = Settings.from_mapping(
            {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": stub.api_url,
                "DATABASE_URL": db.url.render_as_string(hide_password=False),
            }
        )
        shepherd, shepherd_server = serve(create_app(Services(settings, db), handlers.register), db)
        noop, noop_server = serve(noop_app(stub), db)
        ack_noop: list[float] = []
        ack_approve: list[float] = []
        to_update: list[float] = []
        try:
            for n, deliverable_id in enumerate(deliverable_ids, start=1):
                noop_ack = click(noop, stub, "noop", "0")  # the two apps alternate, so drift hits both alike
                started = time.monotonic()
                approve_ack = click(shepherd, stub, ids.APPROVE_ACTION, str(deliverable_id))
                [*_, update] = stub.wait_for("chat.update", n, timeout=30)
                stub.wait_for("chat.postMessage", n, timeout=30)  # the thread reply: the listener is done
                if n > WARM_UP:
                    ack_noop.append(noop_ack)
                    ack_approve.append(approve_ack)
                    to_update.append(update.at - started)
        finally:
            for server in (shepherd_server, noop_server):
                stop_server(server)
            db.dispose()

    base_median, base_p99 = statistics.median(ack_noop), p99(ack_noop)
    rows = [
        ("no-op Bolt action: ack", ack_noop),
        ("Approve: ack", ack_approve),
        ("Approve: click → chat.update", to_update),
    ]
    backend = "PostgreSQL" if args.database_url and args.database_url.startswith("postgres") else "SQLite"
    print(f"{args.clicks} sequential signed clicks each (+{WARM_UP} warm-up), {backend}, waitress, local Web API stand-in")
    print(f"{'':32} {'median ms':>10} {'p99 ms':>10} {'× no-op median':>15} {'× no-op p99':>12}")
    for label, samples in rows:
        median, tail = statistics.median(samples), p99(samples)
        print(f"{label:32} {median * 1000:10.2f} {tail * 1000:10.2f} {median / base_median:15.2f} {tail / base_p99:12.2f}")


if __name__ == "__main__":
    main()
