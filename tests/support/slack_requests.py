"""Builders of signed, Slack-shaped request bodies (commands, actions, views) and a tiny sender."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from email.message import Message
from typing import Any, NamedTuple
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

APP_ID = "A_SHEPHERD"
VERIFICATION_TOKEN = "verification-token"  # legacy field; Bolt ignores it
DEFAULT_TRIGGER_ID = "13345224609.738474920.8088930838d88f008e0"


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's signing headers for `body`, computed by slack_sdk as Slack computes them.

    >>> sorted(sign("secret", "a=1", timestamp=1700000000))
    ['X-Slack-Request-Timestamp', 'X-Slack-Signature']
    """
    ts = str(int(time.time()) if timestamp is None else int(timestamp))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # None only without a timestamp
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def _domain(team_id: str) -> str:
    return team_id.lower().replace("_", "-")


def _user(user_id: str, team_id: str) -> dict[str, str]:
    name = user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _payload_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def command_body(
    text: str,
    *,
    response_url: str,
    team_id: str = "T_HOME",
    user_id: str = "U_ALICE",
    channel_id: str = "C_PROJ",
    trigger_id: str = DEFAULT_TRIGGER_ID,
    command: str = "/project",
    user_name: str = "alice",
    channel_name: str = "proj",
) -> str:
    """Urlencoded slash-command body with every field Slack sends."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": _domain(team_id),
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def block_actions_body(
    *,
    action_id: str,
    value: str,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
    block_id: str = "b",
    team_id: str = "T_HOME",
    user_team_id: str | None = None,
    message: dict[str, Any] | None = None,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    container_type: str = "message",
    selected_user: str | None = None,
) -> str:
    """Urlencoded `payload=<json>` for a button click in a message (type "block_actions"); with
    `selected_user`, a person picked in a users_select instead."""
    if message is None:
        message = {
            "type": "message",
            "user": "UBOT",
            "bot_id": "BBOT",
            "ts": message_ts,
            "text": "message",
            "blocks": [],
        }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": _domain(team_id)},
        "user": _user(user_id, user_team_id or team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": container_type,
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id,
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message": message,
        "response_url": response_url,
        "actions": [_button_action(action_id, block_id, value)],
        "state": {"values": {}},
        "is_enterprise_install": False,
        "enterprise": None,
    }
    if selected_user is not None:
        payload["actions"] = [
            {"action_id": action_id, "block_id": block_id, "type": "users_select", "selected_user": selected_user,
             "action_ts": f"{time.time():.6f}"}
        ]  # fmt: skip
    return _payload_body(payload)


def _button_action(action_id: str, block_id: str, value: str) -> dict[str, Any]:
    """One clicked button, as `actions[0]` of a block_actions payload."""
    return {
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "type": "button",
        "action_ts": f"{time.time():.6f}",
        "text": {"type": "plain_text", "text": "x"},
    }


def home_actions_body(
    *,
    action_id: str,
    value: str,
    user_id: str,
    block_id: str = "b",
    team_id: str = "T_HOME",
    user_team_id: str | None = None,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    view_id: str = "VHOME",
) -> str:
    """Urlencoded `payload=<json>` for a button click on the app's Home tab: a `view` container, the
    published view, and no channel, message or response_url (Slack gives none for the Home tab)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": _domain(team_id)},
        "user": _user(user_id, user_team_id or team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view_id},
        "trigger_id": trigger_id,
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "home",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
            "hash": "1700000000.home0001",
            "app_id": APP_ID,
            "bot_id": "BBOT",
            "root_view_id": view_id,
            "previous_view_id": None,
            "external_id": "",
            "app_installed_team_id": team_id,
        },
        "actions": [_button_action(action_id, block_id, value)],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_body(payload)


def view_submission_body(
    *,
    callback_id: str,
    values: dict[str, Any],
    user_id: str,
    private_metadata: str = "",
    team_id: str = "T_HOME",
    view_id: str = "V123",
    trigger_id: str = DEFAULT_TRIGGER_ID,
    user_team_id: str | None = None,
) -> str:
    """Urlencoded `payload=<json>` for a modal submit; `values` is view.state.values as-is.

    Shape of `values`: {block_id: {action_id: {"type": "plain_text_input", "value": "..."}}}.
    """
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": _domain(team_id)},
        "user": _user(user_id, user_team_id or team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "1700000000.abcdef12",
            "title": {"type": "plain_text", "text": "Shepherd"},
            "blocks": [],
            "app_id": APP_ID,
            "bot_id": "BBOT",
            "root_view_id": view_id,
            "previous_view_id": None,
            "external_id": "",
            "app_installed_team_id": team_id,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_body(payload)


def app_home_opened_body(*, user_id: str, team_id: str = "T_HOME", tab: str = "home", event_id: str = "Ev0HOME") -> str:
    """JSON body of the Events API callback Slack sends when someone opens the app's Home tab."""
    payload: dict[str, Any] = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": {
            "type": "app_home_opened",
            "user": user_id,
            "channel": "D" + user_id[1:],
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        },
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }
    return json.dumps(payload)


def message_action_body(
    *,
    callback_id: str,
    user_id: str,
    channel_id: str,
    message: dict[str, Any],
    response_url: str,
    team_id: str = "T_HOME",
    user_team_id: str | None = None,
    trigger_id: str = DEFAULT_TRIGGER_ID,
) -> str:
    """Urlencoded `payload=<json>` for a message shortcut (type "message_action") on `message`."""
    payload: dict[str, Any] = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": _domain(team_id)},
        "user": _user(user_id, user_team_id or team_id),
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": message,
    }
    return _payload_body(payload)


class Reply(NamedTuple):
    """An HTTP answer from the app; unpacks as (status, body, headers)."""

    status: int
    body: str
    headers: Message

    def json(self) -> Any:
        """The body parsed as JSON, or None when empty or not JSON."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class SlackSender:
    """Posts signed requests to a Bolt app's /slack/events endpoint."""

    def __init__(self, base_url: str, secret: str, timeout: float = 10.0) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.secret = secret
        self.timeout = timeout

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Reply:
        """POST `body` signed with the secret (or with a forged `signature`); never raises on 4xx/5xx."""
        headers = sign(self.secret, body, timestamp)
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        headers["Content-Type"] = content_type
        request = urllib.request.Request(self.url, data=body.encode("utf-8"), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return Reply(resp.status, resp.read().decode("utf-8"), resp.headers)
        except urllib.error.HTTPError as err:
            with err:
                return Reply(err.code, err.read().decode("utf-8"), err.headers)

    def command(self, text: str, **kw: Any) -> Reply:
        """Post a slash command (see `command_body` for keywords)."""
        return self.post(command_body(text, **kw))

    def action(self, **kw: Any) -> Reply:
        """Post a block_actions button click (see `block_actions_body`)."""
        return self.post(block_actions_body(**kw))

    def view_submission(self, **kw: Any) -> Reply:
        """Post a modal submission (see `view_submission_body`)."""
        return self.post(view_submission_body(**kw))

    def app_home_opened(self, **kw: Any) -> Reply:
        """Post the Events API callback for an opened Home tab (see `app_home_opened_body`)."""
        return self.post(app_home_opened_body(**kw), content_type="application/json")

    def home_action(self, **kw: Any) -> Reply:
        """Post a button click on the Home tab (see `home_actions_body`)."""
        return self.post(home_actions_body(**kw))

    def message_action(self, **kw: Any) -> Reply:
        """Post a message shortcut (see `message_action_body`)."""
        return self.post(message_action_body(**kw))
