"""The Approve and Reject buttons of approval messages, and the reject-reason modal. Every
listener acks first; the database decides; the message is rewritten to show what stands."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import approvals
from bot.core.approvals import Verdict
from bot.core.errors import UserError
from bot.core.text import clean
from bot.messages import ids
from bot.messages.blocks import reply
from bot.messages.errors import STALE_BUTTON
from bot.services import Services
from bot.slack.approvals import Click, decide, open_reject_modal
from handlers.answer import Answer
from handlers.context import MAX_ROW_ID, button_id, installation_team
from storage.models import utcnow

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(ids.APPROVE_ACTION)
    def approve_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        click = read_click(body, context)
        tell = Answer(client, click.user_id, respond=respond)
        if click.deliverable_id is None:
            services.work.submit(lambda: tell(reply(STALE_BUTTON)), "a stale Approve")
            return
        services.work.submit(lambda: decide(services, client, click, Verdict.APPROVED, reason=None, tell=tell), "Approve")

    @app.action(ids.REJECT_ACTION)
    def reject_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        click = read_click(body, context)
        tell = Answer(client, click.user_id, respond=respond)
        if click.deliverable_id is None:
            services.work.submit(lambda: tell(reply(STALE_BUTTON)), "a stale Reject")
            return
        trigger_id = body.get("trigger_id", "")
        services.work.submit(lambda: open_reject_modal(services, client, click, trigger_id=trigger_id, tell=tell), "Reject")

    @app.view(ids.REJECT_VIEW)
    def reject_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
        deliverable_id = read_metadata(view)
        reason = read_reason(view)
        problem = form_problem(deliverable_id, reason)
        if problem:
            ack(response_action="errors", errors={ids.REJECT_REASON_BLOCK: problem})
            return
        ack()  # the decision itself is checked again below, atomically: the modal may be minutes old
        click = Click(installation_team(context), body["user"]["id"], deliverable_id, utcnow())
        services.work.submit(
            lambda: decide(
                services, client, click, Verdict.REJECTED, reason=reason, tell=answer_in_channel(services, client, click)
            ),
            "a rejection",
        )


# --- reading payloads --------------------------------------------------------------------------


def read_click(body: dict, context: BoltContext) -> Click:
    return Click(team_id=installation_team(context), user_id=body["user"]["id"], deliverable_id=button_id(body), now=utcnow())


def read_metadata(view: dict) -> int | None:
    try:
        value = json.loads(view.get("private_metadata") or "{}").get("deliverable_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and 0 < value <= MAX_ROW_ID else None


def form_problem(deliverable_id: int | None, reason: str) -> str | None:
    """What to show under the reason field instead of closing the modal, if anything."""
    if deliverable_id is None:
        return "This form has expired. Close it and click Reject again."
    if not reason:
        return "Say what needs to change, so the team can fix it."
    return None


def read_reason(view: dict) -> str:
    values = view.get("state", {}).get("values", {})
    typed = values.get(ids.REJECT_REASON_BLOCK, {}).get(ids.REJECT_REASON_INPUT, {}).get("value") or ""
    return clean(str(typed)).strip()


# --- answering -------------------------------------------------------------------------------


def answer_in_channel(services: Services, client: WebClient, click: Click) -> Answer:
    """Modal submissions have no response_url: answer ephemerally in the deliverable's channel."""
    channel = None
    if click.deliverable_id is not None:
        try:
            with services.db.reader() as session:
                channel = approvals.deliverable_by_id(
                    session, team_id=click.team_id, deliverable_id=click.deliverable_id
                ).channel_id
        except UserError:
            channel = None
    return Answer(client, click.user_id, channel_id=channel)
