"""The `/project new` modal: check the form inside `ack()` (errors show in the modal), create after."""

from __future__ import annotations

import json
import logging
from datetime import date

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.core import projects
from bot.core.errors import UserError
from bot.core.text import USER_ID, cut, unescape
from bot.messages import ids, views
from bot.services import Services
from bot.slack.people import user_tz
from handlers.context import OOPS, installation_team
from storage.models import utcnow

log = logging.getLogger(__name__)


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
        try:
            with services.db.reader() as session:
                projects.check_new_project(session, team_id=team_id, channel_id=channel_id, name=form["name"])
        except UserError as error:
            ack(response_action="errors", errors={ids.NEW_NAME_BLOCK: cut(_plain_sentence(str(error)), 150)})
            return
        ack()
        try:
            tz = user_tz(services.db, client, team_id=team_id, user_id=user_id, default_tz=services.settings.default_tz, now=now)
            with services.db.transaction() as session:
                project = projects.create_project(
                    session,
                    team_id=team_id,
                    channel_id=channel_id,
                    owner_id=user_id,
                    name=form["name"],
                    client=form["client"],
                    target_date=form["target"],
                    tz=tz,
                    approvers=form["approvers"],
                    now=now,
                )
            message = views.project_created(project, form["approvers"])
        except UserError as error:  # someone created the same project between the check and now
            message = views.reply(str(error))
        except Exception:
            log.exception("creating a project from the modal failed")
            message = views.reply(OOPS)
        tell(client, metadata.get("response_url"), channel_id, user_id, message)


def read_form(view: dict) -> dict:
    values = view.get("state", {}).get("values", {})

    def field(block: str, action: str) -> dict:
        return values.get(block, {}).get(action, {}) or {}

    name = " ".join((field(ids.NEW_NAME_BLOCK, ids.NEW_NAME_INPUT).get("value") or "").split())
    client = " ".join((field(ids.NEW_CLIENT_BLOCK, ids.NEW_CLIENT_INPUT).get("value") or "").split())
    picked = field(ids.NEW_TARGET_BLOCK, ids.NEW_TARGET_INPUT).get("selected_date")
    try:
        target = date.fromisoformat(picked) if picked else None
    except ValueError:
        target = None
    approvers = [
        u for u in field(ids.NEW_APPROVERS_BLOCK, ids.NEW_APPROVERS_INPUT).get("selected_users") or [] if USER_ID.match(u)
    ]
    return {
        "name": cut(name, 80),
        "client": cut(client, 80) or None,
        "target": target,
        "approvers": list(dict.fromkeys(approvers)),
    }


def tell(client: WebClient, response_url: str | None, channel_id: str, user_id: str, message: dict) -> None:
    """Answer where the command was run: by its response_url while it lasts (30 minutes), else
    in the channel (public replies) or to the user alone, and as a last resort by DM."""
    if response_url:
        try:
            if WebhookClient(response_url).send_dict(message).status_code == 200:
                return
        except Exception:
            log.warning("the response_url of a /project new form no longer answers")
    content = {"text": message["text"], "blocks": message["blocks"]}
    attempts = [lambda: client.chat_postEphemeral(channel=channel_id, user=user_id, **content)]
    if message.get("response_type") == "in_channel":
        attempts.insert(0, lambda: client.chat_postMessage(channel=channel_id, **content))
    attempts.append(lambda: client.chat_postMessage(channel=user_id, **content))
    for attempt in attempts:
        try:
            attempt()
            return
        except Exception:
            log.warning("could not confirm the new project this way; trying the next", exc_info=True)
    log.error("could not confirm the new project to %s", user_id)


def _plain_sentence(mrkdwn: str) -> str:
    """A refusal written for mrkdwn, as plain text for a modal's field error."""
    return unescape(mrkdwn.replace("*", "").replace("`", ""))
