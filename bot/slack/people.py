"""What Slack's `users.info` says about people — time zone, own organization, guest, bot — cached
in the database for a day. One fetch serves both reminders (time zones) and the client boundary.

    tz = user_tz(db, client, team_id="T1", user_id="U1", default_tz="UTC", now=utcnow())
    facts = person_facts(db, client, team_id="T1", user_id="U1", now=utcnow())  # None: Slack can't say
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.core.audience import Facts, facts_of
from bot.slack.ratelimit import limited
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


class LookupLimited(SlackUnavailable):
    """Slack answered 429: ask nothing more of that method in this pass."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:g}s")
        self.retry_after = retry_after


def fetch_profile(client: WebClient, user_id: str) -> Profile:
    """Ask Slack; `SlackUnavailable` when it can't answer now (`LookupLimited` on a 429), and
    `GONE_PROFILE` if it says the person is gone."""
    try:
        return profile_of(client.users_info(user=user_id)["user"])
    except SlackApiError as error:
        if error.response.get("error") in GONE:
            return GONE_PROFILE
        if (wait := limited(error)) is not None:
            raise LookupLimited(wait.retry_after) from error
        log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
        raise SlackUnavailable from error
    except (SlackClientError, OSError, KeyError, TypeError, AttributeError) as error:
        log.warning("users.info failed for %s: %s", user_id, error)
        raise SlackUnavailable from error


def profile_of(user: dict[str, Any]) -> Profile:
    """What Shepherd keeps of a Slack user object (from users.info or users.list)."""
    tz = user.get("tz")
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        tz = None
    team = user.get("team_id") or (user.get("profile") or {}).get("team")
    guest = bool(user.get("is_restricted") or user.get("is_ultra_restricted"))
    bot = bool(user.get("is_bot") or user.get("is_app_user") or user.get("id") == "USLACKBOT")
    return Profile(tz, team, guest, bot)


LIST_PAGE = 200  # users.list's page size; pages are rate-limited like users.info, so one page answers 200
WARM_WITH_LIST_OVER = 20  # more people unknown than this: page through users.list instead of users.info each
LIST_WAIT_BUDGET = 120.0  # seconds of Retry-After one pass waits out while paging, before leaving the rest
GIVE_UP_AFTER = 3  # users.info failures in a row (Slack unreachable) before a pass stops asking

_resume_lock = threading.Lock()
_resume: dict[tuple[str, str], str] = {}  # (API, team) → the users.list cursor where a listing stopped


def listed_profiles(
    client: WebClient, wanted: set[str], *, stop: threading.Event | None = None, team_id: str = "",
    wait_budget: float = LIST_WAIT_BUDGET,
) -> tuple[dict[str, Profile], bool]:  # fmt: skip
    """The wanted people's profiles from users.list, page by page (only theirs are kept, so memory
    follows what the pass needs), and whether the listing got to its end. A 429 is waited out
    (Retry-After, up to `wait_budget` in all, and not past `stop`); when Slack fails or the budget
    is spent, the listing stops and the next pass resumes from the same page."""
    found: dict[str, Profile] = {}
    place = (client.base_url, team_id)
    with _resume_lock:
        cursor: str | None = _resume.pop(place, None)
    waited = 0.0
    while len(found) < len(wanted) and not (stop and stop.is_set()):
        try:
            page = client.users_list(limit=LIST_PAGE, cursor=cursor) if cursor else client.users_list(limit=LIST_PAGE)
        except SlackApiError as error:
            wait = limited(error)
            if wait is not None and waited + wait.retry_after <= wait_budget:
                log.info("users.list: Slack asked us to wait %gs", wait.retry_after)
                waited += wait.retry_after
                if _sleep(wait.retry_after, stop):
                    continue
            log.warning("users.list stopped (%s); a later pass goes on from here", error.response.get("error"))
            _keep_cursor(place, cursor)
            return found, False
        except (SlackClientError, OSError) as error:
            log.warning("users.list failed (%s); a later pass goes on from here", error)
            _keep_cursor(place, cursor)
            return found, False
        for member in page.get("members") or []:
            if member.get("id") in wanted:
                found[member["id"]] = profile_of(member)
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return found, True
    if len(found) < len(wanted):  # stopped: keep the place
        _keep_cursor(place, cursor)
    return found, len(found) == len(wanted)


def _keep_cursor(place: tuple[str, str], cursor: str | None) -> None:
    if cursor:
        with _resume_lock:
            _resume[place] = cursor


