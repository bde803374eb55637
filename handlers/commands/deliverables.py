"""`/project deliverable <title> [link]`: ask the project's approvers to sign something off."""

from __future__ import annotations

from bot.core.grammar import deliverables as deliverable_grammar
from bot.messages.blocks import Message
from bot.slack.approvals import submit_and_post
from handlers.commands.declare import Kind, Request, verb


@verb(
    "deliverable", deliverable_grammar.deliverable, usage="deliverable <title> [link] [for:#n]",
    does="ask the approvers to approve it; approving it completes step #n",
    kind=Kind.SLACK,
)  # fmt: skip
def submit(req: Request, args: deliverable_grammar.Submit) -> Message:
    return submit_and_post(
        req.services, req.client, team_id=req.team_id, channel_id=req.channel_id, user_id=req.user_id, now=req.now,
        project_name=None, title=args.title, link=args.link, step_number=args.step_number,
    )  # fmt: skip
