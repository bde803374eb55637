"""Date-change proposals in Slack: post one in the project channel, rewrite it from the database
so it shows what was decided, and tell the owner when an approver wants to discuss it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from slack_sdk import WebClient
from sqlalchemy import update
from sqlmodel import col, select

from bot.core import overview, projects, targets
from bot.core.approvals import deciders_of
from bot.core.dates import parse_date
from bot.core.errors import NoProjectHere, UserError
from bot.core.status import slip
from bot.core.targets import proposal_by_id
from bot.messages import targets as messages
from bot.messages.blocks import Message, reply
from bot.messages.errors import OOPS, refusal
from bot.services import Services
from bot.slack.outage import oops
from bot.work import done_before, note_done
from storage.models import Project, Proposal, utcnow

log = logging.getLogger(__name__)
DECIDED, TOLD = "decided", "owner told"  # the job's notes: the click's decision, the owner's DM about it
PROPOSED = "proposed"  # the job's note: [proposal id, the one it replaced, the answer of a change made at once]


def post_proposal(services: Services, client: WebClient, *, team_id: str, proposal_id: int) -> bool:
    """Post the proposal's message and remember where it is; False if Slack refused."""
    with services.db.reader() as session:
        proposal, project = proposal_by_id(session, team_id=team_id, proposal_id=proposal_id)
        deciders = deciders_of(session, project).user_ids
    try:
        posted = client.chat_postMessage(channel=project.channel_id, **messages.proposal_message(proposal, project, deciders))
    except Exception:
        log.warning("posting date proposal %s failed", proposal_id, exc_info=True)
        return False
    with services.db.transaction() as session:
        session.execute(
            update(Proposal)
            .where(col(Proposal.id) == proposal_id)
            .values(channel_id=posted["channel"], message_ts=posted["ts"])
            .execution_options(synchronize_session=False)
        )
    return True


def refresh_proposal(services: Services, client: WebClient, *, team_id: str, proposal_id: int) -> None:
    """Rewrite the proposal message to show what stands (buttons gone once decided or replaced)."""
    try:
        with services.db.reader() as session:
            proposal, project = proposal_by_id(session, team_id=team_id, proposal_id=proposal_id)
            deciders = deciders_of(session, project).user_ids
    except UserError:
        return
    if not proposal.channel_id or not proposal.message_ts:
        return
    try:
        client.chat_update(
            channel=proposal.channel_id, ts=proposal.message_ts, **messages.proposal_message(proposal, project, deciders)
        )
    except Exception:
        log.warning("chat.update of date proposal %s failed", proposal_id, exc_info=True)
        return
    if proposal.refresh_due_at is None:  # nothing was owed (another refresh got here first)
        return
    with services.db.transaction() as session:  # unless a newer change made it owe another update
        session.execute(
            update(Proposal)
            .where(col(Proposal.id) == proposal_id, col(Proposal.refresh_due_at) <= proposal.refresh_due_at)
            .values(refresh_due_at=None)
            .execution_options(synchronize_session=False)
        )


def tell_owner_discuss(services: Services, client: WebClient, *, team_id: str, proposal_id: int) -> None:
    with services.db.reader() as session:
        proposal, project = proposal_by_id(session, team_id=team_id, proposal_id=proposal_id)
    try:
        client.chat_postMessage(channel=project.owner_id, **messages.discussed_note(proposal, project))
    except Exception:
        log.warning("could not tell the owner of project %s about a discussed date", project.id, exc_info=True)


