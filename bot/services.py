"""What every handler and the scheduler share: the settings, the database, and the threads that
do the work following an acknowledgement."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.settings import Settings
from bot.work import Backlog
from storage.db import Database


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    work: Backlog = field(default=None)  # type: ignore[assignment]  # built from the settings below

    def __post_init__(self) -> None:
        if self.work is None:
            threads = self.settings.work_threads
            object.__setattr__(self, "work", Backlog(threads or 1, db=self.db, here=threads > 0))
