"""The message shortcut "Add as a step": on a message in a project channel, a form pre-filled from
the message (title, assignee, due date) that adds a step linked to it. Acks first; the form opens,
the permalink is asked for and the step is saved on the work threads."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import steps
from bot.core.audience import Audience, audience, is_named_client
from bot.core.clients import refuse_client
from bot.core.dates import parse_date
from bot.core.errors import NoProjectForMessage, TeamOnly, UserError
from bot.core.grammar import steps as step_grammar
from bot.core.grammar import tokenize
from bot.core.projects import local_today, project_in_channel, require_open
from bot.core.text import USER_ID, clean, cut
from bot.messages import ids
from bot.messages.blocks import reply
from bot.messages.errors import refusal
from bot.messages.home import STEP_TITLE_MAX, add_step_modal, step_added_from_message, step_title_from
from bot.services import Services
from bot.slack.outage import oops
from bot.slack.people import person_facts
from handlers.answer import Answer
from handlers.context import MAX_ROW_ID, installation_team
from storage.models import Project, utcnow

log = logging.getLogger(__name__)
VERB = "add as a step"  # what the audit calls a client's attempt
LINK_MAX = 500


@dataclass(frozen=True)
class Prefill:
    title: str
    assignee_id: str | None
    due: date | None


def register(app: App, services: Services) -> None:
    @app.shortcut(ids.ADD_STEP_SHORTCUT)
    def add_as_step(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        team_id = installation_team(context)
        services.work.submit(lambda: open_form(services, client, body, team_id, respond), "Add as a step")

    @app.view(ids.SHORTCUT_STEP_VIEW)
    def form_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
        meta = read_metadata(view)
        title = read_title(view)
        if meta is None:
            ack(response_action="errors", errors={ids.SHORTCUT_TITLE_BLOCK: "This form has expired. Close it and try again."})
            return
        if not title:
            ack(response_action="errors", errors={ids.SHORTCUT_TITLE_BLOCK: "Give the step a title."})
            return
        ack()
        team_id, user = installation_team(context), body["user"]
        assignee, due = read_assignee(view), read_due(view)
        services.work.submit(
            lambda: add(services, client, team_id, user["id"], user.get("team_id"), meta, title, assignee, due),
            "a step from a message",
        )


def is_client(
    services: Services, client: WebClient, *, team_id: str, user_id: str, payload_team: str | None, project: Project
) -> bool:
    facts = person_facts(services.db, client, team_id=team_id, user_id=user_id, now=utcnow())
    with services.db.reader() as session:
        named = is_named_client(session, project_id=project.id, user_id=user_id)
    return audience(home_team=team_id, payload_team=payload_team, facts=facts, named_client=named) is Audience.CLIENT


def open_form(services: Services, client: WebClient, body: dict, team_id: str, respond: Respond) -> None:
    user_id, payload_team = body["user"]["id"], body["user"].get("team_id")
    channel_id = str((body.get("channel") or {}).get("id") or "")
    message = body.get("message") or {}
    tell = Answer(client, user_id, respond=respond)
    try:
        if not channel_id or channel_id.startswith("D"):
            raise NoProjectForMessage(in_dm=True)
        with services.db.reader() as session:
            project = project_in_channel(session, team_id=team_id, channel_id=channel_id)
        if project is None:
            raise NoProjectForMessage(in_dm=False)
        if is_client(services, client, team_id=team_id, user_id=user_id, payload_team=payload_team, project=project):
            audit_refusal(services, team_id, project.id, user_id)
            raise TeamOnly(VERB, project.id)
    except UserError as error:
        tell(refusal(error))
        return
    prefill = prefilled(
        str(message.get("text") or ""), today=local_today(project.tz, utcnow()), work_days=services.settings.work_days
    )
    metadata = {
        "project_id": project.id,
        "channel_id": channel_id,
        "message_ts": str(body.get("message_ts") or message.get("ts") or ""),
    }
    try:
        client.views_open(
            trigger_id=body.get("trigger_id", ""),
            view=add_step_modal(
                project=project, title=prefill.title, assignee_id=prefill.assignee_id, due=prefill.due, metadata=metadata
            ),
        )
    except Exception:
        log.exception("views.open for Add as a step failed")
        tell(reply("Slack didn't open the form in time, so nothing was added. Please try the shortcut again."))


def prefilled(text: str, *, today: date, work_days: frozenset[int]) -> Prefill:
    """Read the message as `step add` would (`Send the logo @ann due:fri`); else its first line is the title."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    try:
        parsed = step_grammar.step_add(tokenize(clean(first)))
        due = parse_date(parsed.due_word, today, work_days) if parsed.due_word else None
        return Prefill(step_title_from(parsed.title), parsed.assignee_id, due)
    except UserError:
        return Prefill(step_title_from(text), None, None)


