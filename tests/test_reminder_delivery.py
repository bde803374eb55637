"""Where reminders go and how they travel: team-only digests never reach a client's channel, an
owner gets one escalation DM however many processes run, messages go out concurrently, many
unknown people are looked up a page at a time, and a stopping process stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slack_sdk import WebClient

from bot.core import clients
from bot.slack.outbox import Outbox
from bot.slack.reminder_pass import remind
from storage.db import Database
from storage.models import Project
from tests.support.blocks import text_of
from tests.support.harness import HOME_TEAM, HOME_TOKEN, SECRET
from tests.support.reminders import MON, START, WED, Sleeps, at, make_services, posts, run_pass, seed

ROOT = Path(__file__).resolve().parent.parent


def shared(db: Database, project: Project, *, is_shared: bool = True) -> None:
    """What conversations.info said about the project channel, as the pass remembers it."""
    with db.transaction() as session:
        clients.remember_channel_shared(session, project_id=project.id or 0, shared=is_shared, now=at(WED, "08:00"))


def test_a_shared_channels_digest_goes_to_the_owner_when_there_is_no_internal_channel(db, slack):
    project = seed(db, steps=[("QA test plan", "U_DEV", MON)])
    shared(db, project)
    run_pass(make_services(db, slack), slack, at(WED, "10:00"))
    assert posts(slack, "C_PROJ") == []
    [digest] = [p for p in posts(slack, "U_OWNER") if "overdue step" in p["text"]]
    assert "QA test plan" in text_of(digest)


def test_a_shared_channels_digest_goes_to_its_internal_channel(db, slack):
    project = seed(db, steps=[("QA test plan", "U_DEV", MON)])
    with db.transaction() as session:
        clients.set_internal_channel(
            session, project=session.get(Project, project.id), actor="U_OWNER", channel_id="C_TEAM", now=START
        )
    slack.shared_channels.add("C_PROJ")  # the pass asks Slack itself (conversations.info)
    run_pass(make_services(db, slack), slack, at(WED, "10:00"))
    assert posts(slack, "C_PROJ") == [] and len(posts(slack, "C_TEAM")) == 1
    assert [c.params["channel"] for c in slack.calls_to("conversations.info")] == ["C_PROJ"]


def test_an_unshared_channel_still_gets_its_digest_and_a_clients_step_reads_as_waiting_on_them(db, slack):
    project = seed(db, steps=[("Send the logo files", "U_ACME", MON), ("QA test plan", "U_DEV", MON)])
    slack.user_team["U_ACME"] = "T_ACMECORP"
    services = make_services(db, slack)
    run_pass(services, slack, at(WED, "10:00"))  # learns who U_ACME is; the channel isn't shared yet...
    assert project.id is not None
    with db.reader() as session:
        assert session.get(Project, project.id).channel_shared is False  # type: ignore[union-attr]
    # ...but with a client among the assignees known, a named client makes the channel client-facing:
    with db.transaction() as session:
        clients.add_clients(session, project=session.get(Project, project.id), actor="U_OWNER", user_ids=["U_ACME"], now=START)
    run_pass(services, slack, at(WED + timedelta(days=1), "10:00"))
    to_owner = [p for p in posts(slack, "U_OWNER") if "overdue step" in p["text"]]
    assert len(posts(slack, "C_PROJ")) == 1 and len(to_owner) == 1  # day one in the channel, day two to the owner
    assert "waiting on <@U_ACME> (client)" in text_of(to_owner[0]) and "<@U_DEV>, *overdue by" in text_of(to_owner[0])


def test_two_processes_send_one_owner_one_escalation_dm(db, slack):
    seed(db, steps=[(f"Late step {n}", None, MON - timedelta(days=7)) for n in range(6)])
    url = db.url.render_as_string(hide_password=False)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def process() -> None:
        own_db = Database(url)
        try:
            client = WebClient(token=HOME_TOKEN, base_url=slack.api_url)
            start.wait()
            remind(
                make_services(own_db, slack), client, at(WED, "10:00"), outbox=Outbox(client, sleep=Sleeps()), team_id=HOME_TEAM
            )
        except BaseException as error:
            errors.append(error)
        finally:
            own_db.dispose()

    threads = [threading.Thread(target=process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    escalations = [p for p in posts(slack, "U_OWNER") if "overdue" in p["text"] and "working day" in text_of(p)]
    assert len(escalations) == 1
    assert all(f"Late step {n}" in text_of(escalations[0]) for n in range(6))


def test_reminders_to_different_people_go_out_at_the_same_time(db, slack):
    """Ordering, not timing: with Slack taking 0.3 s a message, DMs to different people overlap."""
    people = [f"U_P{n}" for n in range(16)]
    seed(db, steps=[(f"Step for {p}", p, MON) for p in people])
    slack.delay("chat.postMessage", 0.3)
    run_pass(make_services(db, slack, REMINDER_CONCURRENCY="8"), slack, at(WED, "10:00"))
    calls = sorted(slack.calls_to("chat.postMessage"), key=lambda c: c.at)
    overlapping = max(sum(1 for other in calls if c.at <= other.at < c.at + 0.3) for c in calls)
    assert len(calls) == len(people) + 1 and overlapping >= 4
    assert Counter(p["channel"] for p in posts(slack)) == Counter({**{p: 1 for p in people}, "C_PROJ": 1})


def test_many_unknown_people_are_looked_up_a_page_at_a_time(db, slack):
    people = [f"U_P{n:03d}" for n in range(60)]
    slack.members = ["U_SOMEONE_ELSE", *people, "U_OWNER"]
    seed(db, steps=[(f"Step for {p}", p, MON) for p in people])
    run_pass(make_services(db, slack), slack, at(WED, "10:00"))
    assert len(slack.calls_to("users.list")) == 1  # 62 members fit a page of 200
    assert slack.calls_to("users.info") == []
    assert len({p["channel"] for p in posts(slack)} & set(people)) == 60


def test_a_short_users_list_429_is_waited_out_and_the_listing_goes_on(db, slack):
    people = [f"U_P{n:03d}" for n in range(60)]
    slack.members = [*people, "U_OWNER"]
    seed(db, steps=[(f"Step for {p}", p, MON) for p in people])
    slack.fail("users.list", status=429, headers={"Retry-After": "1"}, error="ratelimited")
    started = os.times().elapsed  # a clock freezegun leaves alone
    run_pass(make_services(db, slack), slack, at(WED, "10:00"))
    assert os.times().elapsed - started >= 0.9  # Slack's Retry-After, honoured
    assert [c.status for c in slack.calls_to("users.list")] == [429, 200]
    assert slack.calls_to("users.info") == []
    assert len({p["channel"] for p in posts(slack)} & set(people)) == 60


def test_a_long_users_list_429_leaves_the_rest_to_a_later_pass_that_resumes_where_it_stopped(db, slack):
    """Three pages of people; Slack asks for 10 minutes' quiet on page two. Nobody is then asked
    about one by one (users.info is rate-limited too), and the next pass goes on from page two."""
    people = [f"U_P{n:03d}" for n in range(450)]
    slack.members = [*people, "U_OWNER"]
    seed(db, steps=[(f"Step for {p}", p, MON) for p in people])
    services = make_services(db, slack, REMINDER_CONCURRENCY="32")
    slack.delay("users.list", 0.5)  # room to script page two's answer once page one has arrived

    def limit_page_two() -> None:
        deadline = os.times().elapsed + 10  # time.monotonic is frozen with the pass
        while not slack.calls_to("users.list") and os.times().elapsed < deadline:
            time.sleep(0.01)
        slack.fail("users.list", status=429, headers={"Retry-After": "600"}, error="ratelimited")

    scripter = threading.Thread(target=limit_page_two)
    scripter.start()
    first = run_pass(services, slack, at(WED, "10:00"))
    scripter.join()
    assert [c.status for c in slack.calls_to("users.list")] == [200, 429]
    assert slack.calls_to("users.info") == []
    reminded = {p["channel"] for p in posts(slack)} & set(people)
    assert reminded == set(people[:200]) and first.unknown_people == 251  # and the owner, on page three
    slack.reset()
    slack.members = [*people, "U_OWNER"]
    run_pass(services, slack, at(WED, "10:05"))
    cursors = [c.params.get("cursor") for c in slack.calls_to("users.list")]
    assert cursors == ["200", "400"]  # resumed at page two, not from the start
    assert {p["channel"] for p in posts(slack)} & set(people) == set(people[200:])


def test_a_users_info_429_stops_the_lookups_until_a_later_pass(db, slack):
    people = [f"U_P{n}" for n in range(5)]
    seed(db, steps=[(f"Step for {p}", p, MON) for p in people])
    slack.fail("users.info", status=429, headers={"Retry-After": "30"}, error="ratelimited")
    services = make_services(db, slack)
    report = run_pass(services, slack, at(WED, "10:00"))
    assert len(slack.calls_to("users.info")) == 1  # not one more call into the limit
    assert report.unknown_people >= 5 and not {p["channel"] for p in posts(slack)} & set(people)
    run_pass(services, slack, at(WED, "10:05"))
    assert {p["channel"] for p in posts(slack)} & set(people) == set(people)


def test_users_info_is_given_up_for_the_pass_when_slack_keeps_failing(db, slack):
    people = [f"U_P{n}" for n in range(10)]
    seed(db, steps=[(f"Step for {p}", p, MON) for p in people])
    slack.fail("users.info", status=500, error="internal_error", times=100)
    run_pass(make_services(db, slack), slack, at(WED, "10:00"))
    assert len(slack.calls_to("users.info")) == 3


def test_a_conversations_info_429_is_waited_out_then_a_long_one_ends_the_checks(db, slack):
    for n in range(3):
        seed(db, name=f"Project {n}", channel=f"C_P{n}", steps=[("Step", "U_BOB", MON)])
    slack.fail("conversations.info", status=429, headers={"Retry-After": "1"}, error="ratelimited")
    started = os.times().elapsed  # a clock freezegun leaves alone
    run_pass(make_services(db, slack), slack, at(WED, "10:00"))
    assert os.times().elapsed - started >= 0.9
    assert [c.status for c in slack.calls_to("conversations.info")] == [429, 200, 200, 200]
    slack.reset()
    for n in range(3, 6):
        seed(db, name=f"Project {n}", channel=f"C_P{n}", steps=[("Step", "U_BOB", MON)])
    slack.fail("conversations.info", status=429, headers={"Retry-After": "120"}, error="ratelimited")
    run_pass(make_services(db, slack), slack, at(WED, "10:05"))
    assert [c.status for c in slack.calls_to("conversations.info")] == [429]


def test_python_m_bot_remind_reports_what_it_holds_back(db, slack, tmp_path):
    today = datetime.now(UTC).date()
    seed(db, steps=[("Wireframes", "U_BOB", today - timedelta(days=3))])
    env = _env(db, slack, WORK_HOURS="00:00-00:01", WORK_DAYS="mon-sun", NUDGE_TIME="00:00")  # nobody's hour now
    done = subprocess.run([sys.executable, "-m", "bot", "remind"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stderr.splitlines() if "reminder pass:" in line)
    assert "sent 0" in line and "held outside hours 2" in line, line


def test_sigterm_during_a_pass_with_slack_hanging_ends_the_process_promptly(db, slack, tmp_path):
    """Slack takes 30 s to answer users.info: a stopping process must not wait for all of it."""
    people = [f"U_P{n}" for n in range(6)]
    seed(db, steps=[(f"Step for {p}", p, datetime.now(UTC).date() - timedelta(days=2)) for p in people])
    slack.delay("users.info", 30)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    env = _env(
        db,
        slack,
        REMINDER_INTERVAL="5",
        PORT=port,
        HOST="127.0.0.1",
        WORK_HOURS="00:00-23:59",
        WORK_DAYS="mon-sun",
        NUDGE_TIME="00:00",
    )
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not slack.calls_to("users.info"):
            time.sleep(0.1)
        assert slack.calls_to("users.info"), "the pass never started"
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)  # a bound for a stuck process, not a speed target
    finally:
        if process.poll() is None:
            process.kill()
    slack.delay("users.info", 0)
    assert code == 0


def _env(db: Database, slack, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        SLACK_BOT_TOKEN=HOME_TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url,
        DATABASE_URL=db.url.render_as_string(hide_password=False), PYTHONPATH=str(ROOT),
    )  # fmt: skip
    return env | extra
