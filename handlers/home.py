"""The Home tab: published when someone opens it, published again when their steps or decisions
change, and its buttons — Done / Snooze (the reminder DMs' rules) and Approve / Reject (the
approval message's one decision path). Every listener acks first; reading, deciding and
`views.publish` happen on the work threads.

Changes are noticed where they are saved: every change of a step or deliverable writes an audit
row, and a commit that wrote some schedules one debounced refresh for the people it concerns who
have opened their Home here — so no command, click or reminder pass has to remember to do it.
"""

from __future__ import annotations

import logging
import threading
import weakref
from datetime import datetime, timedelta

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from bot.core import home as home_rules
from bot.core.approvals import Verdict
from bot.core.errors import UserError
from bot.core.steps import step_for_button
from bot.messages import ids
from bot.messages.blocks import Message
from bot.messages.errors import STALE_BUTTON, error_text
from bot.services import Services
from bot.slack.approvals import Click, Tell, decide, open_reject_modal
from bot.slack.home_tabs import is_client, publish_home
from bot.slack.outage import oops
from bot.slack.people import user_tz
from bot.slack.proposals import decide_proposal, open_discuss_form
from handlers.context import button_id, installation_team
from storage.models import AuditEvent, utcnow

log = logging.getLogger(__name__)

DEBOUNCE = 1.0  # seconds: a burst of changes (a command touching five steps) is one refresh each
VIEWER_FOR = timedelta(days=1)  # a Home opened within this is kept up to date
VIEWERS_MAX = 10_000


class Homes:
    """Publishes Home tabs, and keeps those opened here up to date (debounced, after the ack)."""

    def __init__(self, services: Services, client: WebClient, *, debounce: float = DEBOUNCE) -> None:
        self.services = services
        self.client = client
        self.debounce = debounce
        self._lock = threading.Lock()
        self._viewers: dict[tuple[str, str], datetime] = {}
        self._pending: list[tuple[str, int | None, str]] = []
        self._timer: threading.Timer | None = None

    # --- publishing ---------------------------------------------------------------------------

    def publish(
        self, team_id: str, user_id: str, *, payload_team: str | None = None, notice: str | None = None, opened: bool = False
    ) -> None:
        """Read the person's Home and publish it (on a work thread: users.info, the database, Slack);
        a failure is recorded for the scheduler's next pass to publish again."""
        self.seen(team_id, user_id)
        publish_home(
            self.services, self.client, team_id=team_id, user_id=user_id, payload_team=payload_team, notice=notice, opened=opened
        )

    def is_client(self, team_id: str, user_id: str, *, payload_team: str | None, now: datetime) -> bool:
        """The audience rule (another organization, a guest, unknown, or named a client of a project)."""
        return is_client(self.services, self.client, team_id=team_id, user_id=user_id, payload_team=payload_team, now=now)

    def tell(self, team_id: str, user_id: str, payload_team: str | None) -> Tell:
        """Answer a Home click on the Home itself: one line at its top, until the next publish."""

        def answer(message: Message) -> None:
            self.publish(team_id, user_id, payload_team=payload_team, notice=str(message.get("text") or ""))

        return answer

    # --- keeping opened Homes up to date ------------------------------------------------------

    def seen(self, team_id: str, user_id: str) -> None:
        with self._lock:
            if len(self._viewers) >= VIEWERS_MAX:
                oldest = sorted(self._viewers, key=self._viewers.__getitem__)[: VIEWERS_MAX // 10]
                for key in oldest:
                    del self._viewers[key]
            self._viewers[(team_id, user_id)] = utcnow()

    def changed(self, changes: list[tuple[str, int | None, str]]) -> None:
        """Called as a commit that changed projects ends: remember, and refresh once the burst is over.
        No database or Slack call here: this runs in whatever thread committed."""
        with self._lock:
            if not self._viewers:
                return
            self._pending.extend(changes)
            if self._timer is None:
                self._timer = threading.Timer(self.debounce, self._flush)
                self._timer.daemon = True
                self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            changes, self._pending, self._timer = self._pending, [], None
        try:
            self.services.work.submit(lambda: self.refresh(changes), "Home refresh")
        except RuntimeError:  # the process is shutting down: the next open publishes afresh
            log.debug("Home refresh dropped at shutdown")

    def refresh(self, changes: list[tuple[str, int | None, str]]) -> None:
        now = utcnow()
        for team_id in {team for team, _, _ in changes}:
            with self._lock:
                viewers = {user for (team, user), at in self._viewers.items() if team == team_id and now - at < VIEWER_FOR}
            if not viewers:
                continue
            with self.services.db.reader() as session:
                people = home_rules.concerned(
                    session, team_id=team_id, changes=[(p, detail) for team, p, detail in changes if team == team_id]
                )
            for user_id in sorted(people & viewers):
                self.publish(team_id, user_id)


_HOMES: weakref.WeakSet[Homes] = weakref.WeakSet()
_CHANGES = "shepherd_home_changes"


def _collect(session: Session, _context: object) -> None:
    for row in session.new:
        if isinstance(row, AuditEvent):
            session.info.setdefault(_CHANGES, []).append((row.team_id, row.project_id, row.detail))


def _deliver(session: Session) -> None:
    changes = session.info.pop(_CHANGES, None)
    if not changes:
        return
    for homes in list(_HOMES):
        if homes.services.db.engine is session.bind:
            homes.changed(changes)


def _forget(session: Session) -> None:
    session.info.pop(_CHANGES, None)


def _listen() -> None:
    if not sa_event.contains(Session, "after_flush", _collect):
        sa_event.listen(Session, "after_flush", _collect)
        sa_event.listen(Session, "after_commit", _deliver)
        sa_event.listen(Session, "after_rollback", _forget)


# --- listeners ----------------------------------------------------------------------------------


def register(app: App, services: Services) -> None:
    homes = Homes(services, app.client)
    _HOMES.add(homes)  # weakly: the listeners below keep it as long as the app lives
    _listen()

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
