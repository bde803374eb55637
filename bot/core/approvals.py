"""Client sign-off: submitting deliverables and recording the one decision each version gets.
Plain Python over a session; the database, not the caller, decides who decided first.

    sub = submit(session, project=project, actor="U_PM", title="Homepage", link=None, now=utcnow())
    decision = decide(session, team_id="T1", deliverable_id=sub.deliverable.id, actor="U_CLIENT",
                      verdict=Verdict.APPROVED, reason=None, now=utcnow())
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from bot.core.errors import (
    AlreadyApproved,
    AlreadyDecided,
    BeingPosted,
    DeliverableGone,
    NoSuchStep,
    NotADecider,
    ReasonRequired,
    StepRemoved,
    SubmittedJustNow,
)
from bot.core.projects import approver_ids, audit, name_key, require_open
from bot.core.steps import complete_steps, live_step
from bot.core.text import cut
from storage.models import Decision, Deliverable, DeliverableState, Project

REASON_MAX = 2000


class Verdict(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


# --- what a click can run into --------------------------------------------------------------


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deciders:
    user_ids: list[str]
    owner_decides: bool  # the project names no approver, so its owner signs off


@dataclass(frozen=True)
class ApprovalCard:
    """Everything the approval message shows, read in one go."""

    deliverable: Deliverable
    project: Project
    deciders: Deciders
    decision: Decision | None
    previous: tuple[Deliverable, Decision | None] | None  # the version this one replaces
    replaced_by: int | None  # the newer version's number, once resubmitted


def deciders_of(session: Session, project: Project) -> Deciders:
    approvers = approver_ids(session, project)
    return Deciders(approvers, False) if approvers else Deciders([project.owner_id], True)


def deliverable_by_id(session: Session, *, team_id: str, deliverable_id: int) -> Deliverable:
    """The deliverable, looked up by id *and* workspace: an id from another workspace finds nothing."""
    found = session.exec(select(Deliverable).where(Deliverable.id == deliverable_id, Deliverable.team_id == team_id)).first()
    if found is None:
        raise DeliverableGone()
    return found


def decision_of(session: Session, deliverable_id: int | None) -> Decision | None:
    return session.exec(select(Decision).where(Decision.deliverable_id == deliverable_id)).first()


def approval_card(session: Session, *, team_id: str, deliverable_id: int) -> ApprovalCard:
    deliverable = deliverable_by_id(session, team_id=team_id, deliverable_id=deliverable_id)
    project = session.exec(select(Project).where(Project.id == deliverable.project_id, Project.team_id == team_id)).one()
    previous = None
    if deliverable.previous_id is not None:
        before = session.get(Deliverable, deliverable.previous_id)
        if before is not None:
            previous = (before, decision_of(session, before.id))
    newer = session.exec(
        select(Deliverable.version).where(Deliverable.previous_id == deliverable.id, Deliverable.team_id == team_id)
    ).first()
    return ApprovalCard(
        deliverable=deliverable,
        project=project,
        deciders=deciders_of(session, project),
        decision=decision_of(session, deliverable.id),
        previous=previous,
        replaced_by=newer,
    )


def pending_ids(session: Session, *, team_id: str, project_id: int) -> list[int]:
    """The project's deliverables waiting for a decision whose message is in Slack."""
    rows = session.exec(
        select(Deliverable.id).where(
            Deliverable.team_id == team_id,
            Deliverable.project_id == project_id,
            Deliverable.state == DeliverableState.PENDING.value,
            col(Deliverable.message_ts).is_not(None),
        )
    )
    return [row for row in rows if row is not None]


def pending_by_project(session: Session, *, team_id: str, project_ids: list[int]) -> dict[int, tuple[int, datetime]]:
    """Per project: how many deliverables wait for a decision, and since when the oldest waits."""
    if not project_ids:
        return {}
    rows = session.exec(
        select(Deliverable.project_id, func.count(), func.min(Deliverable.submitted_at))
        .where(
            Deliverable.team_id == team_id,
            col(Deliverable.project_id).in_(project_ids),
            Deliverable.state == DeliverableState.PENDING.value,
        )
        .group_by(col(Deliverable.project_id))
    ).all()
    return {pid: (count, oldest) for pid, count, oldest in rows}


# --- submitting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    deliverable: Deliverable
    replaced: Deliverable | None  # the earlier version this one supersedes (its message needs updating)
    repost: bool  # the same version again: its first approval message never reached Slack


