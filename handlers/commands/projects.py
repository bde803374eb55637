"""`/project` verbs about whole projects: help, new, status, list, stage, owner, approvers, close."""

from __future__ import annotations

import logging

from bot.core import clients, closure, grammar, overview, projects
from bot.core.approvals import pending_by_project
from bot.core.dates import parse_date
from bot.core.errors import TeamOnly
from bot.core.grammar import closest
from bot.core.grammar import projects as project_grammar
from bot.core.signoff import latest_closing
from bot.core.steps import steps_of
from bot.messages import client_view
from bot.messages import help as help_messages
from bot.messages import projects as project_messages
from bot.messages.blocks import Message, reply
from bot.messages.errors import refusal
from bot.messages.labels import project_label
from bot.messages.limits import LIST_SHOWN
from bot.messages.signoff import debrief_button
from bot.messages.status import status_card
from bot.slack.approvals import refresh_pending
from bot.slack.channels import announce
from bot.slack.people import user_tz
from bot.slack.proposals import owed_proposals, refresh_proposal
from bot.slack.signoff import after_close as after_close_signoff
from bot.slack.signoff import after_reopen as after_reopen_signoff
from bot.work import mark_written, written_project
from handlers.answer import Answer
from handlers.commands.declare import ClientAccess, Kind, Request, Unknown, Who, declared, verb
from storage.models import Project

log = logging.getLogger(__name__)
SHARE_FAILED = "Slack wouldn't let me post the client view in the project channel. If it's private, `/invite @Shepherd` there."


@verb(
    "help", project_grammar.nothing, usage="help", does="this list", who=Who.ANYONE, kind=Kind.READ, aliases=("?",),
    clients=ClientAccess.VIEW,
)  # fmt: skip
def show_help(req: Request, args: project_grammar.Nothing | Unknown) -> Message:
    """`help`, no words, or words that name no verb (`args` then says which): a client, by
    organization, as a guest or named on any project, gets the client help and nothing else."""
    assert req.session is not None
    unknown = args if isinstance(args, Unknown) else None
    here = projects.project_in_channel(req.session, team_id=req.team_id, channel_id=req.channel_id, include_closed=True)
    if req.is_client_of(here) if here is not None else req.client_anywhere():
        theirs = [v for v in declared() if v.clients is not ClientAccess.NONE]
        guess = closest(unknown.word, {v.name.split()[0] for v in theirs}) if unknown else None
        lines = [v.client_help or (v.usage, v.does) for v in theirs]
        return client_view.client_help(lines, unknown=unknown.word if unknown else None, suggestion=guess)
    if unknown is not None and unknown.refused is not None:
        return refusal(unknown.refused)
    lines = [(v.usage, v.does) for v in declared()]
    if unknown is not None:
        return help_messages.help_message(lines, unknown=unknown.word, suggestion=unknown.suggestion)
    return help_messages.help_message(lines)


@verb(
    "new", project_grammar.new, usage="new <name> [client:<name>] [due:<date>] [budget:<hours>] [internal:#channel]",
    does="start a project in this channel (no name: a form)", kind=Kind.SLACK, aliases=("create",),
)  # fmt: skip
def new_project(req: Request, args: project_grammar.New) -> Message | None:
    if args.name is None:
        open_new_project_form(req)
        return None
    project_id = written_project()  # by this request, before its worker stopped: announce it, don't refuse
    if project_id is None:
        project_id = create_from_command(req, args)
    public, hints = announce(req.services, req.client, project_id=project_id, approvers=[], now=req.now)
    if hints is not None:
        answer = Answer(req.client, req.user_id, req.channel_id, respond=req.respond)
        req.after_ack.append(lambda: answer(hints))
    return public


def create_from_command(req: Request, args: project_grammar.New) -> int:
    assert args.name is not None
    with req.services.db.reader() as session:  # refuse early, before asking Slack anything
        projects.check_new_project(session, team_id=req.team_id, channel_id=req.channel_id, name=args.name)
    settings = req.services.settings
    tz = user_tz(
        req.services.db, req.client, team_id=req.team_id, user_id=req.user_id, default_tz=settings.default_tz, now=req.now
    )
    today = projects.local_today(tz, req.now)
    target = parse_date(args.due_word, today, req.services.settings.work_days) if args.due_word else None
    with req.services.db.transaction() as session:
        project = projects.create_project(
            session, team_id=req.team_id, channel_id=req.channel_id, owner_id=req.user_id, name=args.name,
            client=args.client, target_date=target, tz=tz, budget_hours=args.budget, now=req.now,
            internal_channel_id=args.internal_channel,
        )  # fmt: skip
        assert project.id is not None
        mark_written(session, answer=None, project_id=project.id)
        return project.id


