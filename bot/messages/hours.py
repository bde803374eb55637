"""Replies about hours: a time entry logged (`log`), the budget changed (`budget`).

>>> from storage.models import Project
>>> from datetime import date
>>> p = Project(team_id="T", name="Acme", name_key="acme", channel_id="C", owner_id="U", start_date=date(2026, 12, 1),
...             budget_hours=130, hours_used=42)
>>> budget_changed(p, old=120, reason="two more landing pages")["text"]
'Budget of *Acme*: 130h (was 120h), because two more landing pages. 42h used so far.'
"""

from __future__ import annotations

from bot.messages.blocks import Message, reply
from bot.messages.format import shown
from bot.messages.labels import project_label
from storage.hours import TimeEntry
from storage.models import Project


def hours_logged(project: Project, entry: TimeEntry) -> Message:
    of_budget = f" of {project.budget_hours:g}h" if project.budget_hours else ""
    note = f" ({shown(entry.note)})" if entry.note else ""
    return reply(f"Logged {entry.hours:g}h{note} on {project_label(project)}: {project.hours_used or 0:g}h{of_budget} used.")


def budget_changed(project: Project, *, old: float | None, reason: str | None) -> Message:
    was = f" (was {old:g}h)" if old is not None and old != project.budget_hours else ""
    why = f", because {shown(reason, 500)}" if reason else ""
    return reply(
        f"Budget of {project_label(project)}: {project.budget_hours or 0:g}h{was}{why}. {project.hours_used or 0:g}h used so far."
    )
