"""What the steps read like: the steps list, and the replies to the step commands (added, done,
reopened, assigned, dated, renamed, removed, waiting, resumed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.messages.blocks import Block, Message, bulleted, context, header, reply, section
from bot.messages.format import day, mention, plural
from bot.messages.labels import project_label, step_label
from storage.models import Project, Stage, Step

STEPS_SHOWN = 40  # per list; more is "and N more" (a phone screen, and Slack's 50 blocks)


def steps_list(project: Project, steps: Sequence[Step], *, title: str, waiting: set[int]) -> Message:
    """Open steps grouped by stage, each with its number, assignee and due date."""
    if not steps:
        return reply(f"{project_label(project)} has no {title.lower()}. `/project step add <title>` adds one.")
    blocks: list[Block] = [header(f"{project.name}: {title}")]
    by_stage: dict[str, list[Step]] = {}
    for step in steps[:STEPS_SHOWN]:
        by_stage.setdefault(step.stage, []).append(step)
    for stage in Stage:
        if stage.value not in by_stage:
            continue
        lines = [_step_line(s, waiting) for s in by_stage[stage.value]]
        blocks.append(section(bulleted(f"*{stage.label}*", lines, limit=STEPS_SHOWN)))
    if len(steps) > STEPS_SHOWN:
        blocks.append(context(f"…and {len(steps) - STEPS_SHOWN} more. Narrow it: `/project steps mine` or `steps @person`."))
    return {"response_type": "ephemeral", "text": f"{project.name}: {plural(len(steps), 'step')}", "blocks": blocks[:50]}


def _step_line(step: Step, waiting: set[int]) -> str:
    if step.removed_at is not None:
        return f"~{step_label(step)}~ _removed from the plan_"
    who = mention(step.assignee_id) if step.assignee_id else "_unassigned_"
    when = f"due {day(step.due_date)}" if step.due_date else "no date"
    done = " :white_check_mark:" if step.done_at else ""
    held = " · :pause_button: waiting on the client" if step.id in waiting else ""
    return f"{step_label(step)}: {who}, {when}{done}{held}"


def step_renamed(step: Step) -> Message:
    return reply(f"Step #{step.number} is now {step_label(step)}.")


def step_removed(step: Step) -> Message:
    return reply(f"Removed {step_label(step)} from the plan. It stays in the project's history.")


def step_waiting(step: Step) -> Message:
    return reply(f":pause_button: {step_label(step)} waits on the client; its days count as client-held.")


def step_resumed(step: Step) -> Message:
    return reply(f":arrow_forward: {step_label(step)} no longer waits on the client.")


def _past(due: date | None, today: date) -> str:
    return f"\n:warning: {day(due)} is already past; the step shows as overdue." if due and due < today else ""


def step_added(step: Step, project: Project, *, today: date) -> Message:
    who = f" for {mention(step.assignee_id)}" if step.assignee_id else ""
    when = f", due {day(step.due_date)}" if step.due_date else ""
    return reply(f"Added {step_label(step)}{who}{when} to {project_label(project)}.{_past(step.due_date, today)}")


def steps_done(done: Sequence[Step], already: Sequence[Step]) -> Message:
    lines = [f":white_check_mark: {step_label(s)} is done." for s in done]
    lines += [f"{step_label(s)} was already done." for s in already]
    return reply("\n".join(lines))


def steps_reopened(reopened: Sequence[Step], already: Sequence[Step]) -> Message:
    lines = [f"Reopened {step_label(s)}." for s in reopened]
    lines += [f"{step_label(s)} is already open." for s in already]
    return reply("\n".join(lines))


def step_assigned(step: Step) -> Message:
    return reply(f"{step_label(step)} is now {mention(step.assignee_id or '')}'s.")


def step_dated(step: Step, *, today: date) -> Message:
    when = f"is due {day(step.due_date)}" if step.due_date else "has no due date now"
    return reply(f"{step_label(step)} {when}.{_past(step.due_date, today)}")
