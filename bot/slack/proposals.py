"""Date-change proposals in Slack: post one in the project channel, rewrite it from the database
so it shows what was decided, and tell the owner when an approver wants to discuss it."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy import update
from sqlmodel import col

from bot.core.approvals import deciders_of
from bot.core.errors import UserError
from bot.core.targets import proposal_by_id
from bot.messages import plan as messages
from bot.services import Services
from storage.models import Proposal

log = logging.getLogger(__name__)


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
    with services.db.transaction() as session:
        session.execute(
            update(Proposal)
            .where(col(Proposal.id) == proposal_id, col(Proposal.refresh_due_at) <= (proposal.refresh_due_at or datetime.max))
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
