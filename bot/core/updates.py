"""The weekly client update: which projects' drafts are due (their schedule is
`bot.core.update_times`), what a draft may say (the client view's rules: no budget, hours, health
or staff), and the one update per project per week that only the owner posts, edits or skips.
The database decides every "once": the unique (project, week) row, and conditional updates on it.

    due = drafts_due(session, team_id="T1", now=now, default=Schedule(4, time(15)), hours=(time(9), time(18)))
    update_id = claim_scheduled(session, project=project, week=week, now=now, moment=moment)   # None: not ours
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Update, and_, update
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, or_, select

from bot.core.errors import ProjectClosed, UpdateBeingPosted, UpdateDecided, UpdateGone, UpdateNotOwner
from bot.core.overview import ClientView, client_view_of
from bot.core.projects import audit_project, insert_once, local_today
from bot.core.steps import steps_of, waiting_step_ids
from bot.core.update_times import DAY_NAMES, OFF, Schedule, due_now, schedule_of, update_moment, week_of
from storage.models import Baseline, ClientUpdate, Decision, Deliverable, Project, Step, UpdateState

RETRY_AFTER = timedelta(minutes=2)  # a DM that never went out is tried again by a pass this much later
POST_CLAIM_FOR = timedelta(minutes=2)  # a click that died mid-post frees the update after this
UNCONFIRMED_HOLD = timedelta(seconds=30)  # after a post Slack didn't confirm: time for it to show in the channel
DM_FRESH = timedelta(minutes=1)  # `update` asked again this soon after a DM of the draft went (or is going) out: not resent
NEXT_UP_MAX = 5
TEXT_MAX = 3000  # what the Edit form's text field holds


# --- when -------------------------------------------------------------------------------------


def set_schedule(session: Session, *, project: Project, actor: str, schedule: Schedule | None, now: datetime) -> None:
    project.update_day = OFF if schedule is None else DAY_NAMES[schedule.weekday]
    project.update_time = None if schedule is None else f"{schedule.at:%H:%M}"
    project.updated_at = now
    session.add(project)
    audit_project(session, project, actor=actor, action="update.scheduled", now=now, schedule=str(schedule or OFF))


def drafts_due(
    session: Session, *, team_id: str, now: datetime, default: Schedule, hours: tuple[time, time],
    work_days: frozenset[int] = frozenset(range(7)),
) -> list[tuple[Project, date, datetime]]:  # fmt: skip
    """Open projects whose draft for this week is owed now and not yet in the owner's DMs: no row
    for the week yet, or a row whose DM failed and whose last try is RETRY_AFTER old. A project
    made after this week's update time waits for next week's (its owner can ask with `update`).
    A draft asked for earlier in the week (`update`), still waiting and not edited, is drafted
    again at the update time: the week has moved on since. Each comes with that moment (UTC)."""
    found: list[tuple[Project, date, datetime]] = []
    projects = session.exec(
        select(Project).where(
            Project.team_id == team_id,
            col(Project.closed_at).is_(None),
            or_(col(Project.update_day).is_(None), col(Project.update_day) != OFF),
        )
    )
    for project in projects:
        schedule = schedule_of(project, default)
        local = now.astimezone(ZoneInfo(project.tz))
        if schedule is None or project.created_at > update_moment(local, schedule):
            continue
        if due_now(local, schedule, hours, work_days):
            found.append((project, week_of(local.date()), update_moment(local, schedule).astimezone(UTC)))
    if not found:
        return []
    rows = session.exec(select(ClientUpdate).where(col(ClientUpdate.project_id).in_([p.id for p, _, _ in found])))
    existing = {(row.project_id, row.week): row for row in rows}
    owed = []
    for project, week, moment in found:
        row = existing.get((project.id or 0, week))
        if row is None or _owed_again(row, moment=moment, now=now):
            owed.append((project, week, moment))
    return owed


def _owed_again(row: ClientUpdate, *, moment: datetime, now: datetime) -> bool:
    """A waiting draft to send (again): its DM failed a while ago, or it was asked for before the
    update time (more than DM_FRESH before) and nobody has edited it since."""
    if row.state != UpdateState.DRAFTED.value:
        return False
    if row.dm_ts is None:
        return row.drafted_at <= now - RETRY_AFTER
    return row.drafted_at < moment - DM_FRESH and row.edited_by is None  # just sent: it is this moment's news


# --- the row: once per project per week -----------------------------------------------------------


def claim_scheduled(session: Session, *, project: Project, week: date, now: datetime, moment: datetime) -> int | None:
    """The right to DM this week's draft: inserting the week's row (the unique key picks one
    process), retrying a DM that never went out, or redrafting one asked for before `moment`, the
    update time (a conditional update picks one). None: not ours."""
    assert project.id is not None
    row = ClientUpdate(team_id=project.team_id, project_id=project.id, week=week, owner_id=project.owner_id, drafted_at=now)
    if insert_once(session, row):
        return row.id
    result = session.execute(
        update(ClientUpdate)
        .where(
            col(ClientUpdate.project_id) == project.id,
            col(ClientUpdate.week) == week,
            col(ClientUpdate.state) == UpdateState.DRAFTED.value,
            or_(
                and_(col(ClientUpdate.dm_ts).is_(None), col(ClientUpdate.drafted_at) <= now - RETRY_AFTER),
                and_(
                    col(ClientUpdate.dm_ts).is_not(None),
                    col(ClientUpdate.drafted_at) < moment - DM_FRESH,
                    col(ClientUpdate.edited_by).is_(None),
                ),
            ),
        )
        .values(drafted_at=now, owner_id=project.owner_id)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    return session.exec(select(ClientUpdate.id).where(ClientUpdate.project_id == project.id, ClientUpdate.week == week)).one()


@dataclass(frozen=True)
class OnDemand:
    """What `/project update` found: this week's row (new or refreshed) and whether its text is the owner's edit."""

    update_id: int
    keep_text: bool  # the owner edited it and someone else asked: their words stay
    revived: bool = False  # it had been skipped; the owner asked again
    edit_replaced: bool = False  # the owner asked again over their own edit: a fresh draft replaces it
    already_sent: bool = False  # a DM of it went (or is going) out a moment ago: left as it is, not sent again


def draft_on_demand(session: Session, *, project: Project, actor: str, now: datetime) -> OnDemand:
    """This week's row for `/project update`: made now if there is none; refreshed when it waits for the
    owner; `UpdateDecided` when it was posted (or skipped, unless the owner asks again). Asked again
    within DM_FRESH of the last DM (ten people typing `update` at once), it is left alone: the row
    lock orders the asks, and only the first sends a DM."""
    assert project.id is not None
    week = week_of(local_today(project.tz, now))
    row = ClientUpdate(team_id=project.team_id, project_id=project.id, week=week, owner_id=project.owner_id, drafted_at=now)
    if insert_once(session, row):
        assert row.id is not None
        return OnDemand(row.id, keep_text=False)
    found = session.exec(
        select(ClientUpdate).where(ClientUpdate.project_id == project.id, ClientUpdate.week == week).with_for_update()
    ).one()
    assert found.id is not None
    skipped = found.state == UpdateState.SKIPPED.value
    if found.state == UpdateState.POSTED.value or (skipped and actor != project.owner_id):
        raise UpdateDecided(found.state, found.decided_by, found.decided_at, actor)
    _refuse_while_posting(found, now)
    if not skipped and found.drafted_at > now - DM_FRESH:
        return OnDemand(found.id, keep_text=True, already_sent=True)
    found.state, found.decided_by, found.decided_at = UpdateState.DRAFTED.value, None, None
    found.drafted_at, found.owner_id = now, project.owner_id
    session.add(found)
    edited, by_owner = found.edited_by is not None, actor == project.owner_id
    return OnDemand(found.id, keep_text=edited and not by_owner, revived=skipped, edit_replaced=edited and by_owner)


def dm_not_sent(session: Session, *, update_id: int, drafted_at: datetime) -> None:
    """Slack didn't take the DM `update` asked for: the next `update` sends it, not "already sent"."""
    session.execute(
        update(ClientUpdate)
        .where(col(ClientUpdate.id) == update_id, col(ClientUpdate.drafted_at) == drafted_at)
        .values(drafted_at=drafted_at - DM_FRESH)
        .execution_options(synchronize_session=False)
    )


