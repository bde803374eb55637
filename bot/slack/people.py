"""What Slack's `users.info` says about people — time zone, own organization, guest, bot — cached
in the database for a day. One fetch serves both reminders (time zones) and the client boundary.

    tz = user_tz(db, client, team_id="T1", user_id="U1", default_tz="UTC", now=utcnow())
    facts = person_facts(db, client, team_id="T1", user_id="U1", now=utcnow())  # None: Slack can't say
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.core.audience import Facts, facts_of
from storage.db import Database
from storage.models import UserProfile

log = logging.getLogger(__name__)
FRESH_FOR = timedelta(days=1)
GONE = frozenset({"user_not_found", "account_inactive", "users_not_found"})
_CHUNK = 500


@dataclass(frozen=True)
class Profile:
    """One users.info answer, reduced to what Shepherd keeps."""

    tz: str | None
    slack_team_id: str | None
    guest: bool | None
    bot: bool | None


GONE_PROFILE = Profile(None, None, True, None)  # settled (and a client, failing closed): cached, not asked every pass


class SlackUnavailable(Exception):
    pass


def fetch_profile(client: WebClient, user_id: str) -> Profile:
    """Ask Slack; `SlackUnavailable` when it can't answer now (and `GONE_PROFILE` if it says gone)."""
    try:
        user = client.users_info(user=user_id)["user"]
        tz = user.get("tz")
        team = user.get("team_id") or (user.get("profile") or {}).get("team")
        guest = bool(user.get("is_restricted") or user.get("is_ultra_restricted"))
        bot = bool(user.get("is_bot") or user.get("is_app_user") or user_id == "USLACKBOT")
    except SlackApiError as error:
        if error.response.get("error") in GONE:
            return GONE_PROFILE
        log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
        raise SlackUnavailable from error
    except (SlackClientError, OSError, KeyError, TypeError, AttributeError) as error:
        log.warning("users.info failed for %s: %s", user_id, error)
        raise SlackUnavailable from error
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        tz = None
    return Profile(tz, team, guest, bot)


def _fresh(profile: UserProfile | None, now: datetime) -> bool:
    """Cached within a day, and cached since Shepherd also keeps the organization (migration 0002)."""
    return profile is not None and now - profile.fetched_at < FRESH_FOR and profile.guest is not None


def _cached(db: Database, *, team_id: str, user_ids: list[str]) -> dict[str, UserProfile]:
    known: dict[str, UserProfile] = {}
    with db.reader() as session:
        for start in range(0, len(user_ids), _CHUNK):
            chunk = user_ids[start : start + _CHUNK]
            query = select(UserProfile).where(UserProfile.team_id == team_id, col(UserProfile.user_id).in_(chunk))
            known.update((p.user_id, p) for p in session.exec(query))
    return known


def _profiles(
    db: Database, client: WebClient, *, team_id: str, user_ids: Iterable[str], now: datetime
) -> dict[str, UserProfile | Profile]:
    """Each person's fresh cached row or a new answer from Slack; the stale row when Slack can't
    answer; nobody we never saw and Slack can't tell us about. Slack is called outside transactions."""
    wanted = sorted(set(user_ids))
    known = _cached(db, team_id=team_id, user_ids=wanted)
    found: dict[str, UserProfile | Profile] = {}
    fetched: dict[str, Profile] = {}
    for user_id in wanted:
        profile = known.get(user_id)
        if profile is not None and _fresh(profile, now):
            found[user_id] = profile
            continue
        try:
            fetched[user_id] = found[user_id] = fetch_profile(client, user_id)
        except SlackUnavailable:
            if profile is not None:
                found[user_id] = profile
    if fetched:
        remember(db, team_id=team_id, profiles=fetched, now=now)
    return found


def user_tz(db: Database, client: WebClient, *, team_id: str, user_id: str, default_tz: str, now: datetime) -> str:
    """The person's IANA time zone; the cached one (or `default_tz`) when Slack can't say."""
    return user_tzs(db, client, team_id=team_id, user_ids=[user_id], default_tz=default_tz, now=now).get(user_id, default_tz)


def user_tzs(
    db: Database, client: WebClient, *, team_id: str, user_ids: Iterable[str], default_tz: str, now: datetime
) -> dict[str, str]:
    """Many people's time zones at once (the reminder pass). Someone Slack can't tell us about
    right now and whom we never saw is left out, so a reminder waits rather than going out at a
    guessed hour; someone Slack says is gone gets `default_tz`."""
    found = _profiles(db, client, team_id=team_id, user_ids=user_ids, now=now)
    return {user_id: profile.tz or default_tz for user_id, profile in found.items()}


def person_facts(db: Database, client: WebClient, *, team_id: str, user_id: str, now: datetime) -> Facts | None:
    """Organization and guest status, asking Slack when the cache can't say; None when Slack
    can't answer either (the caller fails closed: the person is treated as a client)."""
    found = _profiles(db, client, team_id=team_id, user_ids=[user_id], now=now).get(user_id)
    if found is None:
        return None
    if isinstance(found, Profile):
        return Facts(found.slack_team_id, found.guest, bool(found.bot))
    return facts_of(found)


def cached_person_facts(db: Database, *, team_id: str, user_id: str, now: datetime) -> Facts | None:
    """What the cache knows without asking Slack, if still fresh (the fast path inside an ack)."""
    profile = _cached(db, team_id=team_id, user_ids=[user_id]).get(user_id)
    return facts_of(profile) if _fresh(profile, now) else None


def remember(db: Database, *, team_id: str, profiles: dict[str, Profile], now: datetime) -> None:
    with db.transaction() as session:
        rows = session.exec(
            select(UserProfile).where(UserProfile.team_id == team_id, col(UserProfile.user_id).in_(list(profiles)))
        )
        existing = {row.user_id: row for row in rows}
        for user_id, answer in profiles.items():
            row = existing.get(user_id) or UserProfile(team_id=team_id, user_id=user_id)
            row.tz, row.slack_team_id, row.guest, row.bot = answer.tz, answer.slack_team_id, answer.guest, answer.bot
            row.fetched_at = now
            try:
                with session.begin_nested():  # another process may cache the same person at once
                    session.add(row)
            except IntegrityError:
                continue
