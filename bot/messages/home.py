"""The Home tab (`views.publish`) and the "Add as a step" form. Pure functions of domain data.

    view = home_view(home_of(session, team_id="T1", user_id="U1", client=False, now=now), today_of=..., work_days=...)

The team's Home: *My steps* (overdue first, Done / Snooze), *Waiting on my decision* (Approve /
Reject), *My projects* (most at risk first, with health). A client's Home: their decisions, their
steps, and the client view of their projects — no budget, health colours, staff or other clients.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from bot.core.home import Home, MyDecision, MyProject, MyStep
from bot.core.overview import ClientView
from bot.core.projects import local_today
from bot.core.text import cut
from bot.messages import ids
from bot.messages.blocks import Block, Message, context, header, modal, packed, reply, section
from bot.messages.client_view import awaited, target_holds
from bot.messages.format import day, mention, shown
from bot.messages.limits import VIEW_BLOCKS_MAX
from bot.messages.reminders import due_phrase
from storage.models import Project, Stage, Step

STEP_TITLE_MAX = 200  # what a step title holds (Step.title)
PERMALINK = re.compile(r"^https://[A-Za-z0-9.-]+\.slack\.com/archives/[A-Z0-9]+/p\d+(\?[A-Za-z0-9=&._-]*)?$")


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}, "value": value}
    if style:
        element["style"] = style
    return element


def message_link(link: str | None, label: str = "the message") -> str | None:
    """A link to a Slack message, only when it is a Slack permalink (nothing else becomes a link)."""
    if link and PERMALINK.match(link):
        return f"<{link}|{label}>"
    return None


# --- the Home tab -------------------------------------------------------------------------------


def home_view(home: Home, *, now: datetime, work_days: frozenset[int], notice: str | None = None) -> dict[str, Any]:
    """The whole Home tab, within Slack's 100 blocks: long lists end with "and N more"."""
    top: list[Block] = [context(f":warning: {notice}")] if notice else []
    projects = _client_projects(home) if home.client else _team_projects(home)
    # Two blocks per step or decision; the rest (headers, dividers, "and N more") is reserved.
    proposals = _proposals(home)
    slots = (VIEW_BLOCKS_MAX - len(top) - len(projects) - len(proposals) - 8) // 2
    decisions_shown = min(len(home.decisions), max(slots // 3, slots - len(home.steps)))
    steps_shown = min(len(home.steps), slots - decisions_shown)
    decisions_shown = min(len(home.decisions), slots - steps_shown)
    steps = _steps(home, steps_shown, now=now, work_days=work_days)
    decisions = _decisions(home, decisions_shown, now=now)
    decisions[1:1] = proposals  # under the section's header, before the deliverables
    if home.client:
        blocks = [*top, *decisions, _divider(), *steps, _divider(), *projects]
    else:
        blocks = [*top, *steps, _divider(), *decisions, _divider(), *projects]
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_MAX]}


def _divider() -> Block:
    return {"type": "divider"}


def _more(shown_count: int, total: int, hint: str) -> list[Block]:
    rest = total - shown_count
    return [context(f"…and {rest} more. {hint}")] if rest > 0 else []


def _steps(home: Home, count: int, *, now: datetime, work_days: frozenset[int]) -> list[Block]:
    blocks: list[Block] = [header("Your steps" if home.client else "My steps")]
    if not home.steps:
        return [*blocks, context("Nothing is assigned to you right now.")]
    for item in home.steps[:count]:
        blocks.append(section(_step_line(item, now=now, work_days=work_days, client=home.client)))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{ids.HOME_STEP_BLOCK}{item.step.id}",
                "elements": [
                    button("Done", ids.HOME_STEP_DONE_ACTION, str(item.step.id), "primary"),
                    button("Snooze 1 day", ids.HOME_STEP_SNOOZE_ACTION, str(item.step.id)),
                ],
            }
        )
    return blocks + _more(count, home.steps_total, "`/project steps mine` in a project channel lists them all.")


