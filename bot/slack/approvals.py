"""Approval messages in Slack: post one for a submitted deliverable, rewrite it from the database
so it always shows the decision that stands, and tell the submitter in its thread.

Shared by the `/project deliverable` command, the decision buttons (on the approval message, the
Home tab and the approver chase DM: one decision path for all three) and the owner/approver
commands, so no listener module imports another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.core import approvals, projects
from bot.core.approvals import ApprovalCard, Verdict
from bot.core.errors import AlreadyDecided, BeingPosted, NotADecider, UserError
from bot.core.reminders.model import Tally
from bot.messages import approvals as messages
from bot.messages.blocks import Message, reply
from bot.messages.errors import refusal
from bot.services import Services
from bot.slack.outage import oops
from bot.slack.ratelimit import error_code
from bot.work import done_before, note_done, replaying

log = logging.getLogger(__name__)
SUBMITTED = "deliverable"  # the job's note: [deliverable id, the version it replaced, repost]
DECIDED, TOLD = "decided", "submitter told"  # the job's notes: the click's decision, the submitter's notice


def submit_and_post(
    services: Services, client: WebClient, *, team_id: str, channel_id: str, user_id: str, now: datetime,
    project_name: str | None, title: str, link: str | None, step_number: int | None = None,
) -> Message:  # fmt: skip
    """Save the deliverable, post its approval message, then remember where that message is.

    The row is committed before Slack is called, so a failed post loses nothing: the submitter is
    told, and running the same command again posts the same version (see `approvals.submit`).
    """
    submitted = done_before(SUBMITTED)  # this request's version, saved before its worker stopped
    if submitted is None:
        with services.db.transaction() as session:
            project = projects.find_project(session, team_id=team_id, channel_id=channel_id, name=project_name)
            claim_for = approvals.REPLAY_CLAIM_FOR if replaying() else None  # a dead worker's claim is this request's
            submission = approvals.submit(
                session, project=project, actor=user_id, title=title, link=link, now=now, step_number=step_number,
                claim_for=claim_for,
            )  # fmt: skip
            assert submission.deliverable.id is not None
            replaced = submission.replaced.id if submission.replaced else None
            submitted = [submission.deliverable.id, replaced, submission.repost]
            note_done(SUBMITTED, submitted, session=session)  # kept if, and only if, the version is
    deliverable_id, replaced_id, repost = submitted
    with services.db.reader() as session:
        card = approvals.approval_card(session, team_id=team_id, deliverable_id=deliverable_id)
    if card.deliverable.message_ts is not None:  # posted and recorded before the worker stopped: not twice
        return reply(messages.submitted_reply(card, repost=repost))
    if done_before(SUBMITTED) is not None:
        with services.db.transaction() as session:  # the dead worker's claim is this request's to take over
            if not approvals.claim_post(session, deliverable_id=deliverable_id, now=now, claim_for=approvals.REPLAY_CLAIM_FOR):
                return refusal(BeingPosted(card.deliverable.title))
    try:
        posted = client.chat_postMessage(channel=card.project.channel_id, **messages.approval_message(card))
    except Exception as error:
        code = error_code(error)
        log.warning("posting the approval message of deliverable %s failed: %s", deliverable_id, code)
        with services.db.transaction() as session:
            approvals.release_post(session, deliverable_id=deliverable_id)
        return reply(messages.post_failed_reply(card, code))
    try:
        services.db.persist(
            lambda session: approvals.record_message(
                session, deliverable_id=deliverable_id, channel_id=posted["channel"], message_ts=posted["ts"]
            )
        )
    except Exception:  # the deliverable and its message exist, and its buttons work; only later updates would miss it
        log.exception("could not remember where the approval message of deliverable %s is", deliverable_id)
    if replaced_id is not None:
        refresh_message(services, client, team_id, replaced_id)  # v1 now says it was superseded
    return reply(messages.submitted_reply(card, repost=repost))


def refresh_message(services: Services, client: WebClient, team_id: str, deliverable_id: int) -> ApprovalCard | None:
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
        except Exception:  # the decision is saved; the scheduler repairs the message (`repair_messages`)
            log.warning("chat.update of deliverable %s failed; it will be repaired", deliverable_id, exc_info=True)
            return card
        with services.db.transaction() as session:
            approvals.message_shown(session, deliverable_id=deliverable_id, as_of=d.refresh_due_at)
    return card


REPAIR_AFTER = timedelta(seconds=30)  # leave a fresh decision to the click that made it


def refresh_if_stale(services: Services, client: WebClient, team_id: str, deliverable_id: int, *, now: datetime) -> None:
    """A late click on a decided deliverable: rewrite the message only if the winning click
    evidently didn't (so 50 concurrent clicks make one chat.update, not 50)."""
    with services.db.reader() as session:
        due = approvals.refresh_due(session, team_id=team_id, deliverable_id=deliverable_id)
    if due is not None and due < now - REPAIR_AFTER:
        refresh_message(services, client, team_id, deliverable_id)