def open_new_project_form(req: Request) -> None:
    try:
        req.client.views_open(
            trigger_id=req.trigger_id or "",
            view=project_messages.new_project_modal(channel_id=req.channel_id, response_url=req.response_url),
        )
    except Exception:  # the trigger lasts 3 s; the person can simply run the command again
        log.exception("views.open failed")


@verb(
    "status", project_grammar.status, usage="status [project] [share]",
    does="the status card; `share` posts the client view in the project channel (team)", who=Who.ANYONE, kind=Kind.READ,
    clients=ClientAccess.VIEW, client_help=("status [project]", "where your project stands: dates, what waits on you, progress"),
)  # fmt: skip
def show_status(req: Request, args: project_grammar.StatusArgs) -> Message:
    session = req.session
    assert session is not None
    project = req.project(args.project)  # a client's own projects only; whether another exists is not revealed
    client = req.is_client_of(project)
    if args.share and client:
        raise TeamOnly("status share", project.id)
    if client:
        return client_view.client_status_card(overview.client_view_of(session, project, req.now, viewer=req.user_id), now=req.now)
    if args.share:
        shared = client_view.client_share(
            overview.client_view_of(session, project, req.now, viewer=""), now=req.now, shared_by=req.user_id
        )
        req.after_ack.append(lambda: share_in_channel(req, project.channel_id, shared))
        return reply(f"Posting the client view of {project_label(project)} in <#{project.channel_id}>.")
    work_days = req.services.settings.work_days
    steps = steps_of(session, project)  # read once for the card's numbers and its plan
    as_of = project.closed_at or req.now  # a closed project's figures stop at its close, as in the report
    card = overview.status_of(session, project, as_of, work_days, steps)
    message = status_card(card, now=req.now, plan=overview.plan_of(session, project, as_of, work_days, steps))
    closing = None
    if project.id is not None and project.closed_at is not None and req.user_id == project.owner_id:
        closing = latest_closing(session, project_id=project.id)
    if closing is not None:  # the owner's way to the debrief, whatever became of its DM
        label = "Edit debrief" if closing.debrief_at else "Write debrief"
        message = {**message, "blocks": [*message["blocks"], debrief_button(label, closing)]}
    return message


def share_in_channel(req: Request, channel_id: str, message: Message) -> None:
    try:
        req.client.chat_postMessage(channel=channel_id, **message)
    except Exception:
        log.exception("status share in %s failed", channel_id)
        Answer(req.client, req.user_id, req.channel_id, respond=req.respond)(reply(SHARE_FAILED))


@verb(
    "list", project_grammar.list_scope, usage="list [mine|all|overdue]", does="projects with stage and health",
    who=Who.ANYONE, kind=Kind.READ, aliases=("ls",), clients=ClientAccess.VIEW,
    client_help=("list [all]", "your projects with us"),
)  # fmt: skip
def show_list(req: Request, args: project_grammar.ListScope) -> Message:
    assert req.session is not None
    if req.org_client or clients.named_anywhere(req.session, team_id=req.team_id, user_id=req.user_id):
        theirs, count = clients.client_projects(
            req.session, team_id=req.team_id, user_id=req.user_id, include_closed=args.scope == "all", limit=LIST_SHOWN
        )
        return client_view.client_project_list([(p, p.target_date) for p in theirs], total=count)
    rows, total = overview.overview(
        req.session, team_id=req.team_id, user_id=req.user_id, scope=args.scope, now=req.now, limit=LIST_SHOWN
    )
    waiting = pending_by_project(req.session, team_id=req.team_id, project_ids=[p.id for p, _, _ in rows if p.id])
    return project_messages.project_list(rows, total=total, scope=args.scope, waiting=waiting, now=req.now)


