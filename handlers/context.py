"""What every Slack listener needs to know about a request: whose workspace, who, where, when."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import BoltContext, Respond

log = logging.getLogger(__name__)

OOPS = "Something went wrong on my side and nothing was changed. Please try again in a moment."


@dataclass(frozen=True)
class Invocation:
    """Who ran the command, where, and when. `team_id` is the installation's workspace."""

    team_id: str
    user_id: str
    channel_id: str
    now: datetime


def installation_team(context: BoltContext) -> str:
    """The workspace that installed Shepherd (from auth.test), never the clicking user's team:
    in a Slack Connect channel people from other organisations use the same commands."""
    result = context.authorize_result
    if result is None or not result.team_id:
        raise RuntimeError("the request was not authorized to a workspace")
    return result.team_id


MAX_ROW_ID = 2**31 - 1  # what an integer column holds on both databases


def button_id(body: dict) -> int | None:
    """The row id a button carries, or None for anything else (tampered, stale, garbage)."""
    actions = body.get("actions") or [{}]
    value = str(actions[0].get("value") or "")
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ROW_ID:
        return None
    return int(value)


def send(respond: Respond, message: dict) -> None:
    """Answer by the request's response_url, never replacing the message that was clicked."""
    try:
        respond(**{**message, "replace_original": False})
    except Exception:  # the change is saved; only the confirmation is lost
        log.exception("could not reply via response_url")
