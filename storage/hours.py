"""Hours spent and hours budgeted: one row per `log` (a time entry) and one per budget change.

A project's hours are the sum of its time entries; `Project.hours_used` is that sum, kept in the
same transaction as each entry so every read of a project has it at once. Every budget a project
had is kept: the first is the original, each later one says who changed it and why.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class TimeEntry(SQLModel, table=True):
    """Hours someone spent on a project on one day of theirs (`/project log 3.5h site audit`)."""

    __table_args__ = (Index("ix_timeentry_project_day", "project_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    person: str = Field(max_length=32)
    day: date  # the person's local date when they logged it
    hours: float
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class BudgetChange(SQLModel, table=True):
    """A budget the project was given: the first is the original (`new … budget:`), then every change."""

    __table_args__ = (Index("ix_budgetchange_project", "project_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    hours: float
    reason: str | None = Field(default=None, max_length=500)
    changed_by: str = Field(max_length=32)
    changed_at: datetime = Field(default_factory=utcnow)
