"""Whose Home tab was opened, and whether the last `views.publish` of it failed: a scheduler pass
publishes those again (once per failure, whichever process claims it), so a Home isn't left stale
until its owner opens it again.

    record_opened(session, team_id="T1", user_id="U1", now=now)
    record_published(session, team_id="T1", user_id="U1", ok=False, now=now)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import utcnow


class HomeTab(SQLModel, table=True):
    __tablename__ = "home_tab"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", name="uq_home_tab_team_user"),
        Index("ix_home_tab_failed", "team_id", "failed_at"),  # the pass looks for failed ones
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    opened_at: datetime = Field(default_factory=utcnow)  # the last app_home_opened
    failed_at: datetime | None = None  # when the last publish failed; None: it went through


def record_opened(session: Session, *, team_id: str, user_id: str, now: datetime) -> None:
    """One row per person, whichever processes race to write it."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(HomeTab).values(team_id=team_id, user_id=user_id, opened_at=now)
    session.execute(statement.on_conflict_do_update(index_elements=["team_id", "user_id"], set_={"opened_at": now}))


def record_published(session: Session, *, team_id: str, user_id: str, ok: bool, now: datetime) -> None:
    """Remember a failed publish (for someone who opened their Home), or that it went through."""
    where = [col(HomeTab.team_id) == team_id, col(HomeTab.user_id) == user_id]
    if ok:
        where.append(col(HomeTab.failed_at).is_not(None))
    session.execute(
        update(HomeTab).where(*where).values(failed_at=None if ok else now).execution_options(synchronize_session=False)
    )


def publish_failed(session: Session, *, team_id: str, user_id: str) -> bool:
    found = session.exec(select(HomeTab.failed_at).where(HomeTab.team_id == team_id, HomeTab.user_id == user_id)).first()
    return found is not None


def retries_owed(session: Session, *, team_id: str, opened_since: datetime, limit: int) -> list[tuple[str, datetime]]:
    """(person, when their publish failed) for Homes opened since `opened_since` whose last publish failed."""
    rows = session.exec(
        select(HomeTab.user_id, HomeTab.failed_at)
        .where(HomeTab.team_id == team_id, col(HomeTab.failed_at).is_not(None), col(HomeTab.opened_at) >= opened_since)
        .order_by(col(HomeTab.failed_at))
        .limit(limit)
    ).all()
    return [(user, failed) for user, failed in rows if failed is not None]


def claim_retry(session: Session, *, team_id: str, user_id: str, failed_at: datetime) -> bool:
    """Take this failure for one retry: of racing passes (any process) only one wins it."""
    result = session.execute(
        update(HomeTab)
        .where(col(HomeTab.team_id) == team_id, col(HomeTab.user_id) == user_id, col(HomeTab.failed_at) == failed_at)
        .values(failed_at=None)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1