def redraft(session: Session, *, update_id: int, text: str, keep_edit: bool) -> None:
    """Give the row today's text (drafted when sent, so nothing in it is stale) unless it holds an edit to keep."""
    row = session.get(ClientUpdate, update_id)
    if row is None or (keep_edit and row.edited_by is not None):
        return
    row.text, row.edited_by, row.edited_at = text[:TEXT_MAX], None, None
    session.add(row)


def record_dm(session: Session, *, update_id: int, channel_id: str, ts: str) -> tuple[str | None, str | None]:
    """Where the owner's DM is now (buttons and later updates go there); returns the one it replaces."""
    row = session.get(ClientUpdate, update_id)
    assert row is not None
    before = (row.dm_channel_id, row.dm_ts)
    row.dm_channel_id, row.dm_ts = channel_id, ts
    session.add(row)
    return before


@dataclass(frozen=True)
class UpdateCard:
    update: ClientUpdate
    project: Project


def update_card(session: Session, *, team_id: str, update_id: int) -> UpdateCard:
    row = session.get(ClientUpdate, update_id)
    project = session.get(Project, row.project_id) if row is not None else None
    if row is None or project is None or row.team_id != team_id:
        raise UpdateGone()
    return UpdateCard(row, project)


# --- the owner's buttons: Post, Edit, Skip --------------------------------------------------------


