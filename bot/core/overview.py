"""Where projects stand: the numbers of one status card, and the rows of `/project list`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, col, or_, select

from bot.core.approvals import deciders_of
from bot.core.audience import Audience, Facts, audience, cached_facts, client_contacts, known_clients
from bot.core.hours import original_budget
from bot.core.projects import local_today
from bot.core.status import WEEKDAYS, Health, Status, Waiting, forecast_date, project_health, slip, summarize
from bot.core.steps import steps_of
from bot.core.targets import baselines_of, client_held_days, pending_proposal
from storage.models import (
    Approver,
    ClientContact,
    Decision,
    Deliverable,
    DeliverableState,
    Hold,
    Project,
    Proposal,
    ProposalState,
    Stage,
    Step,
)


def status_of(
    session: Session, project: Project, now: datetime, work_days: frozenset[int] = WEEKDAYS, steps: Sequence[Step] | None = None
) -> Status:
    """The numbers of the status card, in the project's local today (`steps`: when already read)."""
    waiting = session.exec(
        select(Deliverable).where(Deliverable.project_id == project.id, Deliverable.state == DeliverableState.PENDING.value)
    ).all()
    steps = steps_of(session, project) if steps is None else steps
    return summarize(project, steps, waiting, local_today(project.tz, now), work_days)


@dataclass(frozen=True)
class Plan:
    """What the team card shows beyond the step math: the promise and how it moved, and the client's part."""

    original_target: date | None  # the first agreed target, when the current one differs
    baselines: int  # how many targets were agreed
    proposal: Proposal | None  # a date change waiting for the approvers
    held_days: int  # working days the client held the project up
    waiting_on_client: list[Step]  # steps marked `wait … client`
    wait_reasons: dict[int, str] = field(default_factory=dict)  # step id → the reason given to `step wait`
    deciders: list[str] = field(default_factory=list)  # who decides what waits: the approvers, else the owner
    original_budget: float | None = None  # the first budget, when the current one differs


def plan_of(
    session: Session, project: Project, now: datetime, work_days: frozenset[int] = WEEKDAYS, steps: Sequence[Step] | None = None
) -> Plan:
    today = local_today(project.tz, now)
    steps = steps_of(session, project) if steps is None else steps
    agreed = baselines_of(session, project)
    first = agreed[0].target_date if agreed else None
    reasons = wait_reasons(session, project)
    return Plan(
        original_target=first if first is not None and first != project.target_date else None,
        baselines=len(agreed),
        proposal=pending_proposal(session, project),
        held_days=client_held_days(session, project, today=today, work_days=work_days, steps=steps),
        waiting_on_client=[s for s in steps if s.id in reasons and s.done_at is None and s.removed_at is None],
        wait_reasons={step_id: reason for step_id, reason in reasons.items() if reason},
        deciders=deciders_of(session, project).user_ids,
        original_budget=original_budget(session, project),
    )


def wait_reasons(session: Session, project: Project) -> dict[int, str | None]:
    """The steps waiting on the client now, each with the reason given to `step wait` (if any)."""
    rows = session.exec(select(Hold.step_id, Hold.reason).where(Hold.project_id == project.id, col(Hold.ended_at).is_(None)))
    return {step_id: reason for step_id, reason in rows}


def overview(
    session: Session, *, team_id: str, user_id: str, scope: str, now: datetime, limit: int
) -> tuple[list[tuple[Project, Health, date | None]], int]:
    """`/project list`: up to `limit` (project, health, next date) rows by name, and how many match.

    Scopes: "open" (default), "all" (closed too), "mine" (what the Home tab calls *My projects*:
    owned, approving, a client of, or with steps — open or done — of `user_id`), "overdue" (open
    projects with an overdue step).
    """
    query = select(Project).where(Project.team_id == team_id)
    if scope != "all":
        query = query.where(col(Project.closed_at).is_(None))
    if scope == "mine":
        assigned = select(Step.project_id).where(
            Step.team_id == team_id, Step.assignee_id == user_id, col(Step.removed_at).is_(None)
        )
        approving = select(Approver.project_id).where(Approver.team_id == team_id, Approver.user_id == user_id)
        named = select(ClientContact.project_id).where(ClientContact.team_id == team_id, ClientContact.user_id == user_id)
        query = query.where(
            or_(
                Project.owner_id == user_id,
                col(Project.id).in_(assigned),
                col(Project.id).in_(approving),
                col(Project.id).in_(named),
            )
        )
    found = list(session.exec(query.order_by(Project.name_key)))
    # Only "overdue" needs every project's numbers to choose from; the others show the first few.
    candidates = found if scope == "overdue" else found[:limit]
    stats = _open_due_dates(session, [p.id for p in candidates if p.id is not None])
    rows = []
    for project in candidates:
        today = local_today(project.tz, now)
        first_due, last_due = stats.get(project.id or 0, (None, None))
        overdue = int(first_due is not None and first_due < today)  # health needs "any", not how many
        forecast = forecast_date([last_due], today)
        health = project_health(project, overdue=overdue, slip_days=slip(forecast, project.target_date))
        if scope == "overdue" and not overdue:
            continue
        rows.append((project, health, first_due or project.target_date))  # next: its earliest open step, else the target
    total = len(rows) if scope == "overdue" else len(found)
    return rows[:limit], total


