"""Publishing someone's Home tab, and publishing again the ones Slack failed to take: a failed
`views.publish` is recorded, and the next scheduler pass retries it for people who opened their
Home within RETRY_FOR (one retry per failure, whichever process claims it: no publish storm).
`Homes` keeps the Homes opened in this process up to date: the database hands it the changes each
committed transaction noted (`Database.after_commit`), and it publishes again, debounced, the Homes
those changes concern.

    publish_home(services, client, team_id="T1", user_id="U1")   # True when Slack took it
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import home as home_rules
from bot.core.audience import Audience, audience
from bot.core.clients import named_anywhere
from bot.core.reminders.model import Tally
from bot.messages.blocks import Message
from bot.messages.home import home_view
from bot.services import Services
from bot.slack.people import person_facts
from storage import home_tabs
from storage.models import utcnow

log = logging.getLogger(__name__)

DEBOUNCE = 1.0  # seconds: a burst of changes (a command touching five steps) is one refresh each
VIEWER_FOR = timedelta(days=1)  # a Home opened within this is kept up to date
VIEWERS_MAX = 10_000
RETRY_FOR = timedelta(days=1)  # a Home opened within this is published again after a failure
RETRIES_PER_PASS = 50


def publish_home(
    services: Services, client: WebClient, *, team_id: str, user_id: str, payload_team: str | None = None,
    notice: str | None = None, opened: bool = False,
) -> bool:  # fmt: skip
    """Read the person's Home and publish it; remember whether Slack took it (`opened`: they just opened it)."""
    now = utcnow()
    if opened:
        _record(services, lambda session: home_tabs.record_opened(session, team_id=team_id, user_id=user_id, now=now))
    client_view = is_client(services, client, team_id=team_id, user_id=user_id, payload_team=payload_team, now=now)
    with services.db.reader() as session:
        home = home_rules.home_of(session, team_id=team_id, user_id=user_id, client=client_view, now=now)
        failed_before = home_tabs.publish_failed(session, team_id=team_id, user_id=user_id)
    view = home_view(home, now=now, work_days=services.settings.work_days, notice=notice)
    try:
        client.views_publish(user_id=user_id, view=view)
    except Exception:
        log.warning("views.publish for %s failed; a later pass publishes it again", user_id, exc_info=True)
        _record(services, lambda s: home_tabs.record_published(s, team_id=team_id, user_id=user_id, ok=False, now=now))
        return False
    if failed_before:
        _record(services, lambda s: home_tabs.record_published(s, team_id=team_id, user_id=user_id, ok=True, now=now))
    return True


def is_client(
    services: Services, client: WebClient, *, team_id: str, user_id: str, payload_team: str | None, now: datetime
) -> bool:
    """The audience rule (another organization, a guest, unknown, or named a client of a project)."""
    facts = person_facts(services.db, client, team_id=team_id, user_id=user_id, now=now)
    with services.db.reader() as session:
        named = named_anywhere(session, team_id=team_id, user_id=user_id)
    return audience(home_team=team_id, payload_team=payload_team, facts=facts, named_client=named) is Audience.CLIENT


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

    def tell(self, team_id: str, user_id: str, payload_team: str | None) -> Callable[[Message], None]:
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


def retry_failed_homes(
    services: Services, client: WebClient, *, team_id: str, now: datetime, stop: threading.Event, tally: Tally
) -> None:
    """Publish again the Homes whose last publish failed, for people who opened theirs lately."""
    with services.db.reader() as session:
        owed = home_tabs.retries_owed(session, team_id=team_id, opened_since=now - RETRY_FOR, limit=RETRIES_PER_PASS)
    for n, (user_id, failed_at) in enumerate(owed):
        if stop.is_set():
            tally.held += len(owed) - n
            return
        with services.db.transaction() as session:
            if not home_tabs.claim_retry(session, team_id=team_id, user_id=user_id, failed_at=failed_at):
                continue  # another pass has it
        if publish_home(services, client, team_id=team_id, user_id=user_id):
            tally.sent += 1
        else:
            tally.deferred += 1  # recorded again: the next pass tries again


def _record(services: Services, write: Callable[[Session], None]) -> None:
    """Keep what happened; a database hiccup here must not cost the person their Home."""
    try:
        services.db.persist(write)
    except Exception:
        log.warning("could not record the Home tab's publish", exc_info=True)
