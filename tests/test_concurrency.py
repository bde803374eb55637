"""Commands arriving at the same moment: the database, not luck, keeps the data consistent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import select

from storage.models import Project, Step
from tests.support.blocks import text_of

ALICE, BOB = "U0ALICE", "U0BOB"


def test_steps_added_at_the_same_moment_get_distinct_numbers(bot):
    bot.run("new Busy", user=ALICE, channel="C0BUSY")
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda n: bot.run(f"step add Task {n}", user=BOB, channel="C0BUSY"), range(16)))
    assert all("Added #" in r["text"] for r in replies)
    with bot.db.reader() as session:
        numbers = sorted(session.exec(select(Step.number)))
    assert numbers == list(range(1, 17))


def test_two_projects_with_one_name_at_the_same_moment_one_wins_and_the_other_is_told(bot):
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(
            pool.map(lambda c: bot.run("new Same name", user=ALICE, channel=c), ["C0ONE", "C0TWO", "C0THREE", "C0FOUR"])
        )
    winners = [r for r in replies if r["response_type"] == "in_channel"]
    losers = [r for r in replies if r["response_type"] == "ephemeral"]
    assert len(winners) == 1 and len(losers) == 3
    assert all("already a project called *Same name*" in text_of(r) for r in losers)
    with bot.db.reader() as session:
        assert len(session.exec(select(Project)).all()) == 1
