"""Closure in Slack: post a closing's completion sign-off once (by the close command, else by the
scheduler), keep it showing every confirmation, tell the owner of each, and the owner's debrief
DM and form. Shared by the close command, the sign-off buttons and the scheduler.

    after_close(services, client, team_id="T1", project_id=7)     # after `/project close` committed
    repair_signoffs(services, client, team_id="T1", now=utcnow())               # each scheduler pass
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import signoff
from bot.core.errors import NotASignoffDecider, SignoffNotCurrent, UserError
from bot.core.reminders.model import Tally
from bot.core.signoff import Debrief, SignoffCard
from bot.messages import signoff as messages
from bot.messages.blocks import Message, reply
from bot.messages.errors import refusal
from bot.services import Services
from bot.slack.outage import oops
from bot.slack.ratelimit import error_code
from bot.work import done_before, note_done
from storage.models import Closing, Project, utcnow

log = logging.getLogger(__name__)
Tell = Callable[[Message], None]  # how to answer the person who acted
REFRESH_ROUNDS = 5  # rewrites of one message in a row while confirmations keep arriving
POSTED, INVITED = "signoff posted", "debrief invited"  # the job's notes: the sign-off's closing, the owner's DM


@dataclass(frozen=True)
class Click:
    """A sign-off or debrief attempt. `user_id` comes from Slack's signed payload, never from the button."""

    team_id: str
    user_id: str
    closing_id: int
    now: datetime


# --- the sign-off message: one per closing -----------------------------------------------------


def after_close(services: Services, client: WebClient, *, team_id: str, project_id: int) -> None:
    """After a close committed: the sign-off for the approvers and the debrief DM to the owner."""
    with services.db.reader() as session:
        closing = signoff.latest_closing(session, project_id=project_id)
    if closing is not None and closing.id is not None:
        post_signoff(services, client, team_id=team_id, closing_id=closing.id, now=utcnow())


def after_reopen(services: Services, client: WebClient, *, team_id: str, project_id: int) -> None:
    """After a reopen committed: the last sign-off message says the project was reopened, without
    its button (a click on it would be refused anyway)."""
    with services.db.reader() as session:
        closing = signoff.latest_closing(session, project_id=project_id)
    if closing is not None and closing.id is not None:
        refresh_signoff(services, client, team_id, closing.id)


def post_signoff(services: Services, client: WebClient, *, team_id: str, closing_id: int, now: datetime) -> bool:
    """Post the sign-off message if nobody has (a conditional UPDATE claims it first, so racing
    hooks, retries and processes post it once), then DM the owner the debrief form. If Slack
    refuses, the claim is released and the scheduler tries again (`repair_signoffs`). True if posted."""
    with services.db.transaction() as session:
        claimed = signoff.claim_post(session, closing_id=closing_id, now=now)
    try:
        with services.db.reader() as session:
            card = signoff.signoff_card(session, team_id=team_id, closing_id=closing_id)
            earlier = signoff.earlier_messages(session, closing=card.closing)
    except UserError:
        return False
    if not claimed:
        if done_before(POSTED) == closing_id and not done_before(INVITED):  # posted by this request before its worker stopped
            send_debrief_invite(client, card.closing, card.project)
            note_done(INVITED)
        return False
    if not card.current:  # reopened meanwhile: nothing to ask any more
        return False
    try:
        posted = client.chat_postMessage(channel=card.project.channel_id, **messages.signoff_message(card))
    except Exception as error:
        code = error_code(error)
        log.warning("posting the sign-off of closing %s failed (%s); the scheduler will try again", closing_id, code)
        with services.db.transaction() as session:
            signoff.release_post(session, closing_id=closing_id)
        return False
    try:

        def record(session: Session) -> None:
            signoff.record_message(session, closing_id=closing_id, channel_id=posted["channel"], message_ts=posted["ts"])
            note_done(POSTED, closing_id, session=session)  # with its record: a worker taking over won't post again

        services.db.persist(record)
    except Exception:  # the message and its button work; only later updates would miss it
        log.exception("could not remember where the sign-off of closing %s is", closing_id)
    else:
        with services.db.reader() as session:
            now_card = signoff.signoff_card(session, team_id=team_id, closing_id=closing_id)
        # Someone confirmed before we knew the ts, or a reopen came while we posted (its own
        # refresh found no message yet): the message must say so, not ask for a confirmation.
        if not now_card.current or [s.id for s in now_card.signoffs] != [s.id for s in card.signoffs]:
            card = refresh_signoff(services, client, team_id, closing_id) or now_card
    if card.current:  # a debrief is asked of a close that stands
        send_debrief_invite(client, card.closing, card.project)
        note_done(INVITED)
    for earlier_id in earlier:  # the previous closing's message now says the project was reopened
        refresh_signoff(services, client, team_id, earlier_id)
    return True


def repair_signoffs(
    services: Services, client: WebClient, *, team_id: str, now: datetime, limit: int = 20, tally: Tally | None = None
) -> int:
    """Post the sign-offs a close could not (Slack failed, or the process died before posting)."""
    with services.db.reader() as session:
        owed = signoff.posts_owed(session, team_id=team_id, now=now, limit=limit)
    posted = sum(post_signoff(services, client, team_id=team, closing_id=closing_id, now=now) for team, closing_id in owed)
    if tally is not None:
        tally.sent += posted
        tally.deferred += len(owed) - posted  # Slack failed, or another process has it: a later pass looks again
    return posted


