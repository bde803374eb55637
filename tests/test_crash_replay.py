"""A worker killed with SIGKILL in the middle of its jobs: the one taking them over repeats at most
the Slack calls that were in flight at that instant — never a message whose answer was recorded —
and loses nothing. Real processes (`python -m bot` acknowledging, `python -m bot work` working)."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import text, update
from sqlmodel import select

from bot.messages import ids
from storage import jobs
from storage.db import Database
from storage.models import Decision, Deliverable, Proposal, utcnow
from tests.support.processes import start, stop
from tests.support.slack_stub import SlackStub
from tests.support.waiting import eventually, settled
from tests.test_jobs import job_rows, split_processes

SLOW = 2.0  # seconds Slack takes over every message, as in the capacity runs
EACH = 6  # jobs of each kind: 18 in flight together


def approval_posts(slack: SlackStub) -> Counter[str]:
    """How many approval messages each deliverable title got (thread replies are not approval messages)."""
    found: Counter[str] = Counter()
    for call in slack.calls_to("chat.postMessage"):
        params = call.params
        if "thread_ts" not in params and str(params.get("text", "")).startswith("Deliverable "):
            found[str(params["text"]).split(" ")[1]] += 1
    return found


def thread_notices(slack: SlackStub) -> Counter[str]:
    """How many times each approval message's thread told its submitter of the decision."""
    return Counter(str(c.params["thread_ts"]) for c in slack.calls_to("chat.postMessage") if "thread_ts" in c.params)


def replies(slack: SlackStub) -> dict[str, int]:
    """How many replies each request of the test got by its response_url."""
    keys = [f"{kind}-{n}" for kind in ("add", "new", "click") for n in range(EACH)]
    return {key: len(slack.responses(key)) for key in keys}


def test_a_worker_killed_mid_way_repeats_at_most_what_was_in_flight_and_nothing_answered(db: Database, slack, tmp_path):
    database_url, sender, front, worker = split_processes(db, slack, tmp_path)
    try:

        def command(words: str, key: str) -> None:
            url = slack.response_url(key)
            assert sender.command(words, user_id="U0ALICE", channel_id="C0PROJ", response_url=url).status == 200

        command("approver add <@U0CLIENT>", "approver")
        slack.wait_for_responses(1, key="approver", timeout=20)
        for n in range(EACH):  # deliverables the approver will approve while the worker is killed
            command(f"deliverable Old{n}", f"old-{n}")
            slack.wait_for_responses(1, key=f"old-{n}", timeout=20)
        with db.reader() as session:
            old = {d.title: (d.id, d.message_ts) for d in session.exec(select(Deliverable))}

        for method in ("chat.postMessage", "chat.update", "response"):
            slack.delay(method, SLOW)

        def click(n: int) -> None:
            deliverable_id, ts = old[f"Old{n}"]
            reply = sender.action(
                action_id=ids.APPROVE_ACTION, value=str(deliverable_id), user_id="U0CLIENT", channel_id="C0PROJ",
                message_ts=ts, block_id=ids.APPROVAL_ACTIONS_BLOCK, response_url=slack.response_url(f"click-{n}"),
            )  # fmt: skip
            assert reply.status == 200

        with ThreadPoolExecutor(EACH * 3) as pool:
            for n in range(EACH):
                pool.submit(command, f"step add Task{n}", f"add-{n}")
                pool.submit(command, f"deliverable New{n}", f"new-{n}")
                pool.submit(click, n)

        def recorded() -> bool:  # the steps answered, the new approval messages posted, the decisions shown
            with db.reader() as session:
                posted = [d for d in session.exec(select(Deliverable)) if d.title.startswith("New") and d.message_ts]
                shown = [d for d in session.exec(select(Deliverable)) if d.state == "approved" and d.refresh_due_at is None]
            answered = all(slack.responses(f"add-{n}") for n in range(EACH))
            return len(posted) == EACH and len(shown) == EACH and answered

        assert eventually(recorded, timeout=30)
        answered_before = replies(slack)  # a reply is recorded when Slack answers it
        posted_before = approval_posts(slack)
        killed_at = time.monotonic()
        worker.kill()
        worker.wait()
        left = len(job_rows(db))
        assert 0 < left <= EACH * 3

        # A minute on (the database's clock can't be steered): the killed worker's silence gives it
        # away, and its submissions and post claims are a minute old.
        minute = jobs.DEAD_AFTER + 10
        with db.engine.begin() as connection:
            connection.execute(text(f"UPDATE worker SET beat_at = beat_at - {minute}"))
            connection.execute(
                update(Deliverable).values(
                    submitted_at=utcnow() - timedelta(seconds=minute), post_claimed_at=utcnow() - timedelta(seconds=minute)
                )
            )
        for method in ("chat.postMessage", "chat.update", "response"):
            slack.delay(method, 0)
        worker = start(tmp_path, slack, None, "work", database_url=database_url)
        assert eventually(lambda: job_rows(db) == [], timeout=30)
    finally:
        if worker.poll() is None:
            stop(worker)
        stop(front)

    settled(slack)  # what was in flight at the kill reached Slack too
    # Nothing lost: every command answered, every deliverable posted, every decision made and told.
    responses = replies(slack)
    assert all(responses[f"add-{n}"] and responses[f"new-{n}"] for n in range(EACH))
    with db.reader() as session:
        decisions = Counter(d.deliverable_id for d in session.exec(select(Decision)))
        versions = sorted((d.title, d.version) for d in session.exec(select(Deliverable)))
    assert sorted(decisions.values()) == [1] * EACH
    assert versions == sorted([(f"Old{n}", 1) for n in range(EACH)] + [(f"New{n}", 1) for n in range(EACH)])
    posts, notices = approval_posts(slack), thread_notices(slack)
    assert all(posts[f"New{n}"] >= 1 for n in range(EACH)) and len(notices) == EACH

    # Never one whose answer was recorded: the replies answered before the kill are not sent again,
    # and no approval message whose ts was recorded is posted a second time.
    assert all(responses[key] == count for key, count in answered_before.items() if count)
    assert all(posts[f"New{n}"] == posted_before[f"New{n}"] == 1 for n in range(EACH))
    # At most what was in flight: each repeat is a call that had no answer yet when the worker died
    # (a thread notice is answered SLOW seconds after Slack receives it), at most one per job.
    repeated_replies = sum(count - 1 for count in responses.values() if count > 1)
    firsts = {}
    for call in slack.calls_to("chat.postMessage"):
        firsts.setdefault(str(call.params.get("thread_ts")), call.at)
    repeated = {ts: n - 1 for ts, n in notices.items() if n > 1}
    assert all(firsts[ts] > killed_at - SLOW - 0.5 for ts in repeated), "a notice answered before the kill was sent again"
    repeats = repeated_replies + sum(repeated.values())
    assert repeats <= left, (repeats, left)
    print(f"jobs in flight at the kill {left}, messages repeated {repeats}")


