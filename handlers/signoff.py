"""The closure buttons and forms: **Confirm completion** on the sign-off message (approvers, clients
included) and **Write debrief** in the owner's DM (team-only). Every listener acks first; the
database decides who may and keeps one confirmation per approver."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import signoff
from bot.core.errors import BadRating, DebriefEmpty, UserError
from bot.core.signoff import RATINGS, Debrief
from bot.messages import ids
from bot.messages.blocks import reply
from bot.messages.errors import STALE_BUTTON, error_text
from bot.messages.limits import FIELD_ERROR_MAX
from bot.services import Services
from bot.slack.signoff import Click, confirm, open_confirm_form, open_debrief_form, save_debrief
from handlers.answer import Answer
from handlers.context import MAX_ROW_ID, button_id, installation_team
from storage.models import utcnow

log = logging.getLogger(__name__)
EXPIRED = "This form has expired. Close it and click the button again."


def register(app: App, services: Services) -> None:
    @app.action(ids.SIGNOFF_CONFIRM_ACTION)
    def confirm_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        click, tell = read_click(services, body, context, client, respond, "Confirm completion")
        if click is None:
            return
        trigger_id = body.get("trigger_id", "")
        services.work.submit(
            lambda: open_confirm_form(services, client, click, trigger_id=trigger_id, tell=tell), "Confirm completion"
        )

    @app.view(ids.SIGNOFF_VIEW)
    def confirm_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
        closing_id, values = read_metadata(view), view.get("state", {}).get("values", {})
        rating = read_rating(values)
        if closing_id is None:
            ack(response_action="errors", errors={ids.SIGNOFF_RATING_BLOCK: EXPIRED})
            return
        if rating is None:
            ack(response_action="errors", errors={ids.SIGNOFF_RATING_BLOCK: field_error(BadRating())})
            return
        ack()  # who may confirm is checked again below, atomically: the form may be minutes old
        comment = typed(values, ids.SIGNOFF_COMMENT_BLOCK, ids.SIGNOFF_COMMENT_INPUT)
        click = Click(installation_team(context), body["user"]["id"], closing_id, utcnow())
        services.work.submit(
            lambda: confirm(
                services, client, click, rating=rating, comment=comment, tell=answer_in_channel(services, client, click)
            ),
            "a completion sign-off",
        )

    @app.action(ids.DEBRIEF_ACTION)
    def debrief_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        click, tell = read_click(services, body, context, client, respond, "Write debrief")
        if click is None:
            return
        trigger_id, dm = body.get("trigger_id", ""), clicked_message(body)
        services.work.submit(
            lambda: open_debrief_form(services, client, click, trigger_id=trigger_id, dm=dm, tell=tell), "Write debrief"
        )

    @app.view(ids.DEBRIEF_VIEW)
    def debrief_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
        closing_id, values = read_metadata(view), view.get("state", {}).get("values", {})
        debrief = Debrief.typed(
            typed(values, ids.DEBRIEF_WELL_BLOCK, ids.DEBRIEF_WELL_INPUT),
            typed(values, ids.DEBRIEF_IMPROVE_BLOCK, ids.DEBRIEF_IMPROVE_INPUT),
            typed(values, ids.DEBRIEF_LESSONS_BLOCK, ids.DEBRIEF_LESSONS_INPUT),
        )
        if closing_id is None:
            ack(response_action="errors", errors={ids.DEBRIEF_WELL_BLOCK: EXPIRED})
            return
        if debrief.empty:
            ack(response_action="errors", errors={ids.DEBRIEF_WELL_BLOCK: field_error(DebriefEmpty())})
            return
        ack()  # only the owner may save it: checked below, in the same transaction as the save
        user_id = body["user"]["id"]
        click = Click(installation_team(context), user_id, closing_id, utcnow())
        dm = read_dm(view)
        services.work.submit(
            lambda: save_debrief(services, client, click, debrief=debrief, dm=dm, tell=Answer(client, user_id)), "a debrief"
        )


# --- reading payloads --------------------------------------------------------------------------


def _metadata(view: dict) -> dict[str, Any]:
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def read_metadata(view: dict) -> int | None:
    value = _metadata(view).get("closing_id")
    return value if isinstance(value, int) and 0 < value <= MAX_ROW_ID else None


def read_dm(view: dict) -> tuple[str, str] | None:
    """The DM the debrief form was opened from, so the saved debrief can replace its button."""
    dm = _metadata(view).get("dm")
    if isinstance(dm, list) and len(dm) == 2 and all(isinstance(x, str) and 0 < len(x) <= 32 for x in dm):
        return dm[0], dm[1]
    return None


def read_click(
    services: Services, body: dict, context: BoltContext, client: WebClient, respond: Respond, name: str
) -> tuple[Click | None, Answer]:
    """Who clicked which closing's button, and how to answer them; a button without a usable id
    is answered as stale (after the ack, on the work threads) and gives no click."""
    user_id, closing_id = body["user"]["id"], button_id(body)
    tell = Answer(client, user_id, respond=respond)
    if closing_id is None:
        services.work.submit(lambda: tell(reply(STALE_BUTTON)), f"a stale {name}")
        return None, tell
    return Click(installation_team(context), user_id, closing_id, utcnow()), tell


def clicked_message(body: dict) -> tuple[str, str] | None:
    container = body.get("container") or {}
    if container.get("is_ephemeral"):  # a status card: Slack can't update it; the saved debrief goes by DM
        return None
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return (channel, ts) if isinstance(channel, str) and isinstance(ts, str) else None


def read_rating(values: dict) -> int | None:
    picked = values.get(ids.SIGNOFF_RATING_BLOCK, {}).get(ids.SIGNOFF_RATING_INPUT, {}).get("selected_option") or {}
    value = str(picked.get("value") or "") if isinstance(picked, dict) else ""
    return int(value) if value.isascii() and value.isdigit() and int(value) in RATINGS else None


def typed(values: dict, block_id: str, action_id: str) -> str:
    """What was typed in a text field, as the user wrote it (cleaned and cut by the core)."""
    value = values.get(block_id, {}).get(action_id, {}).get("value")
    return value if isinstance(value, str) else ""


def field_error(error: UserError) -> str:
    return error_text(error)[:FIELD_ERROR_MAX]


# --- answering ---------------------------------------------------------------------------------


def answer_in_channel(services: Services, client: WebClient, click: Click) -> Answer:
    """Form submissions have no response_url: answer ephemerally where the sign-off message is."""
    try:
        with services.db.reader() as session:
            closing, project = signoff.closing_by_id(session, team_id=click.team_id, closing_id=click.closing_id)
        channel = closing.channel_id or project.channel_id
    except UserError:
        channel = None
    return Answer(client, click.user_id, channel_id=channel)
