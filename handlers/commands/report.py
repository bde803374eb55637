"""`/project report [project]`: the project report — Markdown, and a CSV of its steps beside it —
uploaded to whoever asked, in their DM, or in the project's internal channel when asked there.
Team only: a client is refused, and by name only this workspace's projects are found."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.core import grammar, projects
from bot.core.audience import is_named_client
from bot.core.errors import NoProjectHere, ReportNotUploaded, TeamOnly
from bot.core.report import project_report, report_channel
from bot.messages import report as messages
from bot.messages.blocks import Message
from bot.slack.channels import channel_shared
from bot.slack.ratelimit import RateLimited
from bot.slack.uploads import Upload, UploadFailed, dm_channel, share_files
from handlers.answer import Answer
from handlers.commands.declare import Kind, Request, verb
from storage.models import Project


@verb(
    "report", grammar.project_only, usage="report [project]",
    does="the project report as files: Markdown, and a CSV of the steps (team); to your DMs, or here in the internal channel",
    kind=Kind.SLACK,
)  # fmt: skip
def send_report(req: Request, args: grammar.ProjectOnly) -> Message:
    with req.services.db.reader() as session:
        project = report_project(session, req, args.project)
        if is_named_client(session, project_id=project.id, user_id=req.user_id):  # a closed project's client too
            raise TeamOnly("report", project.id)
        found = project_report(session, project=project, now=req.now, work_days=req.services.settings.work_days)
        channel = report_channel(session, project, asked_in=req.channel_id)
    report_name, steps_name = messages.file_names(found)
    files = [
        Upload(report_name, f"{project.name}: project report", messages.report_markdown(found)),
        Upload(steps_name, f"{project.name}: steps", messages.steps_csv(found)),
    ]
    if channel is not None and channel_may_be_shared(req, channel):
        channel = None  # the flag on record is a day old at most: ask Slack now, and fail closed
    Answer(req.client, req.user_id, req.channel_id, respond=req.respond)(messages.report_coming(project, channel))
    try:
        where = channel or dm_channel(req.client, req.user_id)
        share_files(req.client, channel_id=where, files=files, comment=messages.report_comment(found))
    except UploadFailed as failed:
        raise ReportNotUploaded(project.name, failed.code, failed.maybe_shared) from None
    return messages.report_sent(project, channel)


def report_project(session: Session, req: Request, name: str | None) -> Project:
    """The project named, or this channel's; in an internal channel (no project of its own), the
    one project whose team-only posts go there."""
    try:
        return projects.find_project(session, team_id=req.team_id, channel_id=req.channel_id, name=name)
    except NoProjectHere:
        served = session.exec(
            select(Project).where(Project.team_id == req.team_id, Project.internal_channel_id == req.channel_id).limit(2)
        ).all()
        if len(served) != 1:
            raise
        return served[0]


def channel_may_be_shared(req: Request, channel: str) -> bool:
    """Is the channel shared with another organization, as Slack says right now? Unknown (Slack
    failing, rate limited) counts as shared: the report then goes to the asker's DM."""
    try:
        return channel_shared(req.client, channel) is not False
    except RateLimited:
        return True
