"""The Accept and Discuss buttons of date-change proposals, and the Discuss comment form. Ack
first; the database decides (one outcome however many clicks); the message shows what stands."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import targets
from bot.core.errors import ProposalDecided, UserError
from bot.core.text import clean
from bot.messages import ids
from bot.messages import plan as messages
from bot.messages.blocks import reply
from bot.messages.errors import OOPS, STALE_BUTTON, refusal
from bot.services import Services
from bot.slack.proposals import refresh_proposal, tell_owner_discuss
from handlers.answer import Answer
from handlers.context import MAX_ROW_ID, button_id, installation_team
from storage.models import utcnow

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(ids.PROPOSAL_ACCEPT_ACTION)
    def accept_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        team_id, user_id, proposal_id = installation_team(context), body["user"]["id"], button_id(body)
        answer = Answer(client, user_id, respond=respond)
        if proposal_id is None:
            services.work.submit(lambda: answer(reply(STALE_BUTTON)), "a stale Accept")
            return
        services.work.submit(lambda: decide(services, client, team_id, user_id, proposal_id, True, None, answer), "Accept")

    @app.action(ids.PROPOSAL_DISCUSS_ACTION)
    def discuss_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        team_id, user_id, proposal_id = installation_team(context), body["user"]["id"], button_id(body)
        answer = Answer(client, user_id, respond=respond)
        if proposal_id is None:
            services.work.submit(lambda: answer(reply(STALE_BUTTON)), "a stale Discuss")
            return
        trigger_id = body.get("trigger_id", "")
        services.work.submit(lambda: open_form(services, client, team_id, user_id, proposal_id, trigger_id, answer), "Discuss")

    @app.view(ids.DISCUSS_VIEW)
    def discuss_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
        proposal_id = read_metadata(view)
        values = view.get("state", {}).get("values", {})
        comment = clean(
            str(values.get(ids.DISCUSS_COMMENT_BLOCK, {}).get(ids.DISCUSS_COMMENT_INPUT, {}).get("value") or "")
        ).strip()
        if proposal_id is None:
            ack(
                response_action="errors",
                errors={ids.DISCUSS_COMMENT_BLOCK: "This form has expired. Close it and click Discuss again."},
            )
            return
        if not comment:
            ack(
                response_action="errors",
                errors={ids.DISCUSS_COMMENT_BLOCK: "Say what you'd like to discuss, so the team can answer."},
            )
            return
        ack()
        team_id, user_id = installation_team(context), body["user"]["id"]
        answer = Answer(client, user_id)
        services.work.submit(lambda: decide(services, client, team_id, user_id, proposal_id, False, comment, answer), "Discuss")


def read_metadata(view: dict) -> int | None:
    try:
        value = json.loads(view.get("private_metadata") or "{}").get("proposal_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and 0 < value <= MAX_ROW_ID else None


def open_form(
    services: Services, client: WebClient, team_id: str, user_id: str, proposal_id: int, trigger_id: str, answer: Answer
) -> None:
    """Check the clicker may decide (and that it still waits) before asking for a comment."""
    try:
        with services.db.reader() as session:
            proposal, project = targets.proposal_by_id(session, team_id=team_id, proposal_id=proposal_id)
            targets.check_may_decide(session, proposal=proposal, project=project, actor=user_id)
    except UserError as error:
        answer(refusal(error))
        return
    try:
        client.views_open(trigger_id=trigger_id, view=messages.discuss_modal(proposal, project.name))
    except Exception:
        log.exception("views.open for a discussion failed")
        answer(reply("Slack didn't open the form in time. Please click Discuss again."))


def decide(
    services: Services, client: WebClient, team_id: str, user_id: str, proposal_id: int, accept: bool,
    comment: str | None, answer: Answer,
) -> None:  # fmt: skip
    try:
        with services.db.transaction() as session:
            targets.decide_proposal(
                session, team_id=team_id, proposal_id=proposal_id, actor=user_id, accept=accept, comment=comment,
                now=utcnow(),
            )  # fmt: skip
    except ProposalDecided as late:
        answer(refusal(late))
        return
    except UserError as error:
        answer(refusal(error))
        return
    except Exception:
        log.exception("deciding date proposal %s failed", proposal_id)
        answer(reply(OOPS))
        return
    refresh_proposal(services, client, team_id=team_id, proposal_id=proposal_id)
    if not accept:
        tell_owner_discuss(services, client, team_id=team_id, proposal_id=proposal_id)