def _open_due_dates(session: Session, project_ids: list[int]) -> dict[int, tuple[date | None, date | None]]:
    """Per project: the earliest and the latest open due date, in one grouped query."""
    if not project_ids:
        return {}
    open_step = col(Step.done_at).is_(None) & col(Step.removed_at).is_(None)  # removed steps left the plan
    rows = session.exec(
        select(Step.project_id, func.min(case((open_step, Step.due_date))), func.max(case((open_step, Step.due_date))))
        .where(col(Step.project_id).in_(project_ids))
        .group_by(col(Step.project_id))
    ).all()
    return {pid: (first, last) for pid, first, last in rows}


# --- what a client may see -----------------------------------------------------------------

RECENT_DAYS = 7


@dataclass(frozen=True)
class ClientView:
    """The client's view of a project: dates and what waits on them, no budget, health or staff."""

    project: Project
    today: date
    forecast: date
    slip_days: int | None
    done: int
    total: int
    waiting: list[Waiting]  # deliverables waiting for the client's decision
    their_steps: list[Step]  # open steps assigned to the client side
    decided: list[tuple[Deliverable, Decision]]  # newest first
    done_recently: list[Step]  # steps done in the last RECENT_DAYS days
    proposed: date | None = None  # a new target waiting for the approvers
    deciders: list[str] = field(default_factory=list)  # the approvers a client may see named (none of our staff)
    team_decides: bool = False  # no approver on the client's side: the team signs off
    viewer_decides: bool = True  # the viewer is an approver (or no one in particular: the channel)
    late_told: bool = False  # the client may hear the date won't hold: it passed, or a new one was put to them

    @property
    def running_late(self) -> bool:
        """Late as the client may hear it: an internal re-date is the owner's to raise first, so
        until a new date is put to the approvers or the agreed date passes, it holds."""
        return bool(self.slip_days) and self.late_told


def client_view_of(session: Session, project: Project, now: datetime, *, viewer: str) -> ClientView:
    """`viewer`: the client reading it, or "" for the client side at large (a post in the channel)."""
    status = status_of(session, project, now)
    deciders = deciders_of(session, project)
    # A client sees the approvers named, never our staff: an in-workspace reviewer signs off as "the team".
    facts = cached_facts(session, team_id=project.team_id, user_ids=deciders.user_ids)
    staff = {u for u, f in facts.items() if f is not None and f.known and not is_client(project.team_id, f)}
    shown_deciders = [] if deciders.owner_decides else [u for u in deciders.user_ids if u not in staff]
    all_steps = [s for s in steps_of(session, project) if s.removed_at is None]  # removed steps left the plan
    named = set(client_contacts(session, project))
    assignees = {s.assignee_id for s in all_steps if s.assignee_id and s.done_at is None}
    clients = named | {viewer} | known_clients(session, team_id=project.team_id, user_ids=assignees)
    since = now - timedelta(days=RECENT_DAYS)
    decided = session.exec(
        select(Deliverable, Decision)
        .join(Decision, col(Decision.deliverable_id) == Deliverable.id)
        .where(Deliverable.project_id == project.id)
        .order_by(col(Decision.decided_at).desc())
        .limit(10)
    ).all()
    return ClientView(
        project=project,
        today=status.today,
        forecast=status.forecast,
        slip_days=status.slip_days,
        done=status.done,
        total=status.total,
        waiting=status.waiting,
        their_steps=[s for s in all_steps if s.done_at is None and s.assignee_id in clients],
        decided=[(d, decision) for d, decision in decided],
        done_recently=[s for s in all_steps if s.done_at is not None and s.done_at >= since],
        proposed=proposal.new_target if (proposal := pending_proposal(session, project)) else None,
        deciders=shown_deciders,
        team_decides=not shown_deciders,
        viewer_decides=not viewer or (viewer in deciders.user_ids and not deciders.owner_decides),
        late_told=(project.target_date is not None and project.target_date < status.today) or _discussing(session, project),
    )


def is_client(home_team: str, facts: Facts) -> bool:
    return audience(home_team=home_team, payload_team=None, facts=facts, named_client=False) is Audience.CLIENT


def _discussing(session: Session, project: Project) -> bool:
    """The owner put a new date to the approvers and they asked to discuss it; none agreed since."""
    last = session.exec(
        select(Proposal).where(Proposal.project_id == project.id).order_by(col(Proposal.proposed_at).desc()).limit(1)
    ).first()
    if last is None or last.state != ProposalState.DISCUSS.value:
        return False
    agreed = baselines_of(session, project)
    return not agreed or agreed[-1].agreed_at <= last.proposed_at


def steps_listing(session: Session, project: Project, *, scope: str, user_id: str, stage: Stage | None) -> tuple[list[Step], str]:
    """`steps`: open steps by default (dated first, then undated), someone's, a stage's, or all."""
    every = steps_of(session, project)
    live = [s for s in every if s.removed_at is None]
    if scope == "all":  # removed ones too, marked so: `steps all` is the plan's history
        chosen, title = every, "all steps"
    elif scope in ("mine", "user"):
        chosen = [s for s in live if s.assignee_id == user_id and s.done_at is None]
        title = "your open steps" if scope == "mine" else "open steps of one person"
    elif scope == "stage" and stage is not None:
        chosen, title = [s for s in live if s.stage == stage.value and s.done_at is None], f"open steps in {stage.label}"
    else:
        chosen, title = [s for s in live if s.done_at is None], "open steps"
    order = [st.value for st in Stage]
    chosen.sort(key=lambda s: (order.index(s.stage), s.due_date is None, s.due_date or date.max, s.number))
    return chosen, title.capitalize()
