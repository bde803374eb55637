"""Block Kit for client sign-off: the approval message in every state, the reject-reason modal,
and the short ephemeral answers a click gets. Pure functions of domain data.

    message = approval_message(approval_card(session, team_id=team, deliverable_id=7))
    client.chat_update(channel=..., ts=..., **message)
"""

from __future__ import annotations

from typing import Any

from bot.core.approvals import REASON_MAX, ApprovalCard
from bot.core.text import cut
from bot.messages import ids
from bot.messages.blocks import Block, Message, context, modal, reply, section, text_input
from bot.messages.format import escape, mention, mentions, shown, slack_time
from bot.messages.limits import SECTION_MAX
from storage.models import Decision, Deliverable, DeliverableState, Stage

REASON_SHOWN = 2000
MENTIONS_SHOWN = 15  # more approvers than this are counted, not listed


def deliverable_label(deliverable: Deliverable) -> str:
    return f"*{shown(deliverable.title)}* v{deliverable.version}"


def link_markup(url: str | None) -> str | None:
    """`<url|label>` for a plain http(s) URL; anything else is shown as text, so it can't forge a link."""
    if not url:
        return None
    if not url.startswith(("http://", "https://")) or any(c in url for c in "<>| \n\t"):
        return escape(cut(url, 200))
    return f"<{escape(url)}|{escape(cut(url, 80))}>"


def people(user_ids: list[str]) -> str:
    return mentions(user_ids, limit=MENTIONS_SHOWN)


def quoted(reason: str) -> str:
    return "\n".join(f">{escape(line)}" for line in cut(reason, REASON_SHOWN).splitlines() or [""])


def decision_line(decision: Decision) -> str:
    when = slack_time(decision.decided_at)
    if decision.verdict == DeliverableState.APPROVED:
        return f":white_check_mark: *Approved* by {mention(decision.approver_id)} {when}"
    reason = f"\n{quoted(decision.reason)}" if decision.reason else ""
    return f":x: *Rejected* by {mention(decision.approver_id)} {when}{reason}"


def approval_message(card: ApprovalCard) -> Message:
    """The message carrying the Approve/Reject buttons while pending, and the decision afterwards."""
    d, project = card.deliverable, card.project
    client = f" ({escape(cut(project.client, 80))})" if project.client else ""
    fields = [
        f"*Submitted by*\n{mention(d.submitted_by)}",
        f"*Stage*\n{Stage(d.stage).label}",
        f"*Version*\nv{d.version}",
    ]
    link = link_markup(d.link)
    if link:
        fields.append(f"*Link*\n{link}")
    blocks: list[Block] = [
        section(f":page_facing_up: {deliverable_label(d)} for sign-off on *{escape(project.name)}*{client}"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": cut(f, 2000)} for f in fields]},
    ]
    if card.previous is not None:
        before, before_decision = card.previous
        outcome = f", {before_decision.verdict} by {mention(before_decision.approver_id)}" if before_decision else ""
        blocks.append(context(f"Replaces v{before.version}{outcome}."))
    deciders = people(card.deciders.user_ids)
    if card.deciders.owner_decides:
        blocks.append(context(f"No client approvers are named, so the project owner {deciders} decides."))
    else:
        blocks.append(context(f"Approvers: {deciders}"))
    if card.decision is not None:
        blocks.append(section(decision_line(card.decision)))
    if card.replaced_by is not None:
        undecided = "" if card.decision else " before a decision was taken"
        blocks.append(context(f":arrows_counterclockwise: Superseded by v{card.replaced_by}{undecided}."))
    elif card.decision is None and project.closed_at is not None:
        blocks.append(context(":checkered_flag: The project was closed before a decision was taken."))
    elif card.decision is None and d.state == DeliverableState.PENDING:
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.APPROVAL_ACTIONS_BLOCK,
                "elements": [
                    _button("Approve", ids.APPROVE_ACTION, d, "primary"),
                    _button("Reject", ids.REJECT_ACTION, d, "danger"),
                ],
            }
        )
    return {"text": fallback_text(card), "blocks": blocks}


def _button(label: str, action_id: str, deliverable: Deliverable, style: str) -> Block:
    # Only the id travels in the button: who clicked comes from Slack's signed payload.
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "style": style,
        "value": str(deliverable.id),
    }


def fallback_text(card: ApprovalCard) -> str:
    d = card.deliverable
    what = f"{shown(d.title)} v{d.version}"
    if card.decision is not None:
        state = f"{card.decision.verdict} by {mention(card.decision.approver_id)}"
    elif card.replaced_by is not None:
        state = f"superseded by v{card.replaced_by}"
    elif card.project.closed_at is not None:
        state = "not decided before the project closed"
    else:
        state = f"waiting for sign-off by {people(card.deciders.user_ids)}"
    if card.replaced_by is not None and card.decision is not None:
        state += f", superseded by v{card.replaced_by}"
    return cut(f"Deliverable {what} from {mention(d.submitted_by)}: {state}", SECTION_MAX)


def submitter_notice(card: ApprovalCard) -> Message:
    """The thread reply that tells the submitter how their deliverable was decided."""
    d, decision = card.deliverable, card.decision
    assert decision is not None
    if decision.verdict == DeliverableState.APPROVED:
        text = f"{mention(d.submitted_by)} {deliverable_label(d)} was approved by {mention(decision.approver_id)}. :tada:"
    else:
        reason = f"\n{quoted(decision.reason)}" if decision.reason else ""
        text = f"{mention(d.submitted_by)} {deliverable_label(d)} was rejected by {mention(decision.approver_id)}:{reason}"
    return {"text": cut(text, SECTION_MAX), "blocks": [section(text)]}


def resubmit_hint(card: ApprovalCard) -> Message | None:
    """After a rejection, how to send v2: to the submitter alone (clients read the thread)."""
    d = card.deliverable
    if card.decision is None or card.decision.verdict != DeliverableState.REJECTED:
        return None
    return reply(f"To resubmit {deliverable_label(d)} as v{d.version + 1}: `/project deliverable {shown(d.title)} <link>`.")


def submitted_reply(card: ApprovalCard, *, repost: bool) -> str:
    """What the submitter sees after `/project deliverable` (ephemeral)."""
    again = " again" if repost else ""
    return f"Posted {deliverable_label(card.deliverable)}{again} for sign-off by {people(card.deciders.user_ids)}."


def post_failed_reply(card: ApprovalCard, error: str) -> str:
    return (
        f":warning: I saved {deliverable_label(card.deliverable)}, but Slack would not let me post its approval message "
        f"(`{escape(cut(error, 60))}`). Invite me to <#{card.project.channel_id}> with `/invite @Shepherd`, then run the "
        "same `/project deliverable` command again to post it. Nothing is lost."
    )


def reject_modal(deliverable: Deliverable, project_name: str) -> dict[str, Any]:
    """Asks the approver why; the reason is required (an empty one is refused inside the modal)."""
    intro = (
        f"Rejecting {deliverable_label(deliverable)} of *{shown(project_name, 80)}*. "
        f"{mention(deliverable.submitted_by)} will see your reason."
    )
    return modal(
        callback_id=ids.REJECT_VIEW, metadata={"deliverable_id": deliverable.id}, title="Reject deliverable", submit="Reject",
        blocks=[
            section(intro),
            text_input(
                block_id=ids.REJECT_REASON_BLOCK, action_id=ids.REJECT_REASON_INPUT, label="What needs to change?",
                max_length=REASON_MAX, placeholder="The logo is too small on mobile.",
            ),
        ],
    )  # fmt: skip
