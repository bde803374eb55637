"""`/project …`: read the words, find the declared verb, know who asks, run it as declared.

READ verbs answer inside `ack()` when the cache knows whether the person is team or client;
everything else `ack()`s first and answers by response_url, so every command is acknowledged
within Slack's 3 s and no ack waits on a Slack call.
"""

from __future__ import annotations

import importlib
import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import clients as client_rules
from bot.core.audience import is_named_client
from bot.core.errors import TeamOnly, UserError
from bot.core.grammar import Token, tokenize
from bot.core.projects import project_in_channel, project_named, require_open, require_owner
from bot.core.text import clean
from bot.messages import ids
from bot.messages.blocks import Message, reply
from bot.messages.errors import DB_DOWN, OOPS, refusal
from bot.services import Services
from bot.slack.people import FactsMemo, person_facts
from bot.work import ack_note, mark_written, written_before
from handlers.answer import Answer
from handlers.commands.declare import VERBS, ClientAccess, Kind, Request, Unknown, Verb, Who, resolve
from handlers.context import installation_team
from storage.models import Project, utcnow
from storage.outage import outage

log = logging.getLogger(__name__)

# Importing these modules declares the verbs, in the order help lists them.
for _module in ("projects", "hours", "steps", "targets", "deliverables", "clients", "updates", "report"):
    importlib.import_module(f"handlers.commands.{_module}")


def register(app: App, services: Services) -> None:
    facts = FactsMemo()  # who people are, as the ack path reads it

    @app.command(ids.COMMAND)
    def project_command(ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        req = Request(
            services, client, installation_team(context), command["user_id"], command["channel_id"], utcnow(),
            respond=respond, trigger_id=command.get("trigger_id"), response_url=command.get("response_url"),
            payload_team=command.get("user_team_id") or command.get("team_id") or None,
        )  # fmt: skip
        tokens: list[Token] = []
        verb: Verb | None = None
        try:
            tokens = tokenize(clean(command.get("text") or ""))
            found = resolve(tokens)
            if isinstance(found, Unknown):  # help answers, as the person may read it (a client: client help)
                verb, args = VERBS["help"], found
            else:
                verb, rest = found
                args = verb.parse(rest)
        except UserError as error:
            if not tokens or (verb is not None and verb.clients is not ClientAccess.NONE):
                ack(**refusal(error))  # words a client may use too: what was wrong helps anyone
                return
            # A team command's words that can't be read: the team hears what was wrong, a client
            # the client help (not the team's commands and options).
            verb, args = VERBS["help"], Unknown(tokens[0].raw, None, refused=error)
        req.facts = facts.get(services.db, team_id=req.team_id, user_id=req.user_id, now=req.now)
        known = req.facts is not None or (req.payload_team is not None and req.payload_team != req.team_id)
        known = ack_note("known", known)  # a worker replaying this request takes the same way
        if verb.kind is Kind.READ and known:
            ack(**(run(verb, req, args) or reply(OOPS)))
            if req.after_ack:
                services.work.submit(lambda: [work() for work in req.after_ack], f"/project {verb.name}")
            return
        ack()  # writes, Slack calls and first-time lookups happen on the work threads
        services.work.submit(lambda: finish(verb, req, args, known=known), f"/project {verb.name}")


def finish(verb: Verb, req: Request, args: object, *, known: bool) -> None:
    """The part of a command after its ack: who is asking (once), the verb, the answer."""
    if not known:  # users.info once, then cached for a day; None (Slack can't say) fails closed
        req.facts = person_facts(req.services.db, req.client, team_id=req.team_id, user_id=req.user_id, now=req.now)
    message = run(verb, req, args)
    if message is not None:
        Answer(req.client, req.user_id, req.channel_id, respond=req.respond)(message)
    for work in req.after_ack:
        work()


def run(verb: Verb, req: Request, args: object) -> Message | None:
    """Run one verb; a refusal or a failure becomes the reply, and nothing is half-written."""
    db = req.services.db
    try:
        if verb.clients is ClientAccess.NONE:
            refuse_clients(verb, req, args)
        if verb.kind is Kind.SLACK:
            return verb.handler(req, args)
        if verb.kind is Kind.WRITE and (written := written_before()) is not None:
            message = answer_again(req, written)  # done before its worker stopped: not twice
        else:
            with db.reader() if verb.kind is Kind.READ else db.transaction() as session:
                req.session = session
                if verb.who is Who.OWNER:
                    project = req.project(getattr(args, "project", None))
                    if verb.open_only:
                        require_open(project)
                    require_owner(project, req.user_id, verb.owner_action)
                message = verb.handler(req, args)
                if verb.kind is Kind.WRITE:
                    project_id = req._project.id if req._project is not None else None
                    mark_written(session, answer=message, project_id=project_id)
            req.session = None
    except TeamOnly as refused:
        audit_refusal(req, refused)
        return refusal(refused)
    except UserError as error:
        return refusal(error)
    except Exception as error:
        if outage.noticed(error):  # one line per outage, and the person knows nothing changed
            return reply(DB_DOWN)
        log.exception("/project %s failed", verb.name)
        return reply(OOPS)
    if verb.after is not None and req._project is not None:
        try:
            verb.after(req, req._project)
        except Exception:  # the change is saved; only what follows it lags behind
            log.exception("after /project %s", verb.name)
    return only_in_its_channel(message, req)


def answer_again(req: Request, written: dict) -> Message | None:
    """The answer a write earned before its worker stopped, and its project for what follows."""
    project_id = written.get("project_id")
    if project_id is not None:
        with req.services.db.reader() as session:
            req._project = session.get(Project, project_id)
    answer = written.get("answer")
    return answer if isinstance(answer, dict) else None


def only_in_its_channel(message: Message | None, req: Request) -> Message | None:
    """A public reply about a project belongs in that project's channel: run by name elsewhere (a
    channel another client reads), it is shown to the asker alone."""
    project = req._project
    if message and message.get("response_type") == "in_channel" and project is not None and project.channel_id != req.channel_id:
        return {**message, "response_type": "ephemeral"}
    return message


def refuse_clients(verb: Verb, req: Request, args: object) -> None:
    """A team verb asked by a client: audit the attempt, refuse it. Someone named a client of any
    project is one everywhere, except on a project whose owner named them team."""
    project_id = None
    if not req.org_client:
        with req.services.db.reader() as session:
            if not client_rules.named_anywhere(session, team_id=req.team_id, user_id=req.user_id):
                return
            name = getattr(args, "project", None)
            if name:
                project = project_named(session, team_id=req.team_id, name=name)
            else:
                project = project_in_channel(session, team_id=req.team_id, channel_id=req.channel_id, include_closed=True)
            if project is not None and not is_named_client(session, project_id=project.id, user_id=req.user_id):
                return
            project_id = project.id if project is not None else None
    raise TeamOnly(verb.name, project_id)


def audit_refusal(req: Request, refused: TeamOnly) -> None:
    project_id = refused.project_id or (req._project.id if req._project is not None else None)
    try:
        with req.services.db.transaction() as session:
            client_rules.refuse_client(
                session, team_id=req.team_id, project_id=project_id, actor=req.user_id, verb=refused.verb, now=req.now
            )
    except Exception as error:  # the refusal stands; only its audit line is missing
        if not outage.noticed(error):
            log.exception("could not audit a refused /project %s", refused.verb)
