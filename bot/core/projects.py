"""The domain core: projects, steps, approvers, stages. Plain Python over a session; no Slack.

Every function takes the workspace's `team_id` and only ever sees that workspace's rows.
Refusals raise `UserError` before anything is written, so a refused command changes nothing.

    project = find_project(session, team_id="T1", channel_id="C1", name=None)
    step = add_step(session, project=project, actor="U1", title="Brief", assignee_id=None,
                    due_date=None, now=utcnow())
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from bot.core.errors import UserError
from bot.core.status import Health, Status, forecast_date, project_health, slip, summarize
from bot.core.text import cut, escape, mention
from storage.models import (
    Approver,
    AuditEvent,
    Deliverable,
    DeliverableState,
    Project,
    Stage,
    Step,
)


def local_today(tz: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def audit(
    session: Session, *, team_id: str, project_id: int | None, actor: str, action: str, now: datetime, **detail: object
) -> None:
    session.add(
        AuditEvent(
            team_id=team_id,
            project_id=project_id,
            actor_id=actor,
            action=action,
            detail=json.dumps(detail, default=str, sort_keys=True),
            at=now,
        )
    )


def audit_project(session: Session, project: Project, *, actor: str, action: str, now: datetime, **detail: object) -> None:
    audit(session, team_id=project.team_id, project_id=project.id, actor=actor, action=action, now=now, **detail)


# --- finding -----------------------------------------------------------------------------


def project_in_channel(session: Session, *, team_id: str, channel_id: str, include_closed: bool = False) -> Project | None:
    """The channel's open project; with `include_closed`, else the one closed most recently."""
    query = select(Project).where(Project.team_id == team_id, Project.channel_id == channel_id)
    if not include_closed:
        query = query.where(col(Project.closed_at).is_(None))
    # Open first (NULL closed_at), then the latest closed.
    return session.exec(query.order_by(col(Project.closed_at).is_(None).desc(), col(Project.closed_at).desc())).first()


def project_named(session: Session, *, team_id: str, name: str) -> Project | None:
    return session.exec(select(Project).where(Project.team_id == team_id, Project.name_key == name_key(name))).first()


def find_project(session: Session, *, team_id: str, channel_id: str, name: str | None) -> Project:
    """The project named, or else the one linked to this channel; a friendly refusal otherwise."""
    if name:
        project = project_named(session, team_id=team_id, name=name)
        if project is None:
            raise UserError(f"I can't find a project called *{escape(name)}*. `/project list all` shows every project.")
        return project
    project = project_in_channel(session, team_id=team_id, channel_id=channel_id, include_closed=True)
    if project is None:
        raise UserError(
            "This channel has no project yet. Create one here with `/project new <name>`, "
            'or name a project, e.g. `/project status "Acme website"`.'
        )
    return project


def name_key(name: str, limit: int = 80) -> str:
    """What makes two names the same: case and spacing ignored. Cut to its column's length,
    since casefold() can lengthen text ("ß" → "ss")."""
    return " ".join(name.split()).casefold()[:limit]


def require_owner(project: Project, actor: str, what: str) -> None:
    if actor != project.owner_id:
        raise UserError(f"Only the project owner, {mention(project.owner_id)}, can {what}.")


def require_open(project: Project) -> None:
    if project.closed_at is not None:
        raise UserError(f"*{escape(project.name)}* is closed; it can't be changed any more.")


def steps_of(session: Session, project: Project) -> list[Step]:
    return list(session.exec(select(Step).where(Step.project_id == project.id).order_by(Step.number)))


def step_numbered(session: Session, project: Project, number: int) -> Step:
    step = session.exec(select(Step).where(Step.project_id == project.id, Step.number == number)).first()
    if step is None:
        count = session.exec(select(func.count()).select_from(Step).where(Step.project_id == project.id)).one()
        hint = f"Steps go from #1 to #{count}." if count else "It has no steps yet: add one with `/project step add <title>`."
        raise UserError(f"*{escape(project.name)}* has no step #{number}. {hint}")
    return step


def approver_ids(session: Session, project: Project) -> list[str]:
    rows = session.exec(select(Approver.user_id).where(Approver.project_id == project.id).order_by(Approver.id))
    return list(rows)


# --- projects ----------------------------------------------------------------------------


