"""The reminder pass: who is owed which reminder right now, and sending each one exactly once.

    report = remind(services, client, utcnow())   # one pass; the scheduler runs one every REMINDER_INTERVAL

Every reminder has a key, `kind:subject:recipient:date`. A pass claims a key by inserting it (the
unique index decides which process sends), sends, then marks it sent. A claim expires, so a process
that dies between claiming and sending leaves the reminder to a later pass instead of losing it.

Keys, and so "once":
- `assignee:<team>:<user>:<user's local date>`: one DM a working day listing all their steps. Sending
  it stamps each step it shows with that date (`Step.reminded_on`), so a step added after the day's DM
  is still owed a reminder on its due day.
- `digest:<project>:<channel>:<project's local date>`: one overdue digest a working day.
- `chase:<team>:<approver>:<approver's local date>`: one DM a working day listing waiting deliverables.
- `escalation:<step>:<owner>:<due date>`: once per step and due date; moving the due date (or
  reopening a step after its date moved) can escalate again, a reopen alone does not. Each key is
  claimed on its own, and the keys one pass claims for an owner go out together as one DM.
- `unreachable:<who>:<owner>:<error>`: once ever, written when Slack refuses a reminder for good.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from threading import Event
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import and_, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from bot.core.dates import is_working_day, next_working_day, previous_working_day, working_days_between
from bot.messages.reminders import (
    DueStep,
    WaitingDeliverable,
    approver_chase,
    assignee_dm,
    channel_digest,
    escalation,
    shown_in_dm,
    unreachable_report,
)
from bot.messages.views import Message
from bot.services import Services
from bot.settings import Settings
from bot.slack.people import user_tzs
from storage.db import Database
from storage.models import Approver, Deliverable, DeliverableState, Project, Reminder, Step, utcnow

log = logging.getLogger(__name__)

ASSIGNEE, DIGEST, CHASE, ESCALATION, UNREACHABLE = "assignee", "digest", "chase", "escalation", "unreachable"
CLAIMED, SENT, RETRY, FAILED, SUPERSEDED = "claimed", "sent", "retry", "failed", "superseded"
OPEN_STATES = (CLAIMED, RETRY)  # rows that still owe a message

CLAIM_FOR = timedelta(minutes=5)  # far longer than one send; a dead claimer's key is free after it
RETRY_FIRST, RETRY_MAX = timedelta(minutes=1), timedelta(minutes=30)
# Slack will not take these for this recipient however often we try: record, tell the owner, stop.
PERMANENT_ERRORS = frozenset({"channel_not_found", "not_in_channel", "user_not_found", "account_inactive", "is_archived"})
_CHUNK = 500


@dataclass
class PassReport:
    """What one pass did; `python -m bot remind` prints it."""

    sent: int = 0
    deferred: int = 0  # Slack said "later" (429, 5xx, timeout): retried on a later pass
    failed: int = 0  # Slack refused for good: recorded and reported to the owner
    already: int = 0  # sent earlier, or being sent right now by another pass (maybe another process)
    superseded: int = 0  # an older reminder that a newer one (or nothing left to say) replaces
    waiting: int = 0  # an older reminder whose recipient is outside working hours now

    def __str__(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in vars(self).items())


# --- sending: per-channel pacing and Retry-After -------------------------------------------


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:g}s")
        self.retry_after = retry_after


class Outbox:
    """Posts the scheduler's messages from one process: at most one per second per channel, and
    after a 429 nothing at all until Slack's Retry-After has passed (the limit may be the method's).

    A short Retry-After is waited out and the post tried again; a long one raises RateLimited so the
    pass can hand the reminder to a later pass. `clock` and `sleep` are injectable for tests.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        min_gap: float = 1.0,
        max_wait: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.min_gap, self.max_wait = min_gap, max_wait
        self._clock, self._sleep = clock, sleep
        self._last: dict[str, float] = {}
        self._hold_until = 0.0
        self.stopping = Event()

    def post(self, channel: str, message: Message) -> SlackResponse:
        for attempt in range(3):
            self._wait_turn(channel)
            try:
                return self.client.chat_postMessage(channel=channel, **message)
            except SlackApiError as error:
                if error.response.status_code != 429:
                    raise
                retry_after = _retry_after(error.response)
                self._hold_until = self._clock() + retry_after
                if retry_after > self.max_wait or attempt == 2:
                    raise RateLimited(retry_after) from error
                log.info("Slack asked us to wait %gs before posting again", retry_after)
            finally:
                self._last[channel] = self._clock()
        raise AssertionError("unreachable")

    def _wait_turn(self, channel: str) -> None:
        """Wait for this channel's turn; a wait longer than `max_wait` (a long Retry-After still
        running) hands the message to a later pass rather than sitting on its claim."""
        last = self._last.get(channel)
        ready = max(self._hold_until, last + self.min_gap if last is not None else 0.0)
        wait = ready - self._clock()
        if wait > self.max_wait:
            raise RateLimited(wait)
        if wait > 0:
            self._sleep(wait)
        self._hold_until = 0.0  # honoured (a frozen test clock must not make us wait twice)


