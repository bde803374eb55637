"""What a person does on the page, sent to Shepherd as Slack sends it: a slash command, a click
(`block_actions`), a form (`view_submission`), a message shortcut, the Home tab opened — each body
signed with the playground's own signing secret and handed to the production WSGI entry point
(the gate, then Bolt), in this process.

    door = Door(application, secret, app_team="T0AGENCY")
    status, body = door.command(person, channel_id="C1", text="help", response_url=…, trigger_id=…)
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.playground.workspace import Person

JSON = dict[str, Any]
APP_ID = "A0SHEPHERD"
WSGI = Callable[..., Iterable[bytes]]


class Door:
    def __init__(self, application: WSGI, secret: str, *, app_team: str) -> None:
        self.application = application
        self.verifier = SignatureVerifier(secret)
        self.app_team = app_team

    def post(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> tuple[int, str]:
        """POST /slack/events, signed now; Shepherd's HTTP status and body."""
        raw = body.encode()
        timestamp = str(int(time.time()))
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "3000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(raw)),
            "HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp,
            "HTTP_X_SLACK_SIGNATURE": self.verifier.generate_signature(timestamp=timestamp, body=body),
            "wsgi.input": io.BytesIO(raw), "wsgi.errors": io.StringIO(), "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
        }  # fmt: skip
        answer: dict[str, str] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            answer["status"] = status
            return lambda _data: None

        chunks = self.application(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return int(answer.get("status", "500").split()[0]), data.decode("utf-8", "replace")

    def _form(self, payload: JSON) -> tuple[int, str]:
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def _envelope(self, kind: str, person: Person, trigger_id: str | None) -> JSON:
        return {
            "type": kind,
            "team": {"id": self.app_team, "domain": "playground"},
            "user": {"id": person.id, "username": person.handle, "name": person.handle, "team_id": person.team_id},
            "api_app_id": APP_ID,
            "token": "playground",
            "trigger_id": trigger_id or "",
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def command(
        self, person: Person, *, channel_id: str, channel_name: str, text: str, response_url: str, trigger_id: str
    ) -> tuple[int, str]:
        body = {
            "token": "playground", "team_id": self.app_team, "team_domain": "playground",
            "channel_id": channel_id, "channel_name": channel_name, "user_id": person.id, "user_name": person.handle,
            "command": "/project", "text": text, "api_app_id": APP_ID, "is_enterprise_install": "false",
            "response_url": response_url, "trigger_id": trigger_id,
        }  # fmt: skip
        if person.team_id != self.app_team:  # someone of another organization, over Slack Connect
            body["user_team_id"] = person.team_id
        return self.post(urlencode(body))

    def message_action(
        self, person: Person, *, channel_id: str, message: JSON, response_url: str, trigger_id: str, callback_id: str
    ) -> tuple[int, str]:
        payload = self._envelope("message_action", person, trigger_id)
        payload.update(
            callback_id=callback_id, action_ts=f"{time.time():.6f}", channel={"id": channel_id, "name": channel_id.lower()},
            response_url=response_url, message_ts=message["ts"], message=message,
        )  # fmt: skip
        return self._form(payload)

    def message_click(
        self, person: Person, *, action: JSON, channel_id: str, message: JSON, ephemeral: bool, response_url: str, trigger_id: str
    ) -> tuple[int, str]:
        payload = self._envelope("block_actions", person, trigger_id)
        payload.update(
            container={"type": "message", "message_ts": message["ts"], "channel_id": channel_id, "is_ephemeral": ephemeral},
            channel={"id": channel_id, "name": channel_id.lower()}, message=message, response_url=response_url,
            actions=[action], state={"values": {}},
        )  # fmt: skip
        return self._form(payload)

    def view_click(self, person: Person, *, action: JSON, view: JSON, trigger_id: str) -> tuple[int, str]:
        """A click on the Home tab or inside a form: a `view` container, no channel, no response_url."""
        payload = self._envelope("block_actions", person, trigger_id)
        payload.update(container={"type": "view", "view_id": view["id"]}, view=self._view(view), actions=[action])
        return self._form(payload)

    def submit(self, person: Person, *, view: JSON, values: JSON, trigger_id: str) -> tuple[int, str]:
        payload = self._envelope("view_submission", person, trigger_id)
        payload.update(view=self._view({**view, "state": {"values": values}}), response_urls=[])
        return self._form(payload)

    def _view(self, view: JSON) -> JSON:
        return {
            "team_id": self.app_team, "private_metadata": "", "callback_id": "", "state": {"values": {}},
            "hash": "1.playground", "app_id": APP_ID, "bot_id": "B0SHEPHERD", "root_view_id": view.get("id"),
            "previous_view_id": None, "external_id": "", "app_installed_team_id": self.app_team, **view,
        }  # fmt: skip

    def home_opened(self, person: Person) -> tuple[int, str]:
        payload = {
            "token": "playground", "team_id": self.app_team, "api_app_id": APP_ID, "type": "event_callback",
            "event": {"type": "app_home_opened", "user": person.id, "channel": "D" + person.id[1:], "tab": "home",
                      "event_ts": f"{time.time():.6f}"},
            "event_id": f"Ev{time.time_ns()}", "event_time": int(time.time()),
            "authorizations": [{"team_id": self.app_team, "user_id": "U0SHEPHERD", "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
        }  # fmt: skip
        return self.post(json.dumps(payload), content_type="application/json")