def repair_messages(
    services: Services, client: WebClient, *, team_id: str, now: datetime, limit: int = 50, tally: Tally | None = None
) -> int:
    """Rewrite approval messages that still lack a decision or change (Slack failed, or the process
    died between the commit and chat.update), so no decided deliverable keeps live buttons.
    `tally`: how many now show it, and how many Slack failed again."""
    with services.db.reader() as session:
        due = approvals.messages_to_repair(session, team_id=team_id, older_than=now - REPAIR_AFTER, limit=limit)
    for team_id, deliverable_id in due:
        refresh_message(services, client, team_id, deliverable_id)
        if tally is not None:
            with services.db.reader() as session:
                still = approvals.refresh_due(session, team_id=team_id, deliverable_id=deliverable_id) is not None
            tally.deferred += still
            tally.sent += not still
    return len(due)


def refresh_pending(services: Services, client: WebClient, team_id: str, project_id: int) -> None:
    """Rewrite every waiting approval message of a project (after its approvers or owner changed)."""
    with services.db.reader() as session:
        waiting = approvals.pending_ids(session, team_id=team_id, project_id=project_id)
    for deliverable_id in waiting:
        refresh_message(services, client, team_id, deliverable_id)


def notify_submitter(client: WebClient, card: ApprovalCard) -> None:
    """A reply in the message's thread mentions the submitter, so they get a notification."""
    d = card.deliverable
    if not d.channel_id or not d.message_ts or card.decision is None:
        return
    try:
        client.chat_postMessage(channel=d.channel_id, thread_ts=d.message_ts, **messages.submitter_notice(card))
    except Exception:
        log.exception("could not tell the submitter of deliverable %s", d.id)
    hint = messages.resubmit_hint(card)
    if hint is not None:
        try:  # ephemeral in the channel, else a DM: never in the thread, where clients read
            client.chat_postEphemeral(channel=d.channel_id, user=d.submitted_by, text=hint["text"], blocks=hint["blocks"])
        except Exception:
            try:
                client.chat_postMessage(channel=d.submitted_by, text=hint["text"], blocks=hint["blocks"])
            except Exception:
                log.exception("could not send the resubmit hint of deliverable %s", d.id)


# --- deciding: the one path every Approve / Reject click takes ----------------------------------

Tell = Callable[[Message], None]  # how to answer the person who clicked


@dataclass(frozen=True)
class Click:
    """A decision attempt. `user_id` comes from Slack's signed payload, never from the button."""

    team_id: str
    user_id: str
    deliverable_id: int | None
    now: datetime


def decide(
    services: Services, client: WebClient, click: Click, verdict: Verdict, *, reason: str | None, tell: Tell
) -> ApprovalCard | None:
    """Record the decision, or tell the clicker why not; then make the message show what stands.
    Returns the card when this click decided, None when it was refused."""
    assert click.deliverable_id is not None
    try:
        if not done_before(DECIDED):  # decided by this click before its worker stopped: show it, don't refuse it
            with services.db.transaction() as session:
                approvals.decide(
                    session, team_id=click.team_id, deliverable_id=click.deliverable_id, actor=click.user_id,
                    verdict=verdict, reason=reason, now=click.now,
                )  # fmt: skip
                note_done(DECIDED, session=session)
    except UserError as error:
        refused(services, client, click, verdict, error, tell)
        return None
    except Exception as error:
        tell(reply(oops(error, log, "deciding deliverable %s failed", click.deliverable_id)))
        return None
    card = refresh_message(services, client, click.team_id, click.deliverable_id)
    if card is not None and not done_before(TOLD):
        notify_submitter(client, card)
        note_done(TOLD)
    return card


def refused(services: Services, client: WebClient, click: Click, verdict: Verdict, error: UserError, tell: Tell) -> None:
    """Tell the clicker why not; audit a click by someone who may not decide; and if someone
    decided first, make sure the message shows it (only if the winner's update evidently failed)."""
    if isinstance(error, NotADecider):
        record_refusal(services, click, verdict, error)
    elif isinstance(error, AlreadyDecided) and click.deliverable_id is not None:
        refresh_if_stale(services, client, click.team_id, click.deliverable_id, now=click.now)
    tell(refusal(error))


def record_refusal(services: Services, click: Click, verdict: Verdict, refused: NotADecider) -> None:
    if click.deliverable_id is None:
        return
    try:
        with services.db.transaction() as session:
            approvals.record_refusal(
                session, team_id=click.team_id, deliverable_id=click.deliverable_id, actor=click.user_id,
                verdict=verdict, deciders=refused.deciders, now=click.now,
            )  # fmt: skip
    except Exception:  # the refusal itself stands; only its audit line is missing
        log.exception("could not audit a refused decision on deliverable %s", click.deliverable_id)


def open_reject_modal(services: Services, client: WebClient, click: Click, *, trigger_id: str, tell: Tell) -> bool:
    """Check the clicker may reject (and that it is still open) before asking for a reason.
    True when the form opened."""
    assert click.deliverable_id is not None
    try:
        with services.db.reader() as session:
            card = approvals.approval_card(session, team_id=click.team_id, deliverable_id=click.deliverable_id)
            approvals.check_may_decide(
                session, deliverable=card.deliverable, project=card.project, deciders=card.deciders, actor=click.user_id
            )
    except UserError as error:
        refused(services, client, click, Verdict.REJECTED, error, tell)
        return False
    try:
        client.views_open(trigger_id=trigger_id, view=messages.reject_modal(card.deliverable, card.project.name))
    except Exception:
        log.exception("views.open for a rejection failed")
        tell(reply("Slack didn't open the rejection form in time. Please click Reject again."))
        return False
    return True
