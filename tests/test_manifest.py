"""The Slack app manifest creates a working Socket Mode app with only the scopes Shepherd uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.messages import ids

MANIFEST = yaml.safe_load((Path(__file__).resolve().parent.parent / "manifest.yml").read_text())


def test_the_slash_command_escapes_mentions_and_explains_itself():
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == ids.COMMAND
    assert command["should_escape"] is True
    assert command["description"] and command["usage_hint"]


def test_socket_mode_interactivity_and_the_messages_tab_are_on():
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert MANIFEST["features"]["bot_user"]["display_name"] == "Shepherd"


def test_only_the_bot_scopes_shepherd_uses():
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == [
        "channels:read",  # conversations.info: is the project channel shared with another organization?
        "chat:write",
        "chat:write.public",
        "commands",
        "files:write",  # /project report uploads its two files
        "groups:read",  # the same, for private channels
        "im:write",  # conversations.open: the DM the report is shared in
        "users:read",
    ]


def test_the_home_tab_is_on_and_published_when_opened_in_socket_mode_and_http_alike():
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]


def test_the_add_as_a_step_message_shortcut_reaches_its_listener():
    [shortcut] = MANIFEST["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == ids.ADD_STEP_SHORTCUT
    assert shortcut["name"] == "Add as a step" and shortcut["description"]
