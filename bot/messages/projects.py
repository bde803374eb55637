"""Projects as people see them outside the card: `/project list`, the new-project form, and the
replies to project commands (created, stage moved, handed over, approvers, budget, hours, closed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.core.grammar import NAME_MAX
from bot.core.projects import StageMove
from bot.core.status import Health, burn_percent
from bot.messages import ids
from bot.messages.blocks import Block, Message, context, header, packed, reply, section
from bot.messages.format import day, mention, mentions, plural
from bot.messages.labels import project_label, step_label
from bot.messages.limits import LIST_SHOWN, METADATA_MAX
from bot.messages.status import waited
from storage.models import Project, Stage


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
        closed = project.closed_at is not None
        nxt = f" · next {day(next_date)}" if next_date and not closed else ""
        pending, oldest = (waiting or {}).get(project.id or 0, (0, None))
        signoff = (
            f" · :hourglass_flowing_sand: {pending} awaiting sign-off, oldest {waited(oldest, now)}"
            if oldest and now and not closed
            else ""
        )
        lines.append(
            f"{health.emoji} {project_label(project)} · {stage} · {health.value}{nxt}{signoff} · <#{project.channel_id}>"
        )
    blocks: list[Block] = [header(titles.get(scope, "Projects")), *packed(lines)]
    if total > len(lines):
        blocks.append(context(f"…and {total - len(lines)} more. `/project list mine` or `/project list overdue` narrows it."))
    return {"response_type": "ephemeral", "text": f"{titles.get(scope, 'Projects')}: {total}", "blocks": blocks}


def new_project_modal(*, channel_id: str, response_url: str | None) -> dict[str, Any]:
    metadata = json.dumps({"channel_id": channel_id, "response_url": response_url})
    return {
        "type": "modal",
        "callback_id": ids.NEW_PROJECT_VIEW,
        "private_metadata": metadata if len(metadata) <= METADATA_MAX else json.dumps({"channel_id": channel_id}),
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
            {
                "type": "input",
                "block_id": ids.NEW_BUDGET_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Budget (hours)"},
                "hint": {"type": "plain_text", "text": "Only the team sees it. Every later change is kept with its reason."},
                "element": {
                    "type": "number_input",
                    "action_id": ids.NEW_BUDGET_INPUT,
                    "is_decimal_allowed": True,
                    "placeholder": {"type": "plain_text", "text": "120"},
                },
            },
            {
                "type": "input",
                "block_id": ids.NEW_INTERNAL_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Internal channel"},
                "hint": {"type": "plain_text", "text": "Where team-only posts go: the overdue digest, budget alerts."},
                "element": {
                    "type": "conversations_select",
                    "action_id": ids.NEW_INTERNAL_INPUT,
                    "filter": {"include": ["public", "private"], "exclude_external_shared_channels": True},
                },
            },
        ],
    }


def project_created(project: Project, approvers: Sequence[str], *, coaching: bool = True, today: date | None = None) -> Message:
    """The announcement in the project channel. `coaching=False` where a client may read it: the
    set-up hints then go to the owner alone (`setup_hints`)."""
    if approvers:
        approver_text = mentions(approvers)
    elif coaching:
        approver_text = f"none yet: {mention(project.owner_id)} signs off until `/project approver add @client`"
    else:
        approver_text = f"{mention(project.owner_id)} signs off for now"
    lines = [
        f":rocket: {mention(project.owner_id)} started {project_label(project)} in this channel.",
        f"Stage: {Stage(project.stage).label} · target {day(project.target_date)} · approvers: {approver_text}",
    ]
    if coaching:
        lines.append("Next: `/project step add <title> @person due:<date>`, then `/project status`.")
    if coaching and today and project.target_date and project.target_date < today:
        lines.append(":warning: The target date is already in the past.")
    return reply("\n".join(lines), in_channel=True)


def setup_hints(project: Project, *, today: date) -> Message:
    """Only to the owner, when the channel is client-facing: what to do next, and why it was quiet."""
    lines = [
        f"{project_label(project)} is set up. Clients can read this channel, so set-up hints come only to you:",
        "• add steps: `/project step add <title> @person due:<date>`, then `/project status`",
        "• name who signs off: `/project approver add @client`, and clients: `/project client add @person`",
        "• team-only posts (the overdue digest) go to your DM until you pick a team channel: `/project internal #team`",
    ]
    if project.target_date and project.target_date < today:
        lines.append(":warning: The target date is already in the past.")
    return reply("\n".join(lines))


# --- replies to project commands ---------------------------------------------------------


def stage_moved(actor: str, project: Project, moved: StageMove) -> Message:
    """In the channel: who moved the project on, and what the move went past."""
    forced = f" (overriding the sign-off of {plural(len(moved.overridden), 'waiting deliverable')})" if moved.overridden else ""
    lines = [
        f":arrow_forward: {mention(actor)} moved {project_label(project)} from {moved.old.label} to *{moved.new.label}*{forced}."
    ]
    if moved.skipped:
        lines.append(f"Skipped: {', '.join(s.label for s in moved.skipped)}.")
    if moved.carried:
        lines.append(f"Carried into {moved.new.label}: {', '.join(step_label(s) for s in moved.carried[:10])}"
                     + (f" and {len(moved.carried) - 10} more." if len(moved.carried) > 10 else "."))  # fmt: skip
    return reply("\n".join(lines), in_channel=True)


def handed_over(actor: str, project: Project, new_owner: str) -> Message:
    return reply(f"{mention(actor)} handed {project_label(project)} over to {mention(new_owner)}.", in_channel=True)


def project_closed(actor: str, project: Project) -> Message:
    return reply(f":checkered_flag: {mention(actor)} closed {project_label(project)}. No more reminders for it.", in_channel=True)


def project_reopened(actor: str, project: Project) -> Message:
    return reply(f":arrows_counterclockwise: {mention(actor)} reopened {project_label(project)}.", in_channel=True)


def approvers_added(project: Project, added: Sequence[str], existing: Sequence[str]) -> Message:
    parts = []
    if added:
        parts.append(f"{mentions(added)} can now approve deliverables of {project_label(project)}.")
    if existing:
        parts.append(f"{mentions(existing)} already {'is an approver' if len(existing) == 1 else 'are approvers'}.")
    return reply(" ".join(parts))


def approvers_removed(project: Project, removed: Sequence[str], *, none_left: bool) -> Message:
    fallback = f" With no approvers left, {mention(project.owner_id)} signs off deliverables." if none_left else ""
    return reply(f"{mentions(removed)} no longer approve{'s' if len(removed) == 1 else ''} deliverables.{fallback}")


def past_budget(project: Project) -> Message | None:
    """Said to the owner alone (the project channel may be client-facing): the move went past budget."""
    burn = burn_percent(project)
    if burn is None or burn <= 100:
        return None
    return reply(
        f":warning: {project_label(project)} is past its budget: {project.hours_used:g}h of {project.budget_hours:g}h ({burn}%)."
    )


def budget_alert(project: Project, level: int) -> Message:
    """For the team only (the internal channel or the owner): the hours reached 80 % or 100 %."""
    what = "has used its whole budget" if level >= 100 else f"has used {level}% of its budget"
    text = (
        f":money_with_wings: {project_label(project)} {what}: {project.hours_used:g}h of {project.budget_hours or 0:g}h. "
        "`/project status` compares the burn with progress."
    )
    return {"text": text, "blocks": [section(text)]}