def _step_line(item: MyStep, *, now: datetime, work_days: frozenset[int], client: bool) -> str:
    step, project = item.step, item.project
    today = local_today(project.tz, now)
    when = due_phrase(step.due_date, today, work_days) if step.due_date else "no due date"
    mark = ":pushpin:" if client else ":red_circle:" if item.overdue else ":white_circle:"  # no colours for a client
    lines = [f"{mark} *#{step.number} {shown(step.title)}* · {shown(project.name, 80)} · <#{project.channel_id}>", when]
    if step.snoozed_until and step.snoozed_until > today:
        lines.append(f":zzz: snoozed until {day(step.snoozed_until)}")
    if link := message_link(step.link):
        lines.append(f":link: from {link}")
    return "\n".join(lines)


def _decisions(home: Home, count: int, *, now: datetime) -> list[Block]:
    blocks: list[Block] = [header("Waiting on your decision" if home.client else "Waiting on my decision")]
    if not home.decisions:
        return [*blocks] if home.proposals else [*blocks, context("No deliverable is waiting for your decision.")]
    for item in home.decisions[:count]:
        blocks.append(section(_decision_line(item, client=home.client)))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{ids.HOME_DECISION_BLOCK}{item.deliverable.id}",
                "elements": [
                    button("Approve", ids.HOME_APPROVE_ACTION, str(item.deliverable.id), "primary"),
                    button("Reject", ids.HOME_REJECT_ACTION, str(item.deliverable.id), "danger"),
                ],
            }
        )
    return blocks + _more(count, home.decisions_total, "They are in their project channels too.")


def _proposals(home: Home) -> list[Block]:
    """New target dates waiting on the person as an approver: Accept / Discuss, the channel message's decision."""
    blocks: list[Block] = []
    for item in home.proposals:
        p, project = item.proposal, item.project
        lines = [
            f":calendar: *New target date* · {shown(project.name, 80)} · <#{project.channel_id}>",
            f"{day(p.old_target)} → *{day(p.new_target)}*, proposed {day(p.proposed_at.date())}",
        ]
        if p.reason:
            lines.append(f">{shown(p.reason, 300)}")
        blocks.append(section("\n".join(lines)))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{ids.HOME_PROPOSAL_BLOCK}{p.id}",
                "elements": [
                    button("Accept", ids.HOME_PROPOSAL_ACCEPT_ACTION, str(p.id), "primary"),
                    button("Discuss", ids.HOME_PROPOSAL_DISCUSS_ACTION, str(p.id)),
                ],
            }
        )
    return blocks


def _decision_line(item: MyDecision, *, client: bool) -> str:
    d, project = item.deliverable, item.project
    line = f":hourglass_flowing_sand: *{shown(d.title)}* v{d.version} · {shown(project.name, 80)} · <#{project.channel_id}>"
    since = f"submitted {day(d.submitted_at.date())}"
    if client:
        return f"{line}\n{since}"
    by = f" by {mention(d.submitted_by)}"
    fallback = "\n_The project names no client approver, so you sign off as its owner._" if item.owner_decides else ""
    return f"{line}\n{since}{by}{fallback}"


def _team_projects(home: Home) -> list[Block]:
    blocks: list[Block] = [header("My projects")]
    if not home.projects:
        return [*blocks, context("No open project of yours: none you own, approve or have steps in.")]
    lines = [_project_line(row) for row in home.projects]
    return [*blocks, *packed(lines), *_more(len(lines), home.projects_total, "`/project list mine` lists them all.")]


def _project_line(row: MyProject) -> str:
    p = row.project
    role = {"owner": "you own it", "approver": "you approve", "client": "you're its client", "steps": "your steps"}[row.role]
    return (
        f"{row.health.emoji} *{shown(p.name, 80)}* · {row.health.value} · {Stage(p.stage).label} · "
        f"next {day(row.next_date)} · {role} · <#{p.channel_id}>"
    )


