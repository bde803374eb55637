"""The project report as files people open: Markdown that reads as plain text, a CSV of the
steps beside it, and the few lines `/project report` answers with.

User text goes into the files as typed (a file is not mrkdwn), kept on one line where the
layout needs it, so no title or reason can start a heading or break a list; the CSV is written
by the csv module.

    markdown = report_markdown(found)        # found: bot.core.report.ProjectReport
    rows = list(csv.reader(io.StringIO(steps_csv(found))))
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.report import ProjectReport, Round, StagePeriod
from bot.core.text import clean
from bot.messages.blocks import Message, reply
from bot.messages.format import day, plural
from bot.messages.labels import project_label
from storage.models import Hold, Project, Stage

CSV_COLUMNS = (
    "number", "title", "stage", "assignee", "due", "done", "done by", "approved by", "removed", "link", "waiting on the client"
)  # fmt: skip
_SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a cell a spreadsheet would run as a formula


# --- the Markdown report -----------------------------------------------------------------------


def report_markdown(found: ProjectReport) -> str:
    project = found.project
    lines = [f"# Project report: {one_line(project.name)}", ""]
    lines += _summary(found)
    lines += ["", "## Stages", *_stages(found)]
    lines += ["", "## Dates and slip", *_dates(found)]
    lines += ["", "### Baselines (every agreed target date)", *_baselines(found)]
    lines += ["", "### Date proposals (every one put to the approvers)", *_proposals(found)]
    lines += ["", "## Deliverables", *_deliverables(found)]
    lines += ["", "## Hours", *_hours(found)]
    lines += ["", "### Budget (the original, then every change)", *_budgets(found)]
    lines += ["", "### Time entries", *_entries(found)]
    lines += ["", "## Steps", *_steps(found)]
    lines += ["", "## Debrief", *_debrief(found)]
    lines += ["", "## Client sign-off", *_signoff(found)]
    return "\n".join(lines) + "\n"


def _summary(found: ProjectReport) -> list[str]:
    project = found.project
    closing = found.closing
    if project.closed_at is not None:
        by = f" by {who(closing.closed_by)}" + (" (forced past what stood open)" if closing.forced else "") if closing else ""
        state = f"Closed {day(found.end)}{by}"
    else:
        state = f"Open, in {Stage(project.stage).label}"
    return [
        f"- Client: {one_line(project.client) if project.client else 'none named'}",
        f"- Owner: {who(project.owner_id)}",
        f"- Started: {day(project.start_date)}",
        f"- {state}",
        f"- Report made {day(found.made_on)}; times are in {project.tz}",
    ]


def _stages(found: ProjectReport) -> list[str]:
    lines = []
    for stage in Stage:
        periods = [p for p in found.periods if p.stage is stage]
        if periods:
            lines.append(f"- {stage.label}: " + "; ".join(_period(p) for p in periods))
        elif stage in found.skipped:
            lines.append(f"- {stage.label}: skipped")
        else:
            lines.append(f"- {stage.label}: not reached")
    return lines


def _period(period: StagePeriod) -> str:
    if period.ended is None:
        return f"{day(period.started)} to now"
    return f"{day(period.started)} to {day(period.ended)}"


def _dates(found: ProjectReport) -> list[str]:
    project = found.project
    current = project.target_date
    first = found.first_promised
    finished = "Finished" if project.closed_at is not None else "Forecast"
    lines = [
        f"- First promised: {day(first) if first else 'no target date agreed'}",
        f"- Current target: {day(current) if current else 'none'}",
        f"- {finished}: {day(found.finish)}",
        f"- Slip against the current target: {_slip(found.slip_days)}",
    ]
    if first is not None and first != current:
        lines.append(f"- Slip against the first promise: {_slip(found.first_slip_days)}")
    lines.append(
        f"- Client-held: {plural(found.held_days, 'working day')} waiting on the client (decisions, answers, their steps)"
    )
    numbers = {s.id: s.number for s in found.steps}
    for hold in found.holds:
        reason = f": {one_line(hold.reason)}" if hold.reason else ""
        lines.append(f"  - #{numbers.get(hold.step_id, '?')} waited on the client {_hold_period(hold, found)}{reason}")
    return lines


def _hold_period(hold: Hold, found: ProjectReport) -> str:
    tz = ZoneInfo(found.project.tz)
    since = day(hold.started_at.astimezone(tz).date())
    return f"from {since} to {day(hold.ended_at.astimezone(tz).date())}" if hold.ended_at else f"since {since}"


def _slip(days: int | None) -> str:
    if days is None:
        return "no target date"
    return "on time" if days == 0 else f"{plural(days, 'working day')} late"


def _baselines(found: ProjectReport) -> list[str]:
    if not found.baselines:
        return ["No target date was ever agreed."]
    tz = found.project.tz
    return [
        f"{n}. {day(b.target_date)}: {one_line(b.reason) if b.reason else 'no reason given'}; "
        f"agreed by {who(b.agreed_by)} on {when(b.agreed_at, tz)}"
        for n, b in enumerate(found.baselines, start=1)
    ]


PROPOSAL_OUTCOMES = {"accepted": "Accepted", "discuss": "Declined for discussion", "superseded": "Replaced by a later proposal"}


def _proposals(found: ProjectReport) -> list[str]:
    if not found.proposals:
        return ["None: no date change was put to the approvers."]
    tz = found.project.tz
    lines: list[str] = []
    for p in found.proposals:
        old = day(p.old_target) if p.old_target else "no target"
        lines.append(f"- {day(p.new_target)} (from {old}): proposed by {who(p.proposed_by)} on {when(p.proposed_at, tz)}")
        if p.reason:
            lines += quoted("Reason: " + p.reason, indent="    ")
        if p.state == "pending":
            closed = found.project.closed_at is not None
            lines.append("  - " + ("No decision: the project closed while it waited" if closed else "Waiting for the approvers"))
            continue
        outcome = PROPOSAL_OUTCOMES.get(p.state, p.state)
        by = f" by {who(p.decided_by)}" if p.decided_by else ""
        at = f" on {when(p.decided_at, tz)}" if p.decided_at else ""
        kept = "; the target stayed" if p.state == "discuss" else ""
        lines.append(f"  - {outcome}{by}{at}{kept}")
        if p.comment:
            lines += quoted("Comment: " + p.comment, indent="    ")
    return lines


def _deliverables(found: ProjectReport) -> list[str]:
    if not found.deliverables:
        return ["None submitted."]
    lines: list[str] = []
    for item in found.deliverables:
        lines += ["", f"### {one_line(item.title)}", *(line for r in item.rounds for line in _round(r, found))]
    return lines[1:]


def _round(found_round: Round, found: ProjectReport) -> list[str]:
    tz = found.project.tz
    d, decision = found_round.deliverable, found_round.decision
    link = f" ({one_line(d.link)})" if d.link else ""
    lines = [f"- v{d.version}{link}: submitted by {who(d.submitted_by)} on {when(d.submitted_at, tz)}"]
    if decision is not None:
        verdict = "Approved" if decision.verdict == "approved" else "Rejected"
        completes = f", completing step #{d.step_number}" if d.step_number and decision.verdict == "approved" else ""
        lines.append(f"  - {verdict} by {who(decision.approver_id)} on {when(decision.decided_at, tz)}{completes}")
        if decision.reason:
            lines += quoted("Reason: " + decision.reason, indent="    ")
    elif d.state == "superseded":
        lines.append(f"  - Superseded by v{d.version + 1} before a decision")
    elif found.project.closed_at is not None:
        lines.append("  - No decision: the project closed while it waited")
    else:
        lines.append("  - Waiting for a decision")
    return lines


def _hours(found: ProjectReport) -> list[str]:
    project = found.project
    used = project.hours_used or 0
    if project.budget_hours:
        over = used - project.budget_hours
        note = f", {over:g}h over budget" if over > 0 else ""
        lines = [f"- Used: {used:g}h of a {project.budget_hours:g}h budget ({found.burn}%{note})"]
    else:
        lines = [f"- Used: {used:g}h (no budget set)"]
    return [*lines, f"- Progress: {found.done} of {plural(found.total, 'step')} done ({found.progress}%)"]


def _budgets(found: ProjectReport) -> list[str]:
    if not found.budgets:
        return ["No budget was set."]
    tz = found.project.tz
    lines: list[str] = []
    previous: float | None = None
    for n, b in enumerate(found.budgets, start=1):
        if previous is None:
            what = "the original budget"
        else:
            change = b.hours - previous
            what = f"{'up' if change >= 0 else 'down'} {abs(change):g}h from {previous:g}h"
        current = " (current)" if n == len(found.budgets) and n > 1 else ""
        by = "set" if previous is None else "changed"
        why = f": {one_line(b.reason)}" if b.reason else ("" if previous is None else ": no reason given")
        lines.append(f"{n}. {b.hours:g}h{current}, {what}{why}; {by} by {who(b.changed_by)} on {when(b.changed_at, tz)}")
        previous = b.hours
    return lines


def _entries(found: ProjectReport) -> list[str]:
    if not found.entries:
        return ["No hours logged."]
    return [f"- {day(e.day)}: {who(e.person)} {e.hours:g}h" + (f": {one_line(e.note)}" if e.note else "") for e in found.entries]


def _steps(found: ProjectReport) -> list[str]:
    removed = len(found.steps) - found.total
    extra = f", and {plural(removed, 'step')} removed from the plan" if removed else ""
    return [f"{found.done} of {plural(found.total, 'step')} done{extra}. Every step is in the CSV beside this report."]


def _debrief(found: ProjectReport) -> list[str]:
    closing = found.closing
    answers = (
        [("What went well", closing.debrief_went_well), ("What to improve", closing.debrief_improve),
         ("Lessons for next time", closing.debrief_lessons)]
        if closing is not None else []
    )  # fmt: skip
    given = [(label, text) for label, text in answers if text]
    if closing is None or not given:
        return ["No debrief yet."]
    lines = _reopened_since(found)
    for label, text in given:
        lines += [f"- {label}:", *quoted(text, indent="  ")]
    if closing.debrief_by and closing.debrief_at:
        lines.append(f"- Written by {who(closing.debrief_by)} on {when(closing.debrief_at, found.project.tz)}")
    return lines


def _signoff(found: ProjectReport) -> list[str]:
    if not found.signoffs:
        return ["Not confirmed yet."]
    lines = _reopened_since(found)
    for s in found.signoffs:
        rating = f", rating {s.rating}/5" if s.rating else ""
        lines.append(f"- Completion confirmed by {who(s.approver_id)} on {when(s.confirmed_at, found.project.tz)}{rating}")
        if s.comment:
            lines += quoted("Comment: " + s.comment, indent="  ")
    if found.waiting_on:
        lines.append("- Not confirmed yet by " + ", ".join(who(u) for u in found.waiting_on))
    return lines


def _reopened_since(found: ProjectReport) -> list[str]:
    """Above what belongs to the last close, when the project was reopened after it."""
    closing = found.closing
    if closing is None or found.project.closed_at is not None:
        return []
    return [f"_From the close of {when(closing.closed_at, found.project.tz)}; the project was reopened since._"]


def one_line(text: str) -> str:
    """User text on one line: no newline can start a heading or a list item of its own."""
    return " ".join(clean(text).split())


def quoted(text: str, *, indent: str) -> list[str]:
    """Multi-line user text as a block quote under its item: every line stays inside the quote."""
    return [f"{indent}> {inert(' '.join(line.split()))}" for line in clean(text).splitlines() if line.strip()] or [f"{indent}>"]


_BLOCK_START = re.compile(r"^(#|>|[-+*=_~`|<]|\d+[.)])")


def inert(line: str) -> str:
    r"""A line of typed text that can't start a Markdown block (heading, list, quote, fence, table,
    HTML, setext underline): its first character is backslash-escaped.

    >>> inert("## not a heading"), inert("1. not a list"), inert("plain")
    ('\\## not a heading', '\\1. not a list', 'plain')
    """
    return "\\" + line if _BLOCK_START.match(line) else line


def who(user_id: str) -> str:
    return f"@{one_line(user_id)}"


def when(moment: datetime, tz: str) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    return f"{day(local.date())} {local:%H:%M}"


# --- the CSV of steps --------------------------------------------------------------------------


def steps_csv(found: ProjectReport) -> str:
    """One row per step, removed ones too (they are kept in history), by number."""
    tz = ZoneInfo(found.project.tz)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    waits: dict[int, list[str]] = {}
    for hold in found.holds:  # each stretch with its reason: `2026-11-26..2026-12-01 copy not sent yet`
        since = hold.started_at.astimezone(tz).date().isoformat()
        until = hold.ended_at.astimezone(tz).date().isoformat() if hold.ended_at else ""
        waits.setdefault(hold.step_id, []).append(f"{since}..{until} {hold.reason or ''}".strip())
    for s in found.steps:
        writer.writerow(
            [
                s.number,
                cell(s.title),
                Stage(s.stage).label,
                cell(s.assignee_id or ""),
                s.due_date.isoformat() if s.due_date else "",
                s.done_at.astimezone(tz).date().isoformat() if s.done_at else "",
                cell(s.done_by or ""),
                cell(found.approved_by(s) or ""),
                s.removed_at.astimezone(tz).date().isoformat() if s.removed_at else "",
                cell(s.link or ""),
                cell("; ".join(waits.get(s.id or 0, []))),
            ]
        )
    return out.getvalue()


def cell(text: str) -> str:
    """A text cell no spreadsheet runs as a formula (OWASP's advice: a leading quote)."""
    text = clean(text)
    return "'" + text if text.startswith(_SPREADSHEET_FORMULA) else text


# --- the files and what `/project report` says -------------------------------------------------


def file_names(found: ProjectReport) -> tuple[str, str]:
    """`acme-website-report-2026-12-10.md` and `acme-website-steps-2026-12-10.csv`."""
    stem = re.sub(r"[^a-z0-9]+", "-", found.project.name.casefold()).strip("-")[:60].strip("-") or "project"
    return f"{stem}-report-{found.made_on.isoformat()}.md", f"{stem}-steps-{found.made_on.isoformat()}.csv"


def report_comment(found: ProjectReport) -> str:
    """The message the two files are shared with (mrkdwn)."""
    return (
        f":page_facing_up: Project report of {project_label(found.project)} as of {day(found.made_on)}: "
        "the report (Markdown) and every step (CSV)."
    )


def where_text(channel_id: str | None) -> str:
    return f"in <#{channel_id}>" if channel_id else "in your DMs with me"


def report_coming(project: Project, channel_id: str | None) -> Message:
    return reply(f"Putting together the report of {project_label(project)}; it will arrive {where_text(channel_id)}.")


def report_sent(project: Project, channel_id: str | None) -> Message:
    return reply(f"The report of {project_label(project)} is {where_text(channel_id)}: the report and a CSV of its steps.")
