"""Block Kit builders for the scheduler's messages: assignee DMs, channel digests, approver chases,
escalations and "I couldn't reach …" reports. Pure functions of domain data and the send-time date.

    message = assignee_dm(steps, today=date(2026, 12, 3), work_days=frozenset(range(5)))
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.core.dates import working_days_between
from bot.core.reminders.model import DueStep, WaitingDeliverable, WaitingProposal, in_dm_order
from bot.messages import ids
from bot.messages.blocks import Block, Message, bulleted, context, modal, section
from bot.messages.format import day, escape, mention, plural, shown
from bot.messages.limits import SECTION_MAX

ASSIGNEE_DM, ESCALATION_DM, CHASE_DM = "assignee", "escalation", "chase"  # what a DM's summary counts
MORE_BLOCK = "reminder_more:"  # + how many items the DM leaves out ("…and N more")
SNOOZED = ":snoozed:"  # + the date: on the block that replaced a snoozed step's buttons

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


def escalation_buttons(step_id: int) -> Block:
    """An escalated step's actions: Mark done / Snooze, Re-assign (pick a person) and New date (a form)."""
    block = step_buttons(step_id)
    block["elements"] += [
        {
            "type": "users_select",
            "action_id": ids.ESCALATION_ASSIGN_ACTION,
            "placeholder": {"type": "plain_text", "text": "Re-assign"},
        },
        {
            "type": "button",
            "action_id": ids.ESCALATION_DATE_ACTION,
            "text": {"type": "plain_text", "text": "New date"},
            "value": str(step_id),
        },
    ]
    return block


def new_date_form(*, label: str, project_name: str, initial: date, metadata: dict[str, Any]) -> dict[str, Any]:
    """The New date form of an escalation DM: a date picker, as `step due #n <date>` would set it."""
    picker: Block = {"type": "datepicker", "action_id": ids.NEW_DATE_INPUT, "initial_date": initial.isoformat()}
    return modal(
        callback_id=ids.NEW_DATE_VIEW, metadata=metadata, title="New date", submit="Set date",
        blocks=[
            section(f"A new due date for *{shown(label)}* in *{shown(project_name, 80)}*."),
            {"type": "input", "block_id": ids.NEW_DATE_BLOCK, "label": {"type": "plain_text", "text": "Due"}, "element": picker},
        ],
    )  # fmt: skip


def assignee_dm(steps: Sequence[DueStep], *, today: date, work_days: frozenset[int]) -> Message:
    """The daily DM to one person: their overdue and soon-due steps, each with Mark done / Snooze."""
    ordered = in_dm_order(steps)
    overdue = sum(1 for s in ordered if s.due_date < today)
    summary = summary_text(ASSIGNEE_DM, overdue, len(ordered) - overdue)
    blocks: list[Block] = [summary_block(ASSIGNEE_DM, f":wave: {summary}.")]
    for step in ordered[:MAX_DM_STEPS]:
        line = f"*{step_title(step)}* · {shown(step.project_name, 80)}\n{due_phrase(step.due_date, today, work_days)}"
        blocks.append(line_block(step.step_id, line, overdue=step.due_date < today))
        blocks.append(step_buttons(step.step_id))
    if len(ordered) > MAX_DM_STEPS:
        blocks.append(more_block(len(ordered) - MAX_DM_STEPS, "`/project list mine` shows your projects."))
    return {"text": f"{summary}.", "blocks": blocks}


def summary_text(kind: str, overdue: int, soon: int = 0) -> str:
    """The first line of a reminder DM, counting what it still asks of its reader."""
    if kind == CHASE_DM:  # `overdue`: deliverables; `soon`: date-change proposals
        waiting = [plural(overdue, "deliverable")] if overdue else []
        waiting += [plural(soon, "date change")] if soon else []
        return f"{' and '.join(waiting)} waiting for your decision" if waiting else "Nothing here waits for you any more"
    if kind == ESCALATION_DM:
        if not overdue:
            return "Every step here is dealt with"
        return f"{plural(overdue, 'step')} in your projects {'is' if overdue == 1 else 'are'} overdue too long"
    parts = [plural(overdue, "overdue step")] if overdue else []
    if soon:
        parts.append(f"{plural(soon, 'step')} due soon")
    return f"You have {' and '.join(parts)}" if parts else "Nothing left to do from this reminder"


