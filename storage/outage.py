"""When the database can't be reached: what counts as that, and one log line per outage rather
than one per request (the callers answer each request that nothing was changed).

    except Exception as error:
        if not outage.noticed(error):
            raise
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import psycopg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)
QUIET_FOR = 60.0  # seconds without a failure after which the next one is a new outage
_DRIVER = (psycopg.OperationalError, psycopg.InterfaceError, sqlite3.OperationalError)


def is_outage(error: BaseException) -> bool:
    """The database did not answer (refused, dropped, unreadable), as opposed to a bug or a refusal
    of a statement: SQLAlchemy's and the drivers' own errors alike (raw-driver writes raise these)."""
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeout)) or _driver_outage(error):
        return True
    return isinstance(error, DBAPIError) and (error.connection_invalidated or _driver_outage(error.orig))


def _driver_outage(error: BaseException | None) -> bool:
    # sqlite3.DatabaseError itself (not its IntegrityError kin): "file is not a database", a lost disk
    return isinstance(error, _DRIVER) or type(error) is sqlite3.DatabaseError


class Outage:
    def __init__(self) -> None:
        self._last: float | None = None
        self._lock = threading.Lock()

    def noticed(self, error: BaseException) -> bool:
        """True if `error` is the database being unreachable: logged once per outage."""
        if not is_outage(error):
            return False
        now = time.monotonic()
        with self._lock:
            new = self._last is None or now - self._last > QUIET_FOR
            self._last = now
        if new:
            log.warning(
                "the database can't be reached (%s: %.160s); requests are answered that nothing was changed "
                "(one line per outage)", type(error).__name__, str(error).replace("\n", " ")
            )  # fmt: skip
        return True


outage = Outage()  # this process's
