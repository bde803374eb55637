"""The buttons on reminder DMs: Mark done and Snooze 1 day, for the step's assignee or the project's
owner (the Home tab's Done / Snooze follow the same rules, in `bot.core.home`), and the approver
chase's Approve / Reject, which take the approval message's one decision path. Ack first; then
act, and update the DM in place — its first line recounted."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import home as rules
from bot.core.approvals import Verdict
from bot.core.errors import UserError
from bot.core.steps import step_for_button
from bot.messages import ids
from bot.messages.blocks import Block, reply
from bot.messages.errors import STALE_BUTTON, refusal
from bot.messages.format import day, mention
from bot.messages.reminders import decision_resolved, step_resolved
from bot.services import Services
from bot.slack.approvals import Click, decide, open_reject_modal
from bot.slack.outage import oops
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

    @app.action(ids.CHASE_APPROVE_ACTION)
    def chase_approve(ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
        ack()
        services.work.submit(lambda: _decision(services, body, client, context, respond, Verdict.APPROVED), "Approve (DM)")

    @app.action(ids.CHASE_REJECT_ACTION)
    def chase_reject(ack: Ack, body: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
        ack()
        services.work.submit(lambda: _decision(services, body, client, context, respond, Verdict.REJECTED), "Reject (DM)")


Act = Callable[..., tuple[str, date | None]]  # the note that replaces the step's buttons; the date it is snoozed until


def _click(services: Services, body: dict, client: WebClient, context: BoltContext, respond: Respond, act: Act) -> None:
    team_id, user_id, now = installation_team(context), body["user"]["id"], utcnow()
    step_id = button_id(body)
    answer = Answer(client, user_id, respond=respond)
    if step_id is None:
        answer(reply("I couldn't read that button. Try `/project step done #n` instead."))
        return
    try:
        note, snoozed_until = act(services, client, team_id=team_id, user_id=user_id, step_id=step_id, now=now)
    except UserError as error:
        answer(refusal(error))
        return
    except Exception as error:
        answer(reply(oops(error, log, "reminder button failed")))
        return
    _update_dm(client, body, lambda blocks: step_resolved(blocks, step_id, note, snoozed_until=snoozed_until))


def _mark_done(
    services: Services, client: WebClient, *, team_id: str, user_id: str, step_id: int, now: datetime
) -> tuple[str, date | None]:
    with services.db.transaction() as session:
        step, done = rules.mark_done(session, team_id=team_id, user_id=user_id, step_id=step_id, now=now)
    if done:
        return f":white_check_mark: Marked done by {mention(user_id)}.", None
    return f":white_check_mark: Already done by {mention(step.done_by or user_id)}.", None


def _snooze(
    services: Services, client: WebClient, *, team_id: str, user_id: str, step_id: int, now: datetime
) -> tuple[str, date | None]:
    with services.db.reader() as session:  # refuse before asking Slack anything
        step, project = step_for_button(session, team_id=team_id, step_id=step_id, actor=user_id)
    tz = project.tz
    if step.assignee_id:
        tz = user_tz(services.db, client, team_id=team_id, user_id=step.assignee_id, default_tz=project.tz, now=now)
    until = rules.snooze_until(tz, now, services.settings.work_days)
    with services.db.transaction() as session:
        rules.snooze(session, team_id=team_id, user_id=user_id, step_id=step_id, until=until, now=now)
    return f":zzz: Snoozed by {mention(user_id)} until {day(until)}.", until


def _decision(
    services: Services, body: dict, client: WebClient, context: BoltContext, respond: Respond, verdict: Verdict
) -> None:
    """Approve / Reject in the chase DM: the same single decision as on the approval message."""
    click = Click(installation_team(context), body["user"]["id"], button_id(body), utcnow())
    tell = Answer(client, click.user_id, respond=respond)
    if click.deliverable_id is None:
        tell(reply(STALE_BUTTON))
        return
    deliverable_id = click.deliverable_id
    if verdict is Verdict.REJECTED:  # the reason form; the approval message's listener records it
        open_reject_modal(services, client, click, trigger_id=body.get("trigger_id", ""), tell=tell)
        return
    card = decide(services, client, click, verdict, reason=None, tell=tell)
    if card is not None:
        note = f":white_check_mark: Approved by {mention(click.user_id)}. The message in <#{card.project.channel_id}> says so."
        _update_dm(client, body, lambda blocks: decision_resolved(blocks, deliverable_id, note))


def _update_dm(client: WebClient, body: dict, change: Callable[[Sequence[Block]], tuple[str | None, list[Block]]]) -> None:
    """Rewrite the clicked DM (a `D…` channel): what happened instead of the buttons, counts updated."""
    container, message = body.get("container") or {}, body.get("message") or {}
    if not container.get("channel_id") or not container.get("message_ts"):
        return
    text, blocks = change(message.get("blocks") or [])
    try:
        client.chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text=text or message.get("text") or "Reminder",
            blocks=blocks,
        )
    except Exception:
        log.exception("could not update the reminder message")
