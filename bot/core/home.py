"""The Home tab's reads — a person's open steps across projects, the decisions waiting on them,
their projects with health — each bounded; the step buttons' rules, shared by the Home tab and
the reminder DMs; and who a change concerns, so their Home can be published again.

    steps, total = my_steps(session, team_id="T1", user_id="U1", now=utcnow(), limit=30)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, and_, col, or_, select

from bot.core.clients import client_project_ids
from bot.core.dates import next_working_day
from bot.core.errors import StepRemoved
from bot.core.overview import ClientView, client_view_of
from bot.core.projects import local_today
from bot.core.status import Health, forecast_date, project_health, slip
from bot.core.steps import complete_steps, snooze_step, step_for_button
from bot.core.text import USER_ID
from storage.models import Approver, ClientContact, Deliverable, DeliverableState, Project, Proposal, ProposalState, Step

STEPS_MAX = 30  # steps listed on a Home tab before "and N more"
DECISIONS_MAX = 15
PROJECTS_MAX = 15
CLIENT_PROJECTS_MAX = 8  # each client view is a few queries: keep the publish quick
CONSIDERED_MAX = 200  # a person's projects weighed for "most at risk first"
CONCERNED_MAX = 200  # people whose Home one change may republish


@dataclass(frozen=True)
class MyStep:
    step: Step
    project: Project
    overdue: bool


@dataclass(frozen=True)
class MyDecision:
    deliverable: Deliverable
    project: Project
    owner_decides: bool  # the project names no approver: its owner signs off


@dataclass(frozen=True)
class MyProposal:
    """A new target date put to the approvers, waiting on this one among them."""

    proposal: Proposal
    project: Project


@dataclass(frozen=True)
class MyProject:
    project: Project
    health: Health
    role: str  # "owner", "approver", "client" or "steps"
    overdue: bool
    next_date: date | None  # the earliest open due date, else the target


@dataclass(frozen=True)
class Home:
    """Everything one person's Home tab shows; `client` says which view it is."""

    user_id: str
    client: bool
    steps: list[MyStep]
    steps_total: int
    decisions: list[MyDecision]
    decisions_total: int
    projects: list[MyProject]  # the team's view (empty for a client)
    client_projects: list[ClientView]  # the client view of their projects (empty for the team)
    projects_total: int
    proposals: list[MyProposal] = field(default_factory=list)  # date proposals waiting on their decision


def home_of(session: Session, *, team_id: str, user_id: str, client: bool, now: datetime) -> Home:
    steps, steps_total = my_steps(session, team_id=team_id, user_id=user_id, now=now, limit=STEPS_MAX)
    decisions, decisions_total = my_decisions(session, team_id=team_id, user_id=user_id, client=client, limit=DECISIONS_MAX)
    proposals = my_proposals(session, team_id=team_id, user_id=user_id, limit=DECISIONS_MAX)
    if client:
        views, total = client_projects(session, team_id=team_id, user_id=user_id, now=now, limit=CLIENT_PROJECTS_MAX)
        return Home(user_id, True, steps, steps_total, decisions, decisions_total, [], views, total, proposals)
    projects, total = my_projects(session, team_id=team_id, user_id=user_id, now=now, limit=PROJECTS_MAX)
    return Home(user_id, False, steps, steps_total, decisions, decisions_total, projects, [], total, proposals)


def my_steps(session: Session, *, team_id: str, user_id: str, now: datetime, limit: int) -> tuple[list[MyStep], int]:
    """Open steps assigned to the person in open projects: overdue first, then by due date, undated last."""
    where = (
        Step.team_id == team_id,
        Step.assignee_id == user_id,
        col(Step.done_at).is_(None),
        col(Step.removed_at).is_(None),
        col(Project.closed_at).is_(None),
    )
    joined = col(Project.id) == Step.project_id
    total = session.exec(select(func.count()).select_from(Step).join(Project, joined).where(*where)).one()
    rows = session.exec(
        select(Step, Project)
        .join(Project, joined)
        .where(*where)
        .order_by(col(Step.due_date).is_(None), col(Step.due_date), col(Step.id))
        .limit(limit)
    ).all()
    found = [
        MyStep(step, project, step.due_date is not None and step.due_date < local_today(project.tz, now))
        for step, project in rows
    ]
    found.sort(key=lambda s: not s.overdue)  # stable: by due date within each group
    return found, total


