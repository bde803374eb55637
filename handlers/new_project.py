"""The `/project new` modal: check the form inside `ack()` (errors show in the modal), create after."""

from __future__ import annotations

import json
import logging
import re
from datetime import date

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.core import projects
from bot.core.audience import Audience, audience
from bot.core.errors import InternalIsProjectChannel, TeamOnly, UserError
from bot.core.grammar.hours import BUDGET_MAX, checked_hours, hours_of
from bot.core.text import USER_ID, clean, cut, unescape
from bot.messages import ids
from bot.messages.blocks import reply
from bot.messages.errors import error_text, refusal
from bot.messages.limits import FIELD_ERROR_MAX
from bot.services import Services
from bot.slack.channels import announce
from bot.slack.outage import oops
from bot.slack.people import person_facts, user_tz
from bot.work import mark_written, replaying, written_project
from handlers.answer import Answer
from handlers.context import installation_team
from storage.models import utcnow

log = logging.getLogger(__name__)
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{1,30}$")  # a channel the team picked (never a DM)


def register(app: App, services: Services) -> None:
    @app.view(ids.NEW_PROJECT_VIEW)
    def new_project_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
        team_id = installation_team(context)
        user_id = body["user"]["id"]
        now = utcnow()
        form = read_form(view)
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
            channel_id = metadata["channel_id"]
        except (ValueError, KeyError, TypeError):
            ack(
                response_action="errors",
                errors={ids.NEW_NAME_BLOCK: "This form has expired. Close it and run /project new again."},
            )
            return
        if not form["name"]:
            ack(response_action="errors", errors={ids.NEW_NAME_BLOCK: "Give the project a name."})
            return
        if errors := form_errors(form, channel_id):
            ack(response_action="errors", errors=errors)
            return
        try:
            if not replaying():  # the ack checked it; creating checks again, and answers if it changed
                with services.db.reader() as session:
                    projects.check_new_project(session, team_id=team_id, channel_id=channel_id, name=form["name"])
        except UserError as error:
            ack(response_action="errors", errors={ids.NEW_NAME_BLOCK: cut(_plain_sentence(error_text(error)), FIELD_ERROR_MAX)})
            return
        ack()

        def create() -> None:
            answer = Answer(client, user_id, channel_id=channel_id, response_url=metadata.get("response_url"))
            facts = person_facts(services.db, client, team_id=team_id, user_id=user_id, now=now)
            found = audience(home_team=team_id, payload_team=body["user"].get("team_id"), facts=facts, named_client=False)
            if found is Audience.CLIENT:  # only a team member can open this form, but a payload can be replayed
                answer(refusal(TeamOnly("new")))
                return
            hints = None
            try:
                project_id = written_project()  # by this request, before its worker stopped
                if project_id is None:
                    tz = user_tz(
                        services.db, client, team_id=team_id, user_id=user_id, default_tz=services.settings.default_tz, now=now
                    )
                    with services.db.transaction() as session:
                        project = projects.create_project(
                            session, team_id=team_id, channel_id=channel_id, owner_id=user_id, name=form["name"],
                            client=form["client"], target_date=form["target"], tz=tz, approvers=form["approvers"], now=now,
                            budget_hours=form["budget"], internal_channel_id=form["internal"],
                        )  # fmt: skip
                        assert project.id is not None
                        project_id = project.id
                        mark_written(session, answer=None, project_id=project_id)
                message, hints = announce(services, client, project_id=project_id, approvers=form["approvers"], now=now)
            except UserError as error:  # someone created the same project between the check and now
                message = refusal(error)
            except Exception as error:
                message = reply(oops(error, log, "creating a project from the modal failed"))
            # The form's command may be minutes old: its response_url lasts 30 minutes.
            answer(message)
            if hints is not None:
                answer(hints)

        services.work.submit(create, "a project from the form")


def read_form(view: dict) -> dict:
    values = view.get("state", {}).get("values", {})

    def field(block: str, action: str) -> dict:
        return values.get(block, {}).get(action, {}) or {}

    name = " ".join(clean(str(field(ids.NEW_NAME_BLOCK, ids.NEW_NAME_INPUT).get("value") or "")).split())
    client = " ".join(clean(str(field(ids.NEW_CLIENT_BLOCK, ids.NEW_CLIENT_INPUT).get("value") or "")).split())
    picked = field(ids.NEW_TARGET_BLOCK, ids.NEW_TARGET_INPUT).get("selected_date")
    try:
        target = date.fromisoformat(picked) if picked else None
    except ValueError:
        target = None
    approvers = [
        u for u in field(ids.NEW_APPROVERS_BLOCK, ids.NEW_APPROVERS_INPUT).get("selected_users") or [] if USER_ID.match(u)
    ]
    budget = " ".join(clean(str(field(ids.NEW_BUDGET_BLOCK, ids.NEW_BUDGET_INPUT).get("value") or "")).split())
    internal = field(ids.NEW_INTERNAL_BLOCK, ids.NEW_INTERNAL_INPUT).get("selected_conversation")
    return {
        "name": cut(name, 80),
        "client": cut(client, 80) or None,
        "target": target,
        "approvers": list(dict.fromkeys(approvers)),
        "budget_text": budget,
        "budget": hours_of(budget) if budget else None,
        "internal": internal if isinstance(internal, str) and _CHANNEL_ID.match(internal) else None,
        "internal_picked": internal is not None,
    }


def form_errors(form: dict, channel_id: str) -> dict[str, str]:
    """The budget and the internal channel, checked as `new … budget: internal:` checks them."""
    errors = {}
    if form["budget_text"]:
        try:
            checked_hours(form["budget"], form["budget_text"], what="budget", most=BUDGET_MAX)
        except UserError as error:
            errors[ids.NEW_BUDGET_BLOCK] = cut(_plain_sentence(error_text(error)), FIELD_ERROR_MAX)
    if form["internal_picked"] and form["internal"] is None:
        errors[ids.NEW_INTERNAL_BLOCK] = "Pick a channel of your team."
    elif form["internal"] is not None and form["internal"] == channel_id:
        errors[ids.NEW_INTERNAL_BLOCK] = cut(_plain_sentence(error_text(InternalIsProjectChannel())), FIELD_ERROR_MAX)
    return errors


def _plain_sentence(mrkdwn: str) -> str:
    """A refusal written for mrkdwn, as plain text for a modal's field error."""
    return unescape(mrkdwn.replace("*", "").replace("`", ""))
