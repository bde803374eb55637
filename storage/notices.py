"""Notices to people about their own steps, changed by someone else: written in the transaction of
the change (`bot/core/notices.py`), kept until a pass delivers them.

A pass takes all of one person's pending notices with one conditional UPDATE under a token of its
own, so two processes never both send them; it sends one DM and marks them sent. A taker that
dies leaves them claimed until `CLAIM_FOR` has passed, then a later pass sends them.

    token = claim(db, team_id="T1", recipient="U1", me="host:42", now=now)
    taken = claimed(db, token)
    ...  # one DM
    finish(db, token, status=SENT, now=now)
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Index, update
from sqlmodel import Field, Session, SQLModel, col, or_, select

from storage.db import Database
from storage.models import utcnow

PENDING, SENT, DROPPED, FAILED = "pending", "sent", "dropped", "failed"
ASSIGNED, UNASSIGNED, REDATED, DONE = "assigned", "unassigned", "redated", "done"
CLAIM_FOR = timedelta(minutes=5)  # far longer than one send; a dead taker's notices are free after it


class StepNotice(SQLModel, table=True):
    """Something someone else did to a person's step: assigned it to them, re-assigned it away,
    re-dated it, or marked it done."""

    __table_args__ = (Index("ix_stepnotice_pending", "team_id", "status", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    step_id: int = Field(foreign_key="step.id", ondelete="CASCADE")
    recipient: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # assigned | unassigned | redated | done
    actor: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default=PENDING, max_length=16)  # pending | sent | dropped | failed
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None  # held until then (a live claim, or a Retry-After)
    attempts: int = 0
    sent_at: datetime | None = None


def add(
    session: Session, *, team_id: str, project_id: int, step_id: int, recipient: str, kind: str, actor: str, now: datetime
) -> None:
    session.add(
        StepNotice(
            team_id=team_id, project_id=project_id, step_id=step_id, recipient=recipient, kind=kind, actor=actor, created_at=now
        )
    )


def waiting(session: Session, *, team_id: str, now: datetime, limit: int = 5000) -> list[StepNotice]:
    """Pending notices nobody holds, oldest first."""
    return list(
        session.exec(
            select(StepNotice)
            .where(StepNotice.team_id == team_id, StepNotice.status == PENDING, _free(now))
            .order_by(col(StepNotice.id))
            .limit(limit)
        )
    )


def claim(db: Database, *, team_id: str, recipient: str, up_to: int, me: str, now: datetime) -> str:
    """Take the recipient's free pending notices (ids up to `up_to`); the token names what was taken."""
    token = f"{me[:48]}:{uuid.uuid4().hex[:12]}"
    with db.transaction() as session:
        session.execute(
            update(StepNotice)
            .where(
                col(StepNotice.team_id) == team_id,
                col(StepNotice.recipient) == recipient,
                col(StepNotice.status) == PENDING,
                col(StepNotice.id) <= up_to,
                _free(now),
            )
            .values(claimed_by=token, claimed_until=now + CLAIM_FOR)
            .execution_options(synchronize_session=False)
        )
    return token


def claimed(db: Database, token: str) -> list[StepNotice]:
    with db.reader() as session:
        rows = session.exec(
            select(StepNotice).where(StepNotice.claimed_by == token, StepNotice.status == PENDING).order_by(col(StepNotice.id))
        )
        return list(rows)


def finish(db: Database, token: str, *, status: str, now: datetime) -> None:
    """The token's notices are sent (or dropped, or failed for good): never sent again."""
    with db.transaction() as session:
        session.execute(
            update(StepNotice)
            .where(col(StepNotice.claimed_by) == token, col(StepNotice.status) == PENDING)
            .values(status=status, sent_at=now if status == SENT else None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def release(db: Database, token: str, *, until: datetime | None) -> None:
    """Slack did not take them: free for a later pass (not before `until`, after a Retry-After)."""
    with db.transaction() as session:
        session.execute(
            update(StepNotice)
            .where(col(StepNotice.claimed_by) == token, col(StepNotice.status) == PENDING)
            .values(claimed_by=None, claimed_until=until, attempts=col(StepNotice.attempts) + 1)
            .execution_options(synchronize_session=False)
        )


def _free(now: datetime):  # type: ignore[no-untyped-def]
    return or_(col(StepNotice.claimed_until).is_(None), col(StepNotice.claimed_until) < now)