def refresh_signoff(services: Services, client: WebClient, team_id: str, closing_id: int) -> SignoffCard | None:
    """Rewrite the message from the database. After each update it reads again: a confirmation
    committed meanwhile (whose own update may have reached Slack first) gets one more rewrite, so
    the message ends up listing every confirmation however they race."""
    shown: tuple[object, ...] | None = None
    card = None
    for _ in range(REFRESH_ROUNDS):
        try:
            with services.db.reader() as session:
                card = signoff.signoff_card(session, team_id=team_id, closing_id=closing_id)
        except UserError:
            return None
        closing = card.closing
        if not closing.channel_id or not closing.message_ts:
            return card
        state = (card.current, *(s.id for s in card.signoffs))
        if state == shown:
            return card
        try:
            client.chat_update(channel=closing.channel_id, ts=closing.message_ts, **messages.signoff_message(card))
        except Exception:
            log.warning("chat.update of the sign-off of closing %s failed", closing_id, exc_info=True)
            return card
        shown = state
    return card


# --- confirming --------------------------------------------------------------------------------


def open_confirm_form(services: Services, client: WebClient, click: Click, *, trigger_id: str, tell: Tell) -> bool:
    """Check the clicker may confirm before asking for a rating. True when the form opened."""
    try:
        with services.db.reader() as session:
            card = signoff.signoff_card(session, team_id=click.team_id, closing_id=click.closing_id)
        signoff.check_may_confirm(card, click.user_id)
    except UserError as error:
        refused(services, client, click, error, tell)
        return False
    try:
        client.views_open(trigger_id=trigger_id, view=messages.confirm_modal(card))
    except Exception:
        log.exception("views.open for a completion sign-off failed")
        tell(reply("Slack didn't open the form in time. Please click Confirm completion again."))
        return False
    return True


def confirm(services: Services, client: WebClient, click: Click, *, rating: int, comment: str | None, tell: Tell) -> bool:
    """Record the confirmation, or tell the person why not; then the message lists it and the owner hears."""
    try:
        with services.db.transaction() as session:
            signoff.confirm(
                session, team_id=click.team_id, closing_id=click.closing_id, actor=click.user_id, rating=rating,
                comment=comment, now=click.now,
            )  # fmt: skip
    except UserError as error:
        refused(services, client, click, error, tell)
        return False
    except Exception as error:
        tell(reply(oops(error, log, "confirming closing %s failed", click.closing_id)))
        return False
    card = refresh_signoff(services, client, click.team_id, click.closing_id)
    mine = next((s for s in card.signoffs if s.approver_id == click.user_id), None) if card else None
    if card is None or mine is None:
        return True
    tell(messages.confirmed_reply(card, mine))
    if click.user_id != card.project.owner_id:
        try:
            client.chat_postMessage(channel=card.project.owner_id, **messages.owner_notice(card, mine))
        except Exception:
            log.exception("could not tell the owner of project %s about a sign-off", card.project.id)
    return True


def refused(services: Services, client: WebClient, click: Click, error: UserError, tell: Tell) -> None:
    """Tell the person why not. A click by someone who may not confirm is audited; a click on a
    sign-off the project has outgrown makes its message say so."""
    if isinstance(error, NotASignoffDecider):
        try:
            with services.db.transaction() as session:
                signoff.record_refusal(
                    session, team_id=click.team_id, closing_id=click.closing_id, actor=click.user_id, now=click.now
                )
        except Exception:  # the refusal stands; only its audit line is missing
            log.exception("could not audit a refused sign-off of closing %s", click.closing_id)
    elif isinstance(error, SignoffNotCurrent):
        refresh_signoff(services, client, click.team_id, click.closing_id)
    tell(refusal(error))


# --- the debrief: the owner's, team-only ---------------------------------------------------------


def send_debrief_invite(client: WebClient, closing: Closing, project: Project) -> None:
    try:
        client.chat_postMessage(channel=project.owner_id, **messages.debrief_invite(closing, project))
    except Exception:
        log.exception("could not send the debrief form of closing %s to its owner", closing.id)


def open_debrief_form(
    services: Services, client: WebClient, click: Click, *, trigger_id: str, dm: tuple[str, str] | None, tell: Tell
) -> bool:
    """The owner's debrief form, pre-filled with what they saved before."""
    try:
        with services.db.reader() as session:
            closing, project = signoff.check_may_debrief(
                session, team_id=click.team_id, closing_id=click.closing_id, actor=click.user_id
            )
    except UserError as error:
        tell(refusal(error))
        return False
    try:
        client.views_open(trigger_id=trigger_id, view=messages.debrief_modal(closing, project, dm=dm))
    except Exception:
        log.exception("views.open for a debrief failed")
        tell(reply("Slack didn't open the form in time. Please click the button again."))
        return False
    return True


def save_debrief(
    services: Services, client: WebClient, click: Click, *, debrief: Debrief, dm: tuple[str, str] | None, tell: Tell
) -> bool:
    """Keep the debrief, then show it where the owner clicked (the DM), with **Edit debrief**."""
    try:
        with services.db.transaction() as session:
            closing = signoff.save_debrief(
                session, team_id=click.team_id, closing_id=click.closing_id, actor=click.user_id, debrief=debrief, now=click.now
            )
            project = session.get(Project, closing.project_id)
    except UserError as error:
        tell(refusal(error))
        return False
    except Exception as error:
        tell(reply(oops(error, log, "saving the debrief of closing %s failed", click.closing_id)))
        return False
    assert project is not None
    shown = messages.debrief_saved(closing, project)
    try:
        if dm is None:
            raise LookupError("no DM to update")
        client.chat_update(channel=dm[0], ts=dm[1], **shown)
    except Exception:
        try:
            client.chat_postMessage(channel=click.user_id, **shown)
        except Exception:
            log.exception("could not show the saved debrief of closing %s", click.closing_id)
    return True
