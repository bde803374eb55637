"""`/project update [project]`: draft this week's client update now (team); and
`/project update weekly <day> <time>|off`: when it is drafted each week (owner)."""

from __future__ import annotations

from bot.core import grammar, updates
from bot.core.grammar import updates as update_grammar
from bot.messages import updates as messages
from bot.messages.blocks import Message
from bot.slack.updates import draft_now
from handlers.commands.declare import Kind, Request, Who, verb


@verb(
    "update", grammar.project_only, usage="update [project]",
    does="draft this week's client update now; its owner posts, edits or skips it", kind=Kind.SLACK,
)  # fmt: skip
def draft_update(req: Request, args: grammar.ProjectOnly) -> Message:
    return draft_now(
        req.services, req.client, team_id=req.team_id, channel_id=req.channel_id, user_id=req.user_id,
        project_name=args.project, now=req.now,
    )  # fmt: skip


@verb(
    "update weekly", update_grammar.weekly, usage="update weekly <day> <time> · update weekly off",
    does="when the weekly client update is drafted, project-local (owner)", who=Who.OWNER,
    owner_action="choose when the weekly client update is drafted",
)  # fmt: skip
def schedule_updates(req: Request, args: update_grammar.Weekly) -> Message:
    assert req.session is not None
    project = req.project()
    updates.set_schedule(req.session, project=project, actor=req.user_id, schedule=args.schedule, now=req.now)
    return messages.schedule_set(project.name, args.schedule, project.tz)
