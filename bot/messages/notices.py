"""The DM that tells someone what others changed on their steps: one line per step. A client reads
client-safe words: what changed and when it is due, never who on the team did it or has it now.

    message = step_changes_dm(changes, client=False)
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.notices import ASSIGNED, DONE, REDATED, UNASSIGNED, StepChange
from bot.messages.blocks import Block, Message, bulleted, context, section
from bot.messages.format import day, mention, plural, shown

MAX_LINES = 40  # one section holds them; "…and N more" past that


def step_changes_dm(changes: Sequence[StepChange], *, client: bool) -> Message:
    summary = f"{plural(len(changes), 'change')} to your steps"
    lines = [_line(change, client=client) for change in changes]
    blocks: list[Block] = [section(bulleted(f":bell: *{summary}*", lines, limit=MAX_LINES))]
    if not client:
        blocks.append(context("`/project steps mine` in a project's channel lists your steps there."))
    return {"text": f"{summary}.", "blocks": blocks}


def _line(change: StepChange, *, client: bool) -> str:
    where = shown(change.project_name, 80) if client else f"{shown(change.project_name, 80)} (<#{change.channel_id}>)"
    step = f"*#{change.number} {shown(change.title)}* · {where}"
    due = f", due {day(change.due_date)}" if change.due_date else ", no due date yet"
    by = "" if client else f" by {mention(change.actor)}"
    if change.kind == ASSIGNED:
        return f"{step}: now yours{by}{due}"
    if change.kind == REDATED:
        moved = f"now due {day(change.due_date)}" if change.due_date else "no longer has a due date"
        return f"{step}: {moved}{'' if client else f' ({mention(change.actor)})'}"
    if change.kind == DONE:
        return f"{step}: marked done{by}"
    assert change.kind == UNASSIGNED
    if client or not change.assignee_id:
        return f"{step}: no longer yours"
    if change.assignee_id == change.actor:
        return f"{step}: taken over by {mention(change.actor)}"
    return f"{step}: handed to {mention(change.assignee_id)}{by}"
