"""Who is owed which reminder today, and whether now is the hour: pure functions of what `load`
read, the people's time zones and a clock. One function per kind of reminder.

    candidates = plan(world, team_id="T1", zones={"U1": "Europe/Paris"}, clock=Clock(settings, now))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.core.dates import is_working_day, next_working_day, previous_working_day, working_days_between
from bot.core.reminders.model import (
    ASSIGNEE,
    CHASE,
    DIGEST,
    ESCALATION,
    UNREACHABLE,
    Candidate,
    DueStep,
    Outgoing,
    Owed,
    PassReport,
    WaitingDeliverable,
    WaitingProposal,
    World,
    in_dm_order,
)
from bot.settings import Settings


@dataclass(frozen=True)
class Clock:
    """Local time for people and projects, and the working hours they may be reached in."""

    settings: Settings
    now: datetime

    def today(self, tz: str) -> date:
        return self.now.astimezone(ZoneInfo(tz)).date()

    def working_hours(self, tz: str) -> bool:
        local = self.now.astimezone(ZoneInfo(tz))
        s = self.settings
        return is_working_day(local.date(), s.work_days) and s.work_start <= local.time().replace(tzinfo=None) < s.work_end

    def nudge_hour(self, tz: str) -> bool:
        """The digest's window: from NUDGE_TIME to the end of the working day."""
        local = self.now.astimezone(ZoneInfo(tz))
        s = self.settings
        return is_working_day(local.date(), s.work_days) and s.nudge_time <= local.time().replace(tzinfo=None) < s.work_end


def active(step: DueStep, today: date) -> bool:
    """Not snoozed past `today`."""
    return step.snoozed_until is None or step.snoozed_until <= today


def plan(world: World, *, team_id: str, zones: dict[str, str], clock: Clock) -> list[Candidate]:
    """Every reminder someone could get today. People whose time zone is unknown right now (Slack
    unreachable, never seen) are left for a later pass."""
    return [
        *assignee_dms(world.steps, team_id=team_id, zones=zones, clock=clock),
        *digests(world.steps, clock=clock),
        *escalations(world.steps, team_id=team_id, zones=zones, clock=clock),
        *chases(world.waiting, team_id=team_id, zones=zones, clock=clock, proposals=world.proposals),
        *reports(world.owed, world.project_names, zones=zones, clock=clock),
    ]


def assignee_dms(steps: Iterable[DueStep], *, team_id: str, zones: dict[str, str], clock: Clock) -> list[Candidate]:
    """Everything due by the person's next working day; owed when something is overdue, due before
    the next working day is over ("due tomorrow", or Monday's seen on Friday), or due today without
    having been in a DM since the last working day (added after yesterday's or today's DM)."""
    work_days = clock.settings.work_days
    mine: dict[str, list[DueStep]] = defaultdict(list)
    for step in steps:
        if step.assignee_id:
            mine[step.assignee_id].append(step)
    found = []
    for user, theirs in mine.items():
        if user not in zones:
            continue
        tz = zones[user]
        today = clock.today(tz)
        horizon = next_working_day(today, work_days)
        listed = [s for s in theirs if s.due_date <= horizon and active(s, today)]
        if not listed:
            continue
        reminded_since = previous_working_day(today, work_days)
        triggered = any(s.due_date != today or s.reminded_on is None or s.reminded_on < reminded_since for s in listed)
        slot = f"{ASSIGNEE}:{team_id}:{user}"
        out = Outgoing(
            key=f"{slot}:{today.isoformat()}", kind=ASSIGNEE, recipient=user, project_id=listed[0].project_id, tz=tz,
            steps=tuple(in_dm_order(listed)), report_to=tuple(sorted({s.owner_id for s in listed} - {user})),
            reminds_on=today,
        )  # fmt: skip
        found.append(Candidate(out, slot, triggered, clock.working_hours(tz)))
    return found


def digests(steps: Iterable[DueStep], *, clock: Clock) -> list[Candidate]:
    """One overdue digest per project and working day, in the project's time zone, where its
    team-only posts go (never a channel a client reads)."""
    by_project: dict[int, list[DueStep]] = defaultdict(list)
    for step in steps:
        by_project[step.project_id].append(step)
    found = []
    for project_id, theirs in by_project.items():
        tz = theirs[0].project_tz
        today = clock.today(tz)
        overdue = [s for s in theirs if s.due_date < today and active(s, today)]
        if not overdue:
            continue
        where = overdue[0].digest_to or overdue[0].channel_id
        slot = f"{DIGEST}:{project_id}"  # once a day wherever it goes, even if the internal channel changes
        out = Outgoing(
            key=f"{slot}:{today.isoformat()}", kind=DIGEST, recipient=where, project_id=project_id, tz=tz,
            steps=tuple(sorted(overdue, key=lambda s: (s.due_date, s.number))), report_to=(overdue[0].owner_id,),
        )  # fmt: skip
        found.append(Candidate(out, slot, True, clock.nudge_hour(tz)))
    return found


