"""The Home tab: published when someone opens it, published again when their steps or decisions
change, and its buttons — Done / Snooze (the reminder DMs' rules) and Approve / Reject (the
approval message's one decision path). Every listener acks first; reading, deciding and
`views.publish` happen on the work threads.

Changes are noticed where they are saved: every change of a step or deliverable writes an audit
row, which notes the change on its transaction (`bot/core/projects.py: audit`); when that
transaction commits, `Database.transaction()` hands the changes to `Homes.changed`
(`bot/slack/home_tabs.py`), which schedules one debounced refresh for the people they concern who
have opened their Home here.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.core import home as home_rules
from bot.core.approvals import Verdict
from bot.core.errors import UserError
from bot.core.steps import step_for_button
from bot.messages import ids
from bot.messages.errors import STALE_BUTTON, error_text
from bot.services import Services
from bot.slack.approvals import Click, decide, open_reject_modal
from bot.slack.home_tabs import Homes
from bot.slack.outage import oops
from bot.slack.people import user_tz
from bot.slack.proposals import decide_proposal, open_discuss_form
from handlers.context import button_id, installation_team
from storage.models import utcnow

log = logging.getLogger(__name__)

# --- listeners ----------------------------------------------------------------------------------


def register(app: App, services: Services) -> None:
    homes = Homes(services, app.client)
    services.db.after_commit(homes.changed)  # weakly: the listeners below keep `homes` as long as the app lives

    @app.event("app_home_opened")
    def home_opened(event: dict, context: BoltContext) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        team_id, user_id = installation_team(context), str(event["user"])
        services.work.submit(lambda: homes.publish(team_id, user_id, opened=True), "Home tab")

    @app.action(ids.HOME_STEP_DONE_ACTION)
    def step_done(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        services.work.submit(lambda: _step_click(services, homes, body, context, done=True), "Home Done")

    @app.action(ids.HOME_STEP_SNOOZE_ACTION)
    def step_snooze(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        services.work.submit(lambda: _step_click(services, homes, body, context, done=False), "Home Snooze")

    @app.action(ids.HOME_APPROVE_ACTION)
    def approve(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ack()
        services.work.submit(lambda: _decision_click(services, homes, client, body, context, Verdict.APPROVED), "Home Approve")

    @app.action(ids.HOME_REJECT_ACTION)
    def reject(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ack()
        services.work.submit(lambda: _decision_click(services, homes, client, body, context, Verdict.REJECTED), "Home Reject")

    @app.action(ids.HOME_PROPOSAL_ACCEPT_ACTION)
    def proposal_accept(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ack()
        services.work.submit(lambda: _proposal_click(services, homes, client, body, context, accept=True), "Home Accept")

    @app.action(ids.HOME_PROPOSAL_DISCUSS_ACTION)
    def proposal_discuss(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ack()
        services.work.submit(lambda: _proposal_click(services, homes, client, body, context, accept=False), "Home Discuss")


def _step_click(services: Services, homes: Homes, body: dict, context: BoltContext, *, done: bool) -> None:
    team_id, user_id, now = installation_team(context), body["user"]["id"], utcnow()
    payload_team = body["user"].get("team_id")
    tell = homes.tell(team_id, user_id, payload_team)
    step_id = button_id(body)
    if step_id is None:
        tell({"text": STALE_BUTTON})
        return
    try:
        if done:
            with services.db.transaction() as session:
                home_rules.mark_done(session, team_id=team_id, user_id=user_id, step_id=step_id, now=now)
        else:
            with services.db.reader() as session:  # refuse before asking Slack anything
                step, project = step_for_button(session, team_id=team_id, step_id=step_id, actor=user_id)
            tz = project.tz
            if step.assignee_id:
                tz = user_tz(services.db, homes.client, team_id=team_id, user_id=step.assignee_id, default_tz=tz, now=now)
            until = home_rules.snooze_until(tz, now, services.settings.work_days)
            with services.db.transaction() as session:
                home_rules.snooze(session, team_id=team_id, user_id=user_id, step_id=step_id, until=until, now=now)
    except UserError as error:
        tell({"text": error_text(error)})
        return
    except Exception as error:
        tell({"text": oops(error, log, "a Home step button failed")})
        return
    homes.publish(team_id, user_id, payload_team=payload_team)


def _decision_click(
    services: Services, homes: Homes, client: WebClient, body: dict, context: BoltContext, verdict: Verdict
) -> None:
    click = Click(installation_team(context), body["user"]["id"], button_id(body), utcnow())
    payload_team = body["user"].get("team_id")
    tell = homes.tell(click.team_id, click.user_id, payload_team)
    if click.deliverable_id is None:
        tell({"text": STALE_BUTTON})
        return
    if verdict is Verdict.REJECTED:  # the reason form; its submission takes the approval message's path
        open_reject_modal(services, client, click, trigger_id=body.get("trigger_id", ""), tell=tell)
        return
    if decide(services, client, click, verdict, reason=None, tell=tell) is not None:
        homes.publish(click.team_id, click.user_id, payload_team=payload_team)


def _proposal_click(
    services: Services, homes: Homes, client: WebClient, body: dict, context: BoltContext, *, accept: bool
) -> None:
    """Accept or Discuss a new target date from the Home tab: the channel message's one decision
    (Discuss opens the same comment form), answered on the Home itself."""
    team_id, user_id = installation_team(context), body["user"]["id"]
    payload_team = body["user"].get("team_id")
    tell = homes.tell(team_id, user_id, payload_team)
    proposal_id = button_id(body)
    if proposal_id is None:
        tell({"text": STALE_BUTTON})
        return
    if not accept:
        trigger_id = body.get("trigger_id", "")
        open_discuss_form(
            services, client, team_id=team_id, user_id=user_id, proposal_id=proposal_id, trigger_id=trigger_id, tell=tell
        )
        return
    decided = decide_proposal(
        services, client, team_id=team_id, user_id=user_id, proposal_id=proposal_id, accept=True, comment=None, tell=tell
    )
    if decided:
        homes.publish(team_id, user_id, payload_team=payload_team)
