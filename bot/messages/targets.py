"""What the target date reads like: the reply to a change, the date-change proposal message in
every state, the Discuss form, the slip alert and the form that proposes a new date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.core.slips import Slip
from bot.core.targets import TargetChange
from bot.messages import ids
from bot.messages.blocks import Block, Message, context, modal, reply, section, text_input
from bot.messages.format import day, escape, mention, mentions, plural, shown, slack_time
from bot.messages.labels import project_label, step_label
from bot.messages.limits import LIST_MAX
from storage.models import Project, Proposal, ProposalState


def target_changed(project: Project, change: TargetChange, actor: str) -> Message:
    reason = f" ({escape(change.baseline.reason)})" if change.baseline and change.baseline.reason else ""
    return reply(
        f":calendar: {mention(actor)} moved the target of {project_label(project)} from {day(change.old)} "
        f"to *{day(change.new)}*{reason}.",
        in_channel=True,
    )


def proposal_posted(project: Project, proposal: Proposal) -> Message:
    return reply(
        f"Proposed *{day(proposal.new_target)}* as the new target of {project_label(project)} to its approvers. "
        "The target changes when one of them accepts."
    )


def proposal_message(proposal: Proposal, project: Project, deciders: Sequence[str]) -> Message:
    """The proposal in the project channel: old → new, the reason, slip and client-held days, and
    Accept / Discuss for the approvers while it waits; what was decided afterwards."""
    lines = [f":calendar: *New target date proposed* for *{shown(project.name)}*"]
    lines.append(f"{day(proposal.old_target)} → *{day(proposal.new_target)}*")
    if proposal.reason:
        lines.append(f">{escape(proposal.reason)}")
    facts = []
    if proposal.slip_days:
        facts.append(f"forecast {plural(proposal.slip_days, 'working day')} past the target")
    if proposal.held_days:
        facts.append(f"{plural(proposal.held_days, 'working day')} waiting on the client so far")
    blocks: list[Block] = [section("\n".join(lines))]
    if facts:
        blocks.append(context("What changed: " + "; ".join(facts) + "."))
    state = ProposalState(proposal.state)
    if state is ProposalState.PENDING:
        blocks.append(context(f"Proposed by {mention(proposal.proposed_by)} · approvers: {mentions(list(deciders))}"))
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.PROPOSAL_ACTIONS_BLOCK,
                "elements": [
                    _button("Accept", ids.PROPOSAL_ACCEPT_ACTION, proposal, "primary"),
                    _button("Discuss", ids.PROPOSAL_DISCUSS_ACTION, proposal, None),
                ],
            }
        )
    elif state is ProposalState.ACCEPTED and proposal.decided_by and proposal.decided_at:
        blocks.append(
            section(f":white_check_mark: *Accepted* by {mention(proposal.decided_by)} {slack_time(proposal.decided_at)}")
        )
    elif state is ProposalState.DISCUSS and proposal.decided_by and proposal.decided_at:
        comment = f"\n>{escape(proposal.comment)}" if proposal.comment else ""
        blocks.append(
            section(
                f":speech_balloon: {mention(proposal.decided_by)} wants to discuss it {slack_time(proposal.decided_at)}{comment}"
            )
        )
    else:
        blocks.append(context(":arrows_counterclockwise: Replaced by a newer proposal."))
    text = f"New target date proposed for {project.name}: {day(proposal.new_target)}"
    return {"text": escape(text), "blocks": blocks}


def _button(label: str, action_id: str, proposal: Proposal, style: str | None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": str(proposal.id),
    }
    if style:
        button["style"] = style
    return button


def discuss_modal(proposal: Proposal, project_name: str, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """`extra`: more for the form's metadata (the chase DM it was opened from)."""
    intro = f"The new target {day(proposal.new_target)} for *{shown(project_name, 80)}*. What would you like to discuss?"
    return modal(
        callback_id=ids.DISCUSS_VIEW, metadata={"proposal_id": proposal.id, **(extra or {})}, title="Discuss the new date",
        submit="Send",
        blocks=[
            section(intro),
            text_input(
                block_id=ids.DISCUSS_COMMENT_BLOCK, action_id=ids.DISCUSS_COMMENT_INPUT, label="Your comment", max_length=2000
            ),
        ],
    )  # fmt: skip


def discussed_note(proposal: Proposal, project: Project) -> Message:
    """To the owner: an approver wants to talk the new date over."""
    comment = f"\n>{escape(proposal.comment)}" if proposal.comment else ""
    text = (
        f":speech_balloon: {mention(proposal.decided_by or '')} wants to discuss the new target {day(proposal.new_target)} "
        f"for {project_label(project)}:{comment}\nThe target stays {day(project.target_date)} until a new date is agreed."
    )
    return {"text": text, "blocks": [section(text)]}


def baselines_line(targets: Sequence[date]) -> str:
    return " → ".join(day(t) for t in targets[:LIST_MAX])


def slip_alert(slip: Slip, *, every: int) -> Message:
    """To the owner: the forecast passed the agreed target; why, and a button to propose a new date."""
    project = slip.project
    causes = []
    if slip.drivers:  # what sets the forecast first, then what else holds the project back
        shown_drivers = [step_label(s) for s in slip.drivers[:3]]
        more = f" and {len(slip.drivers) - 3} more" if len(slip.drivers) > 3 else ""
        verb = "sets" if len(slip.drivers) == 1 else "set"
        causes.append(f"{', '.join(shown_drivers)}{more}, due {day(slip.forecast)}, {verb} the forecast")
    if slip.overdue:
        causes.append(plural(slip.overdue, "overdue step"))
    if slip.held_days:
        causes.append(f"{plural(slip.held_days, 'working day')} waiting on the client")
    why = f" Causes: {'; '.join(causes)}." if causes else ""
    text = (
        f":chart_with_downwards_trend: {project_label(project)} is forecast to finish {day(slip.forecast)}, "
        f"{plural(slip.slip_days, 'working day')} past the agreed {day(project.target_date)}.{why}"
    )
    button: Block = {
        "type": "button",
        "action_id": ids.PROPOSE_DATE_ACTION,
        "text": {"type": "plain_text", "text": "Propose new date"},
        "style": "primary",
        "value": str(project.id),
    }
    return {
        "text": text,
        "blocks": [
            section(text),
            {"type": "actions", "elements": [button]},
            context(f"You'll hear again only if it slips {plural(every, 'more working day')}."),
        ],
    }


def propose_modal(project: Project, forecast: date) -> dict[str, Any]:
    """The proposal form, pre-filled with the forecast: submitting it is `/project due <date> <reason>`."""
    picker: Block = {
        "type": "input",
        "block_id": ids.PROPOSE_DATE_BLOCK,
        "label": {"type": "plain_text", "text": "New target"},
        "element": {"type": "datepicker", "action_id": ids.PROPOSE_DATE_INPUT, "initial_date": forecast.isoformat()},
    }
    return modal(
        callback_id=ids.PROPOSE_VIEW, metadata={"project_id": project.id}, title="Propose a new date", submit="Propose",
        blocks=[
            section(f"New target date for *{shown(project.name, 80)}* (now {day(project.target_date)})."),
            picker,
            text_input(
                block_id=ids.PROPOSE_REASON_BLOCK, action_id=ids.PROPOSE_REASON_INPUT,
                label="Why (the approvers will read it)", max_length=500, optional=True,
            ),
        ],
    )  # fmt: skip
