"""Re-assign and New date on an escalation DM: they change the step as `/project step assign #n
@person` and `step due #n <date>` would (the same core rules and audit; re-assigning is the team's,
as the command is), then the DM says what changed, its first line recounted.

New date opens a form; the DM's blocks ride along in the form (packed) so the DM can be rewritten
when it is submitted; a DM too long to carry gets a short reply in its thread instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import steps
from bot.core.audience import Audience, audience, is_named_client
from bot.core.clients import refuse_client
from bot.core.errors import TeamOnly, UserError
from bot.core.projects import local_today
from bot.core.steps import step_for_button
from bot.messages import ids
from bot.messages.blocks import reply
from bot.messages.errors import OOPS, STALE_BUTTON, refusal
from bot.messages.format import day, mention, shown
from bot.messages.reminders import carried_dm, dm_carried, new_date_form, step_resolved
from bot.services import Services
from bot.slack.people import person_facts
from handlers.answer import Answer
from handlers.context import MAX_ROW_ID, button_id, installation_team
from storage.models import Project, Step, utcnow

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(ids.ESCALATION_ASSIGN_ACTION)
    def reassign(ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
        ack()
        services.work.submit(lambda: _reassign(services, body, client, context, respond), "Re-assign (DM)")

    @app.action(ids.ESCALATION_DATE_ACTION)
    def new_date(ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
        ack()
        services.work.submit(lambda: _open_form(services, body, client, context, respond), "New date (DM)")

    @app.view(ids.NEW_DATE_VIEW)
    def date_submitted(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        chosen = _picked(body)
        form = _metadata(body)
        if chosen is None:
            ack(response_action="errors", errors={ids.NEW_DATE_BLOCK: "Pick the new due date."})
            return
        step_id = form.get("step")
        today = _today_of(services, installation_team(context), step_id) if isinstance(step_id, int) else None
        if today is not None and chosen < today:
            ack(response_action="errors", errors={ids.NEW_DATE_BLOCK: f"Pick today ({day(today)}) or a later day."})
            return
        ack()
        services.work.submit(lambda: _set_date(services, body, client, context, form, chosen), "New date (form)")


# --- the step changes, with the commands' own rules and rights ---------------------------------------


def _change(
    services: Services, client: WebClient, *, team_id: str, user_id: str, payload_team: str | None, step_id: int,
    team_only: str | None, change: Callable[[Session, Project, Step, datetime], object],
) -> None:  # fmt: skip
    """Change the DM's step in one transaction, with the rights of the command it stands for: the
    step's assignee or owner (`step_for_button`), and for a team verb (`team_only`: its name) never
    a client, whose attempt is refused and audited like the command's."""
    now = utcnow()
    with services.db.reader() as session:  # a step of this workspace, and someone who may act on it
        _, project = step_for_button(session, team_id=team_id, step_id=step_id, actor=user_id)
    if team_only is not None:
        facts = person_facts(services.db, client, team_id=team_id, user_id=user_id, now=now)
        with services.db.transaction() as session:
            named = is_named_client(session, project_id=project.id, user_id=user_id)
            if audience(home_team=team_id, payload_team=payload_team, facts=facts, named_client=named) is Audience.CLIENT:
                refuse_client(session, team_id=team_id, project_id=project.id, actor=user_id, verb=team_only, now=now)
                refused = TeamOnly(team_only, project.id)
            else:
                refused = None
        if refused is not None:
            raise refused
    with services.db.transaction() as session:
        step, project = step_for_button(session, team_id=team_id, step_id=step_id, actor=user_id)
        change(session, project, step, now)


