"""People's time zones, from Slack's `users.info`, cached in the database for a day."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from storage.db import Database
from storage.models import UserProfile

log = logging.getLogger(__name__)
FRESH_FOR = timedelta(days=1)


def user_tz(db: Database, client: WebClient, *, team_id: str, user_id: str, default_tz: str, now: datetime) -> str:
    """The person's IANA time zone; the cached one (or `default_tz`) when Slack can't say.

    The Slack call happens outside any database transaction.
    """
    with db.reader() as session:
        profile = session.exec(select(UserProfile).where(UserProfile.team_id == team_id, UserProfile.user_id == user_id)).first()
    if profile is not None and now - profile.fetched_at < FRESH_FOR:
        return profile.tz or default_tz
    try:
        tz = _fetch_tz(client, user_id)
    except _SlackUnavailable:  # keep what we knew, and ask again next time
        return (profile.tz if profile else None) or default_tz
    with db.transaction() as session:
        row = session.exec(select(UserProfile).where(UserProfile.team_id == team_id, UserProfile.user_id == user_id)).first()
        row = row or UserProfile(team_id=team_id, user_id=user_id)
        row.tz, row.fetched_at = tz, now
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # another process cached the same person a moment ago
            session.rollback()
    return tz or default_tz


class _SlackUnavailable(Exception):
    pass


def _fetch_tz(client: WebClient, user_id: str) -> str | None:
    """The tz Slack has for the person, None if it has none or an unusable one."""
    try:
        tz = client.users_info(user=user_id)["user"].get("tz")
    except (SlackApiError, SlackClientError, OSError, KeyError, TypeError) as error:
        log.warning("users.info failed for %s: %s", user_id, error)
        raise _SlackUnavailable from error
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None
    return tz
