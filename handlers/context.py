"""What every Slack listener reads from a request: whose workspace, and which row a button names."""

from __future__ import annotations

import logging

from slack_bolt import BoltContext

log = logging.getLogger(__name__)


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
