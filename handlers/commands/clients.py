"""`/project client add|remove @u`, `/project team add|remove @u` and `/project internal #channel`:
who the client is, and where team-only posts go (owner only)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import clients, grammar
from bot.core.audience import Audience, Facts, audience
from bot.core.errors import NotAPerson, StaysClient
from bot.core.grammar import clients as client_grammar
from bot.messages import clients as client_messages
from bot.messages.blocks import Message
from bot.slack.people import person_facts
from handlers.commands.declare import Kind, Request, Who, verb


@verb(
    "client add", grammar.people("client add"), usage="client add @person", does="name someone a client of this project (owner)",
    who=Who.OWNER, owner_action="name the project's clients", kind=Kind.SLACK,
)  # fmt: skip
def add_clients(req: Request, args: grammar.People) -> Message:
    people_of(req, args.user_ids)  # apps can't be clients
    with req.services.db.transaction() as session:
        req.session = session
        project = req.project()
        added, existing = clients.add_clients(session, project=project, actor=req.user_id, user_ids=args.user_ids, now=req.now)
        return client_messages.clients_added(project, added, existing)


@verb(
    "client remove", grammar.people("client remove"), usage="client remove @person", does="(owner)",
    who=Who.OWNER, owner_action="name the project's clients", aliases=("client rm", "client delete"),
)  # fmt: skip
def remove_clients(req: Request, args: grammar.People) -> Message:
    assert req.session is not None
    project = req.project()
    removed = clients.remove_clients(req.session, project=project, actor=req.user_id, user_ids=args.user_ids, now=req.now)
    return client_messages.clients_removed(project, removed)


@verb(
    "team add", grammar.people("team add"), usage="team add @person",
    does="someone named a client of another project is on the team of this one (owner)",
    who=Who.OWNER, owner_action="name the project's team", kind=Kind.SLACK,
)  # fmt: skip
def add_team(req: Request, args: grammar.People) -> Message:
    for user_id, facts in people_of(
        req, args.user_ids
    ).items():  # what Slack says wins: another organization or a guest stays a client
        if audience(home_team=req.team_id, payload_team=None, facts=facts, named_client=False) is Audience.CLIENT:
            raise StaysClient(user_id, named_here=False)
    with req.services.db.transaction() as session:
        req.session = session
        project = req.project()
        added, existing = clients.add_team(session, project=project, actor=req.user_id, user_ids=args.user_ids, now=req.now)
        return client_messages.team_added(project, added, existing)


@verb(
    "team remove", grammar.people("team remove"), usage="team remove @person", does="(owner)",
    who=Who.OWNER, owner_action="name the project's team", aliases=("team rm", "team delete"),
)  # fmt: skip
def remove_team(req: Request, args: grammar.People) -> Message:
    assert req.session is not None
    project = req.project()
    removed = clients.remove_team(req.session, project=project, actor=req.user_id, user_ids=args.user_ids, now=req.now)
    return client_messages.team_removed(project, removed)


@verb(
    "internal", client_grammar.internal, usage="internal #channel",
    does="where team-only posts go, e.g. the overdue digest (owner)",
    who=Who.OWNER, owner_action="choose the internal channel",
)  # fmt: skip
def set_internal(req: Request, args: client_grammar.Channel) -> Message:
    assert req.session is not None
    project = req.project()
    clients.set_internal_channel(req.session, project=project, actor=req.user_id, channel_id=args.channel_id, now=req.now)
    return client_messages.internal_set(project)


def people_of(req: Request, user_ids: Sequence[str]) -> dict[str, Facts | None]:
    """What Slack says of each person named (asked before the transaction), refusing an app."""
    found: dict[str, Facts | None] = {}
    for user_id in user_ids:
        facts = person_facts(req.services.db, req.client, team_id=req.team_id, user_id=user_id, now=req.now)
        if facts is not None and facts.bot:
            raise NotAPerson(user_id)
        found[user_id] = facts
    return found