def summary_block(kind: str, text: str) -> Block:
    return section(text) | {"block_id": f"{ids.REMINDER_SUMMARY_BLOCK}:{kind}"}


def line_block(step_id: int, text: str, *, overdue: bool) -> Block:
    return section(text) | {"block_id": f"{ids.REMINDER_LINE_BLOCK}{step_id}:{'overdue' if overdue else 'soon'}"}


def more_block(rest: int, hint: str) -> Block:
    return context(f"…and {rest} more. {hint}") | {"block_id": f"{MORE_BLOCK}{rest}"}


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


def approver_chase(
    items: Sequence[tuple[WaitingDeliverable, int]], links: Mapping[int, str] | None = None,
    proposals: Sequence[tuple[WaitingProposal, int]] = (), proposal_links: Mapping[int, str] | None = None,
) -> Message:  # fmt: skip
    """A DM to an approver: deliverables and date-change proposals waiting for their decision, with
    working days waited, a link to each message (`links`, `proposal_links`: id → its permalink) and
    Approve / Reject, or Accept / Discuss, right here."""
    ordered = sorted(items, key=lambda pair: pair[0].submitted_at)
    dates = sorted(proposals, key=lambda pair: pair[0].proposed_at)
    summary = summary_text(CHASE_DM, len(ordered), len(dates))
    blocks: list[Block] = [summary_block(CHASE_DM, f":hourglass_flowing_sand: {summary}")]
    room = max(MAX_DM_STEPS - len(dates), 0)  # MAX_DM_STEPS items in all: two blocks each, within Slack's 50
    for p, waited in dates[:MAX_DM_STEPS]:
        link = _message_link((proposal_links or {}).get(p.proposal_id), "open its message")
        where = f"<#{p.channel_id}>" + (f" · {link}" if link else "")
        change = f"{day(p.old_target)} → *{day(p.new_target)}*" if p.old_target else f"*{day(p.new_target)}*"
        line = f"New target date for *{shown(p.project_name, 80)}* ({where}): {change}, waiting {plural(waited, 'working day')}"
        blocks.append(section(line) | {"block_id": f"{ids.CHASE_PROPOSAL_LINE_BLOCK}{p.proposal_id}"})
        blocks.append(proposal_buttons(p.proposal_id))
    for d, waited in ordered[:room]:
        link = _message_link((links or {}).get(d.deliverable_id), "open its message")
        where = f"<#{d.channel_id}>" + (f" · {link}" if link else "")
        line = (
            f"*{shown(d.title)}* v{d.version} in *{shown(d.project_name, 80)}* ({where}): waiting {plural(waited, 'working day')}"
        )
        blocks.append(section(line) | {"block_id": f"{ids.CHASE_LINE_BLOCK}{d.deliverable_id}"})
        blocks.append(decision_buttons(d.deliverable_id))
    if len(ordered) + len(dates) > MAX_DM_STEPS:
        rest = len(ordered) + len(dates) - MAX_DM_STEPS
        blocks.append(more_block(rest, "They are waiting on their messages in the project channels."))
    same = "Approve or reject here" if ordered else "Accept or discuss here"
    blocks.append(context(f"{same}, or on the message in the project channel: it is the same decision."))
    return {"text": summary, "blocks": blocks}


def proposal_buttons(proposal_id: int) -> Block:
    """Accept / Discuss on a date-change proposal in a chase DM: the channel message's own decision."""
    return {
        "type": "actions",
        "block_id": f"{ids.CHASE_PROPOSAL_BLOCK}{proposal_id}",
        "elements": [
            {
                "type": "button",
                "action_id": ids.CHASE_ACCEPT_ACTION,
                "text": {"type": "plain_text", "text": "Accept"},
                "style": "primary",
                "value": str(proposal_id),
            },
            {
                "type": "button",
                "action_id": ids.CHASE_DISCUSS_ACTION,
                "text": {"type": "plain_text", "text": "Discuss"},
                "value": str(proposal_id),
            },
        ],
    }


def proposal_resolved(blocks: Sequence[Block], proposal_id: int, note: str) -> tuple[str | None, list[Block]]:
    """The chase DM with one proposal's Accept / Discuss replaced by `note`, recounted."""
    return _resolved(blocks, f"{ids.CHASE_PROPOSAL_BLOCK}{proposal_id}", note)


