"""Test harness: the real Bolt app behind the real WSGI server, a stand-in of Slack's Web API on
127.0.0.1, and a real database — a SQLite file, and PostgreSQL when SHEPHERD_TEST_POSTGRES_URL is set.

    def test_status(bot):
        bot.run("new Acme")                      # a signed /project command; waits for the reply
        card = bot.run("status")
        assert "Acme" in text_of(card)
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_requests import Reply, SlackSender
from slack_stub import SlackStub
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.app import create_app
from bot.server import create_server, stop_server, wsgi_app
from bot.services import Services
from bot.settings import Settings
from storage.db import Database

SECRET = "test-signing-secret"
HOME_TOKEN, HOME_TEAM = "xoxb-test", "T_HOME"
OTHER_TOKEN, OTHER_TEAM = "xoxb-other", "T_OTHER"
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
    database = Database(f"sqlite:///{tmp_path}/shepherd.db")
    database.migrate()
    yield database
    database.dispose()


# --- the bot, over HTTP --------------------------------------------------------------------


@dataclass
class Bot:
    """One running Shepherd process: its services and a signed-request sender."""

    services: Services
    sender: SlackSender
    slack: SlackStub
    url: str
    team_id: str
    _keys: itertools.count = field(default_factory=itertools.count)

    @property
    def db(self) -> Database:
        return self.services.db

    def command(self, text: str, *, user: str = "U0ALICE", channel: str = "C0PROJ", key: str | None = None, **kw: Any) -> Reply:
        """Send `/project <text>`; return Slack's view of our HTTP answer (the ack)."""
        key = key or f"cmd-{next(self._keys)}"
        kw.setdefault("response_url", self.slack.response_url(key))
        kw.setdefault("team_id", self.team_id)
        return self.sender.command(text, user_id=user, channel_id=channel, **kw)

    def run(self, text: str, *, user: str = "U0ALICE", channel: str = "C0PROJ", **kw: Any) -> dict:
        """Send `/project <text>` and return what the user sees: the ack's body, or else the
        message that arrives at the response URL afterwards."""
        key = f"run-{next(self._keys)}"
        reply = self.command(text, user=user, channel=channel, key=key, **kw)
        assert reply.status == 200, (reply.status, reply.body)
        if reply.body:
            return json.loads(reply.body)
        return self.slack.wait_for_responses(1, key=key)[0]

    def action(self, **kw: Any) -> Reply:
        kw.setdefault("team_id", self.team_id)
        kw.setdefault("response_url", self.slack.response_url(f"act-{next(self._keys)}"))
        return self.sender.action(**kw)

    def view_submission(self, **kw: Any) -> Reply:
        kw.setdefault("team_id", self.team_id)
        return self.sender.view_submission(**kw)


def start_bot(
    db: Database, slack: SlackStub, *, token: str = HOME_TOKEN, team_id: str = HOME_TEAM, **env: str
) -> tuple[Bot, Any]:
    settings = Settings.from_mapping(
        {
            "SLACK_BOT_TOKEN": token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": str(db.url.render_as_string(hide_password=False)),
            **env,
        }
    )
    services = Services(settings, db)
    app = create_app(services)
    server = create_server(wsgi_app(app, db))
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}"
    return Bot(services, SlackSender(url, SECRET), slack, url, team_id), server


@pytest.fixture
def bot(db: Database, slack: SlackStub) -> Iterator[Bot]:
    running, server = start_bot(db, slack)
    yield running
    stop_server(server)


@pytest.fixture
def other_bot(db: Database, slack: SlackStub) -> Iterator[Bot]:
    """Shepherd installed in a second workspace, sharing the same database."""
    running, server = start_bot(db, slack, token=OTHER_TOKEN, team_id=OTHER_TEAM)
    yield running
    stop_server(server)