def submit(
    session: Session, *, project: Project, actor: str, title: str, link: str | None, now: datetime,
    step_number: int | None = None, claim_for: timedelta | None = None,
) -> Submission:  # fmt: skip
    """A new deliverable version awaiting sign-off.

    The same title again supersedes the latest version (pending or rejected) with the next
    version; an approved one is final. A version whose message never got posted is posted again
    rather than bumped, so a failed post costs nothing but a retry.
    """
    require_open(project)
    if step_number is not None:
        live_step(session, project, step_number)  # a missing or removed step is refused before anything is written
    key = name_key(title, limit=200)
    latest = session.exec(
        select(Deliverable)
        .where(Deliverable.project_id == project.id, Deliverable.title_key == key)
        .order_by(col(Deliverable.version).desc())
    ).first()
    if latest is not None and latest.state == DeliverableState.PENDING and latest.message_ts is None:
        if not claim_post(session, deliverable_id=latest.id, now=now, claim_for=claim_for or POST_CLAIM_FOR):
            raise BeingPosted(latest.title)
        if link and link != latest.link:
            latest.link = link
        if step_number is not None:
            latest.step_number = step_number
        session.add(latest)
        audit(
            session, team_id=project.team_id, project_id=project.id, actor=actor, action="deliverable.reposted", now=now,
            deliverable=latest.id, title=latest.title, version=latest.version,
        )  # fmt: skip
        return Submission(latest, None, repost=True)
    if (
        latest is not None
        and latest.state == DeliverableState.PENDING
        and link in (None, latest.link)
        and now - latest.submitted_at < RESUBMIT_AFTER
    ):  # the same submission again within seconds (a double click, two people at once): one version
        raise SubmittedJustNow(latest.title)
    if latest is not None:
        _supersede(session, latest=latest, now=now)
    deliverable = Deliverable(
        team_id=project.team_id,
        project_id=project.id,  # type: ignore[arg-type]
        title=title,
        title_key=key,
        link=link,
        stage=project.stage,
        version=(latest.version + 1) if latest else 1,
        previous_id=latest.id if latest else None,
        state=DeliverableState.PENDING.value,
        submitted_by=actor,
        submitted_at=now,
        step_number=step_number if step_number is not None else (latest.step_number if latest else None),
        post_claimed_at=now,  # this request posts its message; a concurrent repost waits for it
    )
    session.add(deliverable)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same title submitted twice at once: the first one stands
        raise SubmittedJustNow(title) from None
    audit(
        session, team_id=project.team_id, project_id=project.id, actor=actor, action="deliverable.submitted", now=now,
        deliverable=deliverable.id, title=title, version=deliverable.version, link=link, stage=project.stage,
        replaces=latest.id if latest else None,
    )  # fmt: skip
    return Submission(deliverable, latest, repost=False)


def _supersede(session: Session, *, latest: Deliverable, now: datetime) -> None:
    """Mark the latest version superseded, unless a decision to approve it got there first."""
    replaceable = [DeliverableState.PENDING.value, DeliverableState.REJECTED.value]
    result = session.execute(
        update(Deliverable)
        .where(col(Deliverable.id) == latest.id, col(Deliverable.state).in_(replaceable))
        .values(state=DeliverableState.SUPERSEDED.value, refresh_due_at=func.coalesce(Deliverable.refresh_due_at, now))
        .execution_options(synchronize_session=False)
    )
    session.refresh(latest)
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    if latest.state == DeliverableState.APPROVED:
        decision = decision_of(session, latest.id)
        raise AlreadyApproved(latest.title, latest.version, decision.approver_id if decision else None)
    raise SubmittedJustNow(latest.title, resubmitted=True)


POST_CLAIM_FOR = timedelta(minutes=2)  # a request that crashed mid-post frees the version after this
# A worker taking over a dead one's request: that request's claim is at least a minute old (the
# dead worker's silence), a live request's is seconds old.
REPLAY_CLAIM_FOR = timedelta(seconds=30)
RESUBMIT_AFTER = timedelta(minutes=1)  # an identical submission sooner than this is a duplicate, not v2


