"""The reminder scheduler: who is reminded of what, when in their own time zone, and exactly once,
through Slack faults, crashes and racing processes. Each pass runs under freezegun as a function of
`now`, against the real database and the Slack stand-in."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from slack_sdk import WebClient
from sqlmodel import select

from bot.core import clients as client_rules
from bot.core import closure, projects
from bot.core import steps as step_rules
from bot.core.reminders.model import DueStep, PassReport
from bot.core.steps import assign_step, complete_steps
from bot.messages.reminders import assignee_dm, channel_digest, escalation
from bot.services import Services
from bot.slack.outbox import Outbox
from bot.slack.reminder_pass import remind
from bot.slack.scheduler import ReminderScheduler
from storage.db import Database
from storage.ledger import CLAIM_FOR
from storage.models import Deliverable, Project, Step, utcnow
from tests.support.blocks import assert_valid_blocks, text_of
from tests.support.harness import HOME_TEAM, HOME_TOKEN, SECRET
from tests.support.reminders import (
    FRI,
    MON,
    NEXT_MON,
    SAT,
    START,
    SUN,
    THU,
    TUE,
    WED,
    Sleeps,
    at,
    make_services,
    posts,
    reminders,
    run_pass,
    seed,
)
from tests.support.slack_stub import SlackStub

ROOT = Path(__file__).resolve().parent.parent
WEEKDAYS = frozenset(range(5))


@pytest.fixture
def services(db: Database, slack: SlackStub) -> Services:
    return make_services(db, slack)


def test_assignee_gets_one_dm_listing_all_their_overdue_steps_across_projects(services, slack, db):
    seed(db, steps=[("Wireframes", "U_BOB", MON), ("Copy", "U_BOB", TUE), ("Logo", "U_CAROL", MON)])
    seed(db, name="Beta app", channel="C_BETA", steps=[("API spec", "U_BOB", MON)])

    report = run_pass(services, slack, at(WED, "10:00"))

    bob = posts(slack, "U_BOB")
    assert len(bob) == 1
    text = text_of(bob[0])
    assert "Wireframes" in text and "Copy" in text and "API spec" in text and "Logo" not in text
    assert "overdue by 2 working days" in text and "overdue by 1 working day" in text
    assert_valid_blocks(bob[0]["blocks"])
    assert len(posts(slack, "U_CAROL")) == 1
    assert report.failed == report.deferred == 0


def test_a_second_pass_the_same_day_sends_nothing_more(services, slack, db):
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    first = run_pass(services, slack, at(WED, "10:00"))
    second = run_pass(services, slack, at(WED, "15:00"))

    assert first.sent == 2  # Bob's DM and the channel digest
    assert second.sent == 0 and second.already == 2
    assert len(posts(slack)) == 2


def test_overdue_steps_are_reminded_each_working_day_but_not_at_the_weekend(services, slack, db):
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    for day in (THU, FRI, SAT, SUN, NEXT_MON):
        run_pass(services, slack, at(day, "11:00"))

    bob = posts(slack, "U_BOB")
    assert len(bob) == 3  # Thursday, Friday, Monday
    assert "overdue by 5 working days" in text_of(bob[-1])  # computed when sent, not when first planned


def test_a_friday_due_step_is_reminded_on_thursday_not_before(services, slack, db):
    seed(db, steps=[("Launch", "U_BOB", FRI)])
    run_pass(services, slack, at(WED, "10:00"))
    assert posts(slack, "U_BOB") == []

    run_pass(services, slack, at(THU, "10:00"))
    bob = posts(slack, "U_BOB")
    assert len(bob) == 1 and "due *tomorrow*" in text_of(bob[0])


def test_a_monday_due_step_is_reminded_the_friday_before(services, slack, db):
    seed(db, steps=[("Launch", "U_BOB", NEXT_MON)])
    run_pass(services, slack, at(THU, "10:00"))
    run_pass(services, slack, at(FRI, "10:00"))
    run_pass(services, slack, at(NEXT_MON, "10:00"))  # due today: no DM (it was reminded on Friday)

    bob = posts(slack, "U_BOB")
    assert len(bob) == 1 and "Launch" in text_of(bob[0])


def test_a_reminder_outside_working_hours_waits_for_the_persons_next_window(services, slack, db):
    slack.user_tz["U_BOB"] = "America/Los_Angeles"
    seed(db, steps=[("Wireframes", "U_BOB", MON)])

    run_pass(services, slack, at(WED, "12:00"))  # 04:00 in Los Angeles
    assert posts(slack, "U_BOB") == []
    run_pass(services, slack, at(WED, "19:00", "America/Los_Angeles"))  # after work
    assert posts(slack, "U_BOB") == []
    run_pass(services, slack, at(THU, "09:05", "America/Los_Angeles"))

    bob = posts(slack, "U_BOB")
    assert len(bob) == 1 and "overdue by 3 working days" in text_of(bob[0])


def test_weekend_reminders_wait_for_monday_morning(services, slack, db):
    seed(db, steps=[("Launch", "U_BOB", NEXT_MON)])
    run_pass(services, slack, at(SAT, "10:00"))
    run_pass(services, slack, at(SUN, "10:00"))
    assert posts(slack) == []


@pytest.mark.parametrize(
    ("tz", "friday", "monday"),
    [
        # Europe/London springs forward on Sunday 29 March 2026: 08:30 UTC is 08:30 on Friday, 09:30 on Monday.
        ("Europe/London", date(2026, 3, 27), date(2026, 3, 30)),
        # America/Los_Angeles springs forward on Sunday 8 March 2026: 16:30 UTC is 08:30 PST, then 09:30 PDT.
        ("America/Los_Angeles", date(2026, 3, 6), date(2026, 3, 9)),
    ],
)
def test_working_hours_follow_daylight_saving_time(services, slack, db, tz, friday, monday):
    slack.user_tz["U_BOB"] = tz
    seed(db, steps=[("Wireframes", "U_BOB", friday - timedelta(days=2))])
    utc_clock = "08:30" if tz == "Europe/London" else "16:30"

    run_pass(services, slack, at(friday, utc_clock))
    assert posts(slack, "U_BOB") == []  # 08:30 local: before work

    run_pass(services, slack, at(monday, utc_clock))
    assert len(posts(slack, "U_BOB")) == 1  # the same UTC time is 09:30 local now


def test_the_channel_digest_goes_out_once_a_day_at_nudge_time_in_the_projects_time_zone(services, slack, db):
    seed(db, tz="Europe/Paris", steps=[("Wireframes", "U_BOB", MON), ("Copy", None, TUE)])
    seed(db, name="Calm", channel="C_CALM", tz="Europe/Paris", steps=[("Later", "U_BOB", NEXT_MON + timedelta(days=7))])

    run_pass(services, slack, at(WED, "09:15", "Europe/Paris"))
    assert posts(slack, "C_PROJ") == []  # Bob's DM may go at 09:15, the digest waits for 09:30
    run_pass(services, slack, at(WED, "09:30", "Europe/Paris"))
    run_pass(services, slack, at(WED, "16:00", "Europe/Paris"))

    digest = posts(slack, "C_PROJ")
    assert len(digest) == 1
    assert "Wireframes" in text_of(digest[0]) and "_unassigned_" in text_of(digest[0])
    assert posts(slack, "C_CALM") == []  # nothing overdue, no digest


def test_nothing_is_sent_about_done_snoozed_or_closed_work(services, slack, db):
    project = seed(db, steps=[("Done one", "U_BOB", MON), ("Snoozed one", "U_BOB", MON), ("Open one", "U_BOB", NEXT_MON)])
    closed = seed(db, name="Old", channel="C_OLD", steps=[("Old step", "U_BOB", MON)])
    with db.transaction() as session:
        complete_steps(session, project=project, actor="U_BOB", numbers=[1], now=START)
        step = session.exec(select(Step).where(Step.project_id == project.id, Step.number == 2)).one()
        step.snoozed_until = THU
        session.add(step)
        closure.close_project(session, project=session.get(Project, closed.id), actor="U_OWNER", force=True, now=START)

    run_pass(services, slack, at(WED, "10:00"))

    assert posts(slack) == []


def test_a_step_done_between_passes_drops_out_of_the_next_dm(services, slack, db):
    project = seed(db, steps=[("Wireframes", "U_BOB", MON), ("Copy", "U_BOB", MON)])
    run_pass(services, slack, at(TUE, "10:00"))
    with db.transaction() as session:
        complete_steps(session, project=project, actor="U_BOB", numbers=[1], now=at(TUE, "12:00"))
    run_pass(services, slack, at(WED, "10:00"))

    tuesday, wednesday = posts(slack, "U_BOB")
    assert "Wireframes" in text_of(tuesday) and "Wireframes" not in text_of(wednesday) and "Copy" in text_of(wednesday)


def test_the_owner_is_told_once_when_a_step_is_overdue_more_than_escalate_after_days(services, slack, db):
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    for day in (THU, FRI, NEXT_MON):  # 3, 4 and 5 working days late
        run_pass(services, slack, at(day, "10:00"))

    owner = posts(slack, "U_OWNER")
    assert len(owner) == 1
    assert "4 working days overdue" in text_of(owner[0])
    assert "Mark done" in text_of(owner[0])  # the owner can act on it from the DM


def add_step(db: Database, project: Project, title: str, assignee: str | None, due: date, when: datetime) -> None:
    with db.transaction() as session:
        step_rules.add_step(
            session, project=session.get_one(Project, project.id), actor="U_OWNER", title=title, assignee_id=assignee,
            due_date=due, now=when,
        )  # fmt: skip


def test_a_step_added_after_the_days_dm_is_reminded_on_its_due_day_in_that_days_only_dm(services, slack, db):
    project = seed(db, steps=[("Wireframes", "U_BOB", THU)])
    run_pass(services, slack, at(WED, "09:05"))
    add_step(db, project, "Copy deck", "U_BOB", THU, at(WED, "11:00"))
    for clock in ("11:05", "17:00"):
        run_pass(services, slack, at(WED, clock))
    assert len(posts(slack, "U_BOB")) == 1  # still one DM on Wednesday

    run_pass(services, slack, at(THU, "09:05"))
    run_pass(services, slack, at(THU, "15:00"))

    wednesday, thursday = posts(slack, "U_BOB")
    assert "Copy deck" not in text_of(wednesday)
    assert "Copy deck" in text_of(thursday) and "Wireframes" in text_of(thursday)
    assert text_of(thursday).count("due *today*") == 2
    with db.reader() as session:
        assert {s.title: s.reminded_on for s in session.exec(select(Step))} == {"Wireframes": THU, "Copy deck": THU}


def test_a_step_handed_to_someone_else_on_its_due_day_reaches_the_new_assignee(services, slack, db):
    seed(db, steps=[("Wireframes", "U_BOB", THU)])
    run_pass(services, slack, at(WED, "09:05"))  # Bob hears of it the day before
    with db.transaction() as session:
        project = session.exec(select(Project)).one()
        assign_step(session, project=project, actor="U_OWNER", number=1, assignee_id="U_CAROL", now=at(THU, "08:00"))
    run_pass(services, slack, at(THU, "09:05"))
    (carol,) = posts(slack, "U_CAROL")
    assert "Wireframes" in text_of(carol) and "due *today*" in text_of(carol)


def test_a_step_created_friday_evening_due_monday_is_reminded_on_monday_morning(services, slack, db):
    project = seed(db)
    add_step(db, project, "Launch", "U_BOB", NEXT_MON, at(FRI, "18:30"))
    for when in (at(FRI, "18:35"), at(SAT, "10:00"), at(SUN, "10:00")):
        run_pass(services, slack, when)
    assert posts(slack, "U_BOB") == []  # after work, then the weekend

    run_pass(services, slack, at(NEXT_MON, "09:05"))
    run_pass(services, slack, at(NEXT_MON, "14:00"))

    (monday,) = posts(slack, "U_BOB")
    assert "Launch" in text_of(monday) and "due *today*" in text_of(monday)


def test_an_owner_gets_one_escalation_dm_per_pass_listing_every_newly_escalated_step(services, slack, db):
    late = MON - timedelta(days=7)
    seed(db, steps=[(f"Late step {n}", f"U_P{n}", late) for n in range(5)])
    beta = seed(db, name="Beta app", channel="C_BETA", steps=[(f"Beta step {n}", None, late) for n in range(3)])
    seed(db, name="Other owner", channel="C_OTHER", owner="U_OTHER", steps=[("Theirs", None, late)])

    first = run_pass(services, slack, at(WED, "10:00"))

    (owner,) = posts(slack, "U_OWNER")
    text = text_of(owner)
    assert all(f"Late step {n}" in text for n in range(5)) and all(f"Beta step {n}" in text for n in range(3))
    assert "Theirs" not in text and text.count("Mark done") == 8
    assert_valid_blocks(owner["blocks"])
    assert len(posts(slack, "U_OTHER")) == 1
    escalations = [row for row in reminders(db).values() if row.kind == "escalation"]
    assert len(escalations) == 9 and {row.status for row in escalations} == {"sent"}
    assert len({row.message_ts for row in escalations if row.recipient == "U_OWNER"}) == 1
    assert first.failed == first.deferred == 0

    run_pass(services, slack, at(THU, "10:00"))  # each step escalates once
    assert len(posts(slack, "U_OWNER")) == 1
    add_step(db, beta, "Newly late", None, MON, at(THU, "12:00"))
    run_pass(services, slack, at(FRI, "10:00"))  # 4 working days late now: only it is new

    assert len(posts(slack, "U_OWNER")) == 2
    newest = text_of(posts(slack, "U_OWNER")[-1])
    assert "Newly late" in newest and "Late step" not in newest and "4 working days overdue" in newest


def test_a_grouped_escalation_that_slack_fails_is_retried_as_one_message_for_all_its_steps(services, slack, db):
    seed(db, steps=[(f"Late step {n}", None, MON - timedelta(days=7)) for n in range(4)])
    slack.fail("chat.postMessage", status=500, error="internal_error", times=2)  # the digest, then the escalation
    when = at(WED, "10:00")

    first = run_pass(services, slack, when)
    assert posts(slack) == [] and first.deferred == 5
    escalations = [row for row in reminders(db).values() if row.kind == "escalation"]
    assert {(row.status, row.attempts) for row in escalations} == {("retry", 1)}
    run_pass(services, slack, when + timedelta(minutes=5))

    (owner,) = posts(slack, "U_OWNER")
    assert all(f"Late step {n}" in text_of(owner) for n in range(4))
    escalations = [row for row in reminders(db).values() if row.kind == "escalation"]
    assert {(row.status, row.attempts) for row in escalations} == {("sent", 2)}


def test_approvers_are_chased_after_approval_chase_days_working_days(services, slack, db):
    project = seed(db)
    assert project.id is not None
    with db.transaction() as session:
        session.add(
            Deliverable(
                team_id=HOME_TEAM, project_id=project.id, title="Homepage <design>", title_key="homepage <design>",
                stage="initiation", submitted_by="U_OWNER", submitted_at=at(MON, "10:00"),
            )
        )  # fmt: skip
        projects.add_approvers(session, project=project, actor="U_OWNER", user_ids=["U_CLIENT"], now=START)

    run_pass(services, slack, at(WED, "11:00"))  # 2 working days: not yet
    assert posts(slack, "U_CLIENT") == []
    run_pass(services, slack, at(THU, "11:00"))
    run_pass(services, slack, at(THU, "15:00"))

    chase = posts(slack, "U_CLIENT")
    assert len(chase) == 1
    assert "Homepage &lt;design&gt;" in text_of(chase[0]) and "3 working days" in text_of(chase[0])


# --- exactly once ------------------------------------------------------------------------------


def test_two_processes_racing_send_exactly_one_message_per_key(db, slack):
    people = [f"U_P{n}" for n in range(12)]
    seed(db, steps=[(f"Step for {p}", p, MON) for p in people])
    url = db.url.render_as_string(hide_password=False)
    when = at(WED, "10:00")
    start = threading.Barrier(2)
    reports: list[PassReport] = []
    errors: list[BaseException] = []

    def process() -> None:
        own_db = Database(url)  # a process of its own: its own engine and connections
        try:
            services = make_services(own_db, slack)
            client = WebClient(token=HOME_TOKEN, base_url=slack.api_url)
            start.wait()
            reports.append(remind(services, client, when, outbox=Outbox(client, sleep=Sleeps()), team_id=HOME_TEAM))
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            own_db.dispose()

    threads = [threading.Thread(target=process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors
    counts = Counter(p["channel"] for p in posts(slack))
    assert counts == Counter({**{p: 1 for p in people}, "C_PROJ": 1})
    assert sum(r.sent for r in reports) == len(people) + 1
    assert all(row.status == "sent" for row in reminders(db).values())


class CrashingOutbox(Outbox):
    """A process dying right after it claimed a reminder and before Slack had it. Our own code is
    replaced here because a real kill cannot be placed between those two statements reliably."""

    def post(self, channel: str, message: dict[str, Any]) -> Any:
        raise SystemExit("killed")


def test_a_crash_after_claiming_delays_the_reminder_until_the_claim_expires_then_sends_it_once(services, slack, db):
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    client = WebClient(token=HOME_TOKEN, base_url=slack.api_url)
    when = at(WED, "10:00")
    with freeze_time(when), pytest.raises(SystemExit):
        remind(services, client, utcnow(), outbox=CrashingOutbox(client))
    assert posts(slack) == []

    soon = run_pass(services, slack, when + timedelta(minutes=1))
    assert posts(slack, "U_BOB") == []  # the dead process's claim still holds
    assert soon.already >= 1
    run_pass(services, slack, when + CLAIM_FOR + timedelta(minutes=1))
    run_pass(services, slack, when + CLAIM_FOR + timedelta(minutes=2))

    assert len(posts(slack, "U_BOB")) == 1
    assert len(posts(slack, "C_PROJ")) == 1


# --- Slack faults ------------------------------------------------------------------------------


def test_a_429_is_waited_out_for_retry_after_then_the_message_goes_once(services, slack, db):
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    slack.fail("chat.postMessage", status=429, headers={"Retry-After": "1"}, error="ratelimited")
    sleeps = Sleeps()

    report = run_pass(services, slack, at(WED, "10:00"), sleeps=sleeps)

    assert len(slack.calls_to("chat.postMessage")) == 3  # the refused try, its retry, the digest
    assert len(posts(slack)) == 2
    assert sleeps.seconds and max(sleeps.seconds) == pytest.approx(1.0, abs=0.05)  # Retry-After: 1
    assert report.sent == 2 and report.deferred == 0


def test_a_long_retry_after_delays_the_reminder_to_a_later_pass_without_losing_or_doubling_it(slack, db):
    services = make_services(db, slack, REMINDER_CONCURRENCY="1")  # one sender: the hold's effect on the next post
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    slack.fail("chat.postMessage", status=429, headers={"Retry-After": "120"}, error="ratelimited")
    when = at(WED, "10:00")

    first = run_pass(services, slack, when)
    assert first.deferred == 2 and posts(slack) == []  # the digest waits out the same Retry-After
    run_pass(services, slack, when + timedelta(minutes=1))  # Slack said two minutes
    assert posts(slack) == []
    run_pass(services, slack, when + timedelta(minutes=3))
    run_pass(services, slack, when + timedelta(minutes=4))

    assert Counter(p["channel"] for p in posts(slack)) == Counter({"U_BOB": 1, "C_PROJ": 1})


def test_while_a_long_retry_after_runs_other_messages_are_deferred_not_slept_on_with_their_claims(slack, db):
    # Sleeping 30 s holding the next message's claim would let it expire under a slow Slack and
    # another process send the same reminder again: the pass hands it to a later pass instead.
    services = make_services(db, slack, REMINDER_CONCURRENCY="1")  # one sender: the hold's effect on the next post
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    slack.fail("chat.postMessage", status=429, headers={"Retry-After": "30"}, error="ratelimited", times=1)
    sleeps = Sleeps()
    when = at(WED, "10:00")

    first = run_pass(services, slack, when, sleeps=sleeps)

    assert first.deferred == 2 and posts(slack) == []
    assert len(slack.calls_to("chat.postMessage")) == 1  # the digest was not even tried
    assert all(seconds <= 10 for seconds in sleeps.seconds)
    run_pass(services, slack, when + timedelta(minutes=1))
    assert Counter(p["channel"] for p in posts(slack)) == Counter({"U_BOB": 1, "C_PROJ": 1})


def test_server_errors_are_retried_on_a_later_pass_with_an_attempt_count(services, slack, db):
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    slack.fail("chat.postMessage", status=500, error="internal_error", times=2)
    when = at(WED, "10:00")

    run_pass(services, slack, when)
    rows = reminders(db)
    assert {row.status for row in rows.values()} == {"retry"}
    assert {row.attempts for row in rows.values()} == {1}
    run_pass(services, slack, when + timedelta(minutes=5))

    assert Counter(p["channel"] for p in posts(slack)) == Counter({"U_BOB": 1, "C_PROJ": 1})
    assert {row.attempts for row in reminders(db).values()} == {2}


def test_a_reminder_that_failed_yesterday_goes_out_today_once_not_twice(services, slack, db):
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    slack.fail("chat.postMessage", status=503, error="service_unavailable", times=50)
    run_pass(services, slack, at(TUE, "10:00"))
    run_pass(services, slack, at(TUE, "17:59"))
    slack.reset()

    run_pass(services, slack, at(WED, "10:00"))

    assert Counter(p["channel"] for p in posts(slack)) == Counter({"U_BOB": 1, "C_PROJ": 1})
    statuses = Counter(row.status for row in reminders(db).values())
    assert statuses == Counter({"sent": 2, "superseded": 2})  # Tuesday's carried by Wednesday's


def test_a_permanent_error_is_recorded_reported_to_the_owner_once_and_not_retried(slack, db):
    services = make_services(db, slack, REMINDER_CONCURRENCY="1")  # the scripted failure meets the DM, sent first
    seed(db, steps=[("Wireframes", "U_GONE", MON), ("Copy", "U_GONE", TUE)])
    slack.fail("chat.postMessage", error="account_inactive")

    first = run_pass(services, slack, at(WED, "10:00"))
    run_pass(services, slack, at(WED, "11:00"))
    run_pass(services, slack, at(WED, "12:00"))

    assert first.failed == 1
    gone = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "U_GONE"]
    assert len(gone) == 1
    report = posts(slack, "U_OWNER")
    assert len(report) == 1 and "account_inactive" in text_of(report[0]) and "<@U_GONE>" in text_of(report[0])
    assert reminders(db)[f"assignee:{HOME_TEAM}:U_GONE:{WED.isoformat()}"].status == "failed"


def test_the_pacer_keeps_a_second_between_messages_to_the_same_channel(services, slack, db):
    project = seed(db, steps=[("Wireframes", "U_BOB", MON)])
    with db.transaction() as session:  # Bob owns the project: his DM and an escalation, both to him
        session.get_one(Project, project.id).owner_id = "U_BOB"
    sleeps = Sleeps()
    run_pass(services, slack, at(NEXT_MON, "10:00"), sleeps=sleeps)

    assert len(posts(slack, "U_BOB")) == 2
    assert sleeps.seconds and max(sleeps.seconds) == pytest.approx(1.0, abs=0.05)


# --- builders ----------------------------------------------------------------------------------


def _due(n: int, title: str = "Step", due: date = MON) -> DueStep:
    return DueStep(n, n, title, due, "U_BOB", 1, "Acme <script>", "C_PROJ", "U_OWNER")


def test_a_dm_with_many_steps_stays_within_block_kit_limits_and_escapes_titles():
    message = assignee_dm([_due(n, "<!channel> " + "x" * 400) for n in range(1, 40)], today=WED, work_days=WEEKDAYS)

    assert_valid_blocks(message["blocks"])
    text = text_of(message)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "and 19 more" in text


def test_the_digest_is_cut_with_and_n_more():
    message = channel_digest([_due(n) for n in range(1, 30)], today=WED, work_days=WEEKDAYS)
    assert_valid_blocks(message["blocks"])
    assert "and 19 more" in text_of(message)


def test_a_grouped_escalation_stays_within_block_kit_limits_and_escapes_titles():
    message = escalation([(_due(n, "<!here> " + "x" * 400), 5) for n in range(1, 30)])

    assert_valid_blocks(message["blocks"])
    text = text_of(message)
    assert "<!here>" not in text and "&lt;!here&gt;" in text
    assert "29 steps" in text and "and 9 more" in text and text.count("Mark done") == 20


# --- running it --------------------------------------------------------------------------------


def _env(db: Database, slack: SlackStub, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k != "DATABASE_URL"}
    env.update(
        SLACK_BOT_TOKEN=HOME_TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url,
        DATABASE_URL=db.url.render_as_string(hide_password=False), PYTHONPATH=str(ROOT),
        WORK_HOURS="00:00-23:59", WORK_DAYS="mon-sun", NUDGE_TIME="00:00",
    )  # fmt: skip
    return env | extra


def test_python_m_bot_remind_runs_one_pass_and_exits(db, slack, tmp_path):
    today = datetime.now(UTC).date()
    seed(db, steps=[("Wireframes", "U_BOB", today - timedelta(days=3))])
    command = [sys.executable, "-m", "bot", "remind"]

    done = subprocess.run(command, cwd=tmp_path, env=_env(db, slack), capture_output=True, text=True)
    again = subprocess.run(command, cwd=tmp_path, env=_env(db, slack), capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert again.returncode == 0, again.stderr
    assert Counter(p["channel"] for p in reminder_posts(slack)) == Counter({"U_BOB": 1, "C_PROJ": 1})
    assert [p["channel"] for p in notice_posts(slack)] == ["U_BOB"]  # the owner gave him the step: told once


def reminder_posts(slack) -> list[dict[str, Any]]:
    """What the pass posted but the DMs telling people that someone else changed their steps."""
    return [p for p in posts(slack) if "to your steps" not in p["text"]]


def notice_posts(slack) -> list[dict[str, Any]]:
    return [p for p in posts(slack) if "to your steps" in p["text"]]


def test_two_remind_processes_started_together_send_each_reminder_once(db, slack, tmp_path):
    today = datetime.now(UTC).date()
    people = [f"U_P{n}" for n in range(8)]
    seed(db, steps=[(f"Step for {p}", p, today - timedelta(days=2)) for p in people])
    command = [sys.executable, "-m", "bot", "remind"]

    running = [subprocess.Popen(command, cwd=tmp_path, env=_env(db, slack), stderr=subprocess.PIPE, text=True) for _ in range(2)]
    stderrs = [process.communicate(timeout=60)[1] for process in running]  # reads stderr while waiting: no full pipe
    results = [(process.returncode, stderr) for process, stderr in zip(running, stderrs, strict=True)]

    assert [code for code, _ in results] == [0, 0], results
    assert Counter(p["channel"] for p in reminder_posts(slack)) == Counter({**{p: 1 for p in people}, "C_PROJ": 1})
    assert Counter(p["channel"] for p in notice_posts(slack)) == Counter(people)  # each told of the step once


def test_python_m_bot_remind_with_a_bad_token_stops_with_one_clear_line(db, slack, tmp_path):
    env = _env(db, slack, SLACK_BOT_TOKEN="xoxb-revoked")
    done = subprocess.run([sys.executable, "-m", "bot", "remind"], cwd=tmp_path, env=env, capture_output=True, text=True)

    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].startswith("shepherd: SLACK_BOT_TOKEN")


@pytest.fixture
def scheduler(db: Database, slack: SlackStub) -> Iterator[ReminderScheduler]:
    services = make_services(db, slack, WORK_HOURS="00:00-23:59", WORK_DAYS="mon-sun", NUDGE_TIME="00:00", REMINDER_INTERVAL="5")
    running = ReminderScheduler(services)
    yield running
    running.stop()


def test_the_background_scheduler_runs_passes_on_its_own(db, slack, scheduler):
    seed(db, steps=[("Wireframes", "U_BOB", datetime.now(UTC).date() - timedelta(days=3))])
    scheduler.start()

    slack.wait_for("chat.postMessage", count=2, timeout=15)
    scheduler.stop()

    assert Counter(p["channel"] for p in posts(slack)) == Counter({"U_BOB": 1, "C_PROJ": 1})


def test_a_client_never_looked_up_is_waited_on_in_the_first_digest_not_named_late(services, slack, db):
    """The pass asks Slack who people are before it words anything: someone of another organization,
    unknown until this pass, is a client the client is waited on, never staff who are late."""
    slack.user_team["U_DANA"] = "T_ACME"  # another organization; no one has asked users.info yet
    seed(db, steps=[("Homepage copy", "U_DANA", MON), ("Wireframes", "U_BOB", MON)])

    run_pass(services, slack, at(WED, "10:00"))

    [digest] = posts(slack, "C_PROJ")
    said = text_of(digest)
    assert "Homepage copy: waiting on <@U_DANA> (client)" in said
    assert "Wireframes" in said and "<@U_BOB>" in said  # staff lateness stays as it was


def test_someone_named_a_client_of_another_project_is_waited_on_here_too(services, slack, db):
    """A client named on any project is a client on every project (fail closed), in the digest too."""
    other = seed(db, name="Beta app", channel="C_BETA")
    with db.transaction() as session:
        client_rules.add_clients(
            session, project=session.get_one(Project, other.id), actor="U_OWNER", user_ids=["U_DANA"], now=START
        )
    seed(db, steps=[("Homepage copy", "U_DANA", MON)])

    run_pass(services, slack, at(WED, "10:00"))

    [digest] = posts(slack, "C_PROJ")
    assert "Homepage copy: waiting on <@U_DANA> (client)" in text_of(digest)