def test_a_date_proposal_posted_before_its_worker_died_is_not_proposed_again(db: Database, slack, tmp_path):
    """`due` saved and posted its proposal (the ts recorded), then the worker died while Slack took
    the reply: the worker taking over answers, and posts no second proposal."""
    database_url, sender, front, worker = split_processes(db, slack, tmp_path)
    try:
        url = slack.response_url("approver")
        sender.command("approver add <@U0CLIENT>", user_id="U0ALICE", channel_id="C0PROJ", response_url=url)
        slack.wait_for_responses(1, key="approver", timeout=20)
        slack.delay("response", SLOW)  # the worker is killed after posting, while Slack takes the reply
        url = slack.response_url("due")
        assert sender.command("due 2027-03-01 more pages", user_id="U0ALICE", channel_id="C0PROJ", response_url=url).status == 200

        def posted() -> list[Proposal]:
            with db.reader() as session:
                return [p for p in session.exec(select(Proposal)) if p.message_ts]

        assert eventually(lambda: len(posted()) == 1, timeout=20)
        worker.kill()
        worker.wait()
        with db.engine.begin() as connection:
            connection.execute(text(f"UPDATE worker SET beat_at = beat_at - {jobs.DEAD_AFTER + 10}"))
        slack.delay("response", 0)
        worker = start(tmp_path, slack, None, "work", database_url=database_url)
        assert "Proposed" in str(slack.wait_for_responses(1, key="due", timeout=20))
        assert eventually(lambda: job_rows(db) == [], timeout=20)
    finally:
        if worker.poll() is None:
            stop(worker)
        stop(front)
    proposals = [c for c in slack.calls_to("chat.postMessage") if "2027" in str(c.params) and "thread_ts" not in c.params]
    settled(slack)  # the reply in flight at the kill reached Slack too: that one may repeat, nothing else
    assert len(proposals) == 1 and 1 <= len(slack.responses("due")) <= 2
    with db.reader() as session:
        assert len(session.exec(select(Proposal)).all()) == 1


