"""What a pass reads: the due steps, the waiting deliverables and the owed ledger rows, in a handful
of queries whose size follows what is due, not how many steps exist."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from bot.core.audience import client_contacts, known_clients, team_only_place
from bot.core.dates import next_working_day
from bot.core.reminders.model import DueStep, Owed, WaitingDeliverable, WaitingProposal, World
from bot.settings import Settings
from storage.ledger import OPEN_STATES
from storage.models import (
    Approver,
    ClientContact,
    Deliverable,
    DeliverableState,
    Project,
    Proposal,
    ProposalState,
    Reminder,
    Step,
)  # fmt: skip
from storage.team import TeamMember

_CHUNK = 500


def load(session: Session, *, team_id: str, now: datetime, settings: Settings) -> World:
    # The latest local date anywhere on Earth is UTC+14: nothing due after its next working day
    # can be owed a reminder today, so the step query reads only what is due (ix_step_open_due).
    horizon = next_working_day((now + timedelta(hours=14)).date(), settings.work_days)
    rows = session.exec(
        select(Step, Project)
        .join(Project, col(Project.id) == col(Step.project_id))
        .where(
            col(Step.done_at).is_(None),
            col(Step.removed_at).is_(None),  # removed steps left the plan, and its reminders
            col(Step.due_date).is_not(None),
            col(Step.due_date) <= horizon,
            col(Step.team_id) == team_id,
            col(Project.closed_at).is_(None),
        )
    ).all()
    projects = {project.id: project for _, project in rows}
    places = {pid: team_only_place(session, p).channel_id for pid, p in projects.items()}
    clients = _client_assignees(session, team_id, projects, {s.assignee_id for s, _ in rows if s.assignee_id})
    steps = [
        DueStep(
            step_id=_id(step.id),
            number=step.number,
            title=step.title,
            due_date=step.due_date or horizon,
            assignee_id=step.assignee_id,
            project_id=_id(project.id),
            project_name=project.name,
            channel_id=project.channel_id,
            owner_id=project.owner_id,
            project_tz=project.tz,
            snoozed_until=step.snoozed_until,
            reminded_on=step.reminded_on,
            digest_to=places.get(project.id),
            assignee_is_client=(project.id, step.assignee_id) in clients,
        )
        for step, project in rows
    ]
    world = World(steps, _waiting(session, team_id, now, settings), *_owed(session, team_id, now))
    world.proposals = _proposals(session, team_id, now, settings)
    return world


def unchecked_projects(
    session: Session, *, team_id: str, now: datetime, settings: Settings, older_than: datetime
) -> list[Project]:
    """Open projects with steps due soon whose channel Slack hasn't described since `older_than`:
    ask before planning, so a digest never goes where a client may read."""
    horizon = next_working_day((now + timedelta(hours=14)).date(), settings.work_days)
    due = select(Step.project_id).where(
        col(Step.team_id) == team_id, col(Step.done_at).is_(None), col(Step.removed_at).is_(None), col(Step.due_date) <= horizon
    )
    return list(
        session.exec(
            select(Project).where(
                col(Project.team_id) == team_id,
                col(Project.closed_at).is_(None),
                col(Project.id).in_(due),
                or_(col(Project.channel_checked_at).is_(None), col(Project.channel_checked_at) < older_than),
            )
        )
    )


def _client_assignees(
    session: Session, team_id: str, projects: dict[int | None, Project], assignees: set[str]
) -> set[tuple[int | None, str | None]]:
    """(project, assignee) pairs where the assignee is a client of that project, as far as is known:
    Slack says so (another organization, a guest), or they were named a client of any project of the
    workspace (as `is_named_client` rules), unless they own the project or its owner named them team."""
    org_clients = known_clients(session, team_id=team_id, user_ids=assignees)
    named = set(
        session.exec(
            select(ClientContact.user_id).where(ClientContact.team_id == team_id, col(ClientContact.user_id).in_(assignees))
        )
    )
    team = set(
        session.exec(
            select(TeamMember.project_id, TeamMember.user_id).where(
                col(TeamMember.project_id).in_(list(projects)), col(TeamMember.user_id).in_(named)
            )
        )
    ) if named else set()  # fmt: skip
    pairs: set[tuple[int | None, str | None]] = set()
    for pid, project in projects.items():
        contacts = set(client_contacts(session, project)) & assignees
        for user in org_clients | contacts | {u for u in named if u != project.owner_id and (pid, u) not in team}:
            pairs.add((pid, user))
    return pairs


def with_clients_known(session: Session, world: World, *, team_id: str) -> World:
    """The world again with who is a client decided from what Slack has said by now: a pass reads
    the steps before it asks Slack about people it has never seen, and someone unknown then must
    not be taken for staff (and named late) once Slack has said they are a client."""
    projects = {s.project_id: session.get(Project, s.project_id) for s in world.steps}
    known: dict[int | None, Project] = {pid: p for pid, p in projects.items() if p is not None}
    clients = _client_assignees(session, team_id, known, {s.assignee_id for s in world.steps if s.assignee_id})
    world.steps = [replace(s, assignee_is_client=(s.project_id, s.assignee_id) in clients) for s in world.steps]
    return world


def _waiting(
    session: Session, team_id: str, now: datetime, settings: Settings
) -> list[tuple[WaitingDeliverable, tuple[str, ...]]]:
    # Working days waited > N needs more than N calendar days: a cheap bound for the query.
    submitted_before = now - timedelta(days=settings.approval_chase_days)
    pending = session.exec(
        select(Deliverable, Project)
        .join(Project, col(Project.id) == col(Deliverable.project_id))
        .where(
            col(Deliverable.team_id) == team_id,
            col(Deliverable.state) == DeliverableState.PENDING.value,
            col(Deliverable.submitted_at) <= submitted_before,
            col(Project.closed_at).is_(None),
        )
    ).all()
    approvers: dict[int, list[str]] = defaultdict(list)
    project_ids = sorted({_id(project.id) for _, project in pending})
    for start in range(0, len(project_ids), _CHUNK):
        query = (
            select(Approver).where(col(Approver.project_id).in_(project_ids[start : start + _CHUNK])).order_by(col(Approver.id))
        )
        for approver in session.exec(query):
            approvers[approver.project_id].append(approver.user_id)
    return [
        (
            WaitingDeliverable(
                deliverable_id=_id(d.id),
                title=d.title,
                version=d.version,
                project_id=_id(p.id),
                project_name=p.name,
                channel_id=p.channel_id,
                owner_id=p.owner_id,
                submitted_at=d.submitted_at,
            ),  # fmt: skip
            tuple(approvers.get(_id(p.id), ())) or (p.owner_id,),
        )
        for d, p in pending
    ]


def _proposals(
    session: Session, team_id: str, now: datetime, settings: Settings
) -> list[tuple[WaitingProposal, tuple[str, ...]]]:
    """Date-change proposals waiting longer than a chase's bound, with who decides them (as deliverables)."""
    pending = session.exec(
        select(Proposal, Project)
        .join(Project, col(Project.id) == col(Proposal.project_id))
        .where(
            col(Proposal.team_id) == team_id,
            col(Proposal.state) == ProposalState.PENDING.value,
            col(Proposal.proposed_at) <= now - timedelta(days=settings.approval_chase_days),
            col(Project.closed_at).is_(None),
        )
    ).all()
    approvers: dict[int, list[str]] = defaultdict(list)
    project_ids = sorted({_id(project.id) for _, project in pending})
    if project_ids:
        for approver in session.exec(
            select(Approver).where(col(Approver.project_id).in_(project_ids)).order_by(col(Approver.id))
        ):
            approvers[approver.project_id].append(approver.user_id)
    return [
        (
            WaitingProposal(
                proposal_id=_id(p.id),
                project_id=_id(project.id),
                project_name=project.name,
                channel_id=project.channel_id,
                owner_id=project.owner_id,
                old_target=p.old_target,
                new_target=p.new_target,
                proposed_at=p.proposed_at,
                message=(p.channel_id, p.message_ts) if p.channel_id and p.message_ts else None,
            ),
            tuple(approvers.get(_id(project.id), ())) or (project.owner_id,),
        )  # fmt: skip
        for p, project in pending
    ]


def _owed(session: Session, team_id: str, now: datetime) -> tuple[list[Owed], dict[int, str]]:
    query = select(Reminder.key, Reminder.kind, Reminder.recipient, Reminder.project_id).where(
        col(Reminder.status).in_(OPEN_STATES), col(Reminder.next_attempt_at) <= now, col(Reminder.team_id) == team_id
    )
    owed = [Owed(key, kind, recipient, project_id) for key, kind, recipient, project_id in session.exec(query)]
    wanted = {row.project_id for row in owed if row.project_id}
    names: dict[int, str] = {}
    if wanted:
        names = {
            _id(pid): name for pid, name in session.exec(select(Project.id, Project.name).where(col(Project.id).in_(wanted)))
        }
    return owed, names


def _id(value: int | None) -> int:
    assert value is not None  # rows read from the database have their ids
    return value
