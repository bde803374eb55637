"""Concurrent requests through the real process never lose an update or write one thing twice."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import func, select

from bot.messages import ids
from bot.slack.app import web_client
from bot.slack.approvals import repair_messages
from storage.models import Approver, AuditEvent, Deliverable, Project, Step, utcnow
from tests.support.blocks import text_of

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
    repaired = repair_messages(bot.services, web_client(bot.services.settings), now=utcnow())
    assert repaired == 0  # a fresh decision is left to its click for a while
    assert repair_messages(bot.services, web_client(bot.services.settings), now=utcnow() + timedelta(minutes=1)) == 1
    [*_, fixed] = slack.wait_for("chat.update", 4)
    blocks = fixed.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert "*Approved* by" in text_of(fixed.params) and not [b for b in blocks if b["type"] == "actions"]
    assert the_deliverable(bot).refresh_due_at is None
