"""What the core refuses about closing a project: the completion sign-off and the debrief, the
weekly client update, the project report. Part of `bot.core.errors`, which re-exports each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.refusal import UserError

# --- closure: the completion sign-off and the debrief ------------------------------------------


@dataclass(eq=False)
class SignoffGone(UserError):
    pass


@dataclass(eq=False)
class SignoffNotCurrent(UserError):
    """The project was reopened after this sign-off was asked for."""

    project_name: str


@dataclass(eq=False)
class NotASignoffDecider(UserError):
    project_name: str
    deciders: list[str]
    owner_decides: bool  # the project names no approver, so its owner confirms


@dataclass(eq=False)
class AlreadyConfirmed(UserError):
    project_name: str
    confirmed_at: datetime
    rating: int | None


@dataclass(eq=False)
class BadRating(UserError):
    pass


@dataclass(eq=False)
class DebriefEmpty(UserError):
    pass


# --- the weekly client update --------------------------------------------------------------------


@dataclass(eq=False)
class UpdateGone(UserError):
    pass


@dataclass(eq=False)
class UpdateNotOwner(UserError):
    """Only the project's owner posts, edits or skips its client update."""

    owner_id: str


@dataclass(eq=False)
class UpdateDecided(UserError):
    """This week's update was already posted or skipped."""

    state: str  # posted | skipped
    decided_by: str | None
    decided_at: datetime | None
    actor: str  # who asked now


@dataclass(eq=False)
class UpdateBeingPosted(UserError):
    """Another click is posting it right now, or Slack didn't confirm an earlier post, which may be
    in `unconfirmed_in` (the channel) already. Post works again in `seconds_left`."""

    seconds_left: int = 0
    unconfirmed_in: str | None = None


# --- the project report --------------------------------------------------------------------------


@dataclass(eq=False)
class ReportNotUploaded(UserError):
    """Slack didn't take the report's files (or, `maybe_shared`, didn't say whether it shared them)."""

    project_name: str
    code: str  # what Slack said, e.g. "internal_error", "not_in_channel"
    maybe_shared: bool = False
