"""What every handler and the scheduler share: the settings and the database."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from storage.db import Database


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