def create_project(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    owner_id: str,
    name: str,
    client: str | None,
    target_date: date | None,
    tz: str,
    now: datetime,
    budget_hours: float | None = None,
    approvers: Sequence[str] = (),
) -> Project:
    check_new_project(session, team_id=team_id, channel_id=channel_id, name=name)
    today = local_today(tz, now)
    project = Project(
        team_id=team_id,
        name=name,
        name_key=name_key(name),
        client=client,
        channel_id=channel_id,
        owner_id=owner_id,
        stage=Stage.INITIATION.value,
        start_date=today,
        target_date=target_date,
        budget_hours=budget_hours,
        tz=tz,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    try:
        session.flush()  # a concurrent `new` with the same name or channel loses here
    except IntegrityError:
        session.rollback()
        check_new_project(session, team_id=team_id, channel_id=channel_id, name=name)
        raise
    for user_id in dict.fromkeys(approvers):
        session.add(Approver(team_id=team_id, project_id=project.id, user_id=user_id, added_by=owner_id, added_at=now))
    audit(
        session, team_id=team_id, project_id=project.id, actor=owner_id, action="project.created", now=now,
        name=name, client=client, target_date=target_date, approvers=list(approvers),
    )  # fmt: skip
    return project


def check_new_project(session: Session, *, team_id: str, channel_id: str, name: str) -> None:
    if channel_id.startswith("D"):
        raise UserError("A project lives in a channel its team shares. Run `/project new` in that channel, not in a DM.")
    linked = project_in_channel(session, team_id=team_id, channel_id=channel_id)
    if linked is not None:
        raise UserError(
            f"This channel already runs *{escape(linked.name)}*: one project per channel. "
            "Create the new project in its own channel."
        )
    if project_named(session, team_id=team_id, name=name) is not None:
        raise UserError(f"There is already a project called *{escape(name)}*. Pick another name.")


def move_stage(
    session: Session, *, project: Project, actor: str, target: Stage | None, force: bool, now: datetime
) -> tuple[Stage, Stage, list[Deliverable]]:
    """Move to `target` (None → the next stage). The current stage's deliverables gate a move
    forward; returns (old, new, the waiting deliverables `force` overrode)."""
    require_open(project)
    require_owner(project, actor, "change the stage")
    current = Stage(project.stage)
    new = target or current.next
    if new is None:
        raise UserError(f"*{escape(project.name)}* is already in the last stage, Closure. `/project close` closes it.")
    if new == current:
        raise UserError(f"*{escape(project.name)}* is already in {current.label}.")
    forward = new.order > current.order
    waiting = gate_blockers(session, project=project, stage=current) if forward else []
    if waiting and not force:
        lines = "\n".join(f"• {escape(cut(d.title, 150))} v{d.version}: {d.state}" for d in waiting[:10])
        more = f"\n…and {len(waiting) - 10} more" if len(waiting) > 10 else ""
        again = "/project stage next --force" if target is None else f"/project stage {new.value} --force"
        raise UserError(
            f"{current.label} can't close yet: these deliverables need the client's approval first:\n"
            f"{lines}{more}\nThe owner can override with `{again}`."
        )
    project.stage = new.value
    project.updated_at = now
    session.add(project)
    audit_project(session, project, actor=actor, now=now,
        action="stage.forced" if waiting else "stage.changed",
        old=current.value, new=new.value, overridden=[d.id for d in waiting],
    )  # fmt: skip
    return current, new, waiting


def gate_blockers(session: Session, *, project: Project, stage: Stage) -> list[Deliverable]:
    """Deliverables of `stage` whose latest version is not approved."""
    rows = session.exec(
        select(Deliverable)
        .where(
            Deliverable.project_id == project.id,
            Deliverable.stage == stage.value,
            Deliverable.state.in_([DeliverableState.PENDING.value, DeliverableState.REJECTED.value]),  # type: ignore[attr-defined]
        )
        .order_by(Deliverable.submitted_at)
    )
    return list(rows)


def close_project(session: Session, *, project: Project, actor: str, now: datetime) -> None:
    require_open(project)
    require_owner(project, actor, "close the project")
    project.closed_at = now
    project.updated_at = now
    session.add(project)
    audit_project(session, project, actor=actor, action="project.closed", now=now)


def hand_over(session: Session, *, project: Project, actor: str, new_owner: str, now: datetime) -> None:
    require_open(project)
    require_owner(project, actor, "hand the project over")
    if new_owner == project.owner_id:
        raise UserError(f"{mention(new_owner)} already owns *{escape(project.name)}*.")
    old = project.owner_id
    project.owner_id = new_owner
    project.updated_at = now
    session.add(project)
    audit_project(
        session,
        project,
        actor=actor,
        action="owner.changed",
        now=now,
        old=old,
        new=new_owner,
    )


def set_budget(session: Session, *, project: Project, actor: str, hours: float, now: datetime) -> None:
    require_open(project)
    require_owner(project, actor, "set the budget")
    old = project.budget_hours
    project.budget_hours = hours
    project.updated_at = now
    session.add(project)
    audit_project(session, project, actor=actor, action="budget.set", now=now, old=old, new=hours)


def log_hours(session: Session, *, project: Project, actor: str, hours: float, now: datetime) -> None:
    require_open(project)
    project.hours_used = round((project.hours_used or 0) + hours, 2)
    project.updated_at = now
    session.add(project)
    audit_project(session, project, actor=actor, action="hours.logged", now=now, hours=hours)


# --- approvers ---------------------------------------------------------------------------


def add_approvers(
    session: Session, *, project: Project, actor: str, user_ids: Sequence[str], now: datetime
) -> tuple[list[str], list[str]]:
    """Returns (added, already approvers)."""
    require_open(project)
    require_owner(project, actor, "choose approvers")
    existing = set(approver_ids(session, project))
    added = [u for u in user_ids if u not in existing]
    for user_id in added:
        session.add(Approver(team_id=project.team_id, project_id=project.id, user_id=user_id, added_by=actor, added_at=now))
        audit_project(session, project, actor=actor, action="approver.added", now=now, user=user_id)
    return added, [u for u in user_ids if u in existing]


def remove_approvers(session: Session, *, project: Project, actor: str, user_ids: Sequence[str], now: datetime) -> list[str]:
    require_open(project)
    require_owner(project, actor, "choose approvers")
    rows = list(session.exec(select(Approver).where(Approver.project_id == project.id, Approver.user_id.in_(user_ids))))  # type: ignore[attr-defined]
    if not rows:
        who = ", ".join(mention(u) for u in user_ids)
        raise UserError(f"{who} {'is' if len(user_ids) == 1 else 'are'} not an approver of *{escape(project.name)}*.")
    for row in rows:
        session.delete(row)
        audit_project(
            session,
            project,
            actor=actor,
            action="approver.removed",
            now=now,
            user=row.user_id,
        )
    return [row.user_id for row in rows]


# --- steps -------------------------------------------------------------------------------


def add_step(
    session: Session,
    *,
    project: Project,
    actor: str,
    title: str,
    assignee_id: str | None,
    due_date: date | None,
    now: datetime,
) -> Step:
    require_open(project)
    # Lock the project row so people adding steps at the same moment queue for the next number
    # (PostgreSQL; SQLite's write transactions are serial already). The unique (project, number)
    # constraint stays the final guarantee.
    session.exec(select(Project.id).where(Project.id == project.id).with_for_update()).one()
    number = (session.exec(select(func.max(Step.number)).where(Step.project_id == project.id)).one() or 0) + 1
    step = Step(
        team_id=project.team_id,
        project_id=project.id,  # type: ignore[arg-type]
        number=number,
        title=title,
        stage=project.stage,
        assignee_id=assignee_id,
        due_date=due_date,
        created_by=actor,
        created_at=now,
    )
    session.add(step)
    session.flush()
    audit_project(session, project, actor=actor, action="step.added", now=now,
        step=number, title=title, assignee=assignee_id, due=due_date,
    )  # fmt: skip
    return step


def complete_steps(
    session: Session, *, project: Project, actor: str, numbers: Sequence[int], now: datetime
) -> tuple[list[Step], list[Step]]:
    """Mark steps done. Returns (newly done, already done). Unknown numbers refuse the whole command."""
    require_open(project)
    steps = [step_numbered(session, project, n) for n in numbers]
    done, already = [], []
    for step in steps:
        if step.done_at is not None:
            already.append(step)
            continue
        step.done_at, step.done_by = now, actor
        session.add(step)
        done.append(step)
        audit_project(session, project, actor=actor, action="step.done", now=now, step=step.number)
    return done, already


def reopen_steps(
    session: Session, *, project: Project, actor: str, numbers: Sequence[int], now: datetime
) -> tuple[list[Step], list[Step]]:
    require_open(project)
    steps = [step_numbered(session, project, n) for n in numbers]
    reopened, already = [], []
    for step in steps:
        if step.done_at is None:
            already.append(step)
            continue
        step.done_at, step.done_by = None, None
        session.add(step)
        reopened.append(step)
        audit_project(
            session,
            project,
            actor=actor,
            action="step.reopened",
            now=now,
            step=step.number,
        )
    return reopened, already


def assign_step(session: Session, *, project: Project, actor: str, number: int, assignee_id: str, now: datetime) -> Step:
    require_open(project)
    step = step_numbered(session, project, number)
    old = step.assignee_id
    step.assignee_id = assignee_id
    step.reminded_on = None  # the new assignee has never been reminded of it
    session.add(step)
    audit_project(
        session,
        project,
        actor=actor,
        action="step.assigned",
        now=now,
        step=number,
        old=old,
        new=assignee_id,
    )
    return step


def set_step_due(session: Session, *, project: Project, actor: str, number: int, due_date: date | None, now: datetime) -> Step:
    require_open(project)
    step = step_numbered(session, project, number)
    old = step.due_date
    step.due_date = due_date
    step.snoozed_until = step.reminded_on = None  # a new date starts the reminders afresh
    session.add(step)
    audit_project(
        session,
        project,
        actor=actor,
        action="step.due_changed",
        now=now,
        step=number,
        old=old,
        new=due_date,
    )
    return step


def step_for_button(session: Session, *, team_id: str, step_id: int, actor: str) -> tuple[Step, Project]:
    """The step a reminder button is about, if `actor` may act on it: its assignee or its project's owner."""
    row = session.exec(
        select(Step, Project).join(Project, col(Project.id) == Step.project_id).where(Step.id == step_id, Step.team_id == team_id)
    ).first()
    if row is None:
        raise UserError("That step no longer exists.")
    step, project = row
    if actor not in (step.assignee_id, project.owner_id):
        who = f"{mention(step.assignee_id)} (its assignee) or " if step.assignee_id else ""
        raise UserError(f"Only {who}{mention(project.owner_id)} (the project owner) can change step #{step.number}.")
    return step, project


def snooze_step(session: Session, *, step: Step, project: Project, actor: str, until: date, now: datetime) -> None:
    """Leave the step out of reminders until `until` (the assignee's next working day)."""
    require_open(project)
    if step.done_at is not None:
        raise UserError(f"Step #{step.number} is already done.")
    step.snoozed_until = until
    session.add(step)
    audit_project(session, project, actor=actor, action="step.snoozed", now=now, step=step.number, until=until)


# --- where projects stand ----------------------------------------------------------------


def status_of(session: Session, project: Project, now: datetime) -> Status:
    """The numbers of the status card, in the project's local today."""
    waiting = session.exec(
        select(Deliverable).where(Deliverable.project_id == project.id, Deliverable.state == DeliverableState.PENDING.value)
    ).all()
    return summarize(project, steps_of(session, project), waiting, local_today(project.tz, now))


def overview(
    session: Session, *, team_id: str, user_id: str, scope: str, now: datetime, limit: int
) -> tuple[list[tuple[Project, Health, date | None]], int]:
    """`/project list`: up to `limit` (project, health, next date) rows by name, and how many match.

    Scopes: "open" (default), "all" (closed too), "mine" (owned, approving or with open steps of
    `user_id`), "overdue" (open projects with an overdue step).
    """
    query = select(Project).where(Project.team_id == team_id)
    if scope != "all":
        query = query.where(col(Project.closed_at).is_(None))
    if scope == "mine":
        assigned = select(Step.project_id).where(
            Step.team_id == team_id, Step.assignee_id == user_id, col(Step.done_at).is_(None)
        )
        approving = select(Approver.project_id).where(Approver.team_id == team_id, Approver.user_id == user_id)
        query = query.where(or_(Project.owner_id == user_id, col(Project.id).in_(assigned), col(Project.id).in_(approving)))
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
    open_step = col(Step.done_at).is_(None)
    rows = session.exec(
        select(Step.project_id, func.min(case((open_step, Step.due_date))), func.max(case((open_step, Step.due_date))))
        .where(col(Step.project_id).in_(project_ids))
        .group_by(Step.project_id)
    ).all()
    return {pid: (first, last) for pid, first, last in rows}
