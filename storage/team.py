"""Who the owner named team on a project (`/project team add @u`): someone named a client of any
project is a client on every project of the workspace, except where they are named team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class TeamMember(SQLModel, table=True):
    """Someone the owner named team on the project, though named a client elsewhere."""

    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_teammember_project_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    user_id: str = Field(max_length=32)
    added_by: str = Field(max_length=32)
    added_at: datetime = Field(default_factory=utcnow)
