"""The target date and what moves it: baselines (every agreed target, kept), date-change
proposals the approvers accept or want to discuss, and the working days the client held the
project up. Plain Python over a session.

    outcome = change_target(session, project=project, actor="U_PM", new_target=date(2027, 2, 1),
                            reason="Client asked for a new section", today=today, now=utcnow())
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import true, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core.approvals import deciders_of
from bot.core.audience import client_contacts, known_clients
from bot.core.dates import is_working_day
from bot.core.errors import NotProposalDecider, ProposalDecided, ProposalGone, ProposedJustNow, SameTarget, TargetInPast
from bot.core.projects import audit_project, require_open, require_owner
from storage.models import Baseline, Decision, Deliverable, Hold, Project, Proposal, ProposalState, Step


def baselines_of(session: Session, project: Project) -> list[Baseline]:
    return list(session.exec(select(Baseline).where(Baseline.project_id == project.id).order_by(col(Baseline.agreed_at))))


def first_baseline(session: Session, *, project: Project, now: datetime) -> None:
    """What the client was first promised: the target a project starts with."""
    if project.target_date is not None and project.id is not None:
        session.add(
            Baseline(
                team_id=project.team_id,
                project_id=project.id,
                target_date=project.target_date,
                reason="at kick-off",
                agreed_by=project.owner_id,
                agreed_at=now,
            )  # fmt: skip
        )


@dataclass(frozen=True)
class TargetChange:
    """What `due` did: changed the target at once (no approvers), or put a proposal to them."""

    old: date | None
    new: date
    baseline: Baseline | None
    proposal: Proposal | None
    replaced: Proposal | None  # an earlier pending proposal this one supersedes


def change_target(
    session: Session, *, project: Project, actor: str, new_target: date, reason: str | None, today: date,
    now: datetime, held_days: int, slip_days: int | None,
) -> TargetChange:  # fmt: skip
    require_open(project)
    require_owner(project, actor, "change the target date")
    if new_target < today:
        raise TargetInPast(new_target)
    if new_target == project.target_date:
        raise SameTarget(new_target)
    assert project.id is not None
    old = project.target_date
    deciders = deciders_of(session, project)
    if deciders.owner_decides:  # no approvers: the owner's change takes effect at once
        project.target_date, project.slip_alerted = new_target, None
        project.updated_at = now
        session.add(project)
        baseline = Baseline(
            team_id=project.team_id, project_id=project.id, target_date=new_target, reason=reason, agreed_by=actor,
            agreed_at=now,
        )  # fmt: skip
        session.add(baseline)
        audit_project(session, project, actor=actor, action="target.changed", now=now, old=old, new=new_target, reason=reason)
        return TargetChange(old, new_target, baseline, None, None)
    replaced = session.exec(
        select(Proposal).where(Proposal.project_id == project.id, Proposal.state == ProposalState.PENDING.value)
    ).first()
    if replaced is not None:
        replaced.state, replaced.refresh_due_at = ProposalState.SUPERSEDED.value, now
        session.add(replaced)
        session.flush()
    proposal = Proposal(
        team_id=project.team_id, project_id=project.id, old_target=old, new_target=new_target, reason=reason,
        slip_days=slip_days, held_days=held_days, proposed_by=actor, proposed_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(proposal)
            session.flush()
    except IntegrityError:  # another `due` at the same moment: one proposal waits per project
        raise ProposedJustNow() from None
    audit_project(session, project, actor=actor, action="target.proposed", now=now, old=old, new=new_target, reason=reason)
    return TargetChange(old, new_target, None, proposal, replaced)


def proposal_by_id(session: Session, *, team_id: str, proposal_id: int) -> tuple[Proposal, Project]:
    row = session.exec(
        select(Proposal, Project)
        .join(Project, col(Project.id) == col(Proposal.project_id))
        .where(Proposal.id == proposal_id, Proposal.team_id == team_id)
    ).first()
    if row is None:
        raise ProposalGone()
    return row


def check_may_decide(session: Session, *, proposal: Proposal, project: Project, actor: str) -> None:
    deciders = deciders_of(session, project)
    if actor not in deciders.user_ids:
        raise NotProposalDecider(deciders.user_ids)
    if proposal.state != ProposalState.PENDING:
        raise ProposalDecided(proposal.state, proposal.decided_by)
    require_open(project)


def decide_proposal(
    session: Session, *, team_id: str, proposal_id: int, actor: str, accept: bool, comment: str | None, now: datetime
) -> Proposal:
    """Accept (the target moves, a baseline is kept) or ask to discuss it: one outcome, however
    many clicks — the conditional update from pending decides who was first."""
    proposal, project = proposal_by_id(session, team_id=team_id, proposal_id=proposal_id)
    check_may_decide(session, proposal=proposal, project=project, actor=actor)
    state = ProposalState.ACCEPTED if accept else ProposalState.DISCUSS
    result = session.execute(
        update(Proposal)
        .where(col(Proposal.id) == proposal_id, col(Proposal.state) == ProposalState.PENDING.value)
        .values(state=state.value, decided_by=actor, decided_at=now, comment=comment, refresh_due_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        session.rollback()
        proposal, _ = proposal_by_id(session, team_id=team_id, proposal_id=proposal_id)
        raise ProposalDecided(proposal.state, proposal.decided_by)
    session.refresh(proposal)
    if accept:
        project.target_date, project.slip_alerted = proposal.new_target, None
        project.updated_at = now
        session.add(project)
        session.add(
            Baseline(
                team_id=team_id,
                project_id=proposal.project_id,
                target_date=proposal.new_target,
                reason=proposal.reason,
                agreed_by=actor,
                agreed_at=now,
                proposal_id=proposal.id,
            )  # fmt: skip
        )
    audit_project(session, project, actor=actor, action=f"target.{state.value}", now=now, proposal=proposal_id, comment=comment)
    return proposal


def pending_proposal(session: Session, project: Project) -> Proposal | None:
    return session.exec(
        select(Proposal).where(Proposal.project_id == project.id, Proposal.state == ProposalState.PENDING.value)
    ).first()


# --- client-held time ------------------------------------------------------------------------


def held_days(spans: Iterable[tuple[date, date]], work_days: frozenset[int]) -> int:
    """Working days on which at least one hold was active; `spans` are [first day, last day].
    Overlapping holds count once.

    >>> held_days([(date(2026, 11, 23), date(2026, 11, 25)), (date(2026, 11, 25), date(2026, 11, 30))], frozenset(range(5)))
    6
    """
    days: set[date] = set()
    for first, last in spans:
        day = first
        while day <= last:
            if is_working_day(day, work_days):
                days.add(day)
            day += timedelta(days=1)
    return len(days)


def client_hold_spans(
    session: Session, project: Project, *, today: date, steps: Sequence[Step] | None = None
) -> list[tuple[date, date]]:
    """Every stretch the project waited on the client, as [first held day, last held day]:
    deliverables pending their decision, steps marked `wait … client`, and steps assigned to a
    client left overdue. A hold counts from the working day after it began (one that began today
    counts nothing yet) up to the day it ended, or today while it lasts — the way `waited` and a
    step's lateness count. `steps`: the project's steps when the caller has them already."""
    zone = ZoneInfo(project.tz)

    def tz_date(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    spans: list[tuple[date, date]] = []
    # One round trip for both kinds of waiting: (start, end, still open when no end).
    deliverables = (
        select(Deliverable.submitted_at, Decision.decided_at, col(Deliverable.state) == "pending")
        .join(Decision, col(Decision.deliverable_id) == col(Deliverable.id), isouter=True)
        .where(Deliverable.project_id == project.id)
    )
    holds = select(Hold.started_at, Hold.ended_at, true()).where(Hold.project_id == project.id)
    for start, end, open_ in session.execute(union_all(deliverables, holds)):
        if end is not None:
            spans.append((tz_date(start) + timedelta(days=1), tz_date(end)))
        elif open_:
            spans.append((tz_date(start) + timedelta(days=1), today))
    if steps is None:
        steps = list(session.exec(select(Step).where(Step.project_id == project.id)))
    steps = [s for s in steps if s.removed_at is None]
    assignees = {s.assignee_id for s in steps if s.assignee_id}
    clients = set(client_contacts(session, project)) | known_clients(session, team_id=project.team_id, user_ids=assignees)
    for s in steps:
        if s.assignee_id in clients and s.due_date is not None:  # late from the day after it was due
            spans.append((s.due_date + timedelta(days=1), tz_date(s.done_at) if s.done_at else today))
    return [(first, min(last, today)) for first, last in spans if first <= min(last, today)]


def client_held_days(
    session: Session, project: Project, *, today: date, work_days: frozenset[int], steps: Sequence[Step] | None = None
) -> int:
    """The working days the client held the project up: the one count the card, the proposal, the
    slip alert and the report all show."""
    return held_days(client_hold_spans(session, project, today=today, steps=steps), work_days)


# --- slip alerts -----------------------------------------------------------------------------
