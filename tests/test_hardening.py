"""Concurrent requests through the real process never lose an update or write one thing twice."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import func, select

from bot.messages import ids
from bot.slack.app import web_client
from bot.slack.approvals import repair_messages
from storage.models import Approver, AuditEvent, Deliverable, Project, Step, utcnow
from tests.support.blocks import text_of
from tests.support.harness import HOME_TEAM, SECRET
from tests.support.slack_requests import command_body, sign

OWNER, BOB, CLIENT = "U0OWNER", "U0BOB", "U0CLIENT"
CHANNEL = "C0BUSY"


def at_once(bot, texts: list[str], *, user: str = OWNER) -> list[dict]:
    bot.run("help", user=user, channel=CHANNEL)  # Shepherd knows who this is: the rest answer as fast as they can
    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        return list(pool.map(lambda text: bot.run(text, user=user, channel=CHANNEL), texts))


def audits(bot, action: str) -> int:
    with bot.db.reader() as session:
        return session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)).one()


def test_twenty_concurrent_logs_each_count(bot):
    bot.run("new Busy budget:100h", user=OWNER, channel=CHANNEL)
    replies = at_once(bot, ["log 1h"] * 20)
    assert all("Logged 1h" in text_of(r) for r in replies)
    with bot.db.reader() as session:
        assert session.exec(select(Project.hours_used)).one() == 20
    assert audits(bot, "hours.logged") == 20


def test_ten_concurrent_approver_adds_make_one_approver_and_no_errors(bot):
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    replies = at_once(bot, [f"approver add <@{CLIENT}>"] * 10)
    said = [text_of(r) for r in replies]
    assert sum("can now approve" in s for s in said) == 1
    assert sum("already is an approver" in s for s in said) == 9, said
    with bot.db.reader() as session:
        assert session.exec(select(func.count()).select_from(Approver)).one() == 1
    assert audits(bot, "approver.added") == 1


def test_ten_concurrent_step_dones_complete_it_once(bot):
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    bot.run("step add Brief", user=OWNER, channel=CHANNEL)
    replies = at_once(bot, ["step done #1"] * 10, user=BOB)
    said = [text_of(r) for r in replies]
    assert sum("is done" in s for s in said) == 1 and sum("was already done" in s for s in said) == 9, said
    assert audits(bot, "step.done") == 1
    with bot.db.reader() as session:
        assert session.exec(select(Step.done_by)).one() == BOB


# --- approval messages: one post per version, one update per decision, repaired when Slack fails --


def approval_posts(slack) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c.params]


def approve(bot, slack, deliverable_id: int, user: str, key: str):
    return bot.action(
        action_id=ids.APPROVE_ACTION, value=str(deliverable_id), user_id=user, channel_id=CHANNEL,
        message_ts="1700000000.000001", response_url=slack.response_url(key), block_id=ids.APPROVAL_ACTIONS_BLOCK,
    )  # fmt: skip


def the_deliverable(bot) -> Deliverable:
    with bot.db.reader() as session:
        return session.exec(select(Deliverable)).one()


def test_twenty_concurrent_submissions_of_one_deliverable_post_one_approval_message(bot, slack):
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    bot.run(f"approver add <@{CLIENT}>", user=OWNER, channel=CHANNEL)
    slack.delay("chat.postMessage", 0.3)  # Slack answering slowly widens the window a second post would need
    replies = at_once(bot, ["deliverable Homepage https://x.example/v1"] * 20)
    said = [text_of(r) for r in replies]
    assert len(approval_posts(slack)) == 1, said
    assert sum("Posted" in s for s in said) == 1
    assert all("Posted" in s or "being posted" in s or "submitted by someone else" in s for s in said), said
    assert the_deliverable(bot).version == 1


def test_a_failed_post_can_be_retried_at_once(bot, slack):
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    slack.fail("chat.postMessage", error="channel_not_found")
    assert "Nothing is lost" in text_of(bot.run("deliverable Homepage", user=OWNER, channel=CHANNEL))
    assert "Posted" in text_of(bot.run("deliverable Homepage", user=OWNER, channel=CHANNEL))
    assert the_deliverable(bot).message_ts is not None


def test_fifty_concurrent_clicks_make_one_decision_and_one_message_update(bot, slack):
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    bot.run(f"approver add <@{CLIENT}>", user=OWNER, channel=CHANNEL)
    bot.run("deliverable Homepage", user=OWNER, channel=CHANNEL)
    deliverable_id = the_deliverable(bot).id
    with ThreadPoolExecutor(max_workers=25) as pool:
        list(pool.map(lambda n: approve(bot, slack, deliverable_id, CLIENT, f"k{n}"), range(50)))
    slack.wait_for("chat.update")
    slack.wait_for_responses(49, timeout=15)
    assert len(slack.calls_to("chat.update")) == 1
    assert the_deliverable(bot).state == "approved" and the_deliverable(bot).refresh_due_at is None


@pytest.mark.parametrize("failure", [{"status": 500}, {"status": 429, "headers": {"Retry-After": "0"}}])
def test_an_approval_message_whose_update_failed_is_repaired_by_the_scheduler(bot, slack, failure):
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    bot.run(f"approver add <@{CLIENT}>", user=OWNER, channel=CHANNEL)
    bot.run("deliverable Homepage", user=OWNER, channel=CHANNEL)
    deliverable = the_deliverable(bot)
    slack.fail("chat.update", times=3, **failure)  # the click's client tries three times
    approve(bot, slack, deliverable.id, CLIENT, "click")
    slack.wait_for("chat.update", 3)
    assert the_deliverable(bot).refresh_due_at is not None  # still owed
    repaired = repair_messages(bot.services, web_client(bot.services.settings), team_id=HOME_TEAM, now=utcnow())
    assert repaired == 0  # a fresh decision is left to its click for a while
    assert (
        repair_messages(bot.services, web_client(bot.services.settings), team_id=HOME_TEAM, now=utcnow() + timedelta(minutes=1))
        == 1
    )
    [*_, fixed] = slack.wait_for("chat.update", 4)
    blocks = fixed.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert "*Approved* by" in text_of(fixed.params) and not [b for b in blocks if b["type"] == "actions"]
    assert the_deliverable(bot).refresh_due_at is None


# --- the door: forged, malformed and replayed requests --------------------------------------------


def post(bot, body: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(bot.sender.url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_unsigned_garbage_is_refused_with_401_and_at_most_one_log_line_without_a_traceback(bot, caplog):
    garbage = [
        ("payload=%7Bnot-json", {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=abc"}),
        ("payload=%7Bnot-json", {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=abc"}),
        ("command=%2Fproject&text=new+X", {}),
        ("\xff\xfe", {"X-Slack-Request-Timestamp": "1" * 40, "X-Slack-Signature": "x" * 500}),
    ]
    statuses = [post(bot, body, {**FORM, **headers}) for body, headers in garbage * 25]
    assert set(statuses) == {401}
    assert not any(r.exc_info for r in caplog.records) and not [r for r in caplog.records if r.levelname == "ERROR"]
    assert len([r for r in caplog.records if "did not sign" in r.getMessage()]) == 1
    with bot.db.reader() as session:
        assert session.exec(select(func.count()).select_from(Project)).one() == 0


@pytest.mark.parametrize(
    "payload",
    [
        "payload=%7Bnot-json",
        "payload=" + urllib.parse.quote(json.dumps({"type": "block_actions", "actions": [], "user": {"id": "U1"}})),
        "payload=" + urllib.parse.quote(json.dumps({"type": "block_actions", "actions": [{"action_id": "x"}]})),
        "payload=" + urllib.parse.quote(json.dumps(["a list"])),
        "command=%2Fproject&text=help",
    ],
)
def test_signed_requests_shepherd_cannot_read_get_400_and_one_line(bot, caplog, payload):
    statuses = [post(bot, payload, {**FORM, **sign(SECRET, payload, timestamp=int(time.time()) + n)}) for n in range(3)]
    assert statuses == [400, 400, 400]
    assert not any(r.exc_info for r in caplog.records)
    assert len([r for r in caplog.records if "can't read" in r.getMessage()]) == 1


def test_a_replayed_signed_command_runs_once(bot):
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    body = command_body("step add Once", response_url=bot.slack.response_url("replay"), user_id=OWNER, channel_id=CHANNEL)
    signed = {**FORM, **sign(SECRET, body)}
    assert [post(bot, body, signed) for _ in range(3)] == [200, 200, 200]
    bot.slack.wait_for_responses(1, key="replay")
    bot.settle()
    with bot.db.reader() as session:
        assert session.exec(select(Step.title)).all() == ["Once"]


def test_one_signed_command_sent_ten_times_at_once_runs_once(bot):
    """The replay guard is written with the request's job: ten copies racing each other still
    make one step and one answer, and every copy is acknowledged with 200."""
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    body = command_body("step add Raced", response_url=bot.slack.response_url("race"), user_id=OWNER, channel_id=CHANNEL)
    signed = {**FORM, **sign(SECRET, body)}
    with ThreadPoolExecutor(10) as pool:
        assert list(pool.map(lambda _: post(bot, body, signed), range(10))) == [200] * 10
    bot.slack.wait_for_responses(1, key="race")
    bot.settle()
    assert len(bot.slack.responses("race")) == 1
    with bot.db.reader() as session:
        assert session.exec(select(Step.title)).all() == ["Raced"]


def test_a_replayed_status_read_is_not_answered_again(bot):
    """A read answered inside the ack: the first copy gets the card, a replay of it an empty 200."""
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    body = command_body("status", response_url=bot.slack.response_url("read"), user_id=OWNER, channel_id=CHANNEL)
    signed = {**FORM, **sign(SECRET, body)}

    def answer() -> tuple[int, str]:
        request = urllib.request.Request(bot.sender.url, data=body.encode(), headers=signed, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()

    status, first = answer()
    assert status == 200 and "Busy" in first and '"blocks"' in first
    assert answer() == (200, "")


def test_control_characters_in_typed_text_are_dropped_before_storage(bot):
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    reply = bot.run("step add Brief\x00 for\x07 the\x1b client", user=OWNER, channel=CHANNEL)
    assert "Added #1" in text_of(reply)
    with bot.db.reader() as session:
        assert session.exec(select(Step.title)).one() == "Brief for the client"


# --- acks never wait on Slack ---------------------------------------------------------------------


def test_thirty_two_clicks_are_all_acknowledged_before_slack_answers_any_of_their_updates(bot, slack):
    """Slack takes 2 s per chat.update and every click needs one: Bolt's listener threads (16)
    must never hold those calls, or the later clicks' acks would wait for the first updates.
    Ordering, not a time limit: every ack has returned before the first update could finish."""
    bot.run("new Busy", user=OWNER, channel=CHANNEL)
    bot.run(f"approver add <@{CLIENT}>", user=OWNER, channel=CHANNEL)
    for n in range(32):
        bot.run(f"deliverable Piece {n}", user=OWNER, channel=CHANNEL)
    with bot.db.reader() as session:
        ids_ = list(session.exec(select(Deliverable.id).order_by(Deliverable.id)))
    slack.delay("chat.update", 2)

    def click(deliverable_id: int) -> float:
        reply = approve(bot, slack, deliverable_id, CLIENT, f"k{deliverable_id}")
        assert reply.status == 200
        return time.monotonic()

    with ThreadPoolExecutor(max_workers=32) as pool:
        acked = list(pool.map(click, ids_))
    updates = slack.wait_for("chat.update", 32, timeout=30)
    first_update_done = min(u.at for u in updates) + 2
    assert max(acked) < first_update_done, "an ack waited for a thread that was waiting on Slack"
    bot.services.work.shutdown(wait=True)  # let the slow updates finish before the stand-in stops
