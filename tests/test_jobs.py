"""Acknowledged work is written down before it is done, and done once, by whichever process is
alive: the acknowledging process itself, or a `python -m bot work` process, also after the one
that acknowledged it died."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlmodel import select

import handlers
from bot.messages import ids
from bot.slack.app import listener_client
from bot.slack.people import person_facts
from bot.slack.replay import replayer
from bot.slack.server import stop_server
from bot.work import Workers
from storage import jobs
from storage.db import Database
from storage.models import Decision, Deliverable, Job, Project, Step, utcnow
from tests.support.harness import HOME_TEAM, Bot, start_bot
from tests.support.processes import SECRET, free_port, start, stop, wait_healthy
from tests.support.slack_requests import SlackSender
from tests.support.slack_stub import SlackStub
from tests.support.waiting import eventually


@pytest.fixture
def front(db: Database, slack: SlackStub) -> Iterator[Bot]:
    """Shepherd with WORK_THREADS=0: it acknowledges and writes the work down, and does none of it."""
    running, server = start_bot(db, slack, WORK_THREADS="0")
    yield running
    stop_server(server)
    running.services.work.shutdown()


def workers(bot: Bot, threads: int = 4) -> Workers:
    found = Workers(
        bot.db, team_id=HOME_TEAM, run=replayer(bot.services, listener_client(bot.services.settings), handlers.register),
        threads=threads, me=jobs.worker_id(), poll=0.05,
    )  # fmt: skip
    found.start()
    return found


def job_rows(db: Database) -> list[Job]:
    with db.reader() as session:
        return list(session.exec(select(Job).order_by(Job.id)))  # type: ignore[arg-type]


def step_titles(db: Database) -> list[str]:
    with db.reader() as session:
        return sorted(s.title for s in session.exec(select(Step)))


def create_project(bot: Bot, slack: SlackStub) -> None:
    crew = workers(bot)
    try:
        bot.command("new Acme", key="new")
        assert "Acme" in slack.wait_for_responses(1, key="new", timeout=10)[0]["text"]
    finally:
        crew.stop()


def test_a_serving_process_writes_its_work_down_and_forgets_it_once_done(bot, slack):
    assert bot.services.work.here
    bot.command("new Acme", key="new")
    assert "Acme" in slack.wait_for_responses(1, key="new")[0]["text"]
    eventually(lambda: job_rows(bot.db) == [])


def test_an_acknowledging_process_only_writes_work_down_and_a_worker_does_it_once(front, slack):
    create_project(front, slack)
    with ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(lambda i: front.command(f"step add Task {i}", key=f"add-{i}"), range(10)))
    assert all(r.status == 200 and not r.body for r in replies)  # acknowledged, answered later
    assert len(job_rows(front.db)) == 10 and step_titles(front.db) == []
    assert all(row.claimed_by is None for row in job_rows(front.db))

    crew = workers(front)
    try:
        for i in range(10):
            assert f"Task {i}" in str(slack.wait_for_responses(1, key=f"add-{i}", timeout=10))
        eventually(lambda: job_rows(front.db) == [])
    finally:
        crew.stop()
    assert step_titles(front.db) == sorted(f"Task {i}" for i in range(10))
    assert all(len(slack.responses(f"add-{i}")) == 1 for i in range(10))


def test_two_workers_never_do_one_job_twice(front, slack):
    create_project(front, slack)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: front.command(f"step add Task {i}", key=f"add-{i}"), range(30)))
    slack.delay("response", 0.3)  # each job holds a thread a while: the first worker can't take all 30 alone
    first, second = workers(front, threads=8), workers(front, threads=8)
    try:
        eventually(lambda: job_rows(front.db) == [], timeout=20)
    finally:
        first.stop()
        second.stop()
    assert first.done and second.done and first.done + second.done == 30
    assert step_titles(front.db) == sorted(f"Task {i}" for i in range(30))
    assert all(len(slack.responses(f"add-{i}")) == 1 for i in range(30))


def test_a_read_answered_in_the_ack_is_not_answered_again_by_the_worker(front, slack):
    create_project(front, slack)
    shared = front.run("status share")
    assert "Posting the client view" in str(shared)
    crew = workers(front)
    try:
        eventually(lambda: job_rows(front.db) == [])
    finally:
        crew.stop()
    posts = [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == "C0PROJ"]
    assert len(posts) == 1 and "Acme" in str(posts[0].params)
    assert slack.responses() == slack.responses("new")  # no reply but the project's creation


def test_a_worker_answers_a_first_command_the_way_its_ack_promised_even_if_the_person_became_known(front, slack):
    """Bob's first `status` is acknowledged empty (who he is, Slack has not said yet): the answer
    owed goes by response_url. Known by the time a worker replays it, he still gets it there."""
    create_project(front, slack)
    assert front.command("status", user="U0BOB", key="bob").body == ""
    person_facts(front.db, listener_client(front.services.settings), team_id=HOME_TEAM, user_id="U0BOB", now=utcnow())
    crew = workers(front)
    try:
        [card] = slack.wait_for_responses(1, key="bob", timeout=10)
    finally:
        crew.stop()
    assert card["blocks"][0]["text"]["text"] == "Acme"


def test_the_work_of_a_dead_worker_is_taken_over_and_a_live_ones_is_not(front, slack):
    create_project(front, slack)
    front.command("step add Left behind", key="dead")
    front.command("step add Being done", key="live")
    dead, live = job_rows(front.db)
    busy = jobs.worker_id()
    jobs.beat(front.db, busy)  # alive, as far as anyone can tell
    with front.db.engine.begin() as connection:
        connection.execute(text("UPDATE job SET claimed_by = 'gone:1:x', attempts = 1 WHERE id = :id"), {"id": dead.id})
        connection.execute(text("UPDATE job SET claimed_by = :me, attempts = 1 WHERE id = :id"), {"id": live.id, "me": busy})
    crew = workers(front)
    try:
        assert "Left behind" in str(slack.wait_for_responses(1, key="dead", timeout=10))
        eventually(lambda: [row.id for row in job_rows(front.db)] == [live.id])
    finally:
        crew.stop()
    assert slack.responses("live") == [] and step_titles(front.db) == ["Left behind"]


def test_a_job_that_stopped_its_workers_three_times_is_dropped_with_one_line(front, slack, caplog):
    create_project(front, slack)
    front.command("step add Poison", key="poison")
    [row] = job_rows(front.db)
    with front.db.engine.begin() as connection:
        connection.execute(text("UPDATE job SET claimed_by = 'gone:1:x', attempts = 3 WHERE id = :id"), {"id": row.id})
    crew = workers(front)
    with caplog.at_level(logging.ERROR, logger="bot.work"):
        try:
            eventually(lambda: job_rows(front.db) == [])
        finally:
            crew.stop()
    assert slack.responses("poison") == [] and step_titles(front.db) == []
    assert [r.getMessage() for r in caplog.records if r.name == "bot.work"] == [
        f"dropped /project step add (job {row.id}): 3 workers stopped while doing it"
    ]


def split_processes(db: Database, slack: SlackStub, tmp_path) -> tuple[str, SlackSender, subprocess.Popen, subprocess.Popen]:
    """`python -m bot` with WORK_THREADS=0 and one `python -m bot work`, real processes, with the
    project Acme created through them: (database URL, sender, front, worker)."""
    database_url = db.url.render_as_string(hide_password=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sender = SlackSender(url, SECRET)
    front = start(tmp_path, slack, port, database_url=database_url, WORK_THREADS="0")
    worker = start(tmp_path, slack, None, "work", database_url=database_url)
    try:
        wait_healthy(url, front)
        sender.command("new Acme", user_id="U0ALICE", channel_id="C0PROJ", response_url=slack.response_url("new"))
        assert "Acme" in slack.wait_for_responses(1, key="new", timeout=20)[0]["text"]
    except BaseException:
        for process in (worker, front):
            process.kill()
            process.wait()
        raise
    return database_url, sender, front, worker


def test_work_acknowledged_by_a_killed_process_is_done_by_python_m_bot_work(db, slack, tmp_path):
    """Through the real processes: `python -m bot` with WORK_THREADS=0 acknowledges ten writes and
    is killed (SIGKILL: no clean stop); `python -m bot work`, started afterwards, does each once."""
    database_url, sender, front, worker = split_processes(db, slack, tmp_path)
    stop(worker)
    assert worker.returncode == 0, worker.stderr.read() if worker.stderr else ""
    try:

        def add(i: int) -> int:
            key = slack.response_url(f"add-{i}")
            return sender.command(f"step add Task {i}", user_id="U0ALICE", channel_id="C0PROJ", response_url=key).status

        with ThreadPoolExecutor(10) as pool:
            assert list(pool.map(add, range(10))) == [200] * 10
        eventually(lambda: len(job_rows(db)) == 10)
    finally:
        front.kill()
        front.wait()
    assert step_titles(db) == []

    worker = start(tmp_path, slack, None, "work", database_url=database_url)
    try:
        for i in range(10):
            assert f"Task {i}" in str(slack.wait_for_responses(1, key=f"add-{i}", timeout=20))
        eventually(lambda: job_rows(db) == [], timeout=10)
    finally:
        stop(worker)
    assert worker.returncode == 0
    assert step_titles(db) == sorted(f"Task {i}" for i in range(10))
    assert all(len(slack.responses(f"add-{i}")) == 1 for i in range(10))


def test_a_write_whose_worker_died_before_answering_is_answered_not_done_again(db, slack, tmp_path):
    """Through the real processes: a `python -m bot work` commits `step add`, `log 2h`, a
    deliverable and a new project and is SIGKILLed while Slack takes its time over the answers and the approval post.
    The worker that takes the jobs over sends the answers the writes earned and writes nothing
    again (one step, 2 hours, one new project, announced), and posts the deliverable's version 1."""
    database_url, sender, front, worker = split_processes(db, slack, tmp_path)
    try:
        sender.command("approver add <@U0CLIENT>", user_id="U0ALICE", channel_id="C0PROJ", response_url=slack.response_url("a"))
        slack.wait_for_responses(1, key="a", timeout=20)
        for hung in ("response", "chat.postMessage"):  # Slack hangs: the worker is killed after writing, before answering
            slack.delay(hung, 60)
        for key, words in (("add", "step add Once only"), ("log", "log 2h"), ("file", "deliverable Homepage")):
            assert (
                sender.command(words, user_id="U0ALICE", channel_id="C0PROJ", response_url=slack.response_url(key)).status == 200
            )
        beta = sender.command("new Beta", user_id="U0ALICE", channel_id="C0BETA", response_url=slack.response_url("beta"))
        assert beta.status == 200

        def posts() -> list:
            return [c for c in slack.calls_to("chat.postMessage") if "Homepage" in str(c.params)]

        def hours() -> float:
            with db.reader() as session:
                return session.exec(select(Project).where(Project.name == "Acme")).one().hours_used

        def names() -> int:
            with db.reader() as session:
                return len(session.exec(select(Project)).all())

        assert eventually(
            lambda: step_titles(db) == ["Once only"] and hours() == 2.0 and len(posts()) == 1 and names() == 2, timeout=20
        )
        worker.kill()
        worker.wait()
        assert len(job_rows(db)) == 4 and slack.responses("add") == slack.responses("log") == slack.responses("file") == []
        # A minute on, when the killed worker's silence gives it away: the database's clock can't be
        # steered, so its heartbeat and the claim it took on the approval post are moved back.
        minute = jobs.DEAD_AFTER + 10
        with db.engine.begin() as connection:
            connection.execute(text(f"UPDATE worker SET beat_at = beat_at - {minute}"))
            connection.execute(update(Deliverable).values(post_claimed_at=utcnow() - timedelta(seconds=minute)))
        for hung in ("response", "chat.postMessage"):
            slack.delay(hung, 0)
        worker = start(tmp_path, slack, None, "work", database_url=database_url)
        assert "Once only" in str(slack.wait_for_responses(1, key="add", timeout=20))
        assert "2" in str(slack.wait_for_responses(1, key="log", timeout=20))
        # The dead worker's approval post may or may not have reached Slack; its claim on the
        # version is this request's, so the new worker posts it rather than saying "being posted".
        assert "Homepage" in str(slack.wait_for_responses(1, key="file", timeout=20))
        assert "being posted" not in str(slack.responses("file")) and len(posts()) == 2
        assert "Beta" in str(slack.wait_for_responses(1, key="beta", timeout=20)) and names() == 2
        assert "already" not in str(slack.responses("beta"))
        eventually(lambda: job_rows(db) == [], timeout=10)
    finally:
        if worker.poll() is None:
            stop(worker)
        stop(front)
    assert step_titles(db) == ["Once only"] and hours() == 2.0
    assert len(slack.responses("add")) == len(slack.responses("log")) == len(slack.responses("file")) == 1
    with db.reader() as session:
        [homepage] = session.exec(select(Deliverable)).all()
    assert homepage.version == 1 and homepage.message_ts is not None


