"""Replies to the step commands: added, done, reopened, assigned, dated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.messages.blocks import Message, reply
from bot.messages.format import day, mention
from bot.messages.labels import project_label, step_label
from storage.models import Project, Step


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
