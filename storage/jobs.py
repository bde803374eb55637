"""Acknowledged work, kept in the database until it is done.

A request Shepherd has acknowledged and still owes work for is written down first (its payload,
as Slack sent it); the row goes when the work is done. A worker that dies mid-way leaves its rows
behind, and a live worker takes them over once the dead one has missed its heartbeats. Workers
know each other only through `worker` rows, beaten on the database's own clock.

    job_id = record(db, team_id="T1", body={...}, name="Approve", notes={}, claimed_by=me)
    ...  # the work
    forget(db, job_id)
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.db import Database
from storage.models import Job, SeenRequest, Worker, utcnow

BEAT_EVERY = 10.0  # seconds between a worker's heartbeats
DEAD_AFTER = 60.0  # a worker silent this long is gone: its unfinished jobs are taken over
MAX_ATTEMPTS = 3  # a job that took its worker down this often is dropped, with one log line


@dataclass(frozen=True)
class Claimed:
    id: int
    team_id: str
    body: dict[str, Any]
    name: str
    notes: dict[str, Any]
    attempts: int


def worker_id() -> str:
    """This process, recognisably in the `worker` table: host, pid and a random tail."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _clock(db: Database) -> str:
    """The database's clock in Unix seconds, as SQL (the same for every process)."""
    if db.is_sqlite:
        return "((julianday('now') - 2440587.5) * 86400.0)"
    return "EXTRACT(EPOCH FROM clock_timestamp())"


def beat(db: Database, me: str) -> None:
    """Say `me` is alive (first call: join)."""
    with db.engine.begin() as connection:
        clock = _clock(db)
        updated = connection.execute(text(f"UPDATE worker SET beat_at = {clock} WHERE id = :me"), {"me": me}).rowcount
        if not updated:
            try:
                with connection.begin_nested():
                    connection.execute(text(f"INSERT INTO worker (id, beat_at) VALUES (:me, {clock})"), {"me": me})
            except IntegrityError:  # joined by another thread of this process meanwhile
                pass


def leave(db: Database, me: str) -> None:
    """`me` stops cleanly: the jobs it had not started go back to the others at once."""
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE job SET claimed_by = NULL WHERE claimed_by = :me"), {"me": me})
        connection.execute(delete(Worker).where(Worker.id == me))  # type: ignore[arg-type]


def record(
    db: Database, *, team_id: str, body: dict[str, Any], name: str, notes: dict[str, Any], claimed_by: str | None,
    signature: str | None = None,
) -> int | None:  # fmt: skip
    """Write a job down; `claimed_by`: the live worker that is doing it now (None: any worker may).
    With the request's `signature`, also its replay guard, in the same round trip: None when that
    signature was served before (a replayed request), and then nothing is written."""
    now = utcnow()
    values = dict(
        team_id=team_id, body=json.dumps(body), name=name[:120], notes=json.dumps(notes, default=str),
        received_at=now, claimed_by=claimed_by, attempts=1 if claimed_by else 0,
    )  # fmt: skip
    table = Job.__table__  # type: ignore[attr-defined]
    if signature is None:
        return db.insert_id(table, **values)
    seen = SeenRequest.__table__  # type: ignore[attr-defined]
    return db.insert_if_new(seen, {"signature": signature, "seen_at": now}, table, **values)


def note(session: Session, job_id: int, notes: dict[str, Any]) -> None:
    """Replace a job's notes inside `session`'s transaction: they are kept if, and only if, the
    transaction's other writes are."""
    kept = json.dumps(notes, default=str)  # never fail the write it goes with over a value JSON lacks
    session.execute(text("UPDATE job SET notes = :notes WHERE id = :id"), {"notes": kept, "id": job_id})


def forget(db: Database, job_id: int) -> None:
    """The job is done."""
    with db.engine.begin() as connection:
        connection.execute(delete(Job).where(Job.id == job_id))  # type: ignore[arg-type]


def claim(db: Database, *, team_id: str, me: str) -> Claimed | None:
    """The oldest job of `team_id` that nobody alive is doing, now claimed by `me`; None if none."""
    clock = _clock(db)
    free = (
        f"team_id = :team AND (claimed_by IS NULL OR claimed_by NOT IN (SELECT id FROM worker WHERE beat_at >= {clock} - :dead))"
    )
    lock = "" if db.is_sqlite else " FOR UPDATE SKIP LOCKED"  # SQLite: one writer at a time anyway
    statement = text(
        "UPDATE job SET claimed_by = :me, attempts = attempts + 1 "
        f"WHERE id = (SELECT id FROM job WHERE {free} ORDER BY id LIMIT 1{lock}) "
        "RETURNING id, team_id, body, name, notes, attempts"
    )
    with db.engine.begin() as connection:
        row = connection.execute(statement, {"team": team_id, "me": me, "dead": DEAD_AFTER}).first()
    if row is None:
        return None
    return Claimed(row.id, row.team_id, json.loads(row.body), row.name, json.loads(row.notes or "{}"), row.attempts)


def waiting(db: Database) -> int:
    """How many jobs are not done, in every process (for /healthz)."""
    with db.reader() as session:  # a read: it must never queue behind writers
        return int(session.execute(text("SELECT count(*) FROM job")).scalar_one())
