"""One reminder pass: read what is due, learn people's time zones, plan, then send what is owed —
several messages at once, each key once, within Slack's limits.

    report = remind(services, client, utcnow())   # the scheduler runs one every REMINDER_INTERVAL

Safe to run in any number of processes at once: the ledger's unique keys decide who sends what.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import home
from bot.core.dates import working_days_between
from bot.core.reminders.load import load, unchecked_projects, with_clients_known
from bot.core.reminders.model import ASSIGNEE, CHASE, DIGEST, ESCALATION, UNREACHABLE, Outgoing, PassReport
from bot.core.reminders.plan import Clock, active, due_now, plan, waited, waited_since
from bot.messages import reminders as messages
from bot.messages.blocks import Message
from bot.services import Services
from bot.slack.channels import CHECK_EVERY, check_channel
from bot.slack.outbox import Outbox
from bot.slack.people import user_tzs
from bot.slack.ratelimit import RateLimited
from storage import ledger
from storage.ledger import Entry
from storage.models import Project, utcnow

log = logging.getLogger(__name__)

# Slack will not take these for this recipient however often we try: record, tell the owner, stop.
PERMANENT_ERRORS = frozenset({"channel_not_found", "not_in_channel", "user_not_found", "account_inactive", "is_archived"})


def remind(
    services: Services,
    client: WebClient,
    now: datetime,
    *,
    outbox: Outbox | None = None,
    team_id: str | None = None,
    process_id: str | None = None,
) -> PassReport:
    """One reminder pass at `now` for the workspace whose bot token `client` carries."""
    settings, db = services.settings, services.db
    outbox = outbox or Outbox(client)
    team_id = team_id or client.auth_test()["team_id"]
    me = process_id or f"{socket.gethostname()}:{os.getpid()}"
    report = PassReport()
    started = utcnow()

    def moment() -> datetime:  # `now`, moved on by the time this pass has taken so far
        return now + (utcnow() - started)

    with db.reader() as session:  # first ask Slack which project channels a client may read
        unchecked = unchecked_projects(session, team_id=team_id, now=now, settings=settings, older_than=now - CHECK_EVERY)
    check_channels(services, client, unchecked, now=now, stop=outbox.stopping)
    with db.reader() as session:
        world = load(session, team_id=team_id, now=now, settings=settings)
    people = world.people()
    zones = user_tzs(db, client, team_id=team_id, user_ids=people, default_tz=settings.default_tz, now=now, stop=outbox.stopping)
    with db.reader() as session:  # who is a client, now that Slack has been asked about everyone
        world = with_clients_known(session, world, team_id=team_id)
    report.unknown_people = len(people - set(zones))
    clock = Clock(settings, now)
    report.snoozed = sum(1 for s in world.steps if not active(s, clock.today(s.project_tz)))
    candidates = plan(world, team_id=team_id, zones=zones, clock=clock)
    outgoing, obsolete = due_now(candidates, world.owed, report, unknown=people - set(zones))
    if obsolete:
        ledger.supersede(db, obsolete, now=now)
        report.superseded += len(obsolete)
    busy = ledger.settled(db, [out.key for out in outgoing], now=now)
    report.already += sum(1 for out in outgoing if out.key in busy)
    units = interleave(batched([out for out in outgoing if out.key not in busy]))

    def deliver(unit: list[Outgoing]) -> None:
        claim_and_send(services, outbox, unit, team_id=team_id, me=me, now=moment, report=report)

    send_all(units, workers=settings.reminder_concurrency, stop=outbox.stopping, send=deliver)
    return report


CHECK_WAIT_MAX = 10.0  # a longer Retry-After on conversations.info leaves the rest to a later pass


def check_channels(
    services: Services, client: WebClient, projects: Sequence[Project], *, now: datetime, stop: threading.Event
) -> None:
    """Ask Slack which project channels are shared, one after another, within its limits: a short
    Retry-After is waited out, a long one ends the checks for this pass (the unchecked count as
    client-facing meanwhile, failing closed)."""
    for project in projects:
        for attempt in range(2):
            if stop.is_set():
                return
            try:
                check_channel(services, client, project, now=now)
                break
            except RateLimited as limit:
                if attempt or limit.retry_after > CHECK_WAIT_MAX or stop.wait(limit.retry_after):
                    log.info("conversations.info rate limited (retry after %gs): the rest wait", limit.retry_after)
                    return


def send_all(units: list[list[Outgoing]], *, workers: int, stop: threading.Event, send: Callable[[list[Outgoing]], None]) -> None:
    """Send units on `workers` threads at once; one recipient's units go one after another (the
    outbox paces each channel), and nothing new starts once `stop` is set."""
    by_recipient: dict[str, list[list[Outgoing]]] = defaultdict(list)
    for unit in units:
        by_recipient[unit[0].recipient].append(unit)
    queues = list(by_recipient.values())

    def drain(queue: list[list[Outgoing]]) -> None:
        for unit in queue:
            if stop.is_set():
                return
            send(unit)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="shepherd-remind") as pool:
        running: set[Future[None]] = set()
        for queue in queues:  # bounded: never more in flight than twice the workers
            if len(running) >= workers * 2:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                _raise_from(done)
            if stop.is_set():
                break
            running.add(pool.submit(drain, queue))
        done, _ = wait(running)
        _raise_from(done)


def _raise_from(done: set[Future[None]]) -> None:
    """A sender that died (a crash mid-send) ends the pass as it would have without threads."""
    for future in done:
        future.result()


def claim_and_send(
    services: Services, outbox: Outbox, unit: list[Outgoing], *, team_id: str, me: str, now: Callable[[], datetime],
    report: PassReport,
) -> None:  # fmt: skip
    """Claim each key of the unit (the database decides who sends it); one message carries every key won."""
    db = services.db
    first = unit[0]
    held = f"escalating:{team_id}:{first.recipient}" if first.kind == ESCALATION else None
    if held and not ledger.lock(db, held, team_id=team_id, me=me, now=now()):
        _count(report, already=len(unit))  # another process is escalating to this owner: a later pass has the rest
        return
    try:
        claimed = [out for out in unit if ledger.claim(db, _entry(out), team_id=team_id, me=me, now=now())]
        _count(report, already=len(unit) - len(claimed))
        if claimed:
            send(services, outbox, claimed, team_id=team_id, now=now, report=report)
    finally:
        if held:
            ledger.unlock(db, held, me=me)


def send(
    services: Services, outbox: Outbox, unit: list[Outgoing], *, team_id: str, now: Callable[[], datetime], report: PassReport
) -> None:
    """Send one message for the claimed keys of `unit`; they are marked sent, deferred or failed together."""
    db = services.db
    first = unit[0]
    keys = [out.key for out in unit]
    try:
        response = outbox.post(first.recipient, render(unit, services, now(), client=outbox.client))
    except RateLimited as error:
        ledger.retry_later(db, keys, error=str(error), delay=timedelta(seconds=error.retry_after), now=now())
        _count(report, deferred=len(unit))
        return
    except SlackApiError as error:
        code = str(error.response.get("error") or f"http_{error.response.status_code}")
        if code in PERMANENT_ERRORS:
            log.warning("reminder %s: Slack refused %s for good (%s)", ", ".join(keys), first.recipient, code)
            reports = [
                Entry(f"{UNREACHABLE}:{out.recipient}:{owner}:{code}", UNREACHABLE, owner, out.project_id)
                for out in unit
                for owner in out.report_to
            ]
            ledger.fail_for_good(db, keys, reports=reports, team_id=team_id, error=code, now=now())
            _count(report, failed=len(unit))
        else:
            ledger.retry_later(db, keys, error=code, delay=None, now=now())
            _count(report, deferred=len(unit))
        return
    except Exception as error:  # timeouts, connection errors, a 5xx without JSON: all worth another try
        log.warning("reminder %s: %s", ", ".join(keys), error)
        ledger.retry_later(db, keys, error=type(error).__name__, delay=None, now=now())
        _count(report, deferred=len(unit))
        return
    # Marked sent right after Slack took it: only a crash in this instant could send it twice.
    reminded = [([s.step_id for s in out.steps[: messages.MAX_DM_STEPS]], out.reminds_on) for out in unit if out.reminds_on]
    ledger.finish(db, keys, sent_at=now(), channel_id=response.get("channel"), message_ts=response.get("ts"), reminded=reminded)
    _count(report, sent=len(unit))


def render(unit: Sequence[Outgoing], services: Services, now: datetime, *, client: WebClient | None = None) -> Message:
    """The message for a unit, written now: "overdue by 2 working days" is true when it is sent.
    With `client`, a chase links each approval message (chat.getPermalink; without, no link)."""
    first = unit[0]
    work_days = services.settings.work_days
    today = Clock(services.settings, now).today(first.tz)
    if first.kind == ASSIGNEE:
        return messages.assignee_dm(first.steps, today=today, work_days=work_days)
    if first.kind == DIGEST:
        return messages.channel_digest(first.steps, today=today, work_days=work_days)
    if first.kind == ESCALATION:
        steps = [s for out in unit for s in out.steps]
        with services.db.reader() as session:
            links = home.step_links(session, step_ids=[s.step_id for s in steps])
        return messages.escalation([(s, working_days_between(s.due_date, today, work_days)) for s in steps], links)
    if first.kind == CHASE:
        with services.db.reader() as session:
            found = home.approval_locations(session, deliverable_ids=[d.deliverable_id for d in first.waiting])
        permalinks = {d: link for d, (channel, ts) in found.items() if client and (link := permalink(client, channel, ts))}
        dates = {p.proposal_id: link for p in first.proposals if client and p.message and (link := permalink(client, *p.message))}
        return messages.approver_chase(
            [(d, waited(d, first.tz, today, work_days)) for d in first.waiting], permalinks,
            [(p, waited_since(p.proposed_at, first.tz, today, work_days)) for p in first.proposals], dates,
        )  # fmt: skip
    assert first.kind == UNREACHABLE and first.about is not None
    who, error, name = first.about
    return messages.unreachable_report(recipient=who, error=error, project_name=name)


def permalink(client: WebClient, channel: str, ts: str) -> str | None:
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except Exception:  # the chase still goes out, its buttons work; only the link is missing
        log.warning("chat.getPermalink for %s/%s failed", channel, ts)
        return None


def batched(outgoing: list[Outgoing]) -> list[list[Outgoing]]:
    """The messages to send: outgoings sharing a batch together (in key order), every other one alone."""
    units: list[list[Outgoing]] = []
    batches: dict[str, list[Outgoing]] = {}
    for out in sorted(outgoing, key=lambda o: o.key):
        if out.batch is None:
            units.append([out])
        elif out.batch in batches:
            batches[out.batch].append(out)
        else:
            batches[out.batch] = [out]
            units.append(batches[out.batch])
    return units


def interleave(units: list[list[Outgoing]]) -> list[list[Outgoing]]:
    """Round-robin over recipients, so one person's three messages don't queue behind the pacer."""
    queues: dict[str, list[list[Outgoing]]] = defaultdict(list)
    for unit in sorted(units, key=lambda u: u[0].key):
        queues[unit[0].recipient].append(unit)
    ordered: list[list[Outgoing]] = []
    while queues:
        for recipient in list(queues):
            ordered.append(queues[recipient].pop(0))
            if not queues[recipient]:
                del queues[recipient]
    return ordered


def _entry(out: Outgoing) -> Entry:
    return Entry(out.key, out.kind, out.recipient, out.project_id)


_lock = threading.Lock()  # the report is counted from several sender threads


def _count(report: PassReport, **counts: int) -> None:
    with _lock:
        for name, value in counts.items():
            setattr(report, name, getattr(report, name) + value)
