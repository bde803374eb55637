"""`/project due <date> [reason]`: change the target date, proposed to the approvers when there are any (owner)."""

from __future__ import annotations

from bot.core.grammar import targets as target_grammar
from bot.messages.blocks import Message
from bot.slack.proposals import propose_target
from handlers.commands.declare import Kind, Request, Who, verb


@verb(
    "due", target_grammar.target_date, usage="due <date> [reason]",
    does="change the target date: proposed to the approvers when there are any (owner)",
    who=Who.OWNER, owner_action="change the target date", kind=Kind.SLACK,
)  # fmt: skip
def change_target(req: Request, args: target_grammar.TargetDate) -> Message:
    return propose_target(
        req.services, req.client, team_id=req.team_id, user_id=req.user_id, channel_id=req.channel_id,
        project_name=None, due_word=args.due_word, reason=args.reason, now=req.now,
    )  # fmt: skip
