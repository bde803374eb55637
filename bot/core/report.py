"""The project report's facts, read in one go: stages with their dates, every agreed target and
the slip, the days the client held the project up, each deliverable's rounds, hours against the
budget (every budget, every time entry), every date proposal and its outcome, the steps, and the
latest close's debrief and sign-offs. Slack-free; `bot.messages.report`
writes it out.

    found = project_report(session, project=project, now=utcnow(), work_days=settings.work_days)
    found.slip_days, found.held_days, [len(d.rounds) for d in found.deliverables]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.core.approvals import deciders_of
from bot.core.audience import team_only_place
from bot.core.hours import budget_history, time_entries
from bot.core.overview import plan_of, status_of
from bot.core.projects import local_today
from bot.core.signoff import latest_closing
from bot.core.status import WEEKDAYS, burn_percent, progress_percent, slip
from bot.core.steps import steps_of
from bot.core.targets import baselines_of
from storage.hours import BudgetChange, TimeEntry
from storage.models import (
    AuditEvent,
    Baseline,
    Closing,
    Decision,
    Deliverable,
    Hold,
    Project,
    Proposal,
    Signoff,
    Stage,
    Step,
)

STAGE_MOVES = ("stage.changed", "stage.forced")  # the audit actions of `stage`, with old and new in the detail


@dataclass(frozen=True)
class StagePeriod:
    """A stretch the project spent in one stage (a stage moved back to has more than one)."""

    stage: Stage
    started: date
    ended: date | None  # None: the project is still in it


@dataclass(frozen=True)
class Round:
    """One version of a deliverable and the decision on it, if any."""

    deliverable: Deliverable
    decision: Decision | None


@dataclass(frozen=True)
class DeliverableRounds:
    title: str  # as its latest version names it
    rounds: list[Round]  # v1 first


@dataclass(frozen=True)
class ProjectReport:
    project: Project
    made_on: date  # the project-local day the report was made
    end: date  # the day the figures are taken at: the close, or today while open
    periods: list[StagePeriod]
    skipped: list[Stage]
    baselines: list[Baseline]  # every agreed target, first promise first
    proposals: list[Proposal]  # every date change put to the approvers, whatever became of it
    finish: date  # the close day, or the forecast while open
    slip_days: int | None  # working days `finish` lies past the current target
    first_slip_days: int | None  # … past the first promise
    held_days: int  # working days the client held the project up (overlaps once)
    holds: list[Hold]  # every `step wait … client`, with its reason, first first
    deliverables: list[DeliverableRounds]
    budgets: list[BudgetChange]  # every budget the project had, the original first
    entries: list[TimeEntry]  # every time entry, oldest first
    steps: list[Step]  # all of them, removed ones too, by number
    done: int
    total: int  # live steps (removed ones left the plan)
    closing: Closing | None  # the latest close
    signoffs: list[Signoff]  # of the latest close, in the order they came
    waiting_on: list[str]  # who may still confirm the latest close

    @property
    def first_promised(self) -> date | None:
        return self.baselines[0].target_date if self.baselines else None

    def approved_by(self, step: Step) -> str | None:
        """The approver whose decision on a deliverable `for:#n` completed `step` (its done-by
        stays the team member who delivered it); None when it was done otherwise."""
        rounds = [r for item in self.deliverables for r in item.rounds if r.deliverable.step_number == step.number]
        for decision in (r.decision for r in rounds):
            if decision is not None and decision.verdict == "approved" and decision.decided_at == step.done_at:
                return decision.approver_id
        return None

    @property
    def burn(self) -> int | None:
        return burn_percent(self.project)

    @property
    def progress(self) -> int:
        return progress_percent(self.done, self.total)


def project_report(session: Session, *, project: Project, now: datetime, work_days: frozenset[int] = WEEKDAYS) -> ProjectReport:
    """Everything the report says, as of now (a closed project's figures as of its close)."""
    assert project.id is not None
    steps = steps_of(session, project)
    closed = project.closed_at
    # The card's own math: held days and the forecast as the status card computes them, taken at
    # the close for a closed project (its final figures), else today.
    plan = plan_of(session, project, closed or now, work_days, steps)
    status = status_of(session, project, closed or now, work_days, steps)
    end = local_today(project.tz, closed) if closed else status.today
    finish = end if closed else status.forecast
    baselines = baselines_of(session, project)
    first = baselines[0].target_date if baselines else None
    closing = latest_closing(session, project_id=project.id)
    signoffs = (
        list(
            session.exec(
                select(Signoff).where(Signoff.closing_id == closing.id).order_by(col(Signoff.confirmed_at), col(Signoff.id))
            )
        )
        if closing is not None
        else []
    )
    done = {s.approver_id for s in signoffs}

    return ProjectReport(
        project=project,
        made_on=local_today(project.tz, now),
        end=end,
        periods=stage_periods(session, project, end=end),
        skipped=[Stage(s) for s in project.skipped_stages.split(",") if s],
        baselines=baselines,
        proposals=list(
            session.exec(select(Proposal).where(Proposal.project_id == project.id).order_by(col(Proposal.proposed_at)))
        ),
        finish=finish,
        slip_days=slip(finish, project.target_date, work_days),
        first_slip_days=slip(finish, first, work_days),
        held_days=plan.held_days,
        holds=list(session.exec(select(Hold).where(Hold.project_id == project.id).order_by(col(Hold.started_at), col(Hold.id)))),
        deliverables=deliverable_rounds(session, project),
        budgets=budget_history(session, project),
        entries=time_entries(session, project),
        steps=steps,
        done=status.done,
        total=status.total,
        closing=closing,
        signoffs=signoffs,
        # who may still confirm: the approvers, else the owner
        waiting_on=[u for u in deciders_of(session, project).user_ids if u not in done] if closing is not None else [],
    )


def stage_periods(session: Session, project: Project, *, end: date) -> list[StagePeriod]:
    """The stages in the order the project went through them, from its start and each audited move."""
    moves = session.exec(
        select(AuditEvent)
        .where(AuditEvent.project_id == project.id, col(AuditEvent.action).in_(STAGE_MOVES))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    periods: list[StagePeriod] = []
    stage, since = Stage.INITIATION, project.start_date
    for move in moves:
        try:
            new = Stage(json.loads(move.detail or "{}").get("new"))
        except (ValueError, TypeError):
            continue  # an unreadable audit line: the periods around it still hold
        moved_on = local_today(project.tz, move.at)
        periods.append(StagePeriod(stage, since, moved_on))
        stage, since = new, moved_on
    periods.append(StagePeriod(stage, since, end if project.closed_at is not None else None))
    return periods


def deliverable_rounds(session: Session, project: Project) -> list[DeliverableRounds]:
    """Each deliverable with its versions and their decisions, in the order first submitted."""
    rows = session.exec(
        select(Deliverable, Decision)
        .join(Decision, col(Decision.deliverable_id) == col(Deliverable.id), isouter=True)
        .where(Deliverable.project_id == project.id)
        .order_by(col(Deliverable.submitted_at), col(Deliverable.id))
    )
    by_title: dict[str, list[Round]] = {}
    for deliverable, decision in rows:
        by_title.setdefault(deliverable.title_key, []).append(Round(deliverable, decision))
    found = []
    for rounds in by_title.values():
        rounds.sort(key=lambda r: r.deliverable.version)
        found.append(DeliverableRounds(rounds[-1].deliverable.title, rounds))
    return found


def report_channel(session: Session, project: Project, *, asked_in: str) -> str | None:
    """Where the report goes: the channel it was asked in when that is the project's internal
    channel (where team-only posts go: no client reads it); None means the asker's DM."""
    place = team_only_place(session, project)
    return place.channel_id if not place.is_dm and place.channel_id == asked_in else None