def _sleep(seconds: float, stop: threading.Event | None) -> bool:
    """Wait; False when `stop` was set meanwhile (shutting down)."""
    if stop is None:
        time.sleep(seconds)
        return True
    return not stop.wait(seconds)


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
    db: Database, client: WebClient, *, team_id: str, user_ids: Iterable[str], now: datetime,
    stop: threading.Event | None = None,
) -> dict[str, UserProfile | Profile]:  # fmt: skip
    """Each person's fresh cached row or a new answer from Slack; the stale row when Slack can't
    answer; nobody we never saw and Slack can't tell us about. Slack is called outside transactions,
    and no longer once `stop` is set (the process is shutting down)."""
    wanted = sorted(set(user_ids))
    known = _cached(db, team_id=team_id, user_ids=wanted)
    found: dict[str, UserProfile | Profile] = {u: p for u, p in known.items() if _fresh(p, now)}
    stale = [u for u in wanted if u not in found]
    fetched: dict[str, Profile] = {}
    listed_all = True
    if len(stale) > WARM_WITH_LIST_OVER:
        listed, listed_all = listed_profiles(client, set(stale), stop=stop, team_id=team_id)
        fetched.update(listed)
    # users.info for the few, and for those users.list doesn't hold (people of other organizations
    # in Slack Connect); not for the rest of an unfinished listing, which a later pass resumes.
    failures = 0
    for user_id in stale if listed_all else ():
        if user_id in fetched:
            continue
        if stop is not None and stop.is_set():
            break
        try:
            fetched[user_id] = fetch_profile(client, user_id)
            failures = 0
        except LookupLimited as limit:
            log.info("users.info rate limited (retry after %gs): the rest wait for a later pass", limit.retry_after)
            break
        except SlackUnavailable:
            failures += 1
            if failures >= GIVE_UP_AFTER:
                log.warning("Slack is not answering users.info: the rest wait for a later pass")
                break
    found.update(fetched)
    for user_id in stale:  # Slack couldn't say: what we knew before still serves
        if user_id not in found and user_id in known:
            found[user_id] = known[user_id]
    if fetched:
        remember(db, team_id=team_id, profiles=fetched, now=now)
    return found


def user_tz(db: Database, client: WebClient, *, team_id: str, user_id: str, default_tz: str, now: datetime) -> str:
    """The person's IANA time zone; the cached one (or `default_tz`) when Slack can't say."""
    return user_tzs(db, client, team_id=team_id, user_ids=[user_id], default_tz=default_tz, now=now).get(user_id, default_tz)


def user_tzs(
    db: Database, client: WebClient, *, team_id: str, user_ids: Iterable[str], default_tz: str, now: datetime,
    stop: threading.Event | None = None,
) -> dict[str, str]:  # fmt: skip
    """Many people's time zones at once (the reminder pass). Someone Slack can't tell us about
    right now and whom we never saw is left out, so a reminder waits rather than going out at a
    guessed hour; someone Slack says is gone gets `default_tz`."""
    found = _profiles(db, client, team_id=team_id, user_ids=user_ids, now=now, stop=stop)
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


class FactsMemo:
    """What the cache said of people in the last minute, so that an ack need not ask the database
    each time. Whatever this process writes to the cache forgets it all; another process's writes
    reach it within MEMO_FOR (of request time)."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], tuple[Facts, int, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, db: Database, *, team_id: str, user_id: str, now: datetime) -> Facts | None:
        key = (team_id, user_id)
        with self._lock:
            hit = self._found.get(key)
        if hit is not None and hit[1] == _written[0] and timedelta(0) <= now - hit[2] < MEMO_FOR:
            return hit[0]
        generation = _written[0]
        facts = cached_person_facts(db, team_id=team_id, user_id=user_id, now=now)
        if facts is not None:
            with self._lock:
                if len(self._found) >= MEMO_SIZE:
                    self._found.clear()
                self._found[key] = (facts, generation, now)
        return facts


MEMO_FOR = timedelta(minutes=1)
MEMO_SIZE = 50_000
_written = [0]  # how many times this process wrote the cache: a FactsMemo entry older is not used


def remember(db: Database, *, team_id: str, profiles: dict[str, Profile], now: datetime) -> None:
    try:
        _remember(db, team_id=team_id, profiles=profiles, now=now)
    finally:  # after the commit: a memo entry read before it, or during it, is not used again
        _written[0] += 1


def _remember(db: Database, *, team_id: str, profiles: dict[str, Profile], now: datetime) -> None:
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
