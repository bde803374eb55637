"""The Accept and Discuss buttons of date-change proposals, and the Discuss comment form. Ack
first; the database decides (one outcome however many clicks); the message shows what stands."""

from __future__ import annotations

import json
import logging
from datetime import date

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import overview, targets
from bot.core.errors import NoProjectHere, ProposalDecided, UserError
from bot.core.projects import require_open, require_owner
from bot.core.text import clean
from bot.messages import ids
from bot.messages import plan as messages
from bot.messages.blocks import reply
from bot.messages.errors import OOPS, STALE_BUTTON, refusal
from bot.services import Services
from bot.slack.proposals import propose_target, refresh_proposal, tell_owner_discuss
from bot.work import done_before, note_done
from handlers.answer import Answer
from handlers.context import MAX_ROW_ID, button_id, installation_team
from storage.models import Project, utcnow

log = logging.getLogger(__name__)
DECIDED, TOLD = "decided", "owner told"  # the job's notes: the click's decision, the owner's DM about it


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
) -> None:  # fmt: skip
    try:
        if not done_before(DECIDED):  # decided by this click before its worker stopped: show it, don't refuse it
            with services.db.transaction() as session:
                targets.decide_proposal(
                    session, team_id=team_id, proposal_id=proposal_id, actor=user_id, accept=accept, comment=comment,
                    now=utcnow(),
                )  # fmt: skip
                note_done(DECIDED, session=session)
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
    if not accept and not done_before(TOLD):
        tell_owner_discuss(services, client, team_id=team_id, proposal_id=proposal_id)
        note_done(TOLD)