def check_may_decide(card: UpdateCard, *, actor: str, now: datetime) -> None:
    """Only the project's owner, only while it waits, only while the project is open."""
    update_row, project = card.update, card.project
    if actor != project.owner_id:
        raise UpdateNotOwner(project.owner_id)
    if update_row.state != UpdateState.DRAFTED.value:
        raise UpdateDecided(update_row.state, update_row.decided_by, update_row.decided_at, actor)
    if project.closed_at is not None:
        raise ProjectClosed(project.name)
    _refuse_while_posting(update_row, now)


def _refuse_while_posting(row: ClientUpdate, now: datetime) -> None:
    """A live post claim: a click is posting it, or Slack didn't confirm a post (see `hold_unconfirmed`)."""
    if row.post_claimed_at is not None and row.post_claimed_at > now - POST_CLAIM_FOR:
        left = row.post_claimed_at + POST_CLAIM_FOR - now
        raise UpdateBeingPosted(max(1, math.ceil(left.total_seconds())), row.channel_id)


def _waiting(update_id: int, now: datetime) -> ColumnElement[bool]:
    """The conditions of a row still waiting for the owner, with no live post claim."""
    return and_(
        col(ClientUpdate.id) == update_id,
        col(ClientUpdate.state) == UpdateState.DRAFTED.value,
        col(ClientUpdate.message_ts).is_(None),
        or_(col(ClientUpdate.post_claimed_at).is_(None), col(ClientUpdate.post_claimed_at) <= now - POST_CLAIM_FOR),
    )


def _changed(session: Session, statement: Update) -> bool:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0) == 1)


def _lost(session: Session, *, team_id: str, update_id: int, actor: str, now: datetime) -> NoReturn:
    """After a conditional update changed nothing: the refusal that says why."""
    session.expire_all()
    card = update_card(session, team_id=team_id, update_id=update_id)
    check_may_decide(card, actor=actor, now=now)
    raise UpdateBeingPosted()


def claim_post(session: Session, *, team_id: str, update_id: int, actor: str, now: datetime) -> UpdateCard:
    """The right to post it: one conditional update, so however many clicks race, one posts."""
    check_may_decide(update_card(session, team_id=team_id, update_id=update_id), actor=actor, now=now)
    claim = update(ClientUpdate).where(_waiting(update_id, now)).values(post_claimed_at=now, channel_id=None)
    if not _changed(session, claim):
        _lost(session, team_id=team_id, update_id=update_id, actor=actor, now=now)
    session.expire_all()
    return update_card(session, team_id=team_id, update_id=update_id)


def release_post(session: Session, *, update_id: int) -> None:
    """Slack didn't take the post: the owner can click Post again at once."""
    session.execute(
        update(ClientUpdate)
        .where(col(ClientUpdate.id) == update_id, col(ClientUpdate.message_ts).is_(None))
        .values(post_claimed_at=None, channel_id=None)
        .execution_options(synchronize_session=False)
    )


def hold_unconfirmed(session: Session, *, update_id: int, channel_id: str, now: datetime) -> int:
    """Slack didn't confirm the post (no answer, a 5xx): it may be in the channel. The claim is held
    UNCONFIRMED_HOLD longer, so no quick click posts it twice, and the row says where it may be
    (`channel_id` without a `message_ts`), so every click until then is told that, not "being
    posted". Returns the seconds until Post works again."""
    session.execute(
        update(ClientUpdate)
        .where(col(ClientUpdate.id) == update_id, col(ClientUpdate.message_ts).is_(None))
        .values(post_claimed_at=now - POST_CLAIM_FOR + UNCONFIRMED_HOLD, channel_id=channel_id)
        .execution_options(synchronize_session=False)
    )
    return int(UNCONFIRMED_HOLD.total_seconds())


def record_post(
    session: Session, *, card: UpdateCard, actor: str, channel_id: str, message_ts: str, now: datetime
) -> None:  # fmt: skip
    session.execute(
        update(ClientUpdate)
        .where(col(ClientUpdate.id) == card.update.id)
        .values(state=UpdateState.POSTED.value, decided_by=actor, decided_at=now, channel_id=channel_id, message_ts=message_ts)
        .execution_options(synchronize_session=False)
    )
    audit_project(session, card.project, actor=actor, action="update.posted", now=now, update=card.update.id)