def escalations(steps: Iterable[DueStep], *, team_id: str, zones: dict[str, str], clock: Clock) -> list[Candidate]:
    """Steps overdue more than ESCALATE_AFTER_DAYS of the owner's working days: a key per step,
    one DM per owner (their keys share a batch)."""
    settings = clock.settings
    found = []
    for step in steps:
        tz = zones.get(step.owner_id)
        if tz is None:
            continue
        today = clock.today(tz)
        if working_days_between(step.due_date, today, settings.work_days) <= settings.escalate_after_days:
            continue
        if not active(step, today):
            continue
        key = f"{ESCALATION}:{step.step_id}:{step.owner_id}:{step.due_date.isoformat()}"
        out = Outgoing(
            key=key, kind=ESCALATION, recipient=step.owner_id, project_id=step.project_id, tz=tz, steps=(step,),
            batch=f"{ESCALATION}:{team_id}:{step.owner_id}",
        )  # fmt: skip
        found.append(Candidate(out, key, True, clock.working_hours(tz)))
    return found


def chases(
    waiting: Iterable[tuple[WaitingDeliverable, tuple[str, ...]]], *, team_id: str, zones: dict[str, str], clock: Clock,
    proposals: Iterable[tuple[WaitingProposal, tuple[str, ...]]] = (),
) -> list[Candidate]:  # fmt: skip
    """One DM per approver a working day, listing the deliverables and date-change proposals that
    waited more than APPROVAL_CHASE_DAYS for their decision."""
    settings = clock.settings
    chased: dict[str, list[WaitingDeliverable]] = defaultdict(list)
    dates: dict[str, list[WaitingProposal]] = defaultdict(list)
    for deliverable, approvers in waiting:
        for user in approvers:
            chased[user].append(deliverable)
    for proposal, approvers in proposals:
        for user in approvers:
            dates[user].append(proposal)
    found = []
    for user in [*chased, *(u for u in dates if u not in chased)]:
        if user not in zones:
            continue
        tz = zones[user]
        today = clock.today(tz)
        late = [d for d in chased.get(user, ()) if waited(d, tz, today, settings.work_days) > settings.approval_chase_days]
        late_dates = [
            p
            for p in dates.get(user, ())
            if waited_since(p.proposed_at, tz, today, settings.work_days) > settings.approval_chase_days
        ]
        if not late and not late_dates:
            continue
        slot = f"{CHASE}:{team_id}:{user}"
        owners = {d.owner_id for d in late} | {p.owner_id for p in late_dates}
        out = Outgoing(
            key=f"{slot}:{today.isoformat()}", kind=CHASE, recipient=user,
            project_id=late[0].project_id if late else late_dates[0].project_id, tz=tz,
            waiting=tuple(sorted(late, key=lambda d: d.submitted_at)),
            proposals=tuple(sorted(late_dates, key=lambda p: p.proposed_at)),
            report_to=tuple(sorted(owners - {user})),
        )  # fmt: skip
        found.append(Candidate(out, slot, True, clock.working_hours(tz)))
    return found


def reports(owed: Iterable[Owed], names: dict[int, str], *, zones: dict[str, str], clock: Clock) -> list[Candidate]:
    """Telling owners that Slack refused someone for good: owed rows an earlier pass wrote."""
    found = []
    for row in owed:
        if row.kind != UNREACHABLE or row.recipient not in zones:
            continue
        _, who, _owner, error = row.key.split(":", 3)
        out = Outgoing(
            key=row.key, kind=UNREACHABLE, recipient=row.recipient, project_id=row.project_id, tz=zones[row.recipient],
            about=(who, error, names.get(row.project_id or 0)),
        )  # fmt: skip
        found.append(Candidate(out, row.key, True, clock.working_hours(zones[row.recipient])))
    return found


def waited(deliverable: WaitingDeliverable, tz: str, today: date, work_days: frozenset[int]) -> int:
    """Working days a deliverable has waited, in the reader's time zone."""
    return waited_since(deliverable.submitted_at, tz, today, work_days)


def waited_since(moment: datetime, tz: str, today: date, work_days: frozenset[int]) -> int:
    """Working days since `moment` (a submission, a proposal), in the reader's time zone."""
    return working_days_between(moment.astimezone(ZoneInfo(tz)).date(), today, work_days)


def due_now(
    candidates: Iterable[Candidate], owed: Iterable[Owed], report: PassReport, *, unknown: Collection[str] = ()
) -> tuple[list[Outgoing], list[str]]:
    """What to send in this pass, and the older keys that need no message any more.

    An older reminder still owed (Slack failed yesterday, or its sender died) goes out in its
    recipient's working hours with today's content; if today's reminder of the same kind goes out
    anyway, or nothing is left to say, it is marked superseded instead of sending twice. A row for
    someone whose time zone is `unknown` this pass waits for a pass that knows it.
    """
    candidates = list(candidates)
    fresh = {c.outgoing.key: c.outgoing for c in candidates if c.triggered and c.in_window}
    held = {c.slot for c in candidates if c.triggered and not c.in_window}
    by_slot = {c.slot: c for c in candidates}
    obsolete: list[str] = []
    for row in owed:
        if row.key in fresh:
            continue
        slot = row.key if row.kind in (ESCALATION, UNREACHABLE) else row.key.rsplit(":", 1)[0]
        candidate = by_slot.get(slot)
        if candidate is None and row.recipient in unknown:
            continue  # not planned because we can't place them in time yet, not because nothing is owed
        if candidate is None:
            obsolete.append(row.key)  # done, closed, decided, snoozed: nothing left to remind
        elif not candidate.in_window:
            held.add(slot)  # waits for their working hours
            continue
        elif candidate.triggered and candidate.outgoing.key != row.key:
            obsolete.append(row.key)  # today's reminder of the same kind carries it
        else:
            fresh[row.key] = replace(candidate.outgoing, key=row.key)
    report.held_outside_hours += len(held)
    return list(fresh.values()), obsolete