def _retry_after(response: SlackResponse) -> float:
    for name, value in (response.headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(float(value[0] if isinstance(value, list) else value), 1.0)
            except (TypeError, ValueError):
                break
    return 30.0


# --- what is owed --------------------------------------------------------------------------


@dataclass
class Outgoing:
    """One reminder to send now: its key, where it goes, and how to write it at send time."""

    key: str
    kind: str
    recipient: str  # a user id (a DM) or a channel id
    project_id: int | None
    build: Callable[[], Message]
    report_to: tuple[str, ...] = ()  # owners to tell if Slack refuses the recipient for good
    steps: tuple[DueStep, ...] = ()  # the steps it is about
    reminds_on: date | None = None  # when sent, stamp `steps` as reminded on this (the recipient's) date
    # Outgoings with the same batch that one pass claims go out as one message, `merge(their steps)`.
    batch: str | None = None
    merge: Callable[[Sequence[DueStep]], Message] | None = None


@dataclass
class Candidate:
    """A reminder someone could get today: `triggered` says it is owed, `in_window` that now is the hour."""

    outgoing: Outgoing
    slot: str  # the key without its date: the same reminder on another day
    triggered: bool
    in_window: bool


@dataclass
class World:
    """Everything a pass reads, in a handful of queries whose size follows what is due."""

    steps: list[DueStep]
    waiting: list[tuple[WaitingDeliverable, tuple[str, ...]]]  # with its approvers (the owner if none)
    owed: list[Reminder]  # retry rows now due, and claims that expired
    project_names: dict[int, str] = field(default_factory=dict)

    def people(self) -> set[str]:
        found = {s.assignee_id for s in self.steps if s.assignee_id} | {s.owner_id for s in self.steps}
        found |= {user for _, approvers in self.waiting for user in approvers}
        found |= {row.recipient for row in self.owed if row.kind != DIGEST}
        return found


def load(session: Session, *, team_id: str, now: datetime, settings: Settings) -> World:
    # The latest local date anywhere on Earth is UTC+14: nothing due after its next working day
    # can be owed a reminder today, so the step query reads only what is due (ix_step_open_due).
    horizon = next_working_day((now + timedelta(hours=14)).date(), settings.work_days)
    rows = session.exec(
        select(Step, Project)
        .join(Project, Project.id == Step.project_id)  # type: ignore[arg-type]
        .where(
            Step.done_at.is_(None),  # type: ignore[union-attr]
            Step.due_date.is_not(None),  # type: ignore[union-attr]
            Step.due_date <= horizon,  # type: ignore[operator]
            Step.team_id == team_id,
            Project.closed_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    steps = [
        DueStep(
            step_id=step.id,  # type: ignore[arg-type]
            number=step.number,
            title=step.title,
            due_date=step.due_date,  # type: ignore[arg-type]
            assignee_id=step.assignee_id,
            project_id=project.id,  # type: ignore[arg-type]
            project_name=project.name,
            channel_id=project.channel_id,
            owner_id=project.owner_id,
            project_tz=project.tz,
            snoozed_until=step.snoozed_until,
            reminded_on=step.reminded_on,
        )
        for step, project in rows
    ]
    # Working days waited > N needs more than N calendar days: a cheap bound for the query.
    submitted_before = now - timedelta(days=settings.approval_chase_days)
    pending = session.exec(
        select(Deliverable, Project)
        .join(Project, Project.id == Deliverable.project_id)  # type: ignore[arg-type]
        .where(
            Deliverable.team_id == team_id,
            Deliverable.state == DeliverableState.PENDING.value,
            Deliverable.submitted_at <= submitted_before,  # type: ignore[operator]
            Project.closed_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    approvers: dict[int, list[str]] = defaultdict(list)
    project_ids = sorted({project.id for _, project in pending})
    for start in range(0, len(project_ids), _CHUNK):
        query = select(Approver).where(Approver.project_id.in_(project_ids[start : start + _CHUNK])).order_by(Approver.id)  # type: ignore[attr-defined]
        for approver in session.exec(query):
            approvers[approver.project_id].append(approver.user_id)
    waiting = [
        (
            WaitingDeliverable(
                deliverable_id=d.id,  # type: ignore[arg-type]
                title=d.title,
                version=d.version,
                project_id=p.id,  # type: ignore[arg-type]
                project_name=p.name,
                channel_id=p.channel_id,
                owner_id=p.owner_id,
                submitted_at=d.submitted_at,
            ),
            tuple(approvers.get(p.id, ())) or (p.owner_id,),  # type: ignore[arg-type]
        )
        for d, p in pending
    ]
    owed = list(
        session.exec(
            select(Reminder).where(
                Reminder.status.in_(OPEN_STATES),  # type: ignore[attr-defined]
                Reminder.next_attempt_at <= now,  # type: ignore[operator]
                Reminder.team_id == team_id,
            )
        )
    )
    report_projects = {row.project_id for row in owed if row.kind == UNREACHABLE and row.project_id}
    names = {}
    if report_projects:
        names = dict(session.exec(select(Project.id, Project.name).where(Project.id.in_(report_projects))).all())  # type: ignore[union-attr]
    return World(steps, waiting, owed, names)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Clock:
    """Local time for people and projects, and the working hours they may be reached in.

    `now` is when the pass decides; `live()` is the moment a message is written, so words like
    "overdue by 2 days" are computed when it is sent.
    """

    settings: Settings
    now: datetime
    live: Callable[[], datetime] | None = None

    def today_live(self, tz: str) -> date:
        return (self.live() if self.live else self.now).astimezone(ZoneInfo(tz)).date()

    def local(self, tz: str) -> datetime:
        return self.now.astimezone(ZoneInfo(tz))

    def today(self, tz: str) -> date:
        return self.local(tz).date()

    def working_hours(self, tz: str) -> bool:
        local = self.local(tz)
        s = self.settings
        return is_working_day(local.date(), s.work_days) and s.work_start <= local.time().replace(tzinfo=None) < s.work_end

    def nudge_hour(self, tz: str) -> bool:
        """The channel digest's window: from NUDGE_TIME to the end of the working day."""
        local = self.local(tz)
        s = self.settings
        return is_working_day(local.date(), s.work_days) and s.nudge_time <= local.time().replace(tzinfo=None) < s.work_end


def plan(world: World, *, team_id: str, zones: dict[str, str], clock: Clock) -> list[Candidate]:
    """Every reminder someone could get today, from what `load` read. Pure: no database, no Slack.

    People whose time zone is unknown right now (Slack unreachable, never seen) are left for a later pass.
    """
    settings = clock.settings
    candidates: list[Candidate] = []
    work_days = settings.work_days

    def active(step: DueStep, today: date) -> bool:
        return step.snoozed_until is None or step.snoozed_until <= today

    # Assignee DMs: everything due by their next working day; owed when something is overdue, due
    # before the next working day is over ("due tomorrow", or Monday's seen on Friday), or due today
    # without having been in a DM since the last working day (added after yesterday's or today's DM).
    mine: dict[str, list[DueStep]] = defaultdict(list)
    for step in world.steps:
        if step.assignee_id:
            mine[step.assignee_id].append(step)
    for user, steps in mine.items():
        if user not in zones:
            continue
        tz = zones[user]
        today = clock.today(tz)
        horizon = next_working_day(today, work_days)
        listed = [s for s in steps if s.due_date <= horizon and active(s, today)]
        if not listed:
            continue
        reminded_since = previous_working_day(today, work_days)
        triggered = any(s.due_date != today or s.reminded_on is None or s.reminded_on < reminded_since for s in listed)
        slot = f"{ASSIGNEE}:{team_id}:{user}"
        out = Outgoing(
            key=f"{slot}:{today.isoformat()}",
            kind=ASSIGNEE,
            recipient=user,
            project_id=listed[0].project_id,
            build=_at_send(assignee_dm, listed, tz, clock),
            report_to=tuple(sorted({s.owner_id for s in listed} - {user})),
            steps=tuple(shown_in_dm(listed)),
            reminds_on=today,
        )
        candidates.append(Candidate(out, slot, triggered, clock.working_hours(tz)))

    # Channel digests, in the project's time zone.
    by_project: dict[int, list[DueStep]] = defaultdict(list)
    for step in world.steps:
        by_project[step.project_id].append(step)
    for project_id, steps in by_project.items():
        tz = steps[0].project_tz
        today = clock.today(tz)
        overdue = [s for s in steps if s.due_date < today and active(s, today)]
        if not overdue:
            continue
        channel = overdue[0].channel_id
        slot = f"{DIGEST}:{project_id}:{channel}"
        out = Outgoing(
            key=f"{slot}:{today.isoformat()}",
            kind=DIGEST,
            recipient=channel,
            project_id=project_id,
            build=_at_send(channel_digest, overdue, tz, clock),
            report_to=(overdue[0].owner_id,),
        )
        candidates.append(Candidate(out, slot, True, clock.nudge_hour(tz)))

    # Escalations to the owner, counted in the owner's working days: a key per step, one DM per owner.
    for step in world.steps:
        tz = zones.get(step.owner_id)
        if tz is None:
            continue
        today = clock.today(tz)
        late = working_days_between(step.due_date, today, work_days)
        if late <= settings.escalate_after_days or not active(step, today):
            continue
        key = f"{ESCALATION}:{step.step_id}:{step.owner_id}:{step.due_date.isoformat()}"
        out = Outgoing(
            key=key,
            kind=ESCALATION,
            recipient=step.owner_id,
            project_id=step.project_id,
            build=_escalation_at_send([step], tz, clock),
            steps=(step,),
            batch=f"{ESCALATION}:{team_id}:{step.owner_id}",
            merge=lambda steps, tz=tz: _escalation_at_send(steps, tz, clock)(),
        )
        candidates.append(Candidate(out, key, True, clock.working_hours(tz)))

    # Approver chases: one DM per approver listing every deliverable that waited too long.
    chased: dict[str, list[WaitingDeliverable]] = defaultdict(list)
    for deliverable, approvers in world.waiting:
        for user in approvers:
            chased[user].append(deliverable)
    for user, deliverables in chased.items():
        if user not in zones:
            continue
        tz = zones[user]
        today = clock.today(tz)
        overdue_items = [d for d in deliverables if _waited(d, tz, today, work_days) > settings.approval_chase_days]
        if not overdue_items:
            continue
        slot = f"{CHASE}:{team_id}:{user}"
        out = Outgoing(
            key=f"{slot}:{today.isoformat()}",
            kind=CHASE,
            recipient=user,
            project_id=overdue_items[0].project_id,
            build=_chase_at_send(overdue_items, tz, clock),
            report_to=tuple(sorted({d.owner_id for d in overdue_items} - {user})),
        )
        candidates.append(Candidate(out, slot, True, clock.working_hours(tz)))

    # Reports to owners that Slack refused someone for good: written by an earlier pass.
    for row in world.owed:
        if row.kind != UNREACHABLE or row.recipient not in zones:
            continue
        _, who, _owner, error = row.key.split(":", 3)
        name = world.project_names.get(row.project_id or 0)
        out = Outgoing(
            key=row.key,
            kind=UNREACHABLE,
            recipient=row.recipient,
            project_id=row.project_id,
            build=lambda who=who, error=error, name=name: unreachable_report(recipient=who, error=error, project_name=name),
        )
        candidates.append(Candidate(out, row.key, True, clock.working_hours(zones[row.recipient])))
    return candidates


def _waited(deliverable: WaitingDeliverable, tz: str, today: date, work_days: frozenset[int]) -> int:
    return working_days_between(deliverable.submitted_at.astimezone(ZoneInfo(tz)).date(), today, work_days)


def _at_send(builder: Callable[..., Message], steps: Sequence[DueStep], tz: str, clock: Clock) -> Callable[[], Message]:
    return lambda: builder(steps, today=clock.today_live(tz))


def _escalation_at_send(steps: Sequence[DueStep], tz: str, clock: Clock) -> Callable[[], Message]:
    def build() -> Message:
        today = clock.today_live(tz)
        return escalation([(s, working_days_between(s.due_date, today, clock.settings.work_days)) for s in steps])

    return build


def _chase_at_send(items: Sequence[WaitingDeliverable], tz: str, clock: Clock) -> Callable[[], Message]:
    def build() -> Message:
        today = clock.today_live(tz)
        return approver_chase([(d, _waited(d, tz, today, clock.settings.work_days)) for d in items])

    return build


def due_now(candidates: Iterable[Candidate], owed: Iterable[Reminder], report: PassReport) -> tuple[list[Outgoing], list[str]]:
    """What to send in this pass, and the older keys that need no message any more.

    An older reminder still owed (Slack failed yesterday, or its sender died) goes out in its
    recipient's working hours with today's content; if today's reminder of the same kind goes out
    anyway, or nothing is left to say, it is marked superseded instead of sending twice.
    """
    candidates = list(candidates)
    fresh = {c.outgoing.key: c.outgoing for c in candidates if c.triggered and c.in_window}
    by_slot = {c.slot: c for c in candidates}
    obsolete: list[str] = []
    for row in owed:
        if row.key in fresh:
            continue
        slot = row.key if row.kind in (ESCALATION, UNREACHABLE) else row.key.rsplit(":", 1)[0]
        candidate = by_slot.get(slot)
        if candidate is None:
            obsolete.append(row.key)  # done, closed, decided, snoozed: nothing left to remind
        elif not candidate.in_window:
            report.waiting += 1
        elif candidate.triggered and candidate.outgoing.key != row.key:
            obsolete.append(row.key)  # today's reminder of the same kind carries it
        else:
            fresh[row.key] = replace(candidate.outgoing, key=row.key)
    return list(fresh.values()), obsolete


# --- claiming and recording ----------------------------------------------------------------


def _insert(db: Database) -> Any:
    return sqlite_insert if db.is_sqlite else pg_insert


def claim(db: Database, out: Outgoing, *, team_id: str, me: str, now: datetime) -> bool:
    """Take the key for this process; False when another pass has it or it was already sent.

    The unique key decides between racing processes; a claim or a retry whose time has come can be
    taken over (conditional UPDATE: exactly one taker wins).
    """
    until = now + CLAIM_FOR
    with db.transaction() as session:
        inserted = session.execute(
            _insert(db)(Reminder)
            .values(
                key=out.key,
                team_id=team_id,
                kind=out.kind,
                recipient=out.recipient,
                project_id=out.project_id,
                status=CLAIMED,
                claimed_by=me,
                claimed_until=until,
                attempts=0,
                next_attempt_at=until,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Reminder.id)  # type: ignore[arg-type]
        )
        if inserted.first() is not None:  # (rowcount is not reliable for INSERT … ON CONFLICT on every driver)
            return True
        taken = session.execute(
            update(Reminder)
            .where(
                and_(Reminder.key == out.key, Reminder.status.in_(OPEN_STATES), Reminder.next_attempt_at <= now)  # type: ignore[attr-defined,operator]
            )
            .values(status=CLAIMED, claimed_by=me, claimed_until=until, next_attempt_at=until)
        )
        return taken.rowcount == 1


def _finish(db: Database, unit: Sequence[Outgoing], **values: Any) -> None:
    """Mark a message's keys sent together and, in the same transaction, stamp the steps it reminded."""
    with db.transaction() as session:
        session.execute(
            update(Reminder)
            .where(Reminder.key.in_([out.key for out in unit]))  # type: ignore[attr-defined]
            .values(attempts=Reminder.attempts + 1, claimed_until=None, **values)  # type: ignore[arg-type]
        )
        for out in unit:
            if out.reminds_on is None or not out.steps:
                continue
            session.execute(
                update(Step)
                .where(
                    Step.id.in_([s.step_id for s in out.steps]),  # type: ignore[union-attr]
                    or_(Step.reminded_on.is_(None), Step.reminded_on < out.reminds_on),  # type: ignore[union-attr,operator]
                )
                .values(reminded_on=out.reminds_on)
            )


def _fail_for_good(db: Database, unit: Sequence[Outgoing], *, team_id: str, error: str, now: datetime) -> None:
    """Record a permanent refusal of a message's keys and, in the same transaction, owe each owner one report."""
    with db.transaction() as session:
        session.execute(
            update(Reminder)
            .where(Reminder.key.in_([out.key for out in unit]))  # type: ignore[attr-defined]
            .values(status=FAILED, attempts=Reminder.attempts + 1, claimed_until=None, next_attempt_at=None, last_error=error)  # type: ignore[arg-type]
        )
        for out in unit:
            for owner in out.report_to:
                session.execute(
                    _insert(db)(Reminder)
                    .values(
                        key=f"{UNREACHABLE}:{out.recipient}:{owner}:{error}",
                        team_id=team_id,
                        kind=UNREACHABLE,
                        recipient=owner,
                        project_id=out.project_id,
                        status=RETRY,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["key"])
                )


def _skip_settled(db: Database, outgoing: list[Outgoing], now: datetime, report: PassReport) -> list[Outgoing]:
    """Drop keys already sent, failed, or held by a live claim: most passes send nothing, cheaply."""
    if not outgoing:
        return []
    keys = [out.key for out in outgoing]
    busy: set[str] = set()
    with db.reader() as session:
        for start in range(0, len(keys), _CHUNK):
            rows = session.exec(
                select(Reminder.key, Reminder.status, Reminder.next_attempt_at).where(
                    Reminder.key.in_(keys[start : start + _CHUNK])
                )  # type: ignore[attr-defined]
            )
            for key, status, next_at in rows:
                if status not in OPEN_STATES or (next_at is not None and next_at > now):
                    busy.add(key)
    report.already += sum(1 for out in outgoing if out.key in busy)
    return [out for out in outgoing if out.key not in busy]


def _batched(outgoing: list[Outgoing]) -> list[list[Outgoing]]:
    """The messages to send: outgoings sharing a batch together (in key order), every other one alone."""
    units: list[list[Outgoing]] = []
    batches: dict[str, list[Outgoing]] = {}
    for out in sorted(outgoing, key=lambda o: o.key):
        if out.batch is None:
            units.append([out])
        elif out.batch in batches:
            batches[out.batch].append(out)
        else:
            batches[out.batch] = [out]
            units.append(batches[out.batch])
    return units


def _interleave(units: list[list[Outgoing]]) -> list[list[Outgoing]]:
    """Round-robin over recipients, so one person's three messages don't queue behind the pacer."""
    queues: dict[str, list[list[Outgoing]]] = defaultdict(list)
    for unit in sorted(units, key=lambda u: u[0].key):
        queues[unit[0].recipient].append(unit)
    ordered: list[list[Outgoing]] = []
    while queues:
        for recipient in list(queues):
            ordered.append(queues[recipient].pop(0))
            if not queues[recipient]:
                del queues[recipient]
    return ordered


# --- the pass ------------------------------------------------------------------------------


def remind(
    services: Services,
    client: WebClient,
    now: datetime,
    *,
    outbox: Outbox | None = None,
    team_id: str | None = None,
    process_id: str | None = None,
) -> PassReport:
    """One reminder pass at `now` for the workspace whose bot token `client` carries.

    Reads what is due, works out each person's and project's local time, and sends what is owed,
    each key once. Safe to run in any number of processes at once.
    """
    settings, db = services.settings, services.db
    outbox = outbox or Outbox(client)
    team_id = team_id or client.auth_test()["team_id"]
    me = process_id or f"{socket.gethostname()}:{os.getpid()}"
    report = PassReport()
    started = utcnow()

    def moment() -> datetime:  # `now`, moved on by the time this pass has taken so far
        return now + (utcnow() - started)

    with db.reader() as session:
        world = load(session, team_id=team_id, now=now, settings=settings)
    zones = user_tzs(db, client, team_id=team_id, user_ids=world.people(), default_tz=settings.default_tz, now=now)
    clock = Clock(settings, now, live=moment)
    candidates = plan(world, team_id=team_id, zones=zones, clock=clock)
    outgoing, obsolete = due_now(candidates, world.owed, report)
    if obsolete:
        with db.transaction() as session:
            session.execute(
                update(Reminder)
                .where(Reminder.key.in_(obsolete), Reminder.status.in_(OPEN_STATES), Reminder.next_attempt_at <= now)  # type: ignore[attr-defined,operator]
                .values(status=SUPERSEDED, claimed_until=None, next_attempt_at=None)
            )
        report.superseded += len(obsolete)

    for unit in _interleave(_batched(_skip_settled(db, outgoing, now, report))):
        if outbox.stopping.is_set():
            break
        # Each key is claimed on its own (the database decides who sends it); one message carries
        # every key of the unit this process won.
        claimed = [out for out in unit if claim(db, out, team_id=team_id, me=me, now=moment())]
        report.already += len(unit) - len(claimed)
        if claimed:
            _send(db, outbox, claimed, team_id=team_id, now=moment, report=report)
    return report


def _send(
    db: Database, outbox: Outbox, unit: list[Outgoing], *, team_id: str, now: Callable[[], datetime], report: PassReport
) -> None:
    """Send one message for the claimed keys of `unit`; they are marked sent, deferred or failed together."""
    first = unit[0]
    keys = ", ".join(out.key for out in unit)
    try:
        message = first.merge([s for out in unit for s in out.steps]) if first.merge else first.build()
        response = outbox.post(first.recipient, message)
    except RateLimited as error:
        _retry_later(db, unit, error=str(error), delay=timedelta(seconds=error.retry_after), now=now(), report=report)
        return
    except SlackApiError as error:
        code = str(error.response.get("error") or f"http_{error.response.status_code}")
        if code in PERMANENT_ERRORS:
            log.warning("reminder %s: Slack refused %s for good (%s)", keys, first.recipient, code)
            _fail_for_good(db, unit, team_id=team_id, error=code, now=now())
            report.failed += len(unit)
        else:
            _retry_later(db, unit, error=code, delay=None, now=now(), report=report)
        return
    except Exception as error:  # timeouts, connection errors, a 5xx without JSON: all worth another try
        log.warning("reminder %s: %s", keys, error)
        _retry_later(db, unit, error=type(error).__name__, delay=None, now=now(), report=report)
        return
    # Marked sent right after Slack took it: only a crash in this instant could send it twice.
    _finish(
        db,
        unit,
        status=SENT,
        sent_at=now(),
        next_attempt_at=None,
        channel_id=response.get("channel"),
        message_ts=response.get("ts"),
        last_error=None,
    )
    report.sent += len(unit)


def _retry_later(
    db: Database, unit: Sequence[Outgoing], *, error: str, delay: timedelta | None, now: datetime, report: PassReport
) -> None:
    with db.transaction() as session:
        for out in unit:
            attempts = session.exec(select(Reminder.attempts).where(Reminder.key == out.key)).one() + 1
            backoff = delay or min(RETRY_FIRST * 2 ** (attempts - 1), RETRY_MAX)
            session.execute(
                update(Reminder)
                .where(Reminder.key == out.key)
                .values(
                    status=RETRY, attempts=attempts, claimed_until=None, next_attempt_at=now + backoff, last_error=error[:255]
                )
            )
    report.deferred += len(unit)
