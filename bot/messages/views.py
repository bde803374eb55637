"""Block Kit builders: pure functions from domain data to message and modal payloads.

Every user-typed string goes through `escape()` (mrkdwn) and `cut()` (Block Kit limits) here,
so handlers and the scheduler can post what these return as it is.

    message = status_card(summarize(project, steps, deliverables, today), now=utcnow())
    ack(**message)          # {"text": fallback, "blocks": [...]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bot.core.grammar import NAME_MAX
from bot.core.status import Health, Status, StepLine
from bot.core.text import cut, escape, mention, plain_text, plural
from bot.messages import ids
from storage.models import Project, Stage, Step

Block = dict[str, Any]
Message = dict[str, Any]

SECTION_MAX = 3000
HEADER_MAX = 150
LIST_MAX = 10  # lines per list on the status card before "and N more"
LIST_SHOWN = 100  # projects shown by `/project list`; more than that is not a list anyone reads on a phone


# --- small pieces ------------------------------------------------------------------------


def day(d: date | None) -> str:
    """A date as people read it on a phone: `Fri 27 Nov 2026`."""
    return d.strftime("%a %-d %b %Y") if d else "—"


def days_text(count: int) -> str:
    return plural(count, "day")


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_MAX)}}


def context(*elements: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(e, SECTION_MAX)} for e in elements[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(plain_text(text), HEADER_MAX), "emoji": False}}


def bulleted(title: str, lines: Sequence[str], *, limit: int = LIST_MAX) -> str:
    """`title` then one bullet per line, cut to `limit` lines (and to a section) with "…and N more"."""
    shown = list(lines[:limit])
    while shown:
        rest = len(lines) - len(shown)
        text = "\n".join([title, *(f"• {line}" for line in shown)]) + (f"\n…and {rest} more" if rest else "")
        if len(text) <= SECTION_MAX:
            return text
        shown.pop()
    return f"{title}\n…{len(lines)} items"


def reply(text: str, *, in_channel: bool = False, blocks: list[Block] | None = None) -> Message:
    """A slash-command reply: ephemeral unless `in_channel`. `text` is mrkdwn already escaped."""
    message: Message = {
        "response_type": "in_channel" if in_channel else "ephemeral",
        "text": cut(text, SECTION_MAX),
        "blocks": blocks or [section(text)],
    }
    return message


def step_label(step: Step) -> str:
    return f"#{step.number} {escape(cut(step.title, 150))}"


def project_label(project: Project) -> str:
    client = f" ({escape(project.client)})" if project.client else ""
    return f"*{escape(project.name)}*{client}"


# --- help --------------------------------------------------------------------------------

HELP_LINES = (
    "`/project new <name> [client:<name>] [due:<date>] [budget:<hours>]`: start a project in this channel (no name: a form)",
    "`/project status [project]`: the status card",
    "`/project list [mine|all|overdue]`: projects with stage and health",
    "`/project stage next` · `/project stage <stage>`: move the project on (owner; `--force` past waiting sign-offs)",
    "`/project step add <title> [@person] [due:<date>]`: add a step to the current stage",
    "`/project step done #3` · `step assign #3 @person` · `step due #3 fri` · `step reopen #3`",
    "`/project approver add @client` · `approver remove @client`: who signs off (owner)",
    "`/project deliverable <title> [link]`: ask the approvers to approve it",
    "`/project owner @person`: hand the project over (owner)",
    "`/project budget 120h` (owner) · `/project log 3.5h` · `/project close` (owner)",
)


def help_message(unknown: str | None = None, suggestion: str | None = None) -> Message:
    if unknown:
        meant = f" Did you mean `/project {suggestion}`?" if suggestion else ""
        intro = f"I don't know `{escape(unknown)}`.{meant} Here is what I can do:"
    else:
        intro = "*Shepherd* keeps client projects moving. Commands:"
    dates = "Dates: `2026-12-01`, `today`, `tomorrow`, `fri` (the next Friday), `+3d`, `+2w`."
    text = "\n".join([intro, *(f"• {line}" for line in HELP_LINES), dates])
    return reply(text)


# --- the status card ---------------------------------------------------------------------


def stage_track(current: Stage, closed: bool) -> str:
    parts = []
    for stage in Stage:
        if closed or stage.order < current.order:
            parts.append(f":white_check_mark: {stage.label}")
        elif stage == current:
            parts.append(f":arrow_forward: *{stage.label}*")
        else:
            parts.append(f":white_small_square: {stage.label}")
    return "  ›  ".join(parts)


def _overdue_line(line: StepLine) -> str:
    who = mention(line.step.assignee_id) if line.step.assignee_id else "_unassigned_"
    return f"{step_label(line.step)}: {who}, *{days_text(line.days)} late* (due {day(line.step.due_date)})"


def _due_soon_line(line: StepLine) -> str:
    who = mention(line.step.assignee_id) if line.step.assignee_id else "_unassigned_"
    when = "today" if line.days == 0 else "tomorrow" if line.days == 1 else day(line.step.due_date)
    return f"{step_label(line.step)}: {who}, due {when}"


def status_card(status: Status, *, now: datetime) -> Message:
    project = status.project
    closed = project.closed_at is not None
    stage = Stage(project.stage)
    if status.slip_days is None:
        slip_text = "no target date"
    elif status.slip_days == 0:
        slip_text = "on time"
    else:
        slip_text = f"*{days_text(status.slip_days)} late*"
    fields = [
        f"*Target*\n{day(project.target_date)}",
        f"*Forecast*\n{day(status.forecast)}",
        f"*Slip*\n{slip_text}",
        f"*Steps*\n{status.done}/{status.total} done",
        f"*Health*\n{status.health.emoji} {status.health.value}",
    ]
    if project.budget_hours:
        used = project.hours_used or 0
        fields.append(f"*Budget*\n{used:g}h of {project.budget_hours:g}h ({used / project.budget_hours:.0%})")
    owner = f"Owner {mention(project.owner_id)}"
    client = f"Client *{escape(project.client)}*" if project.client else "No client named"
    blocks: list[Block] = [
        header(project.name),
        context(f"{client} · {owner} · started {day(project.start_date)}" + (" · *closed*" if closed else "")),
        section(stage_track(stage, closed)),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if status.overdue:
        blocks.append(
            section(bulleted(f":warning: *Overdue ({len(status.overdue)})*", [_overdue_line(x) for x in status.overdue]))
        )
    if status.due_soon:
        blocks.append(
            section(
                bulleted(
                    f":calendar: *Due in the next 7 days ({len(status.due_soon)})*", [_due_soon_line(x) for x in status.due_soon]
                )
            )
        )
    if status.waiting:
        lines = [
            f"{escape(cut(w.deliverable.title, 150))} v{w.deliverable.version}: waiting {waited(w.since, now)}"
            for w in status.waiting
        ]
        blocks.append(section(bulleted(f":hourglass_flowing_sand: *Waiting for approval ({len(status.waiting)})*", lines)))
    if not status.total:
        blocks.append(context("No steps yet. Add one: `/project step add Kick-off call @person due:fri`"))
    text = (
        f"{project.name}: {stage.label}, {status.done}/{status.total} steps done, "
        f"{len(status.overdue)} overdue, forecast {day(status.forecast)}"
    )
    return {"response_type": "ephemeral", "text": escape(cut(text, 300)), "blocks": blocks}


def waited(since: datetime, now: datetime) -> str:
    elapsed = now - since
    if elapsed < timedelta(hours=1):
        return "under an hour"
    if elapsed < timedelta(days=1):
        return plural(int(elapsed.total_seconds() // 3600), "hour")
    return days_text(elapsed.days)


# --- list --------------------------------------------------------------------------------


def project_list(
    rows: Sequence[tuple[Project, Health, date | None]],
    *,
    total: int | None = None,
    scope: str,
    waiting: dict[int, tuple[int, datetime]] | None = None,
    now: datetime | None = None,
) -> Message:
    """The first `LIST_SHOWN` of `rows`, of `total` projects in all (default: len(rows)).
    `waiting`: per project id, deliverables pending sign-off and since when the oldest waits."""
    titles = {"all": "All projects", "mine": "Your projects", "overdue": "Projects with overdue steps", "open": "Open projects"}
    if not rows:
        empty = {
            "mine": "You don't own, approve or have open steps on any open project.",
            "overdue": "No project has overdue steps. :tada:",
        }.get(scope, "No projects yet. Start one in its channel with `/project new <name>`.")
        return reply(empty)
    lines = []
    total = len(rows) if total is None else total
    rows = rows[:LIST_SHOWN]
    for project, health, next_date in rows:
        stage = Stage(project.stage).label
        nxt = f" · next {day(next_date)}" if next_date else ""
        pending, oldest = (waiting or {}).get(project.id or 0, (0, None))
        signoff = (
            f" · :hourglass_flowing_sand: {pending} awaiting sign-off, oldest {waited(oldest, now)}" if oldest and now else ""
        )
        lines.append(
            f"{health.emoji} {project_label(project)} · {stage} · {health.value}{nxt}{signoff} · <#{project.channel_id}>"
        )
    blocks = [header(titles.get(scope, "Projects"))]
    section_lines: list[str] = []
    for line in lines:  # pack whole lines into sections, each within Slack's 3000 characters
        if section_lines and len("\n".join([*section_lines, line])) > SECTION_MAX:
            blocks.append(section("\n".join(section_lines)))
            section_lines = []
        section_lines.append(line)
    blocks.append(section("\n".join(section_lines)))
    if total > len(lines):
        blocks.append(context(f"…and {total - len(lines)} more. `/project list mine` or `/project list overdue` narrows it."))
    return {"response_type": "ephemeral", "text": f"{titles.get(scope, 'Projects')}: {total}", "blocks": blocks}


# --- the new-project modal ---------------------------------------------------------------


def new_project_modal(*, channel_id: str, response_url: str | None) -> dict[str, Any]:
    metadata = json.dumps({"channel_id": channel_id, "response_url": response_url})
    return {
        "type": "modal",
        "callback_id": ids.NEW_PROJECT_VIEW,
        "private_metadata": metadata if len(metadata) <= 3000 else json.dumps({"channel_id": channel_id}),
        "title": {"type": "plain_text", "text": "New project"},
        "submit": {"type": "plain_text", "text": "Create"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": ids.NEW_NAME_BLOCK,
                "label": {"type": "plain_text", "text": "Project name"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.NEW_NAME_INPUT,
                    "max_length": NAME_MAX,
                    "placeholder": {"type": "plain_text", "text": "Acme website relaunch"},
                },
            },
            {
                "type": "input",
                "block_id": ids.NEW_CLIENT_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Client"},
                "element": {"type": "plain_text_input", "action_id": ids.NEW_CLIENT_INPUT, "max_length": NAME_MAX},
            },
            {
                "type": "input",
                "block_id": ids.NEW_TARGET_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Target date (promised to the client)"},
                "element": {"type": "datepicker", "action_id": ids.NEW_TARGET_INPUT},
            },
            {
                "type": "input",
                "block_id": ids.NEW_APPROVERS_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Client approvers"},
                "hint": {"type": "plain_text", "text": "They sign off deliverables. Without any, the owner does."},
                "element": {"type": "multi_users_select", "action_id": ids.NEW_APPROVERS_INPUT, "max_selected_items": 20},
            },
        ],
    }


def project_created(project: Project, approvers: Iterable[str]) -> Message:
    approver_text = (
        ", ".join(mention(a) for a in approvers)
        or f"none yet: {mention(project.owner_id)} signs off until `/project approver add @client`"
    )
    text = (
        f":rocket: {mention(project.owner_id)} started {project_label(project)} in this channel.\n"
        f"Stage: {Stage(project.stage).label} · target {day(project.target_date)} · approvers: {approver_text}\n"
        "Next: `/project step add <title> @person due:<date>`, then `/project status`."
    )
    return reply(text, in_channel=True)