def claim_post(session: Session, *, deliverable_id: int | None, now: datetime, claim_for: timedelta = POST_CLAIM_FOR) -> bool:
    """Take the right to post this version's approval message: one post per version. A claim
    older than `claim_for` is a post that never finished."""
    result = session.execute(
        update(Deliverable)
        .where(
            col(Deliverable.id) == deliverable_id,
            col(Deliverable.message_ts).is_(None),
            or_(col(Deliverable.post_claimed_at).is_(None), col(Deliverable.post_claimed_at) < now - claim_for),
        )
        .values(post_claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release_post(session: Session, *, deliverable_id: int) -> None:
    """The post failed: let the next `/project deliverable` try again at once."""
    session.execute(
        update(Deliverable)
        .where(col(Deliverable.id) == deliverable_id, col(Deliverable.message_ts).is_(None))
        .values(post_claimed_at=None)
        .execution_options(synchronize_session=False)
    )


def message_shown(session: Session, *, deliverable_id: int, as_of: datetime | None) -> None:
    """The message now shows everything up to `as_of`: nothing left to repair (unless changed since)."""
    if as_of is None:
        return
    session.execute(
        update(Deliverable)
        .where(col(Deliverable.id) == deliverable_id, col(Deliverable.refresh_due_at) <= as_of)
        .values(refresh_due_at=None)
        .execution_options(synchronize_session=False)
    )


def refresh_due(session: Session, *, team_id: str, deliverable_id: int) -> datetime | None:
    return session.exec(
        select(Deliverable.refresh_due_at).where(Deliverable.id == deliverable_id, Deliverable.team_id == team_id)
    ).first()


def messages_to_repair(session: Session, *, team_id: str, older_than: datetime, limit: int) -> list[tuple[str, int]]:
    """(team, deliverable) of this workspace whose message still lacks a change made before
    `older_than` (each workspace's scheduler repairs its own, with its own token)."""
    rows = session.exec(
        select(Deliverable.team_id, Deliverable.id)
        .where(
            Deliverable.team_id == team_id,
            col(Deliverable.refresh_due_at) < older_than,
            col(Deliverable.message_ts).is_not(None),
        )
        .order_by(col(Deliverable.refresh_due_at))
        .limit(limit)
    ).all()
    return [(team, d) for team, d in rows if d is not None]


def record_message(session: Session, *, deliverable_id: int, channel_id: str, message_ts: str) -> None:
    """Remember where the approval message is, so any process can update it later."""
    session.execute(
        update(Deliverable)
        .where(col(Deliverable.id) == deliverable_id)
        .values(channel_id=channel_id, message_ts=message_ts)
        .execution_options(synchronize_session=False)
    )


# --- deciding ---------------------------------------------------------------------------------


def decide(
    session: Session,
    *,
    team_id: str,
    deliverable_id: int,
    actor: str,
    verdict: Verdict,
    reason: str | None,
    now: datetime,
) -> Decision:
    """Record `actor`'s verdict, if they may decide and nobody decided first.

    Refusals raise before anything is written: `NotADecider`, `AlreadyDecided`, `ReasonRequired`.
    The unique `Decision.deliverable_id` is the arbiter between double clicks, Slack's retries,
    several processes and two approvers at once; the state update that follows only succeeds
    while the version is still pending, so a resubmission racing the click loses cleanly too.
    """
    deliverable = deliverable_by_id(session, team_id=team_id, deliverable_id=deliverable_id)
    project = session.exec(select(Project).where(Project.id == deliverable.project_id, Project.team_id == team_id)).one()
    check_may_decide(session, deliverable=deliverable, project=project, deciders=deciders_of(session, project), actor=actor)
    if verdict == Verdict.REJECTED and not (reason or "").strip():
        raise ReasonRequired()
    decision = Decision(
        team_id=team_id,
        deliverable_id=deliverable_id,
        approver_id=actor,
        verdict=verdict.value,
        reason=cut(reason.strip(), REASON_MAX) if reason else None,
        decided_at=now,
    )
    try:
        with session.begin_nested():
            session.add(decision)
            session.flush()
    except IntegrityError:  # on PostgreSQL the losing insert waited for the winner's commit, then failed
        raise already_decided(session, deliverable, actor) from None
    result = session.execute(
        update(Deliverable)
        .where(col(Deliverable.id) == deliverable_id, col(Deliverable.state) == DeliverableState.PENDING.value)
        .values(state=verdict.value, refresh_due_at=now)  # the message must show it: see `messages_to_repair`
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # superseded by a resubmission meanwhile
        session.rollback()
        raise already_decided(session, deliverable_by_id(session, team_id=team_id, deliverable_id=deliverable_id), actor)
    session.refresh(deliverable)
    if verdict == Verdict.APPROVED and deliverable.step_number is not None:  # `for:#n`: the work is signed off
        with suppress(StepRemoved, NoSuchStep):  # removed from the plan since: the sign-off stands alone
            # Done by the team member who delivered it; the approver is kept on the decision.
            submitter = deliverable.submitted_by
            complete_steps(session, project=project, actor=submitter, numbers=[deliverable.step_number], now=now)
    audit(
        session, team_id=team_id, project_id=project.id, actor=actor, action=f"deliverable.{verdict.value}", now=now,
        deliverable=deliverable_id, title=deliverable.title, version=deliverable.version, reason=decision.reason,
    )  # fmt: skip
    return decision


def check_may_decide(session: Session, *, deliverable: Deliverable, project: Project, deciders: Deciders, actor: str) -> None:
    """Refuse unless `actor` may decide `deliverable` now: one of its deciders, still pending, project open."""
    if actor not in deciders.user_ids:
        raise NotADecider(deliverable.title, deliverable.version, deciders.user_ids, deciders.owner_decides)
    if deliverable.state != DeliverableState.PENDING:
        raise already_decided(session, deliverable, actor)
    require_open(project)


def already_decided(session: Session, deliverable: Deliverable, actor: str) -> AlreadyDecided:
    decision = decision_of(session, deliverable.id)
    if decision is None:
        return AlreadyDecided(deliverable.title, deliverable.version, actor)
    return AlreadyDecided(
        deliverable.title, deliverable.version, actor, decision.approver_id, decision.verdict, decision.decided_at
    )


def record_refusal(
    session: Session, *, team_id: str, deliverable_id: int, actor: str, verdict: Verdict, deciders: list[str], now: datetime
) -> None:
    """Someone without the right clicked: keep the attempt in the audit trail."""
    deliverable = deliverable_by_id(session, team_id=team_id, deliverable_id=deliverable_id)
    audit(
        session, team_id=team_id, project_id=deliverable.project_id, actor=actor,
        action="deliverable.decision_refused", now=now, deliverable=deliverable.id, title=deliverable.title,
        version=deliverable.version, attempted=verdict.value, deciders=deciders,
    )  # fmt: skip