def _reassign(services: Services, body: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
    user_id = body["user"]["id"]
    tell = Answer(client, user_id, respond=respond)
    action = (body.get("actions") or [{}])[0]
    chosen = str(action.get("selected_user") or "")
    step_id = _step_of_block(str(action.get("block_id") or ""))
    if step_id is None or not chosen.startswith(("U", "W")):
        tell(reply(STALE_BUTTON))
        return
    try:
        _change(
            services, client, team_id=installation_team(context), user_id=user_id, payload_team=body["user"].get("team_id"),
            step_id=step_id, team_only="step assign",
            change=lambda session, project, step, now: steps.assign_step(
                session, project=project, actor=user_id, number=step.number, assignee_id=chosen, now=now
            ),
        )  # fmt: skip
    except UserError as error:
        tell(refusal(error))
        return
    except Exception:
        log.exception("re-assigning from an escalation DM failed")
        tell(reply(OOPS))
        return
    note = f":busts_in_silhouette: Re-assigned to {mention(chosen)} by {mention(user_id)}."
    _update_dm(client, _dm_of(body), body.get("message") or {}, step_id, note)


def _open_form(services: Services, body: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
    user_id = body["user"]["id"]
    tell = Answer(client, user_id, respond=respond)
    step_id = button_id(body)
    if step_id is None:
        tell(reply(STALE_BUTTON))
        return
    try:
        with services.db.reader() as session:  # refuse before the form, not after it
            step, project = step_for_button(session, team_id=installation_team(context), step_id=step_id, actor=user_id)
    except UserError as error:
        tell(refusal(error))
        return
    metadata: dict[str, Any] = {"step": step_id, **carried_dm(*_dm_of(body), body.get("message") or {})}
    today = local_today(project.tz, utcnow())
    initial = max(step.due_date or today, today)
    form = new_date_form(label=f"#{step.number} {step.title}", project_name=project.name, initial=initial, metadata=metadata)
    try:
        client.views_open(trigger_id=body.get("trigger_id", ""), view=form)
    except Exception:
        log.exception("views.open for a new date failed")
        tell(reply("Slack didn't open the form in time. Please click New date again."))


def _set_date(services: Services, body: dict, client: WebClient, context: BoltContext, form: dict, chosen: date) -> None:
    user_id = body["user"]["id"]
    tell = Answer(client, user_id)
    labels: list[str] = []  # the step's "#n title", for a reply when the DM can't be rewritten

    def redate(session: Session, project: Project, step: Step, now: datetime) -> None:
        steps.set_step_due(session, project=project, actor=user_id, number=step.number, due_date=chosen, now=now)
        labels.append(f"#{step.number} {step.title}")

    step_id = form.get("step")
    if not isinstance(step_id, int) or not 0 < step_id <= MAX_ROW_ID:
        tell(reply(STALE_BUTTON))
        return
    try:
        _change(  # `step due`: the team, or a client on a step of their own (the assignee)
            services, client, team_id=installation_team(context), user_id=user_id, payload_team=body["user"].get("team_id"),
            step_id=step_id, team_only=None,
            change=redate,
        )  # fmt: skip
    except UserError as error:
        tell(refusal(error))
        return
    except Exception:
        log.exception("a new date from an escalation DM failed")
        tell(reply(OOPS))
        return
    note = f":date: New date {day(chosen)}, set by {mention(user_id)}."
    carried = dm_carried(form)
    if carried is None:
        return
    channel, ts, message = carried
    if message is not None:
        _update_dm(client, (channel, ts), message, step_id, note)
    else:  # a DM too long to carry in the form: say it under the step's DM instead
        try:
            client.chat_postMessage(channel=channel, thread_ts=ts, text=f"{shown(''.join(labels))}: {note}")
        except Exception:
            log.exception("could not reply under the escalation DM")


def _update_dm(client: WebClient, where: tuple[str, str], message: dict, step_id: int, note: str) -> None:
    """Rewrite the escalation DM: the step's buttons become `note`, the first line recounted."""
    channel, ts = where
    if not channel or not ts:
        return
    text, blocks = step_resolved(message.get("blocks") or [], step_id, note)
    try:
        client.chat_update(channel=channel, ts=ts, text=text or message.get("text") or "Reminder", blocks=blocks)
    except Exception:
        log.exception("could not update the escalation DM")


# --- reading the payloads -------------------------------------------------------------------------


def _dm_of(body: dict) -> tuple[str, str]:
    container = body.get("container") or {}
    return str(container.get("channel_id") or ""), str(container.get("message_ts") or "")


def _step_of_block(block_id: str) -> int | None:
    """The step id of an escalated step's actions block (`reminder_step_<id>`)."""
    rest = block_id.removeprefix(ids.REMINDER_STEP_BLOCK)
    if rest == block_id or not (rest.isascii() and rest.isdigit()) or not 0 < int(rest) <= MAX_ROW_ID:
        return None
    return int(rest)


def _picked(body: dict) -> date | None:
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    raw = (values.get(ids.NEW_DATE_BLOCK) or {}).get(ids.NEW_DATE_INPUT, {}).get("selected_date")
    try:
        return date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def _metadata(body: dict) -> dict:
    try:
        found = json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _today_of(services: Services, team_id: str, step_id: int) -> date | None:
    """The step's project's today, for the form's check (a read, no Slack call: the ack can wait on it)."""
    with services.db.reader() as session:
        step = session.get(Step, step_id)
        project = session.get(Project, step.project_id) if step is not None and step.team_id == team_id else None
        return local_today(project.tz, utcnow()) if project is not None else None