def my_decisions(session: Session, *, team_id: str, user_id: str, client: bool, limit: int) -> tuple[list[MyDecision], int]:
    """Deliverables waiting for the person's decision, oldest first: as an approver, or as the owner
    of a project with no approver (never for a client: an owner is team)."""
    approving = select(Approver.project_id).where(Approver.team_id == team_id, Approver.user_id == user_id)
    with_approvers = select(Approver.project_id).where(Approver.team_id == team_id)
    mine: ColumnElement[bool] = col(Project.id).in_(approving)
    if not client:
        mine = or_(mine, and_(Project.owner_id == user_id, col(Project.id).not_in(with_approvers)))
    where = (
        Deliverable.team_id == team_id,
        Deliverable.state == DeliverableState.PENDING.value,
        col(Project.closed_at).is_(None),
        mine,
    )
    joined = col(Project.id) == Deliverable.project_id
    total = session.exec(select(func.count()).select_from(Deliverable).join(Project, joined).where(*where)).one()
    rows = session.exec(
        select(Deliverable, Project)
        .join(Project, joined)
        .where(*where)
        .order_by(col(Deliverable.submitted_at), col(Deliverable.id))
        .limit(limit)
    ).all()
    approved_by_me = set(session.exec(approving))
    return [MyDecision(d, p, p.id not in approved_by_me) for d, p in rows], total


def my_proposals(session: Session, *, team_id: str, user_id: str, limit: int) -> list[MyProposal]:
    """Date proposals waiting for the person's decision as an approver, oldest first (a project
    with no approver has none: its owner's new date takes effect at once)."""
    approving = select(Approver.project_id).where(Approver.team_id == team_id, Approver.user_id == user_id)
    rows = session.exec(
        select(Proposal, Project)
        .join(Project, col(Project.id) == Proposal.project_id)
        .where(
            Proposal.team_id == team_id,
            Proposal.state == ProposalState.PENDING.value,
            col(Project.closed_at).is_(None),
            col(Project.id).in_(approving),
        )
        .order_by(col(Proposal.proposed_at), col(Proposal.id))
        .limit(limit)
    ).all()
    return [MyProposal(proposal, project) for proposal, project in rows]


def my_projects(session: Session, *, team_id: str, user_id: str, now: datetime, limit: int) -> tuple[list[MyProject], int]:
    """Open projects the person owns or works on — has or had steps in, approves, or is a client
    of — while they are open, whether or not anything of theirs is still open: most at risk first."""
    assigned = select(Step.project_id).where(Step.team_id == team_id, Step.assignee_id == user_id, col(Step.removed_at).is_(None))
    approving = select(Approver.project_id).where(Approver.team_id == team_id, Approver.user_id == user_id)
    named = select(ClientContact.project_id).where(ClientContact.team_id == team_id, ClientContact.user_id == user_id)
    found = list(
        session.exec(
            select(Project)
            .where(
                Project.team_id == team_id,
                col(Project.closed_at).is_(None),
                or_(
                    Project.owner_id == user_id,
                    col(Project.id).in_(assigned),
                    col(Project.id).in_(approving),
                    col(Project.id).in_(named),
                ),
            )
            .order_by(col(Project.name_key))
            .limit(CONSIDERED_MAX)
        )
    )
    approver_of = set(session.exec(approving))
    client_of = set(session.exec(named))
    stats = _step_stats(session, [p.id for p in found if p.id is not None])
    rows = []
    for project in found:
        today = local_today(project.tz, now)
        first, last, done, total = stats.get(project.id or 0, (None, None, 0, 0))
        overdue = first is not None and first < today
        progress = round(100 * done / total) if total else None
        health = project_health(
            project, overdue=int(overdue), slip_days=slip(forecast_date([last], today), project.target_date), progress=progress
        )
        role = (
            "owner" if project.owner_id == user_id
            else "approver" if project.id in approver_of
            else "client" if project.id in client_of
            else "steps"
        )  # fmt: skip
        rows.append(MyProject(project, health, role, overdue, first or project.target_date))
    rows.sort(key=lambda row: (row.health.rank, row.project.name_key))
    return rows[:limit], len(found)


def _step_stats(session: Session, project_ids: list[int]) -> dict[int, tuple[date | None, date | None, int, int]]:
    """Per project: the earliest and latest open due date, steps done, live steps — one grouped query."""
    if not project_ids:
        return {}
    open_step = col(Step.done_at).is_(None)
    rows = session.execute(  # five columns: more than sqlmodel's select() is typed for
        select_columns(
            col(Step.project_id),
            func.min(case((open_step, Step.due_date))),
            func.max(case((open_step, Step.due_date))),
            func.count(col(Step.done_at)),
            func.count(),
        )
        .where(col(Step.project_id).in_(project_ids), col(Step.removed_at).is_(None))
        .group_by(col(Step.project_id))
    ).all()
    return {pid: (first, last, done, total) for pid, first, last, done, total in rows}


