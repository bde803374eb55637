"""The Accept and Discuss buttons of date-change proposals (on their message, and in the
approver's chase DM), and the Discuss comment form. Ack first; the database decides (one outcome
however many clicks); the message shows what stands."""

from __future__ import annotations

import json
import logging
from datetime import date

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import overview
from bot.core.errors import NoProjectHere, UserError
from bot.core.projects import require_open, require_owner
from bot.core.text import clean
from bot.messages import ids
from bot.messages import targets as messages
from bot.messages.blocks import reply
from bot.messages.errors import STALE_BUTTON, refusal
from bot.messages.format import mention
from bot.messages.reminders import carried_dm, dm_carried, proposal_resolved
from bot.services import Services
from bot.slack.proposals import decide_proposal, open_discuss_form, propose_target
from handlers.answer import Answer
from handlers.context import MAX_ROW_ID, button_id, installation_team
from storage.models import Project, utcnow

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

    @app.action(ids.CHASE_ACCEPT_ACTION)
    def chase_accept_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        """Accept in the approver's chase DM: the same single decision as on the channel message."""
        ack()
        team_id, user_id, proposal_id = installation_team(context), body["user"]["id"], button_id(body)
        answer = Answer(client, user_id, respond=respond)
        if proposal_id is None:
            services.work.submit(lambda: answer(reply(STALE_BUTTON)), "a stale Accept (DM)")
            return

        def accept() -> None:
            if decide(services, client, team_id, user_id, proposal_id, True, None, answer):
                note = f":white_check_mark: Accepted by {mention(user_id)}. The message in the project channel says so."
                container = body.get("container") or {}
                where = str(container.get("channel_id") or ""), str(container.get("message_ts") or "")
                _update_dm(client, *where, body.get("message") or {}, proposal_id, note)

        services.work.submit(accept, "Accept (DM)")

    @app.action(ids.CHASE_DISCUSS_ACTION)
    def chase_discuss_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        """Discuss in the chase DM: the same comment form as on the channel message."""
        ack()
        team_id, user_id, proposal_id = installation_team(context), body["user"]["id"], button_id(body)
        answer = Answer(client, user_id, respond=respond)
        if proposal_id is None:
            services.work.submit(lambda: answer(reply(STALE_BUTTON)), "a stale Discuss (DM)")
            return
        trigger_id = body.get("trigger_id", "")
        container = body.get("container") or {}
        dm = carried_dm(str(container.get("channel_id") or ""), str(container.get("message_ts") or ""), body.get("message") or {})
        services.work.submit(
            lambda: open_form(services, client, team_id, user_id, proposal_id, trigger_id, answer, dm=dm), "Discuss (DM)"
        )

    @app.action(ids.PROPOSE_DATE_ACTION)
    def propose_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        team_id, user_id, project_id = installation_team(context), body["user"]["id"], button_id(body)
        answer = Answer(client, user_id, respond=respond)
        trigger_id = body.get("trigger_id", "")
        if project_id is None:
            services.work.submit(lambda: answer(reply(STALE_BUTTON)), "a stale Propose")
            return
        services.work.submit(
            lambda: open_propose_form(services, client, team_id, user_id, project_id, trigger_id, answer), "Propose"
        )

    @app.view(ids.PROPOSE_VIEW)
    def propose_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
        values = view.get("state", {}).get("values", {})
        picked = values.get(ids.PROPOSE_DATE_BLOCK, {}).get(ids.PROPOSE_DATE_INPUT, {}).get("selected_date")
        reason = clean(str(values.get(ids.PROPOSE_REASON_BLOCK, {}).get(ids.PROPOSE_REASON_INPUT, {}).get("value") or "")).strip()
        try:
            project_id = int(json.loads(view.get("private_metadata") or "{}")["project_id"])
            new_target = date.fromisoformat(str(picked))
        except (ValueError, KeyError, TypeError):
            ack(response_action="errors", errors={ids.PROPOSE_DATE_BLOCK: "Pick a date (or close the form and click again)."})
            return
        ack()
        team_id, user_id = installation_team(context), body["user"]["id"]

        def propose() -> None:
            message = propose_target(
                services, client, team_id=team_id, user_id=user_id, channel_id="", project_name=None,
                new_target=new_target, reason=reason or None, now=utcnow(), project_id=project_id,
            )  # fmt: skip
            Answer(client, user_id)(message)

        services.work.submit(propose, "a proposal from the form")

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
        carried = _carried(view)

        def discuss() -> None:
            if decide(services, client, team_id, user_id, proposal_id, False, comment, answer) and carried is not None:
                channel, ts, message = carried  # opened from the chase DM: it says so now
                note = f":speech_balloon: {mention(user_id)} asked to discuss it; the owner is told."
                _update_dm(client, channel, ts, message or {}, proposal_id, note)

        services.work.submit(discuss, "Discuss")


def read_metadata(view: dict) -> int | None:
    try:
        value = json.loads(view.get("private_metadata") or "{}").get("proposal_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and 0 < value <= MAX_ROW_ID else None


def _carried(view: dict) -> tuple[str, str, dict | None] | None:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    found = dm_carried(metadata) if isinstance(metadata, dict) else None
    return found if found is not None and found[2] is not None else None


def open_form(
    services: Services, client: WebClient, team_id: str, user_id: str, proposal_id: int, trigger_id: str, answer: Answer,
    dm: dict | None = None,
) -> None:  # fmt: skip
    """Check the clicker may decide (and that it still waits) before asking for a comment."""
    open_discuss_form(
        services,
        client,
        team_id=team_id,
        user_id=user_id,
        proposal_id=proposal_id,
        trigger_id=trigger_id,
        tell=answer,
        extra=dm,
    )


def open_propose_form(
    services: Services, client: WebClient, team_id: str, user_id: str, project_id: int, trigger_id: str, answer: Answer
) -> None:
    """The owner's form to propose a new target, pre-filled with the forecast."""
    try:
        with services.db.reader() as session:
            project = session.get(Project, project_id)
            if project is None or project.team_id != team_id:
                raise NoProjectHere()
            require_open(project)
            require_owner(project, user_id, "change the target date")
            forecast = overview.status_of(session, project, utcnow(), services.settings.work_days).forecast
    except UserError as error:
        answer(refusal(error))
        return
    try:
        client.views_open(trigger_id=trigger_id, view=messages.propose_modal(project, forecast))
    except Exception:
        log.exception("views.open for a date proposal failed")
        answer(reply("Slack didn't open the form in time. Please click Propose new date again."))


def decide(
    services: Services, client: WebClient, team_id: str, user_id: str, proposal_id: int, accept: bool,
    comment: str | None, answer: Answer,
) -> bool:  # fmt: skip
    """Record the decision (one, however many clicks) and show it; True when this click made it."""
    return decide_proposal(
        services, client, team_id=team_id, user_id=user_id, proposal_id=proposal_id, accept=accept, comment=comment,
        tell=answer,
    )  # fmt: skip


def _update_dm(client: WebClient, channel: str, ts: str, message: dict, proposal_id: int, note: str) -> None:
    """Rewrite the chase DM: what happened instead of Accept / Discuss, counts updated."""
    if not channel or not ts:
        return
    text, blocks = proposal_resolved(message.get("blocks") or [], proposal_id, note)
    try:
        client.chat_update(channel=channel, ts=ts, text=text or message.get("text") or "Reminder", blocks=blocks)
    except Exception:
        log.exception("could not update the chase DM")
