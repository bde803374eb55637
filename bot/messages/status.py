"""The status card: where a project stands, for a phone screen, within Slack's limits.

ack(**status_card(summarize(project, steps, deliverables, today), now=utcnow()))
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.dates import working_days_between
from bot.core.overview import Plan
from bot.core.status import WEEKDAYS, Status, StepLine
from bot.core.text import cut
from bot.messages.blocks import Block, Message, bulleted, context, header, section
from bot.messages.format import day, escape, mention, mentions, plural
from bot.messages.labels import step_label
from bot.messages.limits import FALLBACK_MAX, LABEL_MAX
from storage.models import Stage


def stage_track(current: Stage, closed: bool, skipped: str = "") -> str:
    parts = []
    jumped = {name for name in skipped.split(",") if name}
    for stage in Stage:
        if stage.value in jumped and stage != current:
            parts.append(f":fast_forward: ~{stage.label}~")
        elif closed or stage.order < current.order:
            parts.append(f":white_check_mark: {stage.label}")
        elif stage == current:
            parts.append(f":arrow_forward: *{stage.label}*")
        else:
            parts.append(f":white_small_square: {stage.label}")
    return "  ›  ".join(parts)


def _overdue_line(line: StepLine) -> str:
    who = mention(line.step.assignee_id) if line.step.assignee_id else "_unassigned_"
    return f"{step_label(line.step)}: {who}, *{plural(line.days, 'working day')} late* (due {day(line.step.due_date)})"


def _due_soon_line(line: StepLine) -> str:
    who = mention(line.step.assignee_id) if line.step.assignee_id else "_unassigned_"
    when = "today" if line.days == 0 else "tomorrow" if line.days == 1 else day(line.step.due_date)
    return f"{step_label(line.step)}: {who}, due {when}"


def status_card(status: Status, *, now: datetime, plan: Plan | None = None) -> Message:
    """The team's card: stages, the agreed target (and the original when it moved), forecast and
    slip in working days, steps, health from slip and burn, what is late, due, waiting and held."""
    project = status.project
    closed = project.closed_at is not None
    stage = Stage(project.stage)
    if status.slip_days is None:
        slip_text = "no target date"
    elif status.slip_days == 0:
        slip_text = "on time"
    else:
        slip_text = f"*{plural(status.slip_days, 'working day')} late*"
    target = day(project.target_date)
    if plan is not None and plan.original_target is not None:
        target += f"\n_first promised {day(plan.original_target)}_"
    fields = [
        f"*Target*\n{target}",
        f"*Forecast*\n{day(status.forecast)}",
        f"*Slip*\n{slip_text}",
        f"*Steps*\n{status.done}/{status.total} done",
        f"*Health*\n{status.health.emoji} {status.health.value}",
    ]
    if project.budget_hours:
        used = project.hours_used or 0
        budget = f"*Budget*\n{used:g}h of {project.budget_hours:g}h ({status.burn}%) · {status.progress}% of steps done"
        if plan is not None and plan.original_budget is not None:
            budget += f"\n_budget {project.budget_hours:g}h (was {plan.original_budget:g}h)_"
        fields.append(budget)
    if plan is not None and plan.held_days:
        fields.append(f"*Client-held*\n{plural(plan.held_days, 'working day')}")
    owner = f"Owner {mention(project.owner_id)}"
    client = f"Client *{escape(project.client)}*" if project.client else "No client named"
    if closed:  # a calm final card: the final figures, no forecast or lists of what is late
        assert project.closed_at is not None
        closed_on = project.closed_at.astimezone(ZoneInfo(project.tz)).date()  # the project's own day
        fields = [f"*Closed*\n{day(closed_on)}", fields[0], f"*Steps*\n{status.done}/{status.total} done"]
        if plan is not None and plan.held_days:
            fields.append(f"*Client-held*\n{plural(plan.held_days, 'working day')}")
        if project.budget_hours:
            fields.append(f"*Hours*\n{project.hours_used or 0:g}h of {project.budget_hours:g}h")
        elif project.hours_used:
            fields.append(f"*Hours*\n{project.hours_used:g}h")
    blocks: list[Block] = [
        header(project.name),
        context(f"{client} · {owner} · started {day(project.start_date)}" + (" · *closed*" if closed else "")),
        section(stage_track(stage, closed, skipped=project.skipped_stages)),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if closed:
        return {"response_type": "ephemeral", "text": escape(cut(f"{project.name}: closed", FALLBACK_MAX)), "blocks": blocks}
    if status.overdue:
        blocks.append(
            section(bulleted(f":warning: *Overdue ({len(status.overdue)})*", [_overdue_line(x) for x in status.overdue]))
        )
    if status.due_soon:
        title = f":calendar: *Due in the next 7 days ({len(status.due_soon)})*"
        blocks.append(section(bulleted(title, [_due_soon_line(x) for x in status.due_soon])))
    shown_soon = {line.step.number for line in [*status.overdue, *status.due_soon]}
    later = [s for s in status.next_open if s.number not in shown_soon]
    if later:
        lines = [
            f"{step_label(s)}: {mention(s.assignee_id) if s.assignee_id else '_unassigned_'}"
            + (f", due {day(s.due_date)}" if s.due_date else ", no date yet")
            for s in later
        ]
        blocks.append(section(bulleted(":arrow_right: *Next up*", lines)))
    on = f" on {mentions(plan.deciders, last='or')}," if plan is not None and plan.deciders else ""
    waiting = [
        f"{escape(cut(w.deliverable.title, LABEL_MAX))} v{w.deliverable.version}: waiting{on} {waited(w.since, now)}"
        for w in status.waiting
    ]
    if plan is not None and plan.proposal is not None:
        p = plan.proposal
        waiting.append(f"New target {day(p.new_target)} (from {day(p.old_target)}): waiting{on} {waited(p.proposed_at, now)}")
    if waiting:
        blocks.append(section(bulleted(f":hourglass_flowing_sand: *Waiting for a decision ({len(waiting)})*", waiting)))
    if plan is not None and plan.waiting_on_client:
        reasons = plan.wait_reasons
        held = [
            step_label(s) + (f": {escape(cut(reasons[s.id], LABEL_MAX))}" if s.id in reasons else "")
            for s in plan.waiting_on_client
        ]
        blocks.append(section(bulleted(f":pause_button: *Waiting on the client ({len(held)})*", held)))
    if not status.total:
        blocks.append(context("No steps yet. Add one: `/project step add Kick-off call @person due:fri`"))
    text = (
        f"{project.name}: {stage.label}, {status.done}/{status.total} steps done, "
        f"{len(status.overdue)} overdue, forecast {day(status.forecast)}"
    )
    return {"response_type": "ephemeral", "text": escape(cut(text, FALLBACK_MAX)), "blocks": blocks}


def waited(since: datetime, now: datetime, work_days: frozenset[int] = WEEKDAYS) -> str:
    """How long something has waited: hours within a day, then working days (the one day unit).

    >>> from datetime import UTC
    >>> waited(datetime(2026, 11, 27, 9, tzinfo=UTC), datetime(2026, 11, 30, 10, tzinfo=UTC))   # Fri → Mon
    '1 working day'
    """
    elapsed = now - since
    if elapsed < timedelta(hours=1):
        return "under an hour"
    if elapsed < timedelta(days=1):
        return plural(int(elapsed.total_seconds() // 3600), "hour")
    return plural(max(working_days_between(since.date(), now.date(), work_days), 1), "working day")
