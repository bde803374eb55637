"""The weekly client update in Slack: the scheduler's step that DMs each owner the week's draft
(once per project per week, at the project's local update time; a DM Slack refused is tried again
by a later pass), `/project update` on demand, and the owner's Post / Edit / Skip, shared by the
buttons, the form and the command so no listener imports another.

    sent = draft_weekly_updates(services, client, team_id="T1", now=utcnow(), stop=threading.Event())
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core import clients as client_rules
from bot.core import projects, updates
from bot.core.audience import is_named_client, known_clients
from bot.core.errors import TeamOnly, UpdateNotOwner, UserError
from bot.core.reminders.model import Tally
from bot.core.update_times import Schedule, week_of
from bot.messages import updates as messages
from bot.messages.blocks import Message, reply
from bot.messages.errors import refusal
from bot.services import Services
from bot.slack.outage import oops
from bot.slack.ratelimit import error_code
from bot.work import done_before, note_done
from storage.models import Project, utcnow

log = logging.getLogger(__name__)
POSTED = "update posted"  # the job's note: this click's post is in the channel and recorded

Tell = Callable[[Message], None]  # how to answer the person who acted


# --- drafting: the scheduler's step and `/project update` -----------------------------------------


def draft_weekly_updates(
    services: Services, client: WebClient, *, team_id: str, now: datetime, stop: threading.Event, tally: Tally | None = None
) -> int:
    """DM every owner whose project's draft is owed now; returns how many went out (`tally`: counted too)."""
    settings = services.settings
    tally = tally if tally is not None else Tally()
    default = Schedule(settings.client_update_day, settings.client_update_time)
    with services.db.reader() as session:
        due = updates.drafts_due(
            session, team_id=team_id, now=now, default=default, hours=(settings.work_start, settings.work_end),
            work_days=settings.work_days,
        )  # fmt: skip
    sent = 0
    for n, (project, week, moment) in enumerate(due):
        if stop.is_set():
            tally.held += len(due) - n
            break
        try:
            with services.db.transaction() as session:
                update_id = updates.claim_scheduled(session, project=project, week=week, now=now, moment=moment)
                if update_id is None:
                    continue  # another process has it, or it already reached the owner
                _redraft(session, project, update_id, now=now, keep_edit=True)
        except Exception:  # one project's trouble must not hold back the others' drafts
            log.exception("drafting the client update of project %s failed", project.id)
            tally.deferred += 1
            continue
        posted = send_draft(services, client, team_id=team_id, update_id=update_id)
        sent += posted
        tally.sent += posted
        tally.deferred += not posted
    return sent


def _redraft(session: Session, project: Project, update_id: int, *, now: datetime, keep_edit: bool) -> None:
    """Write the draft as of now (not as of when it was first due): no stale "this week"."""
    week = week_of(projects.local_today(project.tz, now))
    text = messages.draft_text(updates.draft_of(session, project, week=week, now=now))
    updates.redraft(session, update_id=update_id, text=text, keep_edit=keep_edit)


def send_draft(services: Services, client: WebClient, *, team_id: str, update_id: int) -> bool:
    """DM the draft to the project's owner and remember where; an older DM of it says it was
    replaced. False when Slack didn't take it (the row still owes the DM: a later pass retries)."""
    with services.db.reader() as session:
        card = updates.update_card(session, team_id=team_id, update_id=update_id)
    try:
        posted = client.chat_postMessage(channel=card.project.owner_id, **messages.draft_dm(card))
    except Exception:
        log.warning("the client update %s didn't reach its owner; it will be tried again", update_id, exc_info=True)
        return False
    with services.db.transaction() as session:
        old_channel, old_ts = updates.record_dm(session, update_id=update_id, channel_id=posted["channel"], ts=posted["ts"])
    if old_channel and old_ts and old_ts != posted["ts"]:
        try:
            client.chat_update(channel=old_channel, ts=old_ts, **messages.replaced_dm(card))
        except Exception:  # the new DM is what counts; the old one's buttons are refused if used
            log.warning("could not mark the older draft DM of client update %s replaced", update_id)
    return True


def draft_now(
    services: Services, client: WebClient, *, team_id: str, channel_id: str, user_id: str, project_name: str | None,
    now: datetime,
) -> Message:  # fmt: skip
    """`/project update`: this week's draft, made or refreshed now, to the owner; to a teammate who
    asked, a look at it. Posted already: when and by whom, and nothing changes."""
    with services.db.transaction() as session:
        project = projects.find_project(session, team_id=team_id, channel_id=channel_id, name=project_name)
        projects.require_open(project)
        found = updates.draft_on_demand(session, project=project, actor=user_id, now=now)
        if not found.already_sent:
            _redraft(session, project, found.update_id, now=now, keep_edit=found.keep_text)
    with services.db.reader() as session:
        card = updates.update_card(session, team_id=team_id, update_id=found.update_id)
    if found.already_sent:
        return messages.already_sent(card, asker=user_id)
    if user_id == card.project.owner_id or card.update.dm_ts is None:
        if not send_draft(services, client, team_id=team_id, update_id=found.update_id):
            with services.db.transaction() as session:
                updates.dm_not_sent(session, update_id=found.update_id, drafted_at=card.update.drafted_at)
            return messages.dm_failed(card)
    else:
        refresh_dm(services, client, team_id=team_id, update_id=found.update_id)
    return messages.sent_to_owner(
        card, asker=user_id, keep_text=found.keep_text, revived=found.revived, edit_replaced=found.edit_replaced
    )


