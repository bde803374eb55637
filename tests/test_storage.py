"""The store: migrations own the schema, match the models, and never lose data on restart."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel, select

from bot.core.projects import audit
from storage.db import Database
from storage.models import Project, utcnow


def test_migrations_create_exactly_the_models_schema(db: Database):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_migrating_again_keeps_every_row(db: Database):
    with db.transaction() as session:
        session.add(
            Project(team_id="T1", name="Kept", name_key="kept", channel_id="C1", owner_id="U1", start_date=utcnow().date())
        )
    db.migrate()  # what every restart does
    reopened = Database(db.url.render_as_string(hide_password=False))
    reopened.migrate()
    with reopened.reader() as session:
        assert session.exec(select(Project.name)).all() == ["Kept"]
    reopened.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/x.db")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_persist_runs_the_work_again_when_the_database_drops_it(db: Database):
    """What records a post Slack already made is written again after a dropped connection, and
    the first, failed attempt leaves nothing behind."""
    tries = []

    def work(session) -> str:
        tries.append(1)
        session.add(
            Project(team_id="T1", name="Kept", name_key="kept", channel_id="C1", owner_id="U1", start_date=utcnow().date())
        )
        session.flush()
        if len(tries) == 1:
            raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
        return "saved"

    assert db.persist(work, pause=0) == "saved" and len(tries) == 2
    with db.reader() as session:
        assert [p.name for p in session.exec(select(Project).where(Project.team_id == "T1"))] == ["Kept"]


def test_the_request_path_insert_survives_connections_the_server_closed(db: Database):
    """The replay guard and the job are written without a ping first: a pooled connection that
    PostgreSQL closed meanwhile (a restart, a failover) is replaced and the insert sent again, once."""
    from storage.models import SeenRequest

    table = SeenRequest.__table__  # type: ignore[attr-defined]
    assert db.insert_new(table, signature="v0=first", seen_at=utcnow())
    if not db.is_sqlite:
        with db.engine.begin() as connection:
            closed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        assert closed >= 1  # the quick pool's connection, at least
    assert db.insert_new(table, signature="v0=second", seen_at=utcnow())
    assert not db.insert_new(table, signature="v0=second", seen_at=utcnow())  # seen: refused, not raised
    with db.reader() as session:
        assert sorted(session.exec(select(SeenRequest.signature))) == ["v0=first", "v0=second"]


def test_a_job_and_its_replay_guard_are_written_together_or_not_at_all(db: Database):
    """A request's job goes in with its signature, in one round trip: the same signature again
    writes neither, and a job without a signature (Socket Mode) is always written."""
    from storage import jobs
    from storage.models import Job, SeenRequest

    def record(signature: str | None) -> int | None:
        return jobs.record(db, team_id="T1", body={"n": 1}, name="x", notes={}, claimed_by=None, signature=signature)

    first = record("v0=once")
    assert isinstance(first, int)
    assert record("v0=once") is None
    assert isinstance(record(None), int) and isinstance(record("v0=other"), int)
    with db.reader() as session:
        assert len(session.exec(select(Job)).all()) == 3
        assert sorted(session.exec(select(SeenRequest.signature))) == ["v0=once", "v0=other"]
        kept = session.get(Job, first)
    assert kept is not None and kept.received_at is not None and kept.attempts == 0


class _Follower:
    def __init__(self) -> None:
        self.heard: list[list[object]] = []

    def changed(self, changes: list[object]) -> None:
        self.heard.append(changes)


def test_a_committed_audit_row_is_handed_to_the_after_commit_hooks_once_and_a_rolled_back_one_never(db: Database):
    """What keeps opened Home tabs up to date: the audit notes its change, the commit hands it on."""
    follower = _Follower()
    db.after_commit(follower.changed)
    with db.transaction() as session:
        audit(session, team_id="T1", project_id=None, actor="U1", action="step.added", now=utcnow(), number=1)
    with pytest.raises(RuntimeError), db.transaction() as session:
        audit(session, team_id="T1", project_id=None, actor="U1", action="step.added", now=utcnow(), number=2)
        raise RuntimeError("refused")
    with db.transaction() as session:  # a write that notes nothing hands nothing on
        session.execute(text("SELECT 1"))

    assert follower.heard == [[("T1", None, '{"number": 1}')]]
