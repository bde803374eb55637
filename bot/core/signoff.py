"""After a close: the approvers' completion sign-off (one message per closing, one confirmation
and 1–5 rating per approver) and the owner's debrief (team-only). Slack-free.

    if claim_post(session, closing_id=7, now=now): ...post the message, then record_message(...)
    confirm(session, team_id="T1", closing_id=7, actor="U_CLIENT", rating=5, comment="Great", now=now)
    save_debrief(session, team_id="T1", closing_id=7, actor="U_OWNER", debrief=Debrief("On time", "", ""), now=now)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from bot.core.approvals import Deciders, deciders_of
from bot.core.errors import (
    AlreadyConfirmed,
    BadRating,
    DebriefEmpty,
    NotASignoffDecider,
    NotOwner,
    SignoffGone,
    SignoffNotCurrent,
)
from bot.core.projects import audit_project, insert_once
from bot.core.text import clean, cut
from storage.models import Closing, Project, Signoff

RATINGS = range(1, 6)  # 1 (very unhappy) … 5 (very happy)
COMMENT_MAX = 1000  # an approver's comment
DEBRIEF_MAX = 2000  # each of the debrief's three answers
POST_CLAIM_FOR = timedelta(minutes=2)  # a process that died mid-post frees the sign-off after this
REPAIR_AFTER = timedelta(seconds=30)  # leave a fresh close to the command that made it


@dataclass(frozen=True)
class SignoffCard:
    """Everything the sign-off message shows, read in one go."""

    closing: Closing
    project: Project
    deciders: Deciders  # who may confirm: the approvers, else the owner
    signoffs: list[Signoff]  # in the order they were confirmed
    current: bool  # the project is still closed by this closing (not reopened since)

    @property
    def waiting_on(self) -> list[str]:
        done = {s.approver_id for s in self.signoffs}
        return [u for u in self.deciders.user_ids if u not in done]


@dataclass(frozen=True)
class Debrief:
    """The owner's three answers, as typed (cleaned); empty strings for those left blank."""

    went_well: str
    improve: str
    lessons: str

    @classmethod
    def typed(cls, went_well: str, improve: str, lessons: str) -> Debrief:
        return cls(*(cut(clean(text).strip(), DEBRIEF_MAX) for text in (went_well, improve, lessons)))

    @property
    def empty(self) -> bool:
        return not (self.went_well or self.improve or self.lessons)


def closing_by_id(session: Session, *, team_id: str, closing_id: int) -> tuple[Closing, Project]:
    """The closing and its project, looked up by id *and* workspace."""
    found = session.exec(
        select(Closing, Project)
        .join(Project, col(Project.id) == Closing.project_id)
        .where(Closing.id == closing_id, Closing.team_id == team_id)
    ).first()
    if found is None:
        raise SignoffGone()
    return found


def latest_closing(session: Session, *, project_id: int) -> Closing | None:
    """The close that stands (while the project is closed). By id, not `closed_at`: that is when the
    close was asked, and of a close and a reopen racing, an earlier ask can commit later; the row is
    written after the project row is flipped, so ids follow the order closes took effect."""
    return session.exec(select(Closing).where(Closing.project_id == project_id).order_by(col(Closing.id).desc())).first()


def signoff_card(session: Session, *, team_id: str, closing_id: int) -> SignoffCard:
    closing, project = closing_by_id(session, team_id=team_id, closing_id=closing_id)
    signoffs = list(
        session.exec(select(Signoff).where(Signoff.closing_id == closing_id).order_by(col(Signoff.confirmed_at), col(Signoff.id)))
    )
    latest = latest_closing(session, project_id=project.id or 0)
    current = project.closed_at is not None and latest is not None and latest.id == closing.id
    return SignoffCard(closing, project, deciders_of(session, project), signoffs, current)


def signoff_ids(session: Session, *, closing_id: int) -> list[int]:
    """What the message must list, as ids: compared after an update to catch a confirm in between."""
    rows = session.exec(select(Signoff.id).where(Signoff.closing_id == closing_id).order_by(col(Signoff.id)))
    return [i for i in rows if i is not None]


# --- the sign-off message: posted once per closing -------------------------------------------


