"""`/project budget <hours>h [reason]` (owner; every change kept) and `/project log <hours> [note]` (team)."""

from __future__ import annotations

import logging

from bot.core import hours
from bot.core.audience import team_only_place
from bot.core.closure import claim_budget_alert
from bot.core.grammar import hours as hour_grammar
from bot.messages import hours as hour_messages
from bot.messages import projects as project_messages
from bot.messages.blocks import Message
from handlers.commands.declare import Request, Who, verb
from storage.models import Project

log = logging.getLogger(__name__)


@verb(
    "budget", hour_grammar.budget, usage="budget <hours>h [reason]",
    does="the project's budget in hours; every change is kept with its reason (owner)",
    who=Who.OWNER, owner_action="set the budget",
)  # fmt: skip
def set_budget(req: Request, args: hour_grammar.BudgetChange) -> Message:
    assert req.session is not None
    project = req.project()
    old = hours.change_budget(req.session, project=project, actor=req.user_id, hours=args.hours, reason=args.reason, now=req.now)
    return hour_messages.budget_changed(project, old=old, reason=args.reason)


def alert_budget(req: Request, project: Project) -> None:
    """After hours are logged: the team is told once at 80 % and once at 100 % of the budget,
    where team-only posts of the project go (never a channel a client reads)."""
    with req.services.db.transaction() as session:
        fresh = session.get(Project, project.id)
        level = claim_budget_alert(session, project=fresh) if fresh else None
        place = team_only_place(session, fresh) if fresh and level else None
    if fresh is None or level is None or place is None:
        return
    try:
        req.client.chat_postMessage(channel=place.channel_id, **project_messages.budget_alert(fresh, level))
    except Exception:
        log.exception("budget alert for project %s failed", project.id)


@verb(
    "log", hour_grammar.log_time, usage="log <hours> [note]",
    does="log time you spent, e.g. `log 1h30m site audit` (hours as `3.5h`, `90m`, `2 hrs`)", after=alert_budget,
)  # fmt: skip
def log_time(req: Request, args: hour_grammar.LogTime) -> Message:
    assert req.session is not None
    project = req.project()
    entry = hours.log_time(req.session, project=project, person=req.user_id, hours=args.hours, note=args.note, now=req.now)
    return hour_messages.hours_logged(project, entry)
