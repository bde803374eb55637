"""What a client reads: the client view of the status card, their project list, their help, and
the one-line refusal. Never budget, hours, health colours, staff lateness or other clients.

>>> client_help([("status [project]", "the status card")])["text"].splitlines()[1]
'• `/project status [project]`: the status card'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.core.overview import ClientView
from bot.messages.blocks import Block, Message, bulleted, context, fields, header, packed, reply, section
from bot.messages.format import code, day, escape, mention, mentions, shown
from bot.messages.help import DATE_HELP
from bot.messages.limits import FALLBACK_MAX
from bot.messages.status import stage_track, waited
from storage.models import Project, Stage


def target_holds(view: ClientView) -> str:
    if view.project.closed_at is not None:
        return "project closed"
    if view.proposed is not None:
        return f"new date proposed: {day(view.proposed)}"
    if view.slip_days is None:
        return "no target date set yet"
    return "running late: the team will propose a new date" if view.running_late else "on track"


def awaited(view: ClientView) -> str:
    """Who a decision the viewer can't take waits on: the client's approvers, named."""
    if view.team_decides or not view.deciders:
        return "for the team's sign-off"
    return f"for {mentions(view.deciders, last='or')} to decide" if len(view.deciders) <= 3 else "for your approvers to decide"


def client_status_card(view: ClientView, *, now: datetime) -> Message:
    project = view.project
    closed = project.closed_at is not None
    stage = Stage(project.stage)
    blocks: list[Block] = [
        header(project.name),
        context(f"Client *{escape(project.client)}*" if project.client else "Your project"),
        section(stage_track(stage, closed)),
        fields(
            f"*Target date*\n{day(project.target_date)}",
            f"*Status*\n{target_holds(view)}",
            f"*Progress*\n{view.done} of {view.total} steps done",
        ),
    ]
    decisions = [f"{shown(w.deliverable.title)} v{w.deliverable.version}" for w in view.waiting]
    waits = [waited(w.since, now) for w in view.waiting]
    waiting = [f"{d}: your decision, waiting {w}" for d, w in zip(decisions, waits, strict=True)] if view.viewer_decides else []
    proposed = f"A new target date, {day(view.proposed)}" if view.proposed is not None and not closed else None
    if proposed and view.viewer_decides:
        waiting.append(f"{proposed}: your answer")
    waiting += [f"#{s.number} {shown(s.title)}" + (f", due {day(s.due_date)}" if s.due_date else "") for s in view.their_steps]
    if waiting:
        blocks.append(section(bulleted(":hourglass_flowing_sand: *Waiting on you*", waiting)))
    if (decisions or proposed) and not view.viewer_decides:  # a contact who is no approver: theirs to decide, not hers
        lines = [f"{d}: {awaited(view)}, waiting {w}" for d, w in zip(decisions, waits, strict=True)]
        lines += [f"{proposed}: {awaited(view)}"] if proposed else []
        title = "Waiting for sign-off" if view.team_decides else "Waiting on your approvers"
        blocks.append(section(bulleted(f":hourglass_flowing_sand: *{title}*", lines)))
    if view.decided:
        lines = [
            f"{shown(d.title)} v{d.version}: {decision.verdict} {day(decision.decided_at.date())}" for d, decision in view.decided
        ]
        blocks.append(section(bulleted(":memo: *Decisions so far*", lines, limit=5)))
    if view.done_recently:
        lines = [f"#{s.number} {shown(s.title)}" for s in view.done_recently]
        blocks.append(section(bulleted(f":white_check_mark: *Done in the last week ({len(lines)})*", lines, limit=5)))
    text = f"{project.name}: {stage.label}, target {day(project.target_date)}, {target_holds(view)}"
    return {"response_type": "ephemeral", "text": escape(text[:FALLBACK_MAX]), "blocks": blocks}


def client_share(view: ClientView, *, now: datetime, shared_by: str) -> Message:
    """`status share`: the client view posted in the project channel."""
    card = client_status_card(view, now=now)
    card["blocks"].append(context(f"Shared by {mention(shared_by)}"))
    return {"text": card["text"], "blocks": card["blocks"]}


def client_project_list(projects: Sequence[tuple[Project, date | None]], *, total: int) -> Message:
    """`rows`: (project, its agreed target). Stage and target only: no health, no other clients."""
    if not projects:
        return reply("You have no projects with us here yet.")
    lines = []
    for p, target in projects:
        mark = ":checkered_flag:" if p.closed_at else "•"
        lines.append(f"{mark} *{shown(p.name)}* · {Stage(p.stage).label} · target {day(target)} · <#{p.channel_id}>")
    blocks: list[Block] = [header("Your projects"), *packed(lines)]
    if total > len(lines):
        blocks.append(context(f"…and {total - len(lines)} more."))
    return {"response_type": "ephemeral", "text": f"Your projects: {total}", "blocks": blocks}


def client_help(lines: Sequence[tuple[str, str]], *, unknown: str | None = None, suggestion: str | None = None) -> Message:
    """What a client may use; `unknown`: the word they typed that names none of it."""
    if unknown:
        meant = f" Did you mean `/project {suggestion}`?" if suggestion else ""
        intro = f"I don't know {code(unknown)}.{meant} Here is what you can use:"
    else:
        intro = "*Shepherd* keeps your project with us moving. You can use:"
    extra = "Approve or reject deliverables on their messages, and use the buttons Shepherd sends you."
    return reply("\n".join([intro, *(f"• `/project {usage}`: {does}" for usage, does in lines), extra, DATE_HELP]))