@verb(
    "stage", project_grammar.stage_move, usage="stage next · stage <stage>",
    does="move the project on (owner; `--force` past waiting sign-offs and open steps, which it carries)",
    who=Who.OWNER, owner_action="change the stage",
)  # fmt: skip
def move_stage(req: Request, args: project_grammar.StageMove) -> Message:
    assert req.session is not None
    project = req.project(args.project)
    moved = projects.move_stage(req.session, project=project, actor=req.user_id, target=args.stage, force=args.force, now=req.now)
    budget = project_messages.past_budget(project)
    if budget is not None:
        answer = Answer(req.client, req.user_id, req.channel_id, respond=req.respond)
        req.after_ack.append(lambda: answer(budget))
    return project_messages.stage_moved(req.user_id, project, moved)


def refresh_approval_messages(req: Request, project: Project) -> None:
    """Waiting approval messages name who may decide and whether the project is open: keep them
    telling the truth (and a proposal the close replaced)."""
    if project.id is not None:
        refresh_pending(req.services, req.client, req.team_id, project.id)
        for proposal_id in owed_proposals(req.services, project.id):
            refresh_proposal(req.services, req.client, team_id=req.team_id, proposal_id=proposal_id)


@verb(
    "owner", project_grammar.owner, usage="owner @person", does="hand the project over (owner)",
    who=Who.OWNER, owner_action="hand the project over", after=refresh_approval_messages,
)  # fmt: skip
def hand_over(req: Request, args: project_grammar.Person) -> Message:
    assert req.session is not None
    project = req.project()
    projects.hand_over(req.session, project=project, actor=req.user_id, new_owner=args.user_id, now=req.now)
    return project_messages.handed_over(req.user_id, project, args.user_id)


@verb(
    "approver add", grammar.people("approver add"), usage="approver add @client", does="who signs off deliverables (owner)",
    who=Who.OWNER, owner_action="choose approvers", after=refresh_approval_messages,
)  # fmt: skip
def add_approvers(req: Request, args: grammar.People) -> Message:
    assert req.session is not None
    project = req.project()
    added, existing = projects.add_approvers(req.session, project=project, actor=req.user_id, user_ids=args.user_ids, now=req.now)
    return project_messages.approvers_added(project, added, existing)


@verb(
    "approver remove", grammar.people("approver remove"), usage="approver remove @client", does="(owner)",
    who=Who.OWNER, owner_action="choose approvers", after=refresh_approval_messages,
    aliases=("approver rm", "approver delete"),
)  # fmt: skip
def remove_approvers(req: Request, args: grammar.People) -> Message:
    assert req.session is not None
    project = req.project()
    removed = projects.remove_approvers(req.session, project=project, actor=req.user_id, user_ids=args.user_ids, now=req.now)
    none_left = not projects.approver_ids(req.session, project)
    return project_messages.approvers_removed(project, removed, none_left=none_left)


def after_close(req: Request, project: Project) -> None:
    """Waiting approval messages say the project closed; then, once the reply is out, the
    completion sign-off for the approvers and the debrief DM for the owner."""
    if project.id is not None:
        project_id = project.id
        req.after_ack.append(lambda: after_close_signoff(req.services, req.client, team_id=req.team_id, project_id=project_id))
    refresh_approval_messages(req, project)


def after_reopen(req: Request, project: Project) -> None:
    """Approval messages can be decided again; the last sign-off message says it was reopened."""
    if project.id is not None:
        project_id = project.id
        req.after_ack.append(lambda: after_reopen_signoff(req.services, req.client, team_id=req.team_id, project_id=project_id))
    refresh_approval_messages(req, project)


@verb(
    "close", project_grammar.close, usage="close [project] [--force]",
    does="close the project once nothing stands open; `--force` closes anyway (owner)",
    who=Who.OWNER, owner_action="close the project", after=after_close,
)  # fmt: skip
def close(req: Request, args: project_grammar.StageMove) -> Message:
    assert req.session is not None
    project = req.project(args.project)
    closure.close_project(req.session, project=project, actor=req.user_id, force=args.force, now=req.now)
    return project_messages.project_closed(req.user_id, project)


@verb(
    "reopen", grammar.project_only, usage="reopen [project]", does="open a closed project again (owner)",
    who=Who.OWNER, owner_action="reopen the project", open_only=False, after=after_reopen,
)  # fmt: skip
def reopen(req: Request, args: grammar.ProjectOnly) -> Message:
    assert req.session is not None
    project = req.project(args.project)
    closure.reopen_project(req.session, project=project, actor=req.user_id, now=req.now)
    return project_messages.project_reopened(req.user_id, project)