def decision_buttons(deliverable_id: int) -> Block:
    return {
        "type": "actions",
        "block_id": f"{ids.CHASE_BLOCK}{deliverable_id}",
        "elements": [
            {
                "type": "button",
                "action_id": ids.CHASE_APPROVE_ACTION,
                "text": {"type": "plain_text", "text": "Approve"},
                "style": "primary",
                "value": str(deliverable_id),
            },
            {
                "type": "button",
                "action_id": ids.CHASE_REJECT_ACTION,
                "text": {"type": "plain_text", "text": "Reject"},
                "style": "danger",
                "value": str(deliverable_id),
            },
        ],
    }


def _message_link(link: str | None, label: str) -> str | None:
    """`<permalink|label>` for a Slack permalink; anything else is left out rather than shown as a link."""
    if not link or not link.startswith("https://") or any(c in link for c in "<>| \n\t"):
        return None
    return f"<{link}|{label}>"


def escalation(items: Sequence[tuple[DueStep, int]], links: Mapping[int, str] | None = None) -> Message:
    """One DM to a project owner about the steps overdue too long, each with its working days late,
    its project channel and, for a step made from a message, that message (`links`: step id → permalink).
    Mark done / Snooze work here too, and Re-assign / New date."""
    ordered = sorted(items, key=lambda pair: (pair[0].due_date, pair[0].project_name.casefold(), pair[0].number))
    links = links or {}
    if len(ordered) == 1:
        ((step, late),) = ordered
        return {
            "text": f"#{step.number} in {shown(step.project_name, 80)} is {plural(late, 'working day')} overdue",
            "blocks": [
                line_block(step.step_id, f":rotating_light: {_escalated(step, late, links)}", overdue=True),
                escalation_buttons(step.step_id),
            ],
        }
    summary = summary_text(ESCALATION_DM, len(ordered))
    blocks: list[Block] = [summary_block(ESCALATION_DM, f":rotating_light: {summary}:")]
    for step, late in ordered[:MAX_DM_STEPS]:
        blocks.append(line_block(step.step_id, _escalated(step, late, links), overdue=True))
        blocks.append(escalation_buttons(step.step_id))
    if len(ordered) > MAX_DM_STEPS:
        blocks.append(more_block(len(ordered) - MAX_DM_STEPS, "`/project status` in each project shows them."))
    return {"text": f"{summary}.", "blocks": blocks}