def add(
    services: Services, client: WebClient, team_id: str, user_id: str, payload_team: str | None, meta: dict,
    title: str, assignee_id: str | None, due: date | None,
) -> None:  # fmt: skip
    """Save the step, linked to the message (its permalink, when Slack gives one), and say so."""
    now = utcnow()
    tell = Answer(client, user_id, channel_id=meta["channel_id"])
    link = permalink(client, meta["channel_id"], meta["message_ts"])
    try:
        with services.db.reader() as session:
            project = session.get(Project, meta["project_id"])
        if project is None or project.team_id != team_id or project.channel_id != meta["channel_id"]:
            raise NoProjectForMessage(in_dm=False)
        require_open(project)
        if is_client(services, client, team_id=team_id, user_id=user_id, payload_team=payload_team, project=project):
            audit_refusal(services, team_id, project.id, user_id)
            raise TeamOnly(VERB, project.id)
        with services.db.transaction() as session:
            project = session.get(Project, meta["project_id"])
            if project is None:
                raise NoProjectForMessage(in_dm=False)
            step = steps.add_step(
                session, project=project, actor=user_id, title=title, assignee_id=assignee_id, due_date=due, now=now
            )
            step.link = link
            session.add(step)
    except UserError as error:
        tell(refusal(error))
        return
    except Exception as error:
        tell(reply(oops(error, log, "adding a step from a message failed")))
        return
    tell(step_added_from_message(step, project, today=local_today(project.tz, now)))


def permalink(client: WebClient, channel_id: str, message_ts: str) -> str | None:
    if not message_ts:
        return None
    try:
        found = client.chat_getPermalink(channel=channel_id, message_ts=message_ts).get("permalink")
    except Exception:  # the step is worth adding without its link
        log.warning("chat.getPermalink failed for %s/%s", channel_id, message_ts, exc_info=True)
        return None
    return cut(str(found), LINK_MAX) if found else None


def audit_refusal(services: Services, team_id: str, project_id: int | None, user_id: str) -> None:
    try:
        with services.db.transaction() as session:
            refuse_client(session, team_id=team_id, project_id=project_id, actor=user_id, verb=VERB, now=utcnow())
    except Exception:  # the refusal stands; only its audit line is missing
        log.exception("could not audit a refused %s", VERB)


# --- reading the form ---------------------------------------------------------------------------


def read_metadata(view: dict) -> dict | None:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    if not isinstance(meta, dict):
        return None
    project_id, channel, ts = meta.get("project_id"), meta.get("channel_id"), meta.get("message_ts")
    if not (isinstance(project_id, int) and 0 < project_id <= MAX_ROW_ID and isinstance(channel, str) and channel):
        return None
    return {"project_id": project_id, "channel_id": channel, "message_ts": ts if isinstance(ts, str) else ""}


def _value(view: dict, block: str, action: str) -> dict:
    return view.get("state", {}).get("values", {}).get(block, {}).get(action, {}) or {}


def read_title(view: dict) -> str:
    typed = _value(view, ids.SHORTCUT_TITLE_BLOCK, ids.SHORTCUT_TITLE_INPUT).get("value") or ""
    return cut(" ".join(clean(str(typed)).split()), STEP_TITLE_MAX)


def read_assignee(view: dict) -> str | None:
    user = _value(view, ids.SHORTCUT_ASSIGNEE_BLOCK, ids.SHORTCUT_ASSIGNEE_INPUT).get("selected_user")
    return user if isinstance(user, str) and USER_ID.match(user) else None


def read_due(view: dict) -> date | None:
    picked = _value(view, ids.SHORTCUT_DUE_BLOCK, ids.SHORTCUT_DUE_INPUT).get("selected_date")
    try:
        return date.fromisoformat(str(picked)) if picked else None
    except ValueError:
        return None
