"""What Slack's `conversations.info` says about a project channel — shared with another
organization or not — kept on the project, and the announcement a new project gets there.

    public, private = announce(services, client, project_id=7, approvers=[], now=utcnow())
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core import clients, projects
from bot.core.audience import client_facing
from bot.messages.blocks import Message
from bot.messages.projects import project_created, setup_hints
from bot.services import Services
from bot.slack.ratelimit import RateLimited, limited
from storage.models import Project

log = logging.getLogger(__name__)
CHECK_EVERY = timedelta(days=1)


def channel_shared(client: WebClient, channel_id: str) -> bool | None:
    """True when the channel is shared with another organization; None when Slack can't say.
    `RateLimited` when Slack asks us to wait (the caller decides whether to)."""
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as error:
        if (wait := limited(error)) is not None:
            raise wait from error
        log.warning("conversations.info failed for %s: %s", channel_id, error.response.get("error"))
        return None
    except (SlackClientError, OSError, KeyError, TypeError) as error:
        log.warning("conversations.info failed for %s: %s", channel_id, error)
        return None
    return bool(channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"))


def check_channel(services: Services, client: WebClient, project: Project, *, now: datetime) -> None:
    """Ask Slack again whether the project channel is shared, at most once a day per project
    (`RateLimited` passes through)."""
    if project.id is None or (project.channel_checked_at is not None and now - project.channel_checked_at < CHECK_EVERY):
        return
    shared = channel_shared(client, project.channel_id)
    if shared is None:
        return  # unknown stays unknown, which counts as client-facing
    with services.db.transaction() as session:
        clients.remember_channel_shared(session, project_id=project.id, shared=shared, now=now)


def announce(
    services: Services, client: WebClient, *, project_id: int, approvers: Sequence[str], now: datetime
) -> tuple[Message, Message | None]:
    """The project-started post, and the set-up hints for the owner alone when a client may read
    the channel (then the post carries none)."""
    with services.db.reader() as session:
        project = session.get(Project, project_id)
        assert project is not None
    try:
        check_channel(services, client, project, now=now)
    except RateLimited:
        log.info("conversations.info rate limited: %s counts as client-facing until checked", project.channel_id)
    with services.db.reader() as session:
        project = session.get(Project, project_id)
        assert project is not None
        facing = client_facing(session, project)
    today = projects.local_today(project.tz, now)
    if not facing:
        return project_created(project, approvers, today=today), None
    return project_created(project, approvers, coaching=False), setup_hints(project, today=today)
