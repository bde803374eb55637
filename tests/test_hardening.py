"""Concurrent requests through the real process never lose an update or write one thing twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from blocks import text_of
from sqlmodel import func, select

from storage.models import Approver, AuditEvent, Project, Step

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