def propose_target(
    services: Services, client: WebClient, *, team_id: str, user_id: str, channel_id: str, project_name: str | None,
    due_word: str | None = None, new_target: date | None = None, reason: str | None, now: datetime,
    project_id: int | None = None,
) -> Message:  # fmt: skip
    """`/project due` and the slip alert's form: change the target at once (no approvers) or post a
    proposal to the approvers. Refusals come back as the reply; nothing is half-written."""
    work_days = services.settings.work_days
    noted = done_before(PROPOSED)  # what this request changed before its worker stopped
    if noted is None:
        try:
            with services.db.transaction() as session:
                if project_id is not None:
                    project = session.get(Project, project_id)
                    if project is None or project.team_id != team_id:
                        raise NoProjectHere()
                else:
                    project = projects.find_project(session, team_id=team_id, channel_id=channel_id, name=project_name)
                today = projects.local_today(project.tz, now)
                target = new_target or parse_date(due_word or "", today, work_days)
                status = overview.status_of(session, project, now, work_days)
                held = overview.plan_of(session, project, now, work_days).held_days
                change = targets.change_target(
                    session, project=project, actor=user_id, new_target=target, reason=reason, today=today, now=now,
                    held_days=held, slip_days=slip(status.forecast, project.target_date, work_days),
                )  # fmt: skip
                proposal_id = change.proposal.id if change.proposal else None
                replaced_id = change.replaced.id if change.replaced else None
                answer = messages.target_changed(project, change, user_id) if proposal_id is None else None
                note_done(PROPOSED, [proposal_id, replaced_id, answer], session=session)
        except UserError as error:
            return refusal(error)
    else:
        proposal_id, replaced_id, answer = noted
    if replaced_id is not None:
        refresh_proposal(services, client, team_id=team_id, proposal_id=replaced_id)
    if proposal_id is None:
        return answer or reply(OOPS)
    with services.db.reader() as session:
        proposal, project = proposal_by_id(session, team_id=team_id, proposal_id=proposal_id)
    # Posted and recorded before a worker stopped: not twice.
    if proposal.message_ts is None and not post_proposal(services, client, team_id=team_id, proposal_id=proposal_id):
        return reply(
            f":warning: I saved the proposal, but Slack wouldn't let me post it in <#{project.channel_id}>. "
            "Invite me there with `/invite @Shepherd`, then run `/project due` again."
        )
    return messages.proposal_posted(project, proposal)


def owed_proposals(services: Services, project_id: int) -> list[int]:
    """The project's proposal messages that still owe an update."""
    with services.db.reader() as session:
        rows = session.exec(
            select(Proposal.id).where(
                Proposal.project_id == project_id,
                col(Proposal.refresh_due_at).is_not(None),
                col(Proposal.message_ts).is_not(None),
            )
        )
        return [row for row in rows if row is not None]


def decide_proposal(
    services: Services, client: WebClient, *, team_id: str, user_id: str, proposal_id: int, accept: bool,
    comment: str | None, tell: Callable[[Message], None],
) -> bool:  # fmt: skip
    """Accept or Discuss, from the channel message or the Home tab: one outcome however many
    clicks; the message then shows what stands. True when this click decided."""
    try:
        if not done_before(DECIDED):  # decided by this click before its worker stopped: show it, don't refuse it
            with services.db.transaction() as session:
                targets.decide_proposal(
                    session, team_id=team_id, proposal_id=proposal_id, actor=user_id, accept=accept, comment=comment,
                    now=utcnow(),
                )  # fmt: skip
                note_done(DECIDED, session=session)
    except UserError as error:
        tell(refusal(error))
        return False
    except Exception as error:
        tell(reply(oops(error, log, "deciding date proposal %s failed", proposal_id)))
        return False
    refresh_proposal(services, client, team_id=team_id, proposal_id=proposal_id)
    if not accept and not done_before(TOLD):
        tell_owner_discuss(services, client, team_id=team_id, proposal_id=proposal_id)
        note_done(TOLD)
    return True


def open_discuss_form(
    services: Services, client: WebClient, *, team_id: str, user_id: str, proposal_id: int, trigger_id: str,
    tell: Callable[[Message], None], extra: dict | None = None,
) -> None:  # fmt: skip
    """Check the clicker may decide (and that it still waits) before asking for a comment; `extra`
    rides along in the form's metadata (the chase DM it was opened from)."""
    try:
        with services.db.reader() as session:
            proposal, project = targets.proposal_by_id(session, team_id=team_id, proposal_id=proposal_id)
            targets.check_may_decide(session, proposal=proposal, project=project, actor=user_id)
    except UserError as error:
        tell(refusal(error))
        return
    try:
        client.views_open(trigger_id=trigger_id, view=messages.discuss_modal(proposal, project.name, extra=extra))
    except Exception:
        log.exception("views.open for a discussion failed")
        tell(reply("Slack didn't open the form in time. Please click Discuss again."))