def refresh_dm(services: Services, client: WebClient, *, team_id: str, update_id: int) -> None:
    """Rewrite the owner's DM from the database: its text, and after Post or Skip, no buttons."""
    with services.db.reader() as session:
        card = updates.update_card(session, team_id=team_id, update_id=update_id)
    if not card.update.dm_channel_id or not card.update.dm_ts:
        return
    try:
        client.chat_update(channel=card.update.dm_channel_id, ts=card.update.dm_ts, **messages.draft_dm(card))
    except Exception:  # what stands is in the database; a later click is refused with the reason
        log.warning("chat.update of the draft DM of client update %s failed", update_id, exc_info=True)


# --- the owner's buttons -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateClick:
    """A click on Post, Edit or Skip, or the Edit form's Save. `user_id` comes from Slack's signed payload."""

    team_id: str
    user_id: str
    update_id: int
    now: datetime
    payload_team: str | None = None  # the clicker's own organization, as the payload says


def post(services: Services, client: WebClient, click: UpdateClick, tell: Tell) -> None:
    """Post the update in the project channel: claimed first, so however many clicks, one post."""
    if done_before(POSTED):  # posted and recorded before this click's worker stopped: not twice
        refresh_dm(services, client, team_id=click.team_id, update_id=click.update_id)
        return
    try:
        with services.db.transaction() as session:
            card = updates.claim_post(
                session, team_id=click.team_id, update_id=click.update_id, actor=click.user_id, now=click.now
            )
    except UserError as error:
        refuse(services, click, error, tell)
        return
    except Exception as error:
        tell(reply(oops(error, log, "claiming client update %s failed", click.update_id)))
        return
    try:
        posted = client.chat_postMessage(channel=card.project.channel_id, **messages.client_update(card, posted_by=click.user_id))
    except Exception as error:
        code = error_code(error)
        log.warning("posting client update %s failed: %s", click.update_id, code)
        if may_have_posted(error):  # the claim is held a little longer: a quick second click can't post it twice
            with services.db.transaction() as session:
                seconds = updates.hold_unconfirmed(
                    session, update_id=click.update_id, channel_id=card.project.channel_id, now=utcnow()
                )
            tell(messages.post_unconfirmed(card, seconds))
            return
        with services.db.transaction() as session:
            updates.release_post(session, update_id=click.update_id)
        tell(messages.post_failed(card, code))
        return

    def record(session: Session) -> None:
        updates.record_post(
            session, card=card, actor=click.user_id, channel_id=posted["channel"], message_ts=posted["ts"], now=click.now
        )
        note_done(POSTED, session=session)  # with the post's record: a worker taking over won't post again

    services.db.persist(record)
    refresh_dm(services, client, team_id=click.team_id, update_id=click.update_id)


def skip(services: Services, client: WebClient, click: UpdateClick, tell: Tell) -> None:
    try:
        with services.db.transaction() as session:
            updates.skip(session, team_id=click.team_id, update_id=click.update_id, actor=click.user_id, now=click.now)
    except UserError as error:
        refuse(services, click, error, tell)
        return
    refresh_dm(services, client, team_id=click.team_id, update_id=click.update_id)


def open_edit(services: Services, client: WebClient, click: UpdateClick, *, trigger_id: str, tell: Tell) -> None:
    """Check the clicker may edit it (and that it still waits) before opening the form."""
    try:
        with services.db.reader() as session:
            card = updates.update_card(session, team_id=click.team_id, update_id=click.update_id)
        updates.check_may_decide(card, actor=click.user_id, now=click.now)
    except UserError as error:
        refuse(services, click, error, tell)
        return
    try:
        client.views_open(trigger_id=trigger_id, view=messages.edit_modal(card, max_length=updates.TEXT_MAX))
    except Exception:
        log.exception("views.open for editing client update %s failed", click.update_id)
        tell(reply("Slack didn't open the form in time. Please click Edit again."))


def save_edit(services: Services, client: WebClient, click: UpdateClick, text: str, tell: Tell) -> None:
    try:
        with services.db.transaction() as session:
            updates.edit(session, team_id=click.team_id, update_id=click.update_id, actor=click.user_id, text=text, now=click.now)
    except UserError as error:
        refuse(services, click, error, tell)
        return
    refresh_dm(services, client, team_id=click.team_id, update_id=click.update_id)


def refuse(services: Services, click: UpdateClick, error: UserError, tell: Tell) -> None:
    """Tell the clicker why not. A client gets the client's one line, and the attempt is audited."""
    if isinstance(error, UpdateNotOwner) and _is_client(services, click):
        project_id = None
        try:
            with services.db.transaction() as session:
                project_id = updates.update_card(session, team_id=click.team_id, update_id=click.update_id).project.id
                client_rules.refuse_client(
                    session, team_id=click.team_id, project_id=project_id, actor=click.user_id, verb="update", now=click.now
                )
        except Exception:  # the refusal stands; only its audit line is missing
            log.exception("could not audit a client's click on client update %s", click.update_id)
        tell(refusal(TeamOnly("update", project_id)))
        return
    tell(refusal(error))


def _is_client(services: Services, click: UpdateClick) -> bool:
    if click.payload_team and click.payload_team != click.team_id:
        return True
    with services.db.reader() as session:
        card = updates.update_card(session, team_id=click.team_id, update_id=click.update_id)
        return is_named_client(session, project_id=card.project.id, user_id=click.user_id) or bool(
            known_clients(session, team_id=click.team_id, user_ids=[click.user_id])
        )


def may_have_posted(error: Exception) -> bool:
    """Did Slack perhaps post before failing? No answer (a timeout, a dropped connection) or a 5xx
    may come after the message went out; an error Slack answered (`not_in_channel`, a 429) did not."""
    if isinstance(error, SlackApiError):
        return error.response.status_code >= 500
    return True
