"""The database connection: engine set-up for SQLite and PostgreSQL, sessions, migrations.

db = Database("sqlite:///shepherd.db")
db.migrate()                       # Alembic upgrade to head, safe to run from every process
with db.transaction() as session:  # commits on success, rolls back on any exception
    ...

A write that others must hear about says so (`note_change(session, change)`); once its transaction
commits, `transaction()` hands the changes it noted to the hooks given to `after_commit` — in the
committing thread, after the commit, and never after a rollback.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Table, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

T = TypeVar("T")

MIGRATIONS = Path(__file__).parent / "migrations"
# Any 64-bit number, the same in every process: PostgreSQL serialises migrations on it.
_MIGRATION_LOCK = 0x5348455048455244


CHANGES = "shepherd_changes"  # the session.info key under which a transaction's noted changes wait


def note_change(session: Session, change: Any) -> None:
    """Say that this transaction changed something the `after_commit` hooks are told of once it commits."""
    session.info.setdefault(CHANGES, []).append(change)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self._hooks: list[weakref.WeakMethod[Callable[[list[Any]], None]]] = []
        # postgresql:// means psycopg 3 here, whatever SQLAlchemy's default driver is.
        url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, echo=echo)
            self._quick = self.engine  # its raw connections commit each statement already
        else:
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)
            # One round trip per single-statement write on a request's path: autocommit, and no
            # ping before use (a connection found dead is replaced and the statement sent again).
            self._quick = create_engine(
                url, echo=echo, isolation_level="AUTOCOMMIT", pool_reset_on_return=None, pool_size=5, max_overflow=10
            )

        self._reads = self.engine.execution_options(
            **({"sqlite_begin": "DEFERRED"} if self.is_sqlite else {"isolation_level": "AUTOCOMMIT"})
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends, rolled back if it raises."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            changes = session.info.pop(CHANGES, None)
        if changes:
            for hook in list(self._hooks):
                call = hook()
                if call is not None:
                    call(changes)

    def after_commit(self, hook: Callable[[list[Any]], None]) -> None:
        """Hand `hook` the changes each committed transaction noted (`note_change`). `hook` is a bound
        method, held weakly: it is called for as long as its object lives. It must not wait or
        raise: it runs in whatever thread committed.

            db.after_commit(homes.changed)
        """
        self._hooks = [h for h in self._hooks if h() is not None] + [weakref.WeakMethod(hook)]

    def persist(self, work: Callable[[Session], T], *, attempts: int = 3, pause: float = 0.2) -> T:
        """Run `work` in a transaction, again if the database failed (a dropped connection, a
        failover): for recording what Slack has already done, which must not be lost."""
        for attempt in range(attempts):
            try:
                with self.transaction() as session:
                    return work(session)
            except OperationalError:
                if attempt == attempts - 1:
                    raise
                time.sleep(pause * (attempt + 1))
        raise AssertionError("unreachable")

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for reading only: on SQLite it does not take the write lock; on PostgreSQL
        it runs in autocommit, saving the BEGIN and ROLLBACK round trips (under READ COMMITTED each
        statement sees its own snapshot either way)."""
        with Session(self._reads, expire_on_commit=False) as session:
            yield session  # close() ends the transaction and keeps loaded objects readable

    def insert_new(self, table: Table, **values: Any) -> bool:
        """Insert one row through the driver itself, in its own transaction: a third of the CPU of
        the same insert through SQLAlchemy, for the writes on every request's path (the replay
        guard, the job). Values are converted as SQLAlchemy would. False: a unique constraint refused it."""
        return self._insert(table, values, returning=None) is not None

    def insert_id(self, table: Table, **values: Any) -> int:
        """`insert_new` for a table with an `id` key: the new row's id."""
        found = self._insert(table, values, returning="id")
        assert isinstance(found, int), "no unique constraint but the key: an insert always succeeds"
        return found

    def insert_if_new(self, guard: Table, guard_values: dict[str, Any], table: Table, **values: Any) -> int | None:
        """Insert a row into `guard` and, only if that was new, one into `table` (whose new `id`
        is returned): one round trip on PostgreSQL, one transaction on SQLite. None: `guard`'s
        unique constraint refused its row, and nothing was written."""
        first, first_params = self._insert_sql(guard, guard_values)
        second, second_params = self._insert_sql(table, values)
        if self.is_sqlite:

            def both(cursor: Any) -> object | None:
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    cursor.execute(first, first_params)
                    found = _one(cursor, second + " RETURNING id", second_params)
                except Exception:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
                return found

            found = self._quick_cursor(both)
        else:
            columns = second[second.index("(") : second.index(")") + 1]
            marks = ", ".join(["%s"] * len(second_params))
            sql = (
                f"WITH seen AS ({first} ON CONFLICT DO NOTHING RETURNING 1) "
                f"INSERT INTO {table.name} {columns} SELECT {marks} FROM seen RETURNING id"
            )
            found = self._quick_cursor(lambda cursor: _one(cursor, sql, [*first_params, *second_params]))
        return found if isinstance(found, int) else None

    def _insert(self, table: Table, values: dict[str, Any], *, returning: str | None) -> object | None:
        sql, params = self._insert_sql(table, values)
        if returning:
            sql += f" RETURNING {returning}"
            return self._quick_cursor(lambda cursor: _one(cursor, sql, params))

        def execute(cursor: Any) -> bool:
            cursor.execute(sql, params)
            return True

        return self._quick_cursor(execute)

    def _insert_sql(self, table: Table, values: dict[str, Any]) -> tuple[str, list[Any]]:
        """An INSERT for the driver itself, its values converted as SQLAlchemy would."""
        names = sorted(values)
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
        params = []
        for name in names:
            process = table.c[name].type.bind_processor(self.engine.dialect)
            params.append(process(values[name]) if process else values[name])
        return sql, params

    def _quick_cursor(self, work: Callable[[Any], object]) -> object | None:
        """`work(cursor)` on a quick connection; None when a unique constraint refused it."""
        dbapi = self.engine.dialect.dbapi
        assert dbapi is not None
        for attempt in (1, 2):
            connection = self._quick.raw_connection()
            cursor = connection.cursor()
            try:
                return work(cursor)
            except dbapi.IntegrityError:
                return None
            except dbapi.OperationalError as error:
                if attempt == 2 or not self.engine.dialect.is_disconnect(error, connection.dbapi_connection, cursor):
                    raise
                # The server closed it (a restart, a failover), and likely every other one: a
                # fresh pool, and the statement sent once more.
                connection.invalidate()
                self._quick.dispose()
            finally:
                with contextlib.suppress(Exception):  # a dead connection's cursor may not close cleanly
                    cursor.close()
                connection.close()
        raise AssertionError("unreachable")

    def migrate(self) -> None:
        """Bring the schema to the newest migration. Concurrent callers wait for each other."""
        with self.engine.connect() as connection:
            if not self.is_sqlite:
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
                connection.commit()
            try:
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
            finally:
                if not self.is_sqlite:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                    connection.commit()

    def dispose(self) -> None:
        self.engine.dispose()
        self._quick.dispose()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _one(cursor: Any, sql: str, params: list[Any]) -> object | None:
    cursor.execute(sql, params)
    row = cursor.fetchone()
    return row[0] if row else None


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(os.path.dirname(os.path.abspath(database))).mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own is too late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        # Writers take the write lock up front, so two writers queue on busy_timeout instead
        # of one failing with "database is locked" when it upgrades from reading to writing.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine
