"""One reminder pass over 10,000 … 1,000,000 open steps of which 1,000 are due, on SQLite and
PostgreSQL: its time and its number of SQL statements. Its cost should follow what is due.

    python bench/bench_remind.py [--sizes 10000,100000,1000000] [--due 1000]
                                 [--postgres-url postgresql://postgres@127.0.0.1:5432/shepherd_reminders | --no-postgres]

Each size gets a fresh database filled with bulk inserts (COPY on PostgreSQL): 200 projects, 100
people with cached time zones, N open steps of which `--due` are overdue or due tomorrow and the
rest due weeks ahead or undated. The pass sends for real, over HTTP, to the tests' Slack stand-in.
A second pass right after shows the steady state (everything already sent: nothing to send).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repository root, so `tests.support` imports as a package

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.outbox import Outbox  # noqa: E402
from bot.slack.reminder_pass import remind  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Project, Step, UserProfile  # noqa: E402
from tests.support.slack_stub import SlackStub  # noqa: E402

TOKEN, TEAM = "xoxb-bench", "T0BENCH"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday, inside everyone's working hours
PROJECTS, PEOPLE = 200, 100
ZONES = ("UTC", "Europe/London", "Europe/Paris", "Europe/Berlin")
STEP_COLUMNS = ("team_id", "project_id", "number", "title", "stage", "assignee_id", "due_date", "created_by", "created_at")


def step_rows(total: int, due: int) -> Any:
    """`total` open steps, `due` of them owed a reminder on NOW's date; deterministic."""
    rng = random.Random(4)
    today = NOW.date()
    numbers = [0] * (PROJECTS + 1)
    for n in range(total):
        project_id = n % PROJECTS + 1
        numbers[project_id] += 1
        if n < due:
            due_date: date | None = today + timedelta(days=rng.choice((-2, -1, 1)))  # overdue or due tomorrow
        else:
            due_date = today + timedelta(days=rng.randint(14, 400)) if rng.random() < 0.7 else None
        yield (TEAM, project_id, numbers[project_id], f"Step {n} of the plan", "execution",
               f"U{n % PEOPLE:05d}", due_date, "U00000", NOW - timedelta(days=30))  # fmt: skip


def fill(db: Database, total: int, due: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            insert(Project),
            [
                dict(
                    team_id=TEAM,
                    name=f"Project {i}",
                    name_key=f"project {i}",
                    channel_id=f"C{i:06d}",
                    owner_id=f"U{i % PEOPLE:05d}",
                    stage="execution",
                    start_date=NOW.date() - timedelta(days=60),
                    tz=ZONES[i % len(ZONES)],
                    hours_used=0.0,
                    created_at=NOW,
                    updated_at=NOW,
                )  # fmt: skip
                for i in range(1, PROJECTS + 1)
            ],
        )
        connection.execute(
            insert(UserProfile),
            [dict(team_id=TEAM, user_id=f"U{i:05d}", tz=ZONES[i % len(ZONES)], fetched_at=NOW) for i in range(PEOPLE)],
        )
    rows = step_rows(total, due)
    if db.is_sqlite:
        with db.engine.begin() as connection:
            while batch := [dict(zip(STEP_COLUMNS, row, strict=True)) for _, row in zip(range(50_000), rows, strict=False)]:
                connection.execute(insert(Step), batch)
            connection.execute(text("ANALYZE"))
        return
    raw = db.engine.raw_connection()
    # The psycopg 3 connection itself (SQLAlchemy types it as any driver's): its cursors have COPY.
    pg = cast("psycopg.Connection[Any]", raw.driver_connection)
    try:
        with pg.cursor() as cursor, cursor.copy(f"COPY step ({', '.join(STEP_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        pg.commit()
        with pg.cursor() as cursor:
            cursor.execute("ANALYZE")
        pg.commit()
    finally:
        raw.close()


def fresh_database(url: str) -> Database:
    db = Database(url)
    if not db.is_sqlite:
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.migrate()
    return db


def measure(services: Services, client: WebClient) -> tuple[float, int, int]:
    """Seconds, SQL statements and messages sent of one pass."""
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(services.db.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        report = remind(services, client, NOW, outbox=Outbox(client), team_id=TEAM)
        seconds = time.perf_counter() - started
    finally:
        event.remove(services.db.engine, "before_cursor_execute", count)
    return seconds, statements, report.sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SHEPHERD_TEST_POSTGRES_URL"),
        help="a scratch PostgreSQL database, wiped (default: $SHEPHERD_TEST_POSTGRES_URL; none: SQLite only)",
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    header = ("backend", "open steps", "due", "fill s", "pass s", "queries", "messages", "2nd pass s", "2nd queries")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    with tempfile.TemporaryDirectory() as tmp, SlackStub(tokens={TOKEN: TEAM}) as slack:
        client = WebClient(token=TOKEN, base_url=slack.api_url)
        backends = [("sqlite", lambda size: f"sqlite:///{tmp}/bench-{size}.db")]
        if args.postgres_url and not args.no_postgres:
            backends.append(("postgresql", lambda size: args.postgres_url))
        for backend, url_for in backends:
            for size in sizes:
                db = fresh_database(url_for(size))
                started = time.perf_counter()
                fill(db, size, args.due)
                fill_seconds = time.perf_counter() - started
                env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-bench", "SLACK_API_URL": slack.api_url}
                settings = Settings.from_mapping(env)
                services = Services(settings, db)
                slack.reset()
                first = measure(services, client)
                second = measure(services, client)
                print(
                    f"{backend} | {size:,} | {args.due:,} | {fill_seconds:.1f} | {first[0]:.2f} | {first[1]} | {first[2]} "
                    f"| {second[0]:.3f} | {second[1]}",
                    flush=True,
                )
                db.dispose()


if __name__ == "__main__":
    main()