def _client_projects(home: Home) -> list[Block]:
    blocks: list[Block] = [header("Your projects")]
    if not home.client_projects:
        return [*blocks, context("You have no open projects with us here yet.")]
    blocks += [section(_client_project_line(view)) for view in home.client_projects]
    return blocks + _more(len(home.client_projects), home.projects_total, "`/project list` lists them all.")


def _client_project_line(view: ClientView) -> str:
    p = view.project
    line = (
        f"*{shown(p.name, 80)}* · {Stage(p.stage).label} · <#{p.channel_id}>\n"
        f"Target {day(p.target_date)}: {target_holds(view)} · {view.done} of {view.total} steps done"
    )
    if view.waiting and not view.viewer_decides:  # decisions that are her approvers' to take, not hers
        titles = ", ".join(f"{shown(w.deliverable.title, 80)} v{w.deliverable.version}" for w in view.waiting[:3])
        more = f" and {len(view.waiting) - 3} more" if len(view.waiting) > 3 else ""
        line += f"\n:hourglass_flowing_sand: {titles}{more}: {awaited(view)}"
    return line


# --- "Add as a step" ---------------------------------------------------------------------------------


def add_step_modal(
    *, project: Project, title: str, assignee_id: str | None, due: date | None, metadata: dict[str, Any]
) -> dict[str, Any]:
    """The form the message shortcut opens: the title pre-filled with the message text."""
    title_input: Block = {
        "type": "input",
        "block_id": ids.SHORTCUT_TITLE_BLOCK,
        "label": {"type": "plain_text", "text": "Step"},
        "element": {
            "type": "plain_text_input",
            "action_id": ids.SHORTCUT_TITLE_INPUT,
            "max_length": STEP_TITLE_MAX,
        },
    }
    if title:
        title_input["element"]["initial_value"] = cut(title, STEP_TITLE_MAX)
    assignee: Block = {"type": "users_select", "action_id": ids.SHORTCUT_ASSIGNEE_INPUT}
    if assignee_id:
        assignee["initial_user"] = assignee_id
    picker: Block = {"type": "datepicker", "action_id": ids.SHORTCUT_DUE_INPUT}
    if due:
        picker["initial_date"] = due.isoformat()
    blocks: list[Block] = [
        context(f"A new step in *{shown(project.name, 80)}* ({Stage(project.stage).label}), linked to the message."),
        title_input,
        {
            "type": "input",
            "block_id": ids.SHORTCUT_ASSIGNEE_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": "Assignee"},
            "element": assignee,
        },
        {
            "type": "input",
            "block_id": ids.SHORTCUT_DUE_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": "Due date"},
            "element": picker,
        },
    ]
    return modal(callback_id=ids.SHORTCUT_STEP_VIEW, metadata=metadata, title="Add as a step", submit="Add step", blocks=blocks)


def step_added_from_message(step: Step, project: Project, *, today: date) -> Message:
    who = f" for {mention(step.assignee_id)}" if step.assignee_id else ""
    when = f", due {day(step.due_date)}" if step.due_date else ""
    late = " That date has already passed." if step.due_date and step.due_date < today else ""
    link = message_link(step.link)
    source = f", linked to {link}" if link else ""
    added = f"Added #{step.number} *{shown(step.title)}*{who}{when} to *{shown(project.name, 80)}*{source}."
    return reply(f":white_check_mark: {added}{late}")


def step_title_from(text: str) -> str:
    """A message's text as a step title: its first non-empty line, Slack markup of mentions and links reduced."""
    plain = re.sub(r"<([@#!])[^|>]*\|([^>]*)>", r"\2", text or "")
    plain = re.sub(r"<(?:https?://|mailto:)[^|>]*\|([^>]*)>", r"\1", plain)
    plain = re.sub(r"<([^>|]*)>", r"\1", plain)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    first = next((line.strip() for line in plain.splitlines() if line.strip()), "")
    return cut(first, STEP_TITLE_MAX)
