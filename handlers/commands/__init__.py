"""`/project …`: read the words, find the declared verb, run it the way it is declared.

READ verbs answer inside `ack()`; WRITE and SLACK verbs `ack()` first and answer by
response_url, so every command is acknowledged within Slack's 3 s.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core.errors import UserError
from bot.core.grammar import tokenize
from bot.core.projects import require_open, require_owner
from bot.messages import ids
from bot.messages.blocks import Message, reply
from bot.messages.errors import OOPS, refusal
from bot.messages.help import help_message
from bot.services import Services
from handlers.answer import Answer

# Importing these modules declares the verbs, in the order help lists them.
from handlers.commands import deliverables, projects, steps  # noqa: F401
from handlers.commands.declare import Kind, Request, Unknown, Verb, Who, declared, resolve
from handlers.context import installation_team
from storage.models import utcnow

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.command(ids.COMMAND)
    def project_command(ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        req = Request(
            services, client, installation_team(context), command["user_id"], command["channel_id"], utcnow(),
            respond=respond, trigger_id=command.get("trigger_id"), response_url=command.get("response_url"),
        )  # fmt: skip
        try:
            found = resolve(tokenize(command.get("text") or ""))
            if isinstance(found, Unknown):
                lines = [(v.usage, v.does) for v in declared()]
                ack(**help_message(lines, unknown=found.word, suggestion=found.suggestion))
                return
            verb, rest = found
            args = verb.parse(rest)
        except UserError as error:
            ack(**refusal(error))
            return
        if verb.kind is Kind.READ:
            ack(**(run(verb, req, args) or reply(OOPS)))
            return
        ack()  # writes and Slack calls happen after Slack has its answer
        message = run(verb, req, args)
        if message is not None:
            Answer(client, req.user_id, req.channel_id, respond=respond)(message)


def run(verb: Verb, req: Request, args: object) -> Message | None:
    """Run one verb; a refusal or a failure becomes the reply, and nothing is half-written."""
    db = req.services.db
    try:
        if verb.kind is Kind.SLACK:
            return verb.handler(req, args)
        with db.reader() if verb.kind is Kind.READ else db.transaction() as session:
            req.session = session
            if verb.who is Who.OWNER:
                project = req.project(getattr(args, "project", None))
                require_open(project)
                require_owner(project, req.user_id, verb.owner_action)
            message = verb.handler(req, args)
        req.session = None
    except UserError as error:
        return refusal(error)
    except Exception:
        log.exception("/project %s failed", verb.name)
        return reply(OOPS)
    if verb.after is not None and req._project is not None:
        try:
            verb.after(req, req._project)
        except Exception:  # the change is saved; only what follows it lags behind
            log.exception("after /project %s", verb.name)
    return message
