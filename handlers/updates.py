"""Post, Edit and Skip on the owner's draft DM of the weekly client update, and the Edit form.
Ack first; the database decides (only the owner, once however many clicks); the DM shows what stands."""

from __future__ import annotations

import json
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core.text import clean
from bot.messages import ids
from bot.messages.blocks import reply
from bot.messages.errors import STALE_BUTTON
from bot.services import Services
from bot.slack.updates import UpdateClick, open_edit, post, save_edit, skip
from handlers.answer import Answer
from handlers.context import MAX_ROW_ID, button_id, installation_team
from storage.models import utcnow


def register(app: App, services: Services) -> None:
    def on_click(name: str, act: Callable[[WebClient, UpdateClick, Answer, dict], None]) -> Callable[..., None]:
        """A button on the owner's DM: ack, then the owner check and the work on the work threads."""

        def clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
            ack()
            click, tell = read_click(body, context), Answer(client, body["user"]["id"], respond=respond)
            if click is None:
                services.work.submit(lambda: tell(reply(STALE_BUTTON)), f"a stale {name}")
                return
            services.work.submit(lambda: act(client, click, tell, body), f"{name} the client update")

        return clicked

    app.action(ids.UPDATE_POST_ACTION)(on_click("Post", lambda client, click, tell, _: post(services, client, click, tell)))
    app.action(ids.UPDATE_SKIP_ACTION)(on_click("Skip", lambda client, click, tell, _: skip(services, client, click, tell)))
    app.action(ids.UPDATE_EDIT_ACTION)(
        on_click(
            "Edit",
            lambda client, click, tell, body: open_edit(
                services, client, click, trigger_id=body.get("trigger_id", ""), tell=tell
            ),
        )
    )

    @app.view(ids.UPDATE_EDIT_VIEW)
    def edit_saved(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
        update_id = read_metadata(view)
        values = view.get("state", {}).get("values", {})
        text = clean(str(values.get(ids.UPDATE_TEXT_BLOCK, {}).get(ids.UPDATE_TEXT_INPUT, {}).get("value") or "")).strip()
        if update_id is None:
            ack(response_action="errors", errors={ids.UPDATE_TEXT_BLOCK: "This form has expired. Close it and click Edit again."})
            return
        if not text:
            ack(response_action="errors", errors={ids.UPDATE_TEXT_BLOCK: "Write what the client should read, or Cancel."})
            return
        ack()  # who may save, and whether it still waits, is checked again atomically: the form may be old
        user = body["user"]
        click = UpdateClick(installation_team(context), user["id"], update_id, utcnow(), user.get("team_id"))
        services.work.submit(lambda: save_edit(services, client, click, text, Answer(client, click.user_id)), "Save the update")


def read_click(body: dict, context: BoltContext) -> UpdateClick | None:
    update_id = button_id(body)
    if update_id is None:
        return None
    user = body["user"]
    return UpdateClick(installation_team(context), user["id"], update_id, utcnow(), user.get("team_id"))


def read_metadata(view: dict) -> int | None:
    try:
        value = json.loads(view.get("private_metadata") or "{}").get("update_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and 0 < value <= MAX_ROW_ID else None
