"""Deliverable sign-off in Slack: `/project deliverable`, the Approve and Reject buttons, and the
reject-reason modal. Every listener acks first; the database decides; messages show what stands."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import approvals, projects
from bot.core.approvals import AlreadyDecided, NotADecider, Verdict
from bot.core.errors import UserError
from bot.core.grammar import Command
from bot.messages import approvals as messages
from bot.messages import ids, views
from bot.services import Services
from handlers.context import MAX_ROW_ID, OOPS, Invocation, button_id, installation_team, send
from storage.models import utcnow

log = logging.getLogger(__name__)

STALE_BUTTON = "This button is out of date, so nothing was changed."

Tell = Callable[[str], None]


@dataclass(frozen=True)
class Click:
    """A decision attempt. `user_id` comes from Slack's signed payload, never from the button."""

    team_id: str
    user_id: str
    deliverable_id: int | None
    now: datetime


def register(app: App, services: Services) -> None:
    @app.action(ids.APPROVE_ACTION)
    def approve_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        click, tell = read_click(body, context), replier(respond)
        if click.deliverable_id is None:
            return tell(STALE_BUTTON)
        decide(services, client, click, Verdict.APPROVED, reason=None, tell=tell)

    @app.action(ids.REJECT_ACTION)
    def reject_clicked(ack: Ack, body: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        ack()
        click, tell = read_click(body, context), replier(respond)
        if click.deliverable_id is None:
            return tell(STALE_BUTTON)
        open_reject_modal(services, client, click, trigger_id=body.get("trigger_id", ""), tell=tell)

    @app.view(ids.REJECT_VIEW)
    def reject_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
        deliverable_id = read_metadata(view)
        reason = read_reason(view)
        problem = form_problem(deliverable_id, reason)
        if problem:
            ack(response_action="errors", errors={ids.REJECT_REASON_BLOCK: problem})
            return
        ack()  # the decision itself is checked again below, atomically: the modal may be minutes old
        click = Click(installation_team(context), body["user"]["id"], deliverable_id, utcnow())
        decide(services, client, click, Verdict.REJECTED, reason=reason, tell=whisperer(services, client, click))


# --- reading payloads --------------------------------------------------------------------------


def read_click(body: dict, context: BoltContext) -> Click:
    return Click(team_id=installation_team(context), user_id=body["user"]["id"], deliverable_id=button_id(body), now=utcnow())


def read_metadata(view: dict) -> int | None:
    try:
        value = json.loads(view.get("private_metadata") or "{}").get("deliverable_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and 0 < value <= MAX_ROW_ID else None


def form_problem(deliverable_id: int | None, reason: str) -> str | None:
    """What to show under the reason field instead of closing the modal, if anything."""
    if deliverable_id is None:
        return "This form has expired. Close it and click Reject again."
    if not reason:
        return "Say what needs to change, so the team can fix it."
    return None


def read_reason(view: dict) -> str:
    values = view.get("state", {}).get("values", {})
    typed = values.get(ids.REJECT_REASON_BLOCK, {}).get(ids.REJECT_REASON_INPUT, {}).get("value") or ""
    return typed.strip()


# --- deciding ----------------------------------------------------------------------------------


def decide(services: Services, client: WebClient, click: Click, verdict: Verdict, *, reason: str | None, tell: Tell) -> None:
    """Record the decision, or tell the clicker why not; then make the message show what stands."""
    assert click.deliverable_id is not None
    try:
        with services.db.transaction() as session:
            approvals.decide(
                session, team_id=click.team_id, deliverable_id=click.deliverable_id, actor=click.user_id,
                verdict=verdict, reason=reason, now=click.now,
            )  # fmt: skip
    except NotADecider as refused:
        record_refusal(services, click, verdict, refused)
        tell(str(refused))
        return
    except AlreadyDecided as late:
        tell(str(late))
        refresh_message(services, client, click.team_id, click.deliverable_id)  # it may still show buttons
        return
    except UserError as error:
        tell(str(error))
        return
    except Exception:
        log.exception("deciding deliverable %s failed", click.deliverable_id)
        tell(OOPS)
        return
    card = refresh_message(services, client, click.team_id, click.deliverable_id)
    if card is not None:
        notify_submitter(client, card)


def record_refusal(services: Services, click: Click, verdict: Verdict, refused: NotADecider) -> None:
    try:
        with services.db.transaction() as session:
            approvals.record_refusal(
                session, team_id=click.team_id, deliverable_id=click.deliverable_id, actor=click.user_id,
                verdict=verdict, deciders=refused.deciders, now=click.now,
            )  # fmt: skip
    except Exception:  # the refusal itself stands; only its audit line is missing
        log.exception("could not audit a refused decision on deliverable %s", click.deliverable_id)


def open_reject_modal(services: Services, client: WebClient, click: Click, *, trigger_id: str, tell: Tell) -> None:
    """Check the clicker may reject (and that it is still open) before asking for a reason."""
    assert click.deliverable_id is not None
    try:
        with services.db.reader() as session:
            card = approvals.approval_card(session, team_id=click.team_id, deliverable_id=click.deliverable_id)
            approvals.check_may_decide(
                session, deliverable=card.deliverable, project=card.project, deciders=card.deciders, actor=click.user_id
            )
    except NotADecider as refused:
        record_refusal(services, click, Verdict.REJECTED, refused)
        tell(str(refused))
        return
    except AlreadyDecided as late:
        tell(str(late))
        refresh_message(services, client, click.team_id, click.deliverable_id)
        return
    except UserError as error:
        tell(str(error))
        return
    try:
        client.views_open(trigger_id=trigger_id, view=messages.reject_modal(card.deliverable, card.project.name))
    except Exception:
        log.exception("views.open for a rejection failed")
        tell("Slack didn't open the rejection form in time. Please click Reject again.")


# --- telling Slack -----------------------------------------------------------------------------


def refresh_message(services: Services, client: WebClient, team_id: str, deliverable_id: int) -> approvals.ApprovalCard | None:
    """Rewrite the approval message from the database, so it shows the decision that stands."""
    try:
        with services.db.reader() as session:
            card = approvals.approval_card(session, team_id=team_id, deliverable_id=deliverable_id)
    except UserError:
        return None
    d = card.deliverable
    if d.channel_id and d.message_ts:
        try:
            client.chat_update(channel=d.channel_id, ts=d.message_ts, **messages.approval_message(card))
        except Exception:  # the decision is saved; a later click or resubmission refreshes the message
            log.exception("chat.update of deliverable %s failed", deliverable_id)
    return card


def refresh_pending(services: Services, client: WebClient, team_id: str, project_id: int) -> None:
    """Rewrite every waiting approval message of a project (after its approvers or owner changed)."""
    with services.db.reader() as session:
        waiting = approvals.pending_ids(session, team_id=team_id, project_id=project_id)
    for deliverable_id in waiting:
        refresh_message(services, client, team_id, deliverable_id)


def notify_submitter(client: WebClient, card: approvals.ApprovalCard) -> None:
    """A reply in the message's thread mentions the submitter, so they get a notification."""
    d = card.deliverable
    if not d.channel_id or not d.message_ts or card.decision is None:
        return
    try:
        client.chat_postMessage(channel=d.channel_id, thread_ts=d.message_ts, **messages.submitter_notice(card))
    except Exception:
        log.exception("could not tell the submitter of deliverable %s", d.id)


def replier(respond: Respond) -> Tell:
    return lambda text: send(respond, messages.ephemeral(text))


def whisperer(services: Services, client: WebClient, click: Click) -> Tell:
    """Modal submissions have no response_url: answer with an ephemeral message in the project channel."""

    def tell(text: str) -> None:
        channel = None
        if click.deliverable_id is not None:
            try:
                with services.db.reader() as session:
                    d = approvals.deliverable_by_id(session, team_id=click.team_id, deliverable_id=click.deliverable_id)
                    channel = d.channel_id
            except UserError:
                channel = None
        try:
            if channel:
                client.chat_postEphemeral(channel=channel, user=click.user_id, text=text)
            else:  # no channel known: a DM from the bot
                client.chat_postMessage(channel=click.user_id, text=text)
        except Exception:
            log.exception("could not tell %s about their rejection", click.user_id)

    return tell


# --- /project deliverable ------------------------------------------------------------------------


def submit_from_command(services: Services, inv: Invocation, cmd: Command, client: WebClient) -> dict:
    """Save the deliverable, post its approval message, then remember where that message is.

    The row is committed before Slack is called, so a failed post loses nothing: the submitter is
    told, and running the same command again posts the same version (see `approvals.submit`).
    """
    assert cmd.title
    with services.db.transaction() as session:
        project = projects.find_project(session, team_id=inv.team_id, channel_id=inv.channel_id, name=cmd.project)
        submission = approvals.submit(session, project=project, actor=inv.user_id, title=cmd.title, link=cmd.link, now=inv.now)
        deliverable_id = submission.deliverable.id
        replaced_id = submission.replaced.id if submission.replaced else None
    assert deliverable_id is not None
    with services.db.reader() as session:
        card = approvals.approval_card(session, team_id=inv.team_id, deliverable_id=deliverable_id)
    try:
        posted = client.chat_postMessage(channel=card.project.channel_id, **messages.approval_message(card))
    except SlackApiError as error:
        log.warning("posting the approval message of deliverable %s failed: %s", deliverable_id, error.response.get("error"))
        return views.reply(messages.post_failed_reply(card, str(error.response.get("error") or "error")))
    except Exception:
        log.exception("posting the approval message of deliverable %s failed", deliverable_id)
        return views.reply(messages.post_failed_reply(card, "no answer"))
    try:
        with services.db.transaction() as session:
            approvals.record_message(
                session, deliverable_id=deliverable_id, channel_id=posted["channel"], message_ts=posted["ts"]
            )
    except Exception:  # the deliverable and its message exist, and its buttons work; only later updates would miss it
        log.exception("could not remember where the approval message of deliverable %s is", deliverable_id)
    if replaced_id is not None:
        refresh_message(services, client, inv.team_id, replaced_id)  # v1 now says it was superseded
    return views.reply(messages.submitted_reply(card, repost=submission.repost))