def test_clicks_and_forms_acknowledged_apart_are_decided_once_by_a_worker(front, slack):
    """An Approve click and a Reject reason submitted in the modal, acknowledged by a process that
    does no work: a worker replays each, and the decision is made once and shown on the message."""
    crew = workers(front)
    try:
        front.run('new "Acme website"', user="U0PM")
        front.run("approver add <@U0CLIENT|client>", user="U0PM")
        front.run('deliverable "Homepage design"', user="U0PM")
        front.run('deliverable "Logo"', user="U0PM")
    finally:
        crew.stop()
    posted = [c.params for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c.params]
    homepage, logo = (p for p in posted if "Homepage design" in str(p) or "Logo" in str(p))

    def value(message: dict, action: str) -> str:
        buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
        return next(e["value"] for e in buttons if e["action_id"] == action)

    for _ in range(2):  # a double click: one decision
        clicked = front.action(
            action_id=ids.APPROVE_ACTION, value=value(homepage, ids.APPROVE_ACTION), user_id="U0CLIENT",
            channel_id="C0PROJ", message_ts="1700000000.000001", block_id=ids.APPROVAL_ACTIONS_BLOCK,
        )  # fmt: skip
        assert (clicked.status, clicked.body) == (200, "")
    logo_id = int(value(logo, ids.REJECT_ACTION))
    rejected = front.view_submission(
        callback_id=ids.REJECT_VIEW, user_id="U0CLIENT", private_metadata=json.dumps({"deliverable_id": logo_id}),
        values={ids.REJECT_REASON_BLOCK: {ids.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": "Bigger, please"}}},
    )  # fmt: skip
    assert rejected.status == 200
    assert len(job_rows(front.db)) == 3 and slack.calls_to("chat.update") == []

    crew = workers(front)
    try:
        eventually(lambda: job_rows(front.db) == [])
    finally:
        crew.stop()
    with front.db.reader() as session:
        decided = sorted((d.verdict, d.reason or "") for d in session.exec(select(Decision)))
    assert decided == [("approved", ""), ("rejected", "Bigger, please")]
    shown = " ".join(str(c.params) for c in slack.calls_to("chat.update"))
    assert "Approved" in shown and "Bigger, please" in shown


def test_twenty_clicks_acknowledged_apart_make_one_decision_and_one_message_update(front, slack):
    """Twenty people's worth of the same click at once, Slack taking 2 s per message update: the
    acks return at once with the work written down, and the worker decides once and updates once."""
    crew = workers(front)
    try:
        front.run('new "Acme website"', user="U0PM")
        front.run("approver add <@U0CLIENT|client>", user="U0PM")
        front.run('deliverable "Homepage design"', user="U0PM")
    finally:
        crew.stop()
    posted = next(c.params for c in slack.calls_to("chat.postMessage") if "Homepage design" in str(c.params))
    value = next(
        e["value"]
        for b in posted["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.APPROVE_ACTION
    )
    slack.delay("chat.update", 2)

    def click(n: int) -> tuple[int, str]:
        reply = front.action(
            action_id=ids.APPROVE_ACTION, value=value, user_id="U0CLIENT", channel_id="C0PROJ",
            message_ts="1700000000.000001", block_id=ids.APPROVAL_ACTIONS_BLOCK, response_url=slack.response_url(f"c{n}"),
        )  # fmt: skip
        return reply.status, reply.body

    with ThreadPoolExecutor(20) as pool:
        assert list(pool.map(click, range(20))) == [(200, "")] * 20
    assert len(job_rows(front.db)) == 20
    with front.db.reader() as session:
        assert session.exec(select(Decision)).all() == []  # acknowledged, not yet decided
    crew = workers(front, threads=20)
    try:
        eventually(lambda: job_rows(front.db) == [], timeout=20)
    finally:
        crew.stop()
    with front.db.reader() as session:
        assert [d.verdict for d in session.exec(select(Decision))] == ["approved"]
    assert len(slack.calls_to("chat.update")) == 1