def client_projects(session: Session, *, team_id: str, user_id: str, now: datetime, limit: int) -> tuple[list[ClientView], int]:
    """The client view of the open projects a client may see (named client or approver), by name."""
    ids = client_project_ids(session, team_id=team_id, user_id=user_id)
    if not ids:
        return [], 0
    found = list(
        session.exec(
            select(Project).where(col(Project.id).in_(ids), col(Project.closed_at).is_(None)).order_by(col(Project.name_key))
        )
    )
    return [client_view_of(session, project, now, viewer=user_id) for project in found[:limit]], len(found)


# --- the step buttons' rules (Home tab and reminder DMs alike) ----------------------------------


def mark_done(session: Session, *, team_id: str, user_id: str, step_id: int, now: datetime) -> tuple[Step, bool]:
    """Mark the step done if `user_id` is its assignee or its project's owner. Returns (step, done now)."""
    step, project = step_for_button(session, team_id=team_id, step_id=step_id, actor=user_id)
    done, _already = complete_steps(session, project=project, actor=user_id, numbers=[step.number], now=now)
    return step, bool(done)


def snooze_until(tz: str, now: datetime, work_days: frozenset[int]) -> date:
    """Snooze 1 day: until the next working day in the assignee's own time zone."""
    return next_working_day(local_today(tz, now), work_days)


def snooze(session: Session, *, team_id: str, user_id: str, step_id: int, until: date, now: datetime) -> Step:
    step, project = step_for_button(session, team_id=team_id, step_id=step_id, actor=user_id)
    if step.removed_at is not None:
        raise StepRemoved(step.number)
    snooze_step(session, step=step, project=project, actor=user_id, until=until, now=now)
    return step


# --- what links the reminders show ---------------------------------------------------------------


def approval_locations(session: Session, *, deliverable_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Where each deliverable's approval message is: (channel, ts), for those posted (ids from a
    workspace's own reminder plan)."""
    ids = list(deliverable_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(Deliverable.id, Deliverable.channel_id, Deliverable.message_ts).where(col(Deliverable.id).in_(ids))
    ).all()
    return {d: (channel, ts) for d, channel, ts in rows if d is not None and channel and ts}


def step_links(session: Session, *, step_ids: Iterable[int]) -> dict[int, str]:
    """The message each step was made from, for those made with "Add as a step"."""
    ids = list(step_ids)
    if not ids:
        return {}
    rows = session.exec(select(Step.id, Step.link).where(col(Step.id).in_(ids), col(Step.link).is_not(None))).all()
    return {s: link for s, link in rows if s is not None and link}


# --- whose Home a change concerns ------------------------------------------------------------------


def concerned(session: Session, *, team_id: str, changes: Iterable[tuple[int | None, str]]) -> set[str]:
    """The people a change of these projects may show on: owners, approvers, client contacts,
    assignees, and anyone the change names (an old assignee). `changes`: (project id, audit detail)."""
    people: set[str] = set()
    project_ids: set[int] = set()
    for project_id, detail in changes:
        if project_id is not None:
            project_ids.add(project_id)
        try:
            named = json.loads(detail or "{}")
        except ValueError:
            named = {}
        if isinstance(named, dict):
            for key in ("user", "old", "new", "assignee"):
                value = named.get(key)
                if isinstance(value, str) and USER_ID.match(value):
                    people.add(value)
    if not project_ids:
        return people
    ids = list(project_ids)
    queries = [
        select(Project.owner_id).where(Project.team_id == team_id, col(Project.id).in_(ids)),
        select(Approver.user_id).where(Approver.team_id == team_id, col(Approver.project_id).in_(ids)),
        select(ClientContact.user_id).where(ClientContact.team_id == team_id, col(ClientContact.project_id).in_(ids)),
        select(Step.assignee_id)
        .where(Step.team_id == team_id, col(Step.project_id).in_(ids), col(Step.assignee_id).is_not(None))
        .distinct()
        .limit(CONCERNED_MAX),
    ]
    for query in queries:
        people.update(user for user in session.exec(query) if user)
    return people
