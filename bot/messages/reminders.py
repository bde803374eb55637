"""Block Kit builders for the scheduler's messages: assignee DMs, channel digests, approver chases,
escalations and "I couldn't reach …" reports. Pure functions of domain data and the send-time date.

    message = assignee_dm(steps, today=date(2026, 12, 3), work_days=frozenset(range(5)))
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.core.dates import working_days_between
from bot.core.reminders.model import DueStep, WaitingDeliverable, in_dm_order
from bot.messages import ids
from bot.messages.blocks import Block, Message, bulleted, context, section
from bot.messages.format import day, escape, mention, plural, shown

MAX_DM_STEPS = 20  # two blocks per step: 20 steps stay well inside Slack's 50 blocks


def due_phrase(due: date, today: date, work_days: frozenset[int]) -> str:
    """How a due date reads on the day the message is sent: "overdue by 2 working days", "due tomorrow"."""
    if due < today:
        late = max(working_days_between(due, today, work_days), 1)
        return f"*overdue by {plural(late, 'working day')}* (was due {day(due)})"
    if due == today:
        return "due *today*"
    if (due - today).days == 1:
        return f"due *tomorrow* ({day(due)})"
    return f"due {day(due)}"


def step_title(step: DueStep) -> str:
    return f"#{step.number} {shown(step.title)}"


def step_buttons(step_id: int) -> Block:
    return {
        "type": "actions",
        "block_id": f"{ids.REMINDER_STEP_BLOCK}{step_id}",
        "elements": [
            {
                "type": "button",
                "action_id": ids.STEP_DONE_ACTION,
                "text": {"type": "plain_text", "text": "Mark done"},
                "style": "primary",
                "value": str(step_id),
            },
            {
                "type": "button",
                "action_id": ids.STEP_SNOOZE_ACTION,
                "text": {"type": "plain_text", "text": "Snooze 1 day"},
                "value": str(step_id),
            },
        ],
    }


def assignee_dm(steps: Sequence[DueStep], *, today: date, work_days: frozenset[int]) -> Message:
    """The daily DM to one person: their overdue and soon-due steps, each with Mark done / Snooze."""
    ordered = in_dm_order(steps)
    overdue = sum(1 for s in ordered if s.due_date < today)
    upcoming = len(ordered) - overdue
    parts = [plural(overdue, "overdue step")] if overdue else []
    if upcoming:
        parts.append(f"{plural(upcoming, 'step')} due soon")
    summary = " and ".join(parts)
    blocks: list[Block] = [section(f":wave: You have {summary}.")]
    for step in ordered[:MAX_DM_STEPS]:
        blocks.append(
            section(f"*{step_title(step)}* · {shown(step.project_name, 80)}\n{due_phrase(step.due_date, today, work_days)}")
        )
        blocks.append(step_buttons(step.step_id))
    if len(ordered) > MAX_DM_STEPS:
        blocks.append(context(f"…and {len(ordered) - MAX_DM_STEPS} more. `/project list mine` shows your projects."))
    return {"text": f"You have {summary}.", "blocks": blocks}


def channel_digest(steps: Sequence[DueStep], *, today: date, work_days: frozenset[int]) -> Message:
    """The once-a-day overdue digest, for the team (its internal channel, or the owner). A step a
    client owes reads as waiting on the client, not as someone's lateness."""
    ordered = sorted(steps, key=lambda s: (s.due_date, s.number))
    name = shown(ordered[0].project_name, 80)

    def line(s: DueStep) -> str:
        if s.assignee_is_client and s.assignee_id:
            return f"{step_title(s)}: waiting on {mention(s.assignee_id)} (client) since {day(s.due_date)}"
        who = mention(s.assignee_id) if s.assignee_id else "_unassigned_"
        return f"{step_title(s)}: {who}, {due_phrase(s.due_date, today, work_days)}"

    lines = [line(s) for s in ordered]
    title = f":warning: *{name}* has {plural(len(ordered), 'overdue step')}"
    return {
        "text": f"{name}: {plural(len(ordered), 'overdue step')}",
        "blocks": [section(bulleted(title, lines)), context("`/project status` shows the whole project.")],
    }


def approver_chase(items: Sequence[tuple[WaitingDeliverable, int]]) -> Message:
    """A DM to an approver: deliverables waiting for their decision, with working days waited."""
    ordered = sorted(items, key=lambda pair: pair[0].submitted_at)
    lines = [
        f"*{shown(d.title)}* v{d.version} in *{shown(d.project_name, 80)}* (<#{d.channel_id}>): "
        f"waiting {plural(waited, 'working day')}"
        for d, waited in ordered
    ]
    title = f":hourglass_flowing_sand: {plural(len(ordered), 'deliverable')} waiting for your decision"
    return {
        "text": f"{plural(len(ordered), 'deliverable')} waiting for your decision",
        "blocks": [section(bulleted(title, lines)), context("Approve or reject them on their message in the project channel.")],
    }


def escalation(items: Sequence[tuple[DueStep, int]]) -> Message:
    """One DM to a project owner about the steps overdue too long, each with its working days late.
    Mark done / Snooze work here too."""
    ordered = sorted(items, key=lambda pair: (pair[0].due_date, pair[0].project_name.casefold(), pair[0].number))
    if len(ordered) == 1:
        ((step, late),) = ordered
        return {
            "text": f"#{step.number} in {shown(step.project_name, 80)} is {plural(late, 'working day')} overdue",
            "blocks": [section(f":rotating_light: {_escalated(step, late)}"), step_buttons(step.step_id)],
        }
    summary = f"{plural(len(ordered), 'step')} in your projects are overdue too long"
    blocks: list[Block] = [section(f":rotating_light: {summary}:")]
    for step, late in ordered[:MAX_DM_STEPS]:
        blocks.append(section(_escalated(step, late)))
        blocks.append(step_buttons(step.step_id))
    if len(ordered) > MAX_DM_STEPS:
        blocks.append(context(f"…and {len(ordered) - MAX_DM_STEPS} more. `/project status` in each project shows them."))
    return {"text": f"{summary}.", "blocks": blocks}


def _escalated(step: DueStep, late: int) -> str:
    who = mention(step.assignee_id) if step.assignee_id else "nobody"
    return (
        f"*{step_title(step)}* in *{shown(step.project_name, 80)}* is "
        f"{plural(late, 'working day')} overdue (was due {day(step.due_date)}); it is assigned to {who}."
    )


def unreachable_report(*, recipient: str, error: str, project_name: str | None) -> Message:
    """Told once to a project owner when Slack will not take a reminder for someone or somewhere."""
    about = f" about *{shown(project_name, 80)}*" if project_name else ""
    if recipient[:1] in ("C", "G"):
        what = f"I couldn't post reminders{about} in <#{recipient}> (Slack says `{escape(error)}`)."
        fix = "Invite me to the channel with `/invite @Shepherd`, or link the project to a channel I'm in."
    else:
        what = f"I couldn't send reminders{about} to {mention(recipient)} (Slack says `{escape(error)}`)."
        fix = "Their account may be gone or inactive: give their steps to someone else with `/project step assign #n @person`."
    return {"text": what, "blocks": [section(f":warning: {what}\n{fix}")]}


def step_resolved(blocks: Sequence[Block], step_id: int, note: str) -> list[Block]:
    """The DM's blocks with one step's buttons replaced by `note` (mrkdwn), for chat.update."""
    block_id = f"{ids.REMINDER_STEP_BLOCK}{step_id}"
    return [context(note) | {"block_id": block_id} if block.get("block_id") == block_id else block for block in blocks]
