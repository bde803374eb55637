"""Replies to the client-side commands: client contacts named or removed, the internal channel set."""

from __future__ import annotations

from collections.abc import Sequence

from bot.messages.blocks import Message, reply
from bot.messages.format import mentions
from bot.messages.labels import project_label
from storage.models import Project


def clients_added(project: Project, added: Sequence[str], existing: Sequence[str]) -> Message:
    parts = []
    if added:
        parts.append(
            f"{mentions(added)} {'is' if len(added) == 1 else 'are'} now a client of {project_label(project)}: "
            "they see the client view and can't run team commands."
        )
    if existing:
        parts.append(f"{mentions(existing)} {'was' if len(existing) == 1 else 'were'} already named.")
    return reply(" ".join(parts))


def clients_removed(project: Project, removed: Sequence[str]) -> Message:
    return reply(
        f"{mentions(removed)} {'is' if len(removed) == 1 else 'are'} no longer named a client of {project_label(project)}."
    )


def team_added(project: Project, added: Sequence[str], existing: Sequence[str]) -> Message:
    parts = []
    if added:
        parts.append(
            f"{mentions(added)} {'is' if len(added) == 1 else 'are'} on the team of {project_label(project)}, "
            "though named a client elsewhere: they see the full status here and can run team commands."
        )
    if existing:
        parts.append(f"{mentions(existing)} {'was' if len(existing) == 1 else 'were'} already named team.")
    return reply(" ".join(parts))


def team_removed(project: Project, removed: Sequence[str]) -> Message:
    return reply(
        f"{mentions(removed)} {'is' if len(removed) == 1 else 'are'} no longer named team on {project_label(project)}: "
        "named a client elsewhere, they are a client here too."
    )


def internal_set(project: Project) -> Message:
    return reply(
        f"Team-only posts of {project_label(project)} (the overdue digest, escalations) now go to "
        f"<#{project.internal_channel_id}>. If it's private, invite me there with `/invite @Shepherd`."
    )
