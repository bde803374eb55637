"""The reminder ledger: one row per reminder ever due, whose unique key makes each go out once
across passes, restarts and processes. The dialect-specific SQL lives here, beside the tables.

    if claim(db, key=..., team_id=..., kind=..., recipient=..., project_id=..., me="host:42", now=now):
        ...  # send it, then finish(db, keys=[...], ...)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from storage.db import Database
from storage.models import Reminder, Step

CLAIMED, SENT, RETRY, FAILED, SUPERSEDED = "claimed", "sent", "retry", "failed", "superseded"
OPEN_STATES = (CLAIMED, RETRY)  # rows that still owe a message
CLAIM_FOR = timedelta(minutes=5)  # far longer than one send; a dead claimer's key is free after it
RETRY_FIRST, RETRY_MAX = timedelta(minutes=1), timedelta(minutes=30)
_CHUNK = 500


@dataclass(frozen=True)
class Entry:
    """A key a pass wants to claim, with what its row records."""

    key: str
    kind: str
    recipient: str
    project_id: int | None


def _insert(db: Database) -> Any:
    return sqlite_insert if db.is_sqlite else pg_insert


def claim(db: Database, entry: Entry, *, team_id: str, me: str, now: datetime) -> bool:
    """Take the key for this process; False when another pass has it or it was already sent.

    The unique key decides between racing processes; a claim or a retry whose time has come can be
    taken over (conditional UPDATE: exactly one taker wins).
    """
    until = now + CLAIM_FOR
    with db.transaction() as session:
        inserted = session.execute(
            _insert(db)(Reminder)
            .values(
                key=entry.key,
                team_id=team_id,
                kind=entry.kind,
                recipient=entry.recipient,
                project_id=entry.project_id,
                status=CLAIMED,
                claimed_by=me,
                claimed_until=until,
                attempts=0,
                next_attempt_at=until,
                created_at=now,
            )  # fmt: skip
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(col(Reminder.id))
        )
        if inserted.first() is not None:  # (rowcount is not reliable for INSERT … ON CONFLICT on every driver)
            return True
        taken = session.execute(
            update(Reminder)
            .where(
                and_(col(Reminder.key) == entry.key, col(Reminder.status).in_(OPEN_STATES), col(Reminder.next_attempt_at) <= now)
            )
            .values(status=CLAIMED, claimed_by=me, claimed_until=until, next_attempt_at=until)
        )
        return bool(getattr(taken, "rowcount", 0) == 1)


LOCKED, FREE = "locked", "free"  # a lock row: never a message, never owed


def lock(db: Database, key: str, *, team_id: str, me: str, now: datetime) -> bool:
    """Hold `key` while this process works on it (a dead holder's lock expires after CLAIM_FOR).

    Used so that one owner's escalations are claimed and sent by one process at a time: two
    processes never each send the same owner a DM about different steps.
    """
    until = now + CLAIM_FOR
    with db.transaction() as session:
        inserted = session.execute(
            _insert(db)(Reminder)
            .values(
                key=key,
                team_id=team_id,
                kind="lock",
                recipient=me[:32],
                status=LOCKED,
                claimed_by=me,
                claimed_until=until,
                attempts=0,
                created_at=now,
            )  # fmt: skip
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(col(Reminder.id))
        )
        if inserted.first() is not None:
            return True
        taken = session.execute(
            update(Reminder)
            .where(col(Reminder.key) == key, or_(col(Reminder.status) == FREE, col(Reminder.claimed_until) < now))
            .values(status=LOCKED, claimed_by=me, claimed_until=until)
        )
        return bool(getattr(taken, "rowcount", 0) == 1)


def unlock(db: Database, key: str, *, me: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(Reminder)
            .where(col(Reminder.key) == key, col(Reminder.claimed_by) == me)
            .values(status=FREE, claimed_until=None)
        )


def finish(
    db: Database, keys: Sequence[str], *, sent_at: datetime, channel_id: str | None, message_ts: str | None,
    reminded: Iterable[tuple[Sequence[int], date]] = (),
) -> None:  # fmt: skip
    """Mark a message's keys sent together and, in the same transaction, stamp the steps it reminded
    (`reminded`: step ids and the recipient's local date)."""
    with db.transaction() as session:
        session.execute(
            update(Reminder)
            .where(col(Reminder.key).in_(list(keys)))
            .values(
                attempts=col(Reminder.attempts) + 1,
                claimed_until=None,
                status=SENT,
                sent_at=sent_at,
                next_attempt_at=None,
                channel_id=channel_id,
                message_ts=message_ts,
                last_error=None,
            )  # fmt: skip
        )
        for step_ids, on in reminded:
            session.execute(
                update(Step)
                .where(col(Step.id).in_(list(step_ids)), or_(col(Step.reminded_on).is_(None), col(Step.reminded_on) < on))
                .values(reminded_on=on)
            )


def fail_for_good(
    db: Database, keys: Sequence[str], *, reports: Iterable[Entry], team_id: str, error: str, now: datetime
) -> None:
    """Record a permanent refusal and, in the same transaction, owe each owner one report."""
    with db.transaction() as session:
        session.execute(
            update(Reminder)
            .where(col(Reminder.key).in_(list(keys)))
            .values(
                status=FAILED, attempts=col(Reminder.attempts) + 1, claimed_until=None, next_attempt_at=None, last_error=error
            )
        )
        for entry in reports:
            session.execute(
                _insert(db)(Reminder)
                .values(
                    key=entry.key,
                    team_id=team_id,
                    kind=entry.kind,
                    recipient=entry.recipient,
                    project_id=entry.project_id,
                    status=RETRY,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )  # fmt: skip
                .on_conflict_do_nothing(index_elements=["key"])
            )


def retry_later(db: Database, keys: Sequence[str], *, error: str, delay: timedelta | None, now: datetime) -> None:
    """Hand the keys to a later pass: after Slack's Retry-After, else with doubling backoff."""
    with db.transaction() as session:
        for key in keys:
            attempts = session.exec(select(Reminder.attempts).where(col(Reminder.key) == key)).one() + 1
            backoff = delay or min(RETRY_FIRST * 2 ** (attempts - 1), RETRY_MAX)
            session.execute(
                update(Reminder)
                .where(col(Reminder.key) == key)
                .values(
                    status=RETRY, attempts=attempts, claimed_until=None, next_attempt_at=now + backoff, last_error=error[:255]
                )
            )


def supersede(db: Database, keys: Sequence[str], *, now: datetime) -> None:
    """Older keys that need no message any more (nothing left to say, or a newer one carries it)."""
    with db.transaction() as session:
        session.execute(
            update(Reminder)
            .where(col(Reminder.key).in_(list(keys)), col(Reminder.status).in_(OPEN_STATES), col(Reminder.next_attempt_at) <= now)
            .values(status=SUPERSEDED, claimed_until=None, next_attempt_at=None)
        )


def settled(db: Database, keys: Sequence[str], *, now: datetime) -> set[str]:
    """Keys already sent, failed, or held by a live claim: most passes send nothing, cheaply."""
    busy: set[str] = set()
    with db.reader() as session:
        for start in range(0, len(keys), _CHUNK):
            rows = session.exec(
                select(Reminder.key, Reminder.status, Reminder.next_attempt_at).where(
                    col(Reminder.key).in_(list(keys[start : start + _CHUNK]))
                )
            )
            for key, status, next_at in rows:
                if status not in OPEN_STATES or (next_at is not None and next_at > now):
                    busy.add(key)
    return busy
