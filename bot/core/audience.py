"""Who is the client: the one rule that decides, per person and project, team or client, and
where team-only posts may go. Pure: the facts come from Slack (cached) and the database.

>>> facts = Facts(slack_team_id="T_HOME", guest=False)
>>> audience(home_team="T_HOME", payload_team=None, facts=facts, named_client=False)
<Audience.TEAM: 'team'>
>>> audience(home_team="T_HOME", payload_team="T_ACME", facts=facts, named_client=False)
<Audience.CLIENT: 'client'>
>>> audience(home_team="T_HOME", payload_team=None, facts=None, named_client=False)  # unknown: fail closed
<Audience.CLIENT: 'client'>
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.models import Approver, ClientContact, Project, UserProfile
from storage.team import TeamMember


class Audience(StrEnum):
    TEAM = "team"
    CLIENT = "client"


@dataclass(frozen=True)
class Facts:
    """What Slack said about a person: their own organization, and whether they are a guest."""

    slack_team_id: str | None
    guest: bool | None
    bot: bool = False

    @property
    def known(self) -> bool:
        return self.slack_team_id is not None and self.guest is not None


def audience(*, home_team: str, payload_team: str | None, facts: Facts | None, named_client: bool) -> Audience:
    """Client when named one, when Slack says another organization (the payload's team or
    users.info's), when a workspace guest, or when nothing is known (fail closed)."""
    if named_client:
        return Audience.CLIENT
    if payload_team and payload_team != home_team:
        return Audience.CLIENT
    if facts is None or not facts.known:
        return Audience.CLIENT
    if facts.slack_team_id != home_team or facts.guest:
        return Audience.CLIENT
    return Audience.TEAM


def facts_of(profile: UserProfile | None) -> Facts | None:
    if profile is None:
        return None
    return Facts(profile.slack_team_id, profile.guest, bool(profile.bot))


def cached_facts(session: Session, *, team_id: str, user_ids: Iterable[str]) -> dict[str, Facts | None]:
    """What the cache knows about each person (None: never asked Slack, or asked before 0002)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    columns = (col(UserProfile.user_id), col(UserProfile.slack_team_id), col(UserProfile.guest), col(UserProfile.bot))
    rows = session.execute(  # the four columns, not whole rows: this is on the status card's path
        sa_select(*columns).where(col(UserProfile.team_id) == team_id, col(UserProfile.user_id).in_(ids))
    )
    found = {user_id: Facts(slack_team, guest, bool(bot)) for user_id, slack_team, guest, bot in rows}
    return {user_id: found.get(user_id) for user_id in ids}


def known_clients(session: Session, *, team_id: str, user_ids: Iterable[str]) -> set[str]:
    """Those of `user_ids` whom Slack has said are clients (another organization, a guest). Unlike
    the fail-closed rule for who may act, someone not yet known is not *shown* as a client."""
    facts = cached_facts(session, team_id=team_id, user_ids=user_ids)
    return {
        user for user, f in facts.items()
        if f is not None and f.known
        and audience(home_team=team_id, payload_team=None, facts=f, named_client=False) is Audience.CLIENT
    }  # fmt: skip


def client_contacts(session: Session, project: Project) -> list[str]:
    rows = session.exec(
        select(ClientContact.user_id).where(ClientContact.project_id == project.id).order_by(col(ClientContact.id))
    )
    return list(rows)


def is_named_client(session: Session, *, project_id: int | None, user_id: str) -> bool:
    """A client of the project by naming. Someone named a client of any project of the workspace
    is one on every project (fail closed), except one they own or whose owner named them team."""
    if project_id is None:
        return False
    project = session.get(Project, project_id)
    if project is None or project.owner_id == user_id:
        return False
    named = session.exec(
        select(ClientContact.project_id).where(ClientContact.team_id == project.team_id, ClientContact.user_id == user_id)
    ).all()
    if not named or project_id in named:
        return bool(named)
    team = select(TeamMember.id).where(TeamMember.project_id == project_id, TeamMember.user_id == user_id)
    return session.exec(team).first() is None


def client_facing(session: Session, project: Project) -> bool:
    """May a client read the project channel? Shared with another organization (as Slack said), or
    any approver or client contact is a client. Unknown counts as client-facing."""
    if project.channel_shared is None or project.channel_shared:
        return True
    if client_contacts(session, project):
        return True
    approvers = list(session.exec(select(Approver.user_id).where(Approver.project_id == project.id)))
    facts = cached_facts(session, team_id=project.team_id, user_ids=approvers)  # unknown counts as a client here
    return any(
        audience(home_team=project.team_id, payload_team=None, facts=facts[a], named_client=False) is Audience.CLIENT
        for a in approvers
    )


@dataclass(frozen=True)
class TeamOnlyPlace:
    """Where a team-only post about a project goes: a channel, or the owner's DM."""

    channel_id: str
    is_dm: bool


def team_only_place(session: Session, project: Project) -> TeamOnlyPlace:
    """The internal channel if set; the project channel when no client reads it; else the owner."""
    if project.internal_channel_id:
        return TeamOnlyPlace(project.internal_channel_id, False)
    if not client_facing(session, project):
        return TeamOnlyPlace(project.channel_id, False)
    return TeamOnlyPlace(project.owner_id, True)
