"""Acknowledgement latency of `/project status` through the full HTTP pipeline (signature check,
database, rendering), beside a no-op Bolt command handler measured in the same run.

    python bench/bench_status.py                       # SQLite file, 1,000 projects, 50,000 steps
    python bench/bench_status.py --database-url postgresql://postgres@127.0.0.1:5432/shepherd_bench

The workspace is filled with bulk inserts; both apps sit behind the same WSGI server and answer
the same signed requests, interleaved, so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repository root, so `tests.support` imports as a package

from slack_bolt import App  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

import handlers  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.app import create_app, web_client  # noqa: E402
from bot.slack.server import create_server, stop_server, wsgi_app  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Deliverable, Project, Step, utcnow  # noqa: E402
from tests.support.slack_requests import SlackSender, command_body  # noqa: E402
from tests.support.slack_stub import SlackStub  # noqa: E402

SECRET = "bench-secret"
TEAM = "T_HOME"


def fill(db: Database, projects: int, steps_per_project: int) -> None:
    now = utcnow()
    today = now.date()
    rng = random.Random(7)
    with db.engine.begin() as connection:
        connection.execute(
            insert(Project),
            [
                dict(
                    team_id=TEAM,
                    name=f"Project {i}",
                    name_key=f"project {i}",
                    client=f"Client {i % 50}",
                    channel_id=f"C{i:06d}",
                    owner_id=f"U{i % 40:04d}",
                    stage="execution",
                    start_date=today - timedelta(days=60),
                    target_date=today + timedelta(days=rng.randint(-10, 60)),
                    tz="Europe/London",
                    hours_used=0.0,
                    created_at=now,
                    updated_at=now,
                )  # fmt: skip
                for i in range(projects)
            ],
        )
        ids = [row[0] for row in connection.execute(text("SELECT id FROM project ORDER BY id"))]
        batch = []
        for project_id in ids:
            for n in range(1, steps_per_project + 1):
                due = today + timedelta(days=rng.randint(-20, 40))
                batch.append(
                    dict(
                        team_id=TEAM,
                        project_id=project_id,
                        number=n,
                        title=f"Step {n} of the plan",
                        stage="execution",
                        assignee_id=f"U{rng.randint(0, 39):04d}",
                        due_date=due,
                        created_by="U0000",
                        created_at=now,
                        done_at=now if rng.random() < 0.4 else None,
                    )  # fmt: skip
                )
            if len(batch) >= 10_000:
                connection.execute(insert(Step), batch)
                batch = []
        if batch:
            connection.execute(insert(Step), batch)
        connection.execute(
            insert(Deliverable),
            [
                dict(
                    team_id=TEAM,
                    project_id=pid,
                    title="Design review",
                    title_key="design review",
                    stage="execution",
                    version=1,
                    state="pending",
                    submitted_by="U0001",
                    submitted_at=now - timedelta(days=2),
                )  # fmt: skip
                for pid in ids[::3]
            ],
        )


def serve(app_wsgi) -> tuple[str, object]:
    server = create_server(app_wsgi)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", server


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary directory")
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, SlackStub(tokens={"xoxb-bench": TEAM}) as slack:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        db = Database(url)
        if not db.is_sqlite:
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.migrate()
        started = time.perf_counter()
        fill(db, args.projects, args.steps // args.projects)
        fill_seconds = time.perf_counter() - started

        settings = Settings.from_mapping(
            {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url, "DATABASE_URL": url}
        )
        shepherd_url, shepherd_server = serve(
            wsgi_app(create_app(Services(settings, db), handlers.register), db, signing_secret=SECRET)
        )
        noop = App(client=web_client(settings), signing_secret=SECRET)

        @noop.command("/project")
        def no_op(ack) -> None:  # type: ignore[no-untyped-def]
            ack()

        noop_url, noop_server = serve(wsgi_app(noop, db, signing_secret=SECRET))
        shepherd, baseline = SlackSender(shepherd_url, SECRET), SlackSender(noop_url, SECRET)
        # Shepherd asks Slack who a person is on their first command (then keeps it), so that one
        # is answered after the ack, by response_url; every measured command is answered in its ack.
        first = command_body("status", user_id="U0001", channel_id="C000000", response_url=slack.response_url("first"))
        assert shepherd.post(first).status == 200
        slack.wait_for_responses(1, key="first", timeout=10)
        targets = {  # name: (sender, command text)
            "/project status (Shepherd)": (shepherd, "status"),
            "/project list all (Shepherd)": (shepherd, "list all"),
            "no-op Bolt command": (baseline, "status"),
        }
        timings: dict[str, list[float]] = {name: [] for name in targets}
        rng = random.Random(1)
        for i in range(args.requests + 50):
            channel = f"C{rng.randrange(args.projects):06d}"
            for n, (name, (sender, command)) in enumerate(targets.items()):
                # Each request its own trigger id, as from Slack: an identical body signed in the
                # same second would be a replay, which the gate answers without running it.
                body = command_body(
                    command, user_id="U0001", channel_id=channel, response_url=slack.response_url("bench"), trigger_id=f"{i}.{n}"
                )
                begin = time.perf_counter()
                reply = sender.post(body)
                elapsed = (time.perf_counter() - begin) * 1000
                assert reply.status == 200, reply
                if sender is shepherd:
                    assert '"blocks"' in reply.body, reply.body[:200]
                if i >= 50:  # the first 50 warm caches and connection pools
                    timings[name].append(elapsed)
        stop_server(shepherd_server)
        stop_server(noop_server)
        db.dispose()

    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(f"\n{backend}: {args.projects:,} projects, {args.steps:,} steps (filled in {fill_seconds:.1f} s)", end="")
    print(f", {args.requests} requests each\n")
    print(f"| {'handler':<28} | {'median ms':>9} | {'p99 ms':>8} |")
    print(f"|{'-' * 30}|{'-' * 11}|{'-' * 10}|")
    for name, values in timings.items():
        print(f"| {name:<28} | {statistics.median(values):>9.2f} | {percentile(values, 0.99):>8.2f} |")
    base = timings["no-op Bolt command"]
    for name in ("/project status (Shepherd)", "/project list all (Shepherd)"):
        ours = timings[name]
        print(f"\nratio {name} / no-op: median {statistics.median(ours) / statistics.median(base):.2f}, "
              f"p99 {percentile(ours, 0.99) / percentile(base, 0.99):.2f}", end="")  # fmt: skip
    print()


if __name__ == "__main__":
    main()
