"""How a step and a project are named inside any sentence, the same everywhere."""

from __future__ import annotations

from bot.messages.format import escape, shown
from storage.models import Project, Step


def step_label(step: Step) -> str:
    """`#3 Draft the brief`."""
    return f"#{step.number} {shown(step.title)}"


def project_label(project: Project) -> str:
    """`*Acme website* (Acme Corp)`."""
    client = f" ({escape(project.client)})" if project.client else ""
    return f"*{escape(project.name)}*{client}"
