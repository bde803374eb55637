"""People's time zones, from Slack's `users.info`, cached in the database for a day."""

from __future__ import annotations

import logging
from collections.abc import Iterable
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


GONE = frozenset({"user_not_found", "account_inactive", "users_not_found"})
_CHUNK = 500


def user_tzs(
    db: Database, client: WebClient, *, team_id: str, user_ids: Iterable[str], default_tz: str, now: datetime
) -> dict[str, str]:
    """Many people's time zones at once (the reminder pass): one query for the cached ones,
    `users.info` only for the unknown or stale. Someone Slack can't tell us about right now and
    whom we never saw is left out, so a reminder waits rather than going out at a guessed hour;
    someone Slack says is gone gets `default_tz`."""
    wanted = sorted(set(user_ids))
    known: dict[str, UserProfile] = {}
    with db.reader() as session:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(UserProfile).where(UserProfile.team_id == team_id, UserProfile.user_id.in_(chunk))  # type: ignore[attr-defined]
            known.update((p.user_id, p) for p in session.exec(query))
    zones: dict[str, str] = {}
    fetched: dict[str, str | None] = {}
    for user_id in wanted:
        profile = known.get(user_id)
        if profile is not None and now - profile.fetched_at < FRESH_FOR:
            zones[user_id] = profile.tz or default_tz
            continue
        try:
            fetched[user_id] = _lookup_tz(client, user_id)
        except _SlackUnavailable:
            if profile is not None:
                zones[user_id] = profile.tz or default_tz
            continue
        zones[user_id] = fetched[user_id] or default_tz
    if fetched:
        _remember(db, team_id=team_id, zones=fetched, now=now)
    return zones


def _lookup_tz(client: WebClient, user_id: str) -> str | None:
    try:
        return _fetch_tz(client, user_id)
    except _SlackUnavailable as error:
        cause = error.__cause__
        if isinstance(cause, SlackApiError) and cause.response.get("error") in GONE:
            return None  # a settled answer: cache it, don't ask every pass
        raise


def _remember(db: Database, *, team_id: str, zones: dict[str, str | None], now: datetime) -> None:
    with db.transaction() as session:
        rows = session.exec(
            select(UserProfile).where(UserProfile.team_id == team_id, UserProfile.user_id.in_(list(zones)))  # type: ignore[attr-defined]
        )
        existing = {row.user_id: row for row in rows}
        for user_id, tz in zones.items():
            row = existing.get(user_id) or UserProfile(team_id=team_id, user_id=user_id)
            row.tz, row.fetched_at = tz, now
            try:
                with session.begin_nested():  # another process may cache the same person at once
                    session.add(row)
            except IntegrityError:
                continue