def claim_post(session: Session, *, closing_id: int, now: datetime) -> bool:
    """Take the right to post this closing's sign-off message: one post, however many try."""
    result = session.execute(
        update(Closing)
        .where(
            col(Closing.id) == closing_id,
            col(Closing.message_ts).is_(None),
            or_(col(Closing.post_claimed_at).is_(None), col(Closing.post_claimed_at) < now - POST_CLAIM_FOR),
        )
        .values(post_claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release_post(session: Session, *, closing_id: int) -> None:
    """Slack refused the post: the next scheduler pass tries again."""
    session.execute(
        update(Closing)
        .where(col(Closing.id) == closing_id, col(Closing.message_ts).is_(None))
        .values(post_claimed_at=None)
        .execution_options(synchronize_session=False)
    )


def record_message(session: Session, *, closing_id: int, channel_id: str, message_ts: str) -> None:
    """Remember where the sign-off message is, so any process can update it."""
    session.execute(
        update(Closing)
        .where(col(Closing.id) == closing_id)
        .values(channel_id=channel_id, message_ts=message_ts)
        .execution_options(synchronize_session=False)
    )


def posts_owed(session: Session, *, team_id: str, now: datetime, limit: int) -> list[tuple[str, int]]:
    """(team, closing) of this workspace whose sign-off message was never posted (Slack failed, or
    the process died), newest first, for projects still closed by that closing. A claim in flight
    is left alone."""
    rows = session.exec(
        select(Closing.team_id, Closing.id, Closing.project_id)
        .join(Project, col(Project.id) == Closing.project_id)
        .where(
            Closing.team_id == team_id,
            col(Closing.message_ts).is_(None),
            col(Closing.closed_at) < now - REPAIR_AFTER,
            or_(col(Closing.post_claimed_at).is_(None), col(Closing.post_claimed_at) < now - POST_CLAIM_FOR),
            col(Project.closed_at).is_not(None),
        )
        .order_by(col(Closing.closed_at).desc())
        .limit(limit)
    ).all()
    owed = []
    for team_id, closing_id, project_id in rows:
        latest = latest_closing(session, project_id=project_id)
        if closing_id is not None and latest is not None and latest.id == closing_id:
            owed.append((team_id, closing_id))
    return owed


def earlier_messages(session: Session, *, closing: Closing) -> list[int]:
    """Earlier closings of the project with a message: it should now say the project was reopened."""
    rows = session.exec(
        select(Closing.id).where(
            Closing.project_id == closing.project_id,
            col(Closing.id) != closing.id,
            col(Closing.message_ts).is_not(None),
            col(Closing.id) < closing.id,
        )
    )
    return [i for i in rows if i is not None]


# --- confirming ------------------------------------------------------------------------------


def check_may_confirm(card: SignoffCard, actor: str) -> None:
    """Refuse, before anything is written, a confirmation that can't stand."""
    if not card.current:
        raise SignoffNotCurrent(card.project.name)
    if actor not in card.deciders.user_ids:
        raise NotASignoffDecider(card.project.name, card.deciders.user_ids, card.deciders.owner_decides)
    earlier = next((s for s in card.signoffs if s.approver_id == actor), None)
    if earlier is not None:
        raise AlreadyConfirmed(card.project.name, earlier.confirmed_at, earlier.rating)


def confirm(
    session: Session, *, team_id: str, closing_id: int, actor: str, rating: int | None, comment: str | None, now: datetime
) -> Signoff:
    """Record `actor`'s confirmation with its rating. The unique key keeps one per approver, even
    when two forms are submitted at once. Raises `SignoffNotCurrent`, `NotASignoffDecider`,
    `AlreadyConfirmed`, `BadRating`; nothing is written then."""
    card = signoff_card(session, team_id=team_id, closing_id=closing_id)
    check_may_confirm(card, actor)
    if rating not in RATINGS:
        raise BadRating()
    text = cut(clean(comment or "").strip(), COMMENT_MAX) or None
    signoff = Signoff(team_id=team_id, closing_id=closing_id, approver_id=actor, rating=rating, comment=text, confirmed_at=now)
    if not insert_once(session, signoff):  # the same approver's other form got there first
        earlier = session.exec(select(Signoff).where(Signoff.closing_id == closing_id, Signoff.approver_id == actor)).one()
        raise AlreadyConfirmed(card.project.name, earlier.confirmed_at, earlier.rating)
    audit_project(
        session, card.project, actor=actor, action="project.signoff_confirmed", now=now,
        closing=closing_id, rating=rating, commented=text is not None,
    )  # fmt: skip
    return signoff


def record_refusal(session: Session, *, team_id: str, closing_id: int, actor: str, now: datetime) -> None:
    """A click by someone who may not confirm: audited, nothing else."""
    _, project = closing_by_id(session, team_id=team_id, closing_id=closing_id)
    audit_project(session, project, actor=actor, action="project.signoff_refused", now=now, closing=closing_id)


# --- the debrief: the owner's, team-only ------------------------------------------------------


def check_may_debrief(session: Session, *, team_id: str, closing_id: int, actor: str) -> tuple[Closing, Project]:
    closing, project = closing_by_id(session, team_id=team_id, closing_id=closing_id)
    if actor != project.owner_id:
        raise NotOwner(project.owner_id, "write the debrief")
    return closing, project


def save_debrief(session: Session, *, team_id: str, closing_id: int, actor: str, debrief: Debrief, now: datetime) -> Closing:
    """Keep the owner's debrief on the closing (a later save replaces it), audited."""
    closing, project = check_may_debrief(session, team_id=team_id, closing_id=closing_id, actor=actor)
    if debrief.empty:
        raise DebriefEmpty()
    edited = closing.debrief_at is not None
    closing.debrief_went_well = debrief.went_well or None
    closing.debrief_improve = debrief.improve or None
    closing.debrief_lessons = debrief.lessons or None
    closing.debrief_by, closing.debrief_at = actor, now
    session.add(closing)
    audit_project(
        session, project, actor=actor, action="project.debrief_edited" if edited else "project.debrief_saved", now=now,
        closing=closing_id, answered=[k for k, v in vars(debrief).items() if v],
    )  # fmt: skip
    return closing
