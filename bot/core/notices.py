"""Telling people about their own steps when someone else changes them: assigned to them,
re-assigned away, re-dated, marked done. Never about their own actions.

A change writes its notices in its own transaction (`noticed`); a pass delivers each person's
pending notices as one DM, in their working hours (`bot/slack/notices.py`). What the DM says is
decided when it is sent, from the steps as they are then (`changes`): a step given and taken back
before the DM goes says nothing, a removed step or a closed project says nothing.

    noticed(session, project=project, step=step, kind=ASSIGNED, recipient="U2", actor="U1", now=now)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.core.audience import Audience, audience, cached_facts, is_named_client
from storage import notices as store
from storage.models import Project, Step
from storage.notices import ASSIGNED, DONE, REDATED, UNASSIGNED, StepNotice

__all__ = ["ASSIGNED", "DONE", "REDATED", "UNASSIGNED", "StepChange", "changes", "noticed", "reads_as_client", "what_changed"]


def noticed(
    session: Session, *, project: Project, step: Step, kind: str, recipient: str | None, actor: str, now: datetime
) -> None:
    """Note that `recipient` is owed word of this change, unless they made it themselves."""
    if not recipient or recipient == actor or project.id is None or step.id is None:
        return
    store.add(
        session, team_id=project.team_id, project_id=project.id, step_id=step.id, recipient=recipient, kind=kind,
        actor=actor, now=now,
    )  # fmt: skip


@dataclass(frozen=True)
class StepChange:
    """One line of the DM: what happened to one step, as it stands when the DM is sent."""

    kind: str  # assigned | unassigned | redated | done
    actor: str
    project_name: str
    channel_id: str
    number: int
    title: str
    due_date: date | None
    assignee_id: str | None  # who has it now (for "re-assigned to …")


def changes(
    recipient: str, notices: Sequence[StepNotice], steps: Mapping[int, Step], projects: Mapping[int, Project]
) -> list[StepChange]:
    """What to tell `recipient`, one line per step, in the order the changes were made."""
    by_step: dict[int, list[StepNotice]] = {}
    for notice in sorted(notices, key=lambda n: n.id or 0):
        by_step.setdefault(notice.step_id, []).append(notice)
    found: list[StepChange] = []
    for step_id, told in by_step.items():
        step, project = steps.get(step_id), projects.get(told[0].project_id)
        if step is None or project is None or step.removed_at is not None or project.closed_at is not None:
            continue
        line = _line(recipient, told, step)
        if line is not None:
            kind, actor = line
            found.append(
                StepChange(
                    kind=kind, actor=actor, project_name=project.name, channel_id=project.channel_id, number=step.number,
                    title=step.title, due_date=step.due_date, assignee_id=step.assignee_id,
                )
            )  # fmt: skip
    return found


def _line(recipient: str, told: Sequence[StepNotice], step: Step) -> tuple[str, str] | None:
    """(kind, who) of the one thing worth saying about this step now, if any."""
    last = {n.kind: n.actor for n in told}  # the latest actor of each kind
    if step.assignee_id == recipient:
        if DONE in last and step.done_at is not None and step.done_by != recipient:
            return DONE, step.done_by or last[DONE]
        if ASSIGNED in last:
            return ASSIGNED, last[ASSIGNED]
        if REDATED in last and step.done_at is None:
            return REDATED, last[REDATED]
        return None
    if told[0].kind == ASSIGNED:  # given to them and taken away again before they heard of it
        return None
    if UNASSIGNED in last:
        return UNASSIGNED, last[UNASSIGNED]
    return None


def what_changed(session: Session, recipient: str, notices: Sequence[StepNotice]) -> list[StepChange]:
    """`changes`, with the steps and projects the notices are about read from `session`."""
    step_ids = {n.step_id for n in notices}
    project_ids = {n.project_id for n in notices}
    steps = {s.id: s for s in session.exec(select(Step).where(col(Step.id).in_(step_ids))) if s.id is not None}
    projects = {p.id: p for p in session.exec(select(Project).where(col(Project.id).in_(project_ids))) if p.id is not None}
    return changes(recipient, notices, steps, projects)


def reads_as_client(session: Session, *, team_id: str, recipient: str, project_ids: set[int]) -> bool:
    """Client words for someone of another organization, a guest, unknown (fail closed), or named a
    client of any project the DM speaks of."""
    named = any(is_named_client(session, project_id=p, user_id=recipient) for p in project_ids)
    facts = cached_facts(session, team_id=team_id, user_ids=[recipient]).get(recipient)
    return audience(home_team=team_id, payload_team=None, facts=facts, named_client=named) is Audience.CLIENT
