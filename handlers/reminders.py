"""The buttons on reminder DMs: Mark done and Snooze 1 day, for the step's assignee or the project's
owner. Ack first; then change the step and update the DM in place."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import projects, steps
from bot.core.dates import next_working_day
from bot.core.errors import UserError
from bot.messages import ids
from bot.messages.blocks import reply
from bot.messages.errors import OOPS, refusal
from bot.messages.format import day, mention
from bot.messages.reminders import step_resolved
from bot.services import Services
from bot.slack.people import user_tz
from handlers.answer import Answer
from handlers.context import button_id, installation_team
from storage.models import utcnow

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(ids.STEP_DONE_ACTION)
    def mark_done(ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
        ack()
        services.work.submit(lambda: _click(services, body, client, context, respond, _mark_done), "Mark done")

    @app.action(ids.STEP_SNOOZE_ACTION)
    def snooze(ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
        ack()
        services.work.submit(lambda: _click(services, body, client, context, respond, _snooze), "Snooze")


def _click(services: Services, body: dict, client: WebClient, context: BoltContext, respond: Respond, act) -> None:  # type: ignore[no-untyped-def]
    team_id, user_id, now = installation_team(context), body["user"]["id"], utcnow()
    step_id = button_id(body)
    answer = Answer(client, user_id, respond=respond)
    if step_id is None:
        answer(reply("I couldn't read that button. Try `/project step done #n` instead."))
        return
    try:
        note = act(services, client, team_id=team_id, user_id=user_id, step_id=step_id, now=now)
    except UserError as error:
        answer(refusal(error))
        return
    except Exception:
        log.exception("reminder button failed")
        answer(reply(OOPS))
        return
    _update_dm(client, body, step_id, note)


def _mark_done(services: Services, client: WebClient, *, team_id: str, user_id: str, step_id: int, now: datetime) -> str:
    with services.db.transaction() as session:
        step, project = steps.step_for_button(session, team_id=team_id, step_id=step_id, actor=user_id)
        done, _already = steps.complete_steps(session, project=project, actor=user_id, numbers=[step.number], now=now)
    if done:
        return f":white_check_mark: Marked done by {mention(user_id)}."
    return f":white_check_mark: Already done by {mention(step.done_by or user_id)}."


def _snooze(services: Services, client: WebClient, *, team_id: str, user_id: str, step_id: int, now: datetime) -> str:
    with services.db.reader() as session:  # refuse before asking Slack anything
        step, project = steps.step_for_button(session, team_id=team_id, step_id=step_id, actor=user_id)
    tz = project.tz
    if step.assignee_id:
        tz = user_tz(services.db, client, team_id=team_id, user_id=step.assignee_id, default_tz=project.tz, now=now)
    until = next_working_day(projects.local_today(tz, now), services.settings.work_days)
    with services.db.transaction() as session:
        step, project = steps.step_for_button(session, team_id=team_id, step_id=step_id, actor=user_id)
        steps.snooze_step(session, step=step, project=project, actor=user_id, until=until, now=now)
    return f":zzz: Snoozed by {mention(user_id)} until {day(until)}."


def _update_dm(client: WebClient, body: dict, step_id: int, note: str) -> None:
    """Replace the clicked step's buttons in the DM (a `D…` channel) with what happened."""
    container, message = body.get("container") or {}, body.get("message") or {}
    if not container.get("channel_id") or not container.get("message_ts"):
        return
    try:
        client.chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text=message.get("text") or "Reminder",
            blocks=step_resolved(message.get("blocks") or [], step_id, note),
        )
    except Exception:
        log.exception("could not update the reminder message")
