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
    work: Backlog = field(default_factory=Backlog)
