"""The project's client side: contacts the owner names, the internal channel for team-only posts,
and the projects a client may see. Plain Python over a session.

    added, existing = add_clients(session, project=project, actor="U_OWNER", user_ids=["U_ACME"], now=utcnow())
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, or_, select

from bot.core.errors import InternalIsProjectChannel, NotClients, NotTeamNamed, OwnerIsTeam, StaysClient
from bot.core.projects import (
    _id,
    audit,
    audit_project,
    insert_once,
    require_open,
    require_owner,
)
from storage.models import Approver, ClientContact, Project
from storage.team import TeamMember


def add_clients(
    session: Session, *, project: Project, actor: str, user_ids: Sequence[str], now: datetime
) -> tuple[list[str], list[str]]:
    """Name people clients of the project. Returns (added, already clients)."""
    require_open(project)
    require_owner(project, actor, "name the project's clients")
    if project.owner_id in user_ids:
        raise OwnerIsTeam(project.owner_id)
    added, existing = [], []
    for user_id in dict.fromkeys(user_ids):
        row = ClientContact(team_id=project.team_id, project_id=_id(project), user_id=user_id, added_by=actor, added_at=now)
        if insert_once(session, row):
            added.append(user_id)
            audit_project(session, project, actor=actor, action="client.added", now=now, user=user_id)
        else:
            existing.append(user_id)
    named_team = select(TeamMember).where(TeamMember.project_id == project.id, col(TeamMember.user_id).in_(user_ids))
    for member in session.exec(named_team):  # the latest naming stands: a client here, not team
        session.delete(member)
        audit_project(session, project, actor=actor, action="team.removed", now=now, user=member.user_id)
    return added, existing


def remove_clients(session: Session, *, project: Project, actor: str, user_ids: Sequence[str], now: datetime) -> list[str]:
    require_open(project)
    require_owner(project, actor, "name the project's clients")
    rows = list(
        session.exec(
            select(ClientContact).where(ClientContact.project_id == project.id, col(ClientContact.user_id).in_(user_ids))
        )
    )
    if not rows:
        raise NotClients(list(user_ids), project.name)
    for row in rows:
        session.delete(row)
        audit_project(session, project, actor=actor, action="client.removed", now=now, user=row.user_id)
    return [row.user_id for row in rows]


def add_team(
    session: Session, *, project: Project, actor: str, user_ids: Sequence[str], now: datetime
) -> tuple[list[str], list[str]]:
    """Name people team on the project though they are named clients elsewhere (a named client is
    one on every project until then). Returns (added, already named)."""
    require_open(project)
    require_owner(project, actor, "name the project's team")
    here = select(ClientContact.user_id).where(ClientContact.project_id == project.id, col(ClientContact.user_id).in_(user_ids))
    if (contact := session.exec(here).first()) is not None:
        raise StaysClient(contact, named_here=True)
    added, existing = [], []
    for user_id in dict.fromkeys(user_ids):
        row = TeamMember(team_id=project.team_id, project_id=_id(project), user_id=user_id, added_by=actor, added_at=now)
        if insert_once(session, row):
            added.append(user_id)
            audit_project(session, project, actor=actor, action="team.added", now=now, user=user_id)
        else:
            existing.append(user_id)
    return added, existing


def remove_team(session: Session, *, project: Project, actor: str, user_ids: Sequence[str], now: datetime) -> list[str]:
    require_open(project)
    require_owner(project, actor, "name the project's team")
    rows = list(
        session.exec(select(TeamMember).where(TeamMember.project_id == project.id, col(TeamMember.user_id).in_(user_ids)))
    )
    if not rows:
        raise NotTeamNamed(list(user_ids), project.name)
    for row in rows:
        session.delete(row)
        audit_project(session, project, actor=actor, action="team.removed", now=now, user=row.user_id)
    return [row.user_id for row in rows]


def set_internal_channel(session: Session, *, project: Project, actor: str, channel_id: str, now: datetime) -> None:
    """Where the project's team-only posts go. Never the project channel itself: clients may read it."""
    require_open(project)
    require_owner(project, actor, "choose the internal channel")
    if channel_id == project.channel_id:
        raise InternalIsProjectChannel()
    old = project.internal_channel_id
    project.internal_channel_id = channel_id
    project.updated_at = now
    session.add(project)
    audit_project(session, project, actor=actor, action="internal_channel.set", now=now, old=old, new=channel_id)


def remember_channel_shared(session: Session, *, project_id: int, shared: bool, now: datetime) -> None:
    project = session.get(Project, project_id)
    if project is not None:
        project.channel_shared, project.channel_checked_at = shared, now
        session.add(project)


def client_project_ids(session: Session, *, team_id: str, user_id: str) -> set[int]:
    """Projects where the person is a named client or an approver: all a client may list or name."""
    contacts = select(ClientContact.project_id).where(ClientContact.team_id == team_id, ClientContact.user_id == user_id)
    approving = select(Approver.project_id).where(Approver.team_id == team_id, Approver.user_id == user_id)
    rows = session.exec(
        select(Project.id).where(Project.team_id == team_id, or_(col(Project.id).in_(contacts), col(Project.id).in_(approving)))
    )
    return {row for row in rows if row is not None}


def refuse_client(session: Session, *, team_id: str, project_id: int | None, actor: str, verb: str, now: datetime) -> None:
    """Keep the attempt in the audit trail; nothing else changes."""
    audit(session, team_id=team_id, project_id=project_id, actor=actor, action="client.refused", now=now, verb=verb)


def named_anywhere(session: Session, *, team_id: str, user_id: str) -> bool:
    found = session.exec(
        select(ClientContact.id).where(ClientContact.team_id == team_id, ClientContact.user_id == user_id)
    ).first()
    return found is not None


def client_projects(
    session: Session, *, team_id: str, user_id: str, include_closed: bool, limit: int
) -> tuple[list[Project], int]:
    """The projects a client may list, by name: where they are a named client or an approver."""
    ids = client_project_ids(session, team_id=team_id, user_id=user_id)
    if not ids:
        return [], 0
    query = select(Project).where(col(Project.id).in_(ids))
    if not include_closed:
        query = query.where(col(Project.closed_at).is_(None))
    found = list(session.exec(query.order_by(Project.name_key)))
    return found[:limit], len(found)
