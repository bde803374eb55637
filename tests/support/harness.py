"""A running Shepherd for tests: the real app behind the real WSGI server, talking to the Slack
stand-in, and a sender of signed requests. The pytest fixtures in conftest.py build on it."""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

import handlers
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.server import create_server, wsgi_app
from storage.db import Database
from tests.support.slack_requests import Reply, SlackSender
from tests.support.slack_stub import SlackStub
from tests.support.waiting import settled

SECRET = "test-signing-secret"
HOME_TOKEN, HOME_TEAM = "xoxb-test", "T_HOME"
OTHER_TOKEN, OTHER_TEAM = "xoxb-other", "T_OTHER"


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
        key = f"{self.team_id}-run-{next(self._keys)}"
        reply = self.command(text, user=user, channel=channel, key=key, **kw)
        assert reply.status == 200, (reply.status, reply.body)
        if reply.body:
            return json.loads(reply.body)
        return self.slack.wait_for_responses(1, key=key)[0]

    def settle(self, quiet: float = 0.3) -> None:
        """Wait until this bot's work is done and Slack has heard nothing for `quiet` seconds
        (`tests.support.waiting.settled`): before asserting that something did not happen."""
        settled(self.slack, self.services.work, quiet=quiet)

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
    app = create_app(services, handlers.register)
    server = create_server(wsgi_app(app, db, signing_secret=SECRET))
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}"
    return Bot(services, SlackSender(url, SECRET), slack, url, team_id), server