def _escalated(step: DueStep, late: int, links: Mapping[int, str]) -> str:
    who = mention(step.assignee_id) if step.assignee_id else "nobody"
    source = _message_link(links.get(step.step_id), "the message it came from")
    where = f"<#{step.channel_id}>" + (f" · {source}" if source else "")
    return (
        f"*{step_title(step)}* in *{shown(step.project_name, 80)}* ({where}) is "
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


def step_resolved(
    blocks: Sequence[Block], step_id: int, note: str, *, snoozed_until: date | None = None
) -> tuple[str | None, list[Block]]:
    """The DM's blocks with one step's buttons replaced by `note` (mrkdwn), and its first line
    counting what is left; returns (the new notification text or None, the blocks) for chat.update.
    A snoozed step is marked as such, so a DM left with nothing to do says what waits, and until when."""
    mark = f"{SNOOZED}{snoozed_until.isoformat()}" if snoozed_until else ""
    return _resolved(blocks, f"{ids.REMINDER_STEP_BLOCK}{step_id}", note, mark=mark)


def decision_resolved(blocks: Sequence[Block], deliverable_id: int, note: str) -> tuple[str | None, list[Block]]:
    """The chase DM with one deliverable's Approve / Reject replaced by `note`, recounted."""
    return _resolved(blocks, f"{ids.CHASE_BLOCK}{deliverable_id}", note)


def _resolved(blocks: Sequence[Block], block_id: str, note: str, *, mark: str = "") -> tuple[str | None, list[Block]]:
    changed = [
        context(note) | {"block_id": block_id + mark} if block.get("block_id") == block_id else dict(block) for block in blocks
    ]
    summary = next((b for b in changed if str(b.get("block_id", "")).startswith(f"{ids.REMINDER_SUMMARY_BLOCK}:")), None)
    if summary is None:  # a single escalation, or a DM sent before DMs were recounted: only the buttons change
        return None, changed
    kind = str(summary["block_id"]).split(":", 1)[1]
    live = {str(b["block_id"]) for b in changed if b.get("type") == "actions" and "block_id" in b}
    if kind == CHASE_DM:
        soon = sum(1 for b in live if b.startswith(ids.CHASE_PROPOSAL_BLOCK))
        overdue = sum(1 for b in live if b.startswith(ids.CHASE_BLOCK)) - soon
    else:
        kinds = [
            str(b["block_id"]).rsplit(":", 1)[1]
            for b in changed
            if str(b.get("block_id", "")).startswith(ids.REMINDER_LINE_BLOCK)
            and f"{ids.REMINDER_STEP_BLOCK}{str(b['block_id'])[len(ids.REMINDER_LINE_BLOCK) :].split(':')[0]}" in live
        ]
        overdue, soon = kinds.count("overdue"), kinds.count("soon")
    rest = sum(int(str(b["block_id"])[len(MORE_BLOCK) :]) for b in changed if str(b.get("block_id", "")).startswith(MORE_BLOCK))
    text = summary_text(kind, overdue, soon) + (f", and {rest} more" if rest else "")
    emoji = {ASSIGNEE_DM: ":wave:", ESCALATION_DM: ":rotating_light:", CHASE_DM: ":hourglass_flowing_sand:"}.get(kind, "")
    if not (overdue or soon or rest):
        emoji = ":white_check_mark:"
        if snoozed := _snoozed(changed):
            emoji, text = ":zzz:", snoozed
    summary["text"] = {"type": "mrkdwn", "text": f"{emoji} {text}."[:SECTION_MAX]}
    return f"{text}.", changed


def _snoozed(blocks: Sequence[Block]) -> str | None:
    """ "Snoozed until Thu 3 Dec 2026: #3 Interviews", from a DM whose steps were resolved: what was
    snoozed (each step's title, from its line) and until when; None if nothing was."""
    until: dict[str, list[str]] = {}
    for block in blocks:
        found = str(block.get("block_id", ""))
        if not (found.startswith(ids.REMINDER_STEP_BLOCK) and SNOOZED in found):
            continue
        step_id, when = found[len(ids.REMINDER_STEP_BLOCK) :].split(SNOOZED, 1)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", when):
            continue
        line = next((b for b in blocks if str(b.get("block_id", "")).startswith(f"{ids.REMINDER_LINE_BLOCK}{step_id}:")), None)
        title = re.search(r"\*(#\d+ [^*\n]*)\*", str(((line or {}).get("text") or {}).get("text", "")))
        until.setdefault(when, []).append(title.group(1) if title else "a step")
    if not until:
        return None
    parts = [f"{', '.join(titles)} until {day(date.fromisoformat(when))}" for when, titles in sorted(until.items())]
    return "Snoozed " + "; ".join(parts) + ". Nothing else is left from this reminder"


CARRIED_MAX = 2500  # characters of the 3,000 Slack keeps in a form's private_metadata


def carried_dm(channel: str, ts: str, message: Mapping[str, Any]) -> dict[str, Any]:
    """A DM's place and blocks (packed), to ride in a form opened from it, so the DM can be rewritten
    when the form is submitted; a DM too long to carry goes without its blocks."""
    packed = base64.b64encode(zlib.compress(json.dumps(message.get("blocks") or [], separators=(",", ":")).encode())).decode()
    found: dict[str, Any] = {"dm": [channel, ts], "dm_text": str(message.get("text") or "")[:200]}
    if len(packed) <= CARRIED_MAX:
        found["dm_blocks"] = packed
    return found


def dm_carried(metadata: Mapping[str, Any]) -> tuple[str, str, dict[str, Any] | None] | None:
    """What `carried_dm` put in a form: (channel, ts, the message or None when it didn't fit), or None."""
    where = metadata.get("dm")
    if not (isinstance(where, list) and len(where) == 2 and all(isinstance(w, str) and w for w in where)):
        return None
    message = None
    packed = metadata.get("dm_blocks")
    if isinstance(packed, str):
        try:
            blocks = json.loads(zlib.decompress(base64.b64decode(packed)))
        except (ValueError, zlib.error):
            blocks = None
        if isinstance(blocks, list):
            message = {"text": str(metadata.get("dm_text") or ""), "blocks": blocks}
    return where[0], where[1], message