def test_a_discussed_date_whose_worker_died_before_telling_the_owner_is_told_not_refused(db: Database, slack, tmp_path):
    """The approver's Discuss was saved and the worker died while Slack updated the proposal
    message: the worker taking over tells the owner, and doesn't tell the approver it was decided."""
    database_url, sender, front, worker = split_processes(db, slack, tmp_path)
    try:
        url = slack.response_url("approver")
        sender.command("approver add <@U0CLIENT>", user_id="U0ALICE", channel_id="C0PROJ", response_url=url)
        slack.wait_for_responses(1, key="approver", timeout=20)
        url = slack.response_url("due")
        sender.command("due 2027-03-01 more pages", user_id="U0ALICE", channel_id="C0PROJ", response_url=url)
        slack.wait_for_responses(1, key="due", timeout=20)
        with db.reader() as session:
            [proposal] = session.exec(select(Proposal)).all()
        slack.delay("chat.update", SLOW)  # the worker is killed after deciding, while the message is updated
        discussed = sender.view_submission(
            callback_id=ids.DISCUSS_VIEW, user_id="U0CLIENT", private_metadata=json.dumps({"proposal_id": proposal.id}),
            values={ids.DISCUSS_COMMENT_BLOCK: {ids.DISCUSS_COMMENT_INPUT: {"type": "plain_text_input", "value": "Too late"}}},
        )  # fmt: skip
        assert discussed.status == 200

        def decided() -> bool:
            with db.reader() as session:
                return session.exec(select(Proposal)).one().state == "discuss"

        assert eventually(decided, timeout=20)
        worker.kill()
        worker.wait()
        with db.engine.begin() as connection:
            connection.execute(text(f"UPDATE worker SET beat_at = beat_at - {jobs.DEAD_AFTER + 10}"))
        slack.delay("chat.update", 0)
        worker = start(tmp_path, slack, None, "work", database_url=database_url)
        assert eventually(lambda: job_rows(db) == [], timeout=20)
    finally:
        if worker.poll() is None:
            stop(worker)
        stop(front)
    settled(slack)
    to_owner = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "U0ALICE"]
    assert len(to_owner) == 1 and "wants to discuss" in str(to_owner[0].params)
    to_approver = [c.params for c in slack.calls if c.params.get("user") == "U0CLIENT" or c.params.get("channel") == "U0CLIENT"]
    assert to_approver == []  # no "already decided" for the approver whose own decision it was


def test_an_approval_whose_worker_died_before_telling_the_submitter_is_shown_and_told(db: Database, slack, tmp_path):
    """The Approve was saved and the worker died while Slack updated the approval message: the
    worker taking over updates it and tells the submitter in its thread, and doesn't tell the
    approver that the deliverable was already decided."""
    database_url, sender, front, worker = split_processes(db, slack, tmp_path)
    try:
        for key, words in (("approver", "approver add <@U0CLIENT>"), ("file", "deliverable Homepage")):
            sender.command(words, user_id="U0ALICE", channel_id="C0PROJ", response_url=slack.response_url(key))
            slack.wait_for_responses(1, key=key, timeout=20)
        with db.reader() as session:
            [homepage] = session.exec(select(Deliverable)).all()
        slack.delay("chat.update", SLOW)  # the worker is killed after deciding, while the message is updated
        clicked = sender.action(
            action_id=ids.APPROVE_ACTION, value=str(homepage.id), user_id="U0CLIENT", channel_id="C0PROJ",
            message_ts=homepage.message_ts, block_id=ids.APPROVAL_ACTIONS_BLOCK, response_url=slack.response_url("click"),
        )  # fmt: skip
        assert clicked.status == 200
        assert eventually(lambda: len(decisions(db)) == 1, timeout=20)
        worker.kill()
        worker.wait()
        with db.engine.begin() as connection:
            connection.execute(text(f"UPDATE worker SET beat_at = beat_at - {jobs.DEAD_AFTER + 10}"))
        slack.delay("chat.update", 0)
        worker = start(tmp_path, slack, None, "work", database_url=database_url)
        assert eventually(lambda: job_rows(db) == [], timeout=20)
    finally:
        if worker.poll() is None:
            stop(worker)
        stop(front)
    settled(slack)
    assert len(decisions(db)) == 1 and slack.responses("click") == []
    assert list(thread_notices(slack).values()) == [1]
    assert "Approved" in str(slack.calls_to("chat.update")[-1].params)


def decisions(db: Database) -> list[Decision]:
    with db.reader() as session:
        return list(session.exec(select(Decision)))
