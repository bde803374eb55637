"""Test harness: the real Bolt app behind the real WSGI server, a stand-in of Slack's Web API on
127.0.0.1, and a real database — a SQLite file, and PostgreSQL when SHEPHERD_TEST_POSTGRES_URL is set.

    def test_status(bot):
        bot.run("new Acme")                      # a signed /project command; waits for the reply
        card = bot.run("status")
        assert "Acme" in text_of(card)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import freezegun
import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.slack.server import stop_server
from storage.db import Database
from tests.support.harness import HOME_TEAM, HOME_TOKEN, OTHER_TEAM, OTHER_TOKEN, Bot, start_bot
from tests.support.slack_stub import SlackStub

# pytest times each phase through _pytest.timing; a clock frozen across a phase would otherwise be
# reported as a duration of decades by --durations; the waits for a settled bot measure real seconds.
freezegun.configure(extend_ignore_list=["_pytest.timing", "tests.support.waiting", "tests.support.slack_stub"])

PG_URL_VARIABLE = "SHEPHERD_TEST_POSTGRES_URL"
PG_URL = os.environ.get(PG_URL_VARIABLE)
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _no_real_slack_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's real tokens must never reach a test (Bolt reads SLACK_* from the environment)."""
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in ("DATABASE_URL", "PORT"):
            monkeypatch.delenv(name)


# --- Slack's Web API, stood in ------------------------------------------------------------


@pytest.fixture(scope="session")
def _slack_stub() -> Iterator[SlackStub]:
    with SlackStub(tokens={HOME_TOKEN: HOME_TEAM, OTHER_TOKEN: OTHER_TEAM}) as stub:
        yield stub


@pytest.fixture
def slack(_slack_stub: SlackStub) -> Iterator[SlackStub]:
    _slack_stub.reset()
    _slack_stub.user_tz.clear()
    _slack_stub.unknown_users.clear()
    yield _slack_stub
    _slack_stub.reset()


# --- databases ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _postgres() -> Iterator[Database]:
    """One migrated PostgreSQL schema per test session; each test starts from empty tables."""
    assert PG_URL
    db = Database(PG_URL)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    db.migrate()
    yield db
    db.dispose()


def _empty_postgres(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Database]:
    """A migrated, empty database: SQLite file, then PostgreSQL."""
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip(f"PostgreSQL tests need {PG_URL_VARIABLE} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
        database = request.getfixturevalue("_postgres")
        _empty_postgres(database)
        yield database
        return
    shutil.copyfile(request.getfixturevalue("_sqlite_template"), tmp_path / "shepherd.db")
    database = Database(f"sqlite:///{tmp_path}/shepherd.db")
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated by Alembic per test session; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "shepherd.db"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    database.dispose()  # closed, so the file alone holds the schema (nothing left in a WAL)
    return path


# --- the bot, over HTTP --------------------------------------------------------------------


@pytest.fixture
def bot(db: Database, slack: SlackStub) -> Iterator[Bot]:
    running, server = start_bot(db, slack)
    yield running
    stop_server(server)
    running.services.work.shutdown(wait=True)  # its heartbeat stops too


@pytest.fixture
def other_bot(db: Database, slack: SlackStub) -> Iterator[Bot]:
    """Shepherd installed in a second workspace, sharing the same database."""
    running, server = start_bot(db, slack, token=OTHER_TOKEN, team_id=OTHER_TEAM)
    yield running
    stop_server(server)
    running.services.work.shutdown(wait=True)