def skip(session: Session, *, team_id: str, update_id: int, actor: str, now: datetime) -> UpdateCard:
    card = update_card(session, team_id=team_id, update_id=update_id)
    check_may_decide(card, actor=actor, now=now)
    values = {"state": UpdateState.SKIPPED.value, "decided_by": actor, "decided_at": now}
    if not _changed(session, update(ClientUpdate).where(_waiting(update_id, now)).values(**values)):
        _lost(session, team_id=team_id, update_id=update_id, actor=actor, now=now)
    audit_project(session, card.project, actor=actor, action="update.skipped", now=now, update=update_id)
    session.expire_all()
    return update_card(session, team_id=team_id, update_id=update_id)


def edit(session: Session, *, team_id: str, update_id: int, actor: str, text: str, now: datetime) -> UpdateCard:
    card = update_card(session, team_id=team_id, update_id=update_id)
    check_may_decide(card, actor=actor, now=now)
    values = {"text": text[:TEXT_MAX], "edited_by": actor, "edited_at": now}
    if not _changed(session, update(ClientUpdate).where(_waiting(update_id, now)).values(**values)):
        _lost(session, team_id=team_id, update_id=update_id, actor=actor, now=now)
    audit_project(session, card.project, actor=actor, action="update.edited", now=now, update=update_id)
    session.expire_all()
    return update_card(session, team_id=team_id, update_id=update_id)


# --- what it says ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What happened since the client last heard from us, as the client may read it: what was done
    and decided since the last *posted* update (or since the project began: a skipped week or a
    moved update day loses nothing), what comes next, what waits on them, and the agreed date
    (the client view's rules: no budget, hours, health or staff)."""

    view: ClientView
    week: date
    since: date | None  # the project-local day of the last posted update; None: never posted
    done: list[Step]  # finished since then
    next_up: list[Step]  # the team's next open steps
    waiting_steps: list[Step]  # the client's steps, and steps waiting on the client
    decisions: list[tuple[Deliverable, Decision]]  # decided since then
    agreed: list[date]  # target dates agreed since then

    @property
    def nothing_new(self) -> bool:
        return not (self.done or self.decisions or self.agreed)

    def late(self, step: Step) -> bool:
        """Past its due date (the project's local today): the update says so, never who."""
        return step.due_date is not None and step.due_date < self.view.today


def last_posted(session: Session, project: Project) -> ClientUpdate | None:
    """The update the client last received: what the next one carries on from."""
    return session.exec(
        select(ClientUpdate)
        .where(ClientUpdate.project_id == project.id, ClientUpdate.state == UpdateState.POSTED.value)
        .order_by(col(ClientUpdate.week).desc())
    ).first()


def draft_of(session: Session, project: Project, *, week: date, now: datetime) -> Draft:
    view = client_view_of(session, project, now, viewer="")
    posted = last_posted(session, project)
    # The posted text told what had happened by its drafted_at: the next one starts there.
    start = posted.drafted_at if posted is not None else None
    live = [s for s in steps_of(session, project) if s.removed_at is None]
    held = waiting_step_ids(session, project)
    theirs = {s.id for s in view.their_steps} | held
    waiting_steps = [s for s in live if s.done_at is None and s.id in theirs]
    upcoming = [s for s in live if s.done_at is None and s.id not in theirs]
    upcoming.sort(key=lambda s: (s.due_date is None, s.due_date or date.max, s.number))
    decisions = session.exec(
        select(Deliverable, Decision)
        .join(Decision, col(Decision.deliverable_id) == Deliverable.id)
        .where(Deliverable.project_id == project.id, _between(col(Decision.decided_at), start, now))
        .order_by(col(Decision.decided_at))
    ).all()
    baselines = session.exec(
        select(Baseline).where(Baseline.project_id == project.id).order_by(col(Baseline.agreed_at), col(Baseline.id))
    ).all()
    # The first is what the client was promised (the agreed date line says it); the rest were agreed since.
    agreed = [b.target_date for b in baselines[1:] if (start is None or b.agreed_at > start) and b.agreed_at <= now]
    done = [s for s in live if s.done_at is not None and (start is None or start < s.done_at) and s.done_at <= now]
    done.sort(key=lambda s: (s.done_at or now, s.number))
    return Draft(
        view=view,
        week=week,
        since=local_today(project.tz, posted.drafted_at) if posted is not None else None,
        done=done,
        next_up=upcoming[:NEXT_UP_MAX],
        waiting_steps=waiting_steps,
        decisions=[(d, decision) for d, decision in decisions],
        agreed=agreed,
    )


def _between(column: Mapped[datetime], start: datetime | None, end: datetime) -> ColumnElement[bool]:
    """After `start` (None: ever) and up to `end`."""
    return and_(column <= end) if start is None else and_(column > start, column <= end)
