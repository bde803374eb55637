"""`/project …`: parse, then either answer inside `ack()` (reads) or `ack()` first and reply by
`response_url` (writes, and anything that calls Slack), so every command answers within 3 s."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import approvals, projects
from bot.core.dates import parse_date
from bot.core.errors import UserError
from bot.core.grammar import Command, parse
from bot.core.text import mention
from bot.messages import ids, views
from bot.services import Services
from bot.slack.people import user_tz
from handlers.approvals import refresh_pending, submit_from_command
from handlers.context import OOPS, Invocation, installation_team, send
from storage.models import Project, utcnow

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.command(ids.COMMAND)
    def project_command(ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
        team_id = installation_team(context)
        invocation = Invocation(team_id, command["user_id"], command["channel_id"], utcnow())
        try:
            cmd = parse(command.get("text") or "")
        except UserError as error:
            ack(**views.reply(str(error)))
            return
        if cmd.verb in READS:
            try:
                with services.db.reader() as session:
                    message = READS[cmd.verb](session, invocation, cmd)
            except UserError as error:
                message = views.reply(str(error))
            except Exception:
                log.exception("/project %s failed", cmd.verb)
                message = views.reply(OOPS)
            ack(**message)
            return
        ack()  # writes and Slack calls happen after Slack has its answer
        if cmd.verb == "new" and not cmd.title:
            open_new_project_modal(client, command)
            return
        message = run_write(services, invocation, cmd, client)
        send(respond, message)


def run_write(services: Services, invocation: Invocation, cmd: Command, client: WebClient) -> dict:
    try:
        if cmd.verb == "new":
            return create_from_command(services, invocation, cmd, client)
        if cmd.verb == "deliverable":
            return submit_from_command(services, invocation, cmd, client)
        with services.db.transaction() as session:
            project = projects.find_project(
                session, team_id=invocation.team_id, channel_id=invocation.channel_id, name=cmd.project
            )
            message = WRITES[cmd.verb](session, invocation, cmd, project)
        if cmd.verb in CHANGES_WHO_DECIDES and project.id is not None:
            # Waiting approval messages name who may decide: keep them telling the truth.
            try:
                refresh_pending(services, client, invocation.team_id, project.id)
            except Exception:  # the change is saved; only the old messages lag behind
                log.exception("could not refresh approval messages of project %s", project.id)
        return message
    except UserError as error:
        return views.reply(str(error))
    except Exception:
        log.exception("/project %s failed", cmd.verb)
        return views.reply(OOPS)


def open_new_project_modal(client: WebClient, command: dict) -> None:
    try:
        client.views_open(
            trigger_id=command["trigger_id"],
            view=views.new_project_modal(channel_id=command["channel_id"], response_url=command.get("response_url")),
        )
    except Exception:
        log.exception("views.open failed")


# --- reads: answered inside ack() ---------------------------------------------------------


def show_help(session: Session, inv: Invocation, cmd: Command) -> dict:
    return views.help_message(cmd.unknown, cmd.suggestion)


def show_status(session: Session, inv: Invocation, cmd: Command) -> dict:
    project = projects.find_project(session, team_id=inv.team_id, channel_id=inv.channel_id, name=cmd.project)
    return views.status_card(projects.status_of(session, project, inv.now), now=inv.now)


def show_list(session: Session, inv: Invocation, cmd: Command) -> dict:
    scope = cmd.scope or "open"
    rows, total = projects.overview(
        session, team_id=inv.team_id, user_id=inv.user_id, scope=scope, now=inv.now, limit=views.LIST_SHOWN
    )
    waiting = approvals.pending_by_project(session, team_id=inv.team_id, project_ids=[p.id for p, _, _ in rows if p.id])
    return views.project_list(rows, total=total, scope=scope, waiting=waiting, now=inv.now)


READS: dict[str, Callable[[Session, Invocation, Command], dict]] = {
    "help": show_help,
    "status": show_status,
    "list": show_list,
}


# --- writes: after ack(), one transaction each --------------------------------------------


def create_from_command(services: Services, inv: Invocation, cmd: Command, client: WebClient) -> dict:
    assert cmd.title
    with services.db.reader() as session:  # refuse early, before asking Slack anything
        projects.check_new_project(session, team_id=inv.team_id, channel_id=inv.channel_id, name=cmd.title)
    tz = user_tz(
        services.db, client, team_id=inv.team_id, user_id=inv.user_id, default_tz=services.settings.default_tz, now=inv.now
    )
    today = projects.local_today(tz, inv.now)
    target = parse_date(cmd.date_word, today) if cmd.date_word else None
    with services.db.transaction() as session:
        project = projects.create_project(
            session,
            team_id=inv.team_id,
            channel_id=inv.channel_id,
            owner_id=inv.user_id,
            name=cmd.title,
            client=cmd.client,
            target_date=target,
            tz=tz,
            budget_hours=cmd.hours,
            now=inv.now,
        )
    message = views.project_created(project, [])
    if target and target < today:
        message = views.reply(message["text"] + "\n:warning: The target date is already in the past.", in_channel=True)
    return message


def _today(project: Project, inv: Invocation) -> date:
    return projects.local_today(project.tz, inv.now)


def _due(word: str | None, project: Project, inv: Invocation) -> tuple[date | None, str]:
    """Read a due date; the second value is a warning to add when it has already passed."""
    if not word:
        return None, ""
    due = parse_date(word, _today(project, inv))
    warning = f"\n:warning: {views.day(due)} is already past; the step shows as overdue." if due < _today(project, inv) else ""
    return due, warning


def write_stage(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    old, new, overridden = projects.move_stage(
        session, project=project, actor=inv.user_id, target=cmd.stage, force=cmd.force, now=inv.now
    )
    forced = (
        f" (overriding the sign-off of {len(overridden)} waiting deliverable{'s' if len(overridden) != 1 else ''})"
        if overridden
        else ""
    )
    text = (
        f":arrow_forward: {mention(inv.user_id)} moved {views.project_label(project)} from {old.label} to *{new.label}*{forced}."
    )
    return views.reply(text, in_channel=True)


def write_step_add(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    assert cmd.title
    due, warning = _due(cmd.date_word, project, inv)
    step = projects.add_step(
        session, project=project, actor=inv.user_id, title=cmd.title,
        assignee_id=cmd.user_ids[0] if cmd.user_ids else None, due_date=due, now=inv.now,
    )  # fmt: skip
    who = f" for {mention(step.assignee_id)}" if step.assignee_id else ""
    when = f", due {views.day(step.due_date)}" if step.due_date else ""
    return views.reply(f"Added {views.step_label(step)}{who}{when} to {views.project_label(project)}.{warning}")


def write_step_done(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    done, already = projects.complete_steps(session, project=project, actor=inv.user_id, numbers=cmd.numbers, now=inv.now)
    lines = [f":white_check_mark: {views.step_label(s)} is done." for s in done]
    lines += [f"{views.step_label(s)} was already done." for s in already]
    return views.reply("\n".join(lines))


def write_step_reopen(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    reopened, already = projects.reopen_steps(session, project=project, actor=inv.user_id, numbers=cmd.numbers, now=inv.now)
    lines = [f"Reopened {views.step_label(s)}." for s in reopened]
    lines += [f"{views.step_label(s)} is already open." for s in already]
    return views.reply("\n".join(lines))


def write_step_assign(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    step = projects.assign_step(
        session, project=project, actor=inv.user_id, number=cmd.numbers[0], assignee_id=cmd.user_ids[0], now=inv.now
    )
    return views.reply(f"{views.step_label(step)} is now {mention(cmd.user_ids[0])}'s.")


def write_step_due(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    clear = (cmd.date_word or "").lower() in ("none", "clear", "-")
    due, warning = (None, "") if clear else _due(cmd.date_word, project, inv)
    step = projects.set_step_due(session, project=project, actor=inv.user_id, number=cmd.numbers[0], due_date=due, now=inv.now)
    when = f"is due {views.day(due)}" if due else "has no due date now"
    return views.reply(f"{views.step_label(step)} {when}.{warning}")


def write_approver_add(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    added, existing = projects.add_approvers(session, project=project, actor=inv.user_id, user_ids=cmd.user_ids, now=inv.now)
    parts = []
    if added:
        parts.append(f"{', '.join(mention(u) for u in added)} can now approve deliverables of {views.project_label(project)}.")
    if existing:
        parts.append(
            f"{', '.join(mention(u) for u in existing)} already {'is an approver' if len(existing) == 1 else 'are approvers'}."
        )
    return views.reply(" ".join(parts))


def write_approver_remove(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    removed = projects.remove_approvers(session, project=project, actor=inv.user_id, user_ids=cmd.user_ids, now=inv.now)
    left = projects.approver_ids(session, project)
    fallback = "" if left else f" With no approvers left, {mention(project.owner_id)} signs off deliverables."
    return views.reply(
        f"{', '.join(mention(u) for u in removed)} no longer approve{'s' if len(removed) == 1 else ''} deliverables.{fallback}"
    )


def write_owner(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    projects.hand_over(session, project=project, actor=inv.user_id, new_owner=cmd.user_ids[0], now=inv.now)
    return views.reply(
        f"{mention(inv.user_id)} handed {views.project_label(project)} over to {mention(cmd.user_ids[0])}.", in_channel=True
    )


def write_close(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    projects.close_project(session, project=project, actor=inv.user_id, now=inv.now)
    return views.reply(
        f":checkered_flag: {mention(inv.user_id)} closed {views.project_label(project)}. No more reminders for it.",
        in_channel=True,
    )


def write_budget(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    assert cmd.hours is not None
    projects.set_budget(session, project=project, actor=inv.user_id, hours=cmd.hours, now=inv.now)
    return views.reply(f"Budget of {views.project_label(project)}: {cmd.hours:g}h ({project.hours_used:g}h used so far).")


def write_log(session: Session, inv: Invocation, cmd: Command, project: Project) -> dict:
    assert cmd.hours is not None
    projects.log_hours(session, project=project, actor=inv.user_id, hours=cmd.hours, now=inv.now)
    of_budget = f" of {project.budget_hours:g}h" if project.budget_hours else ""
    return views.reply(f"Logged {cmd.hours:g}h on {views.project_label(project)}: {project.hours_used:g}h{of_budget} used.")


CHANGES_WHO_DECIDES = {"approver add", "approver remove", "owner"}

WRITES: dict[str, Callable[[Session, Invocation, Command, Project], dict]] = {
    "stage": write_stage,
    "step add": write_step_add,
    "step done": write_step_done,
    "step reopen": write_step_reopen,
    "step assign": write_step_assign,
    "step due": write_step_due,
    "approver add": write_approver_add,
    "approver remove": write_approver_remove,
    "owner": write_owner,
    "close": write_close,
    "budget": write_budget,
    "log": write_log,
}
