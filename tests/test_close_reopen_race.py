"""Closing and reopening at once: however `close --force` and `reopen` race, the project ends with
the sign-off and debrief of the close that stands when it ends closed, and no live sign-off and
no debrief when it ends open."""

from __future__ import annotations

import threading

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.messages import ids
from bot.slack.app import web_client
from bot.slack.proposals import refresh_proposal
from storage.models import Closing, Project, Proposal
from tests.support.blocks import text_of
from tests.support.waiting import eventually
from tests.test_signoff import (
    CHANNEL,
    CLIENT,
    OWNER,
    blocks_of,
    close_project,
    closings,
    debrief_dms,
    has_action,
    run,
    signoff_posts,
)


@pytest.fixture
def frozen():
    with freeze_time("2026-11-26 10:00:00", tick=True) as clock:
        yield clock


def button_value(params: dict, action_id: str) -> str | None:
    buttons = [e for b in blocks_of(params) if b["type"] == "actions" for e in b["elements"]]
    return next((e["value"] for e in buttons if e["action_id"] == action_id), None)


def live_signoffs(slack, closings: list[Closing]) -> list[int]:
    """The closings whose sign-off message, as it stands in Slack now, still asks for a confirmation."""
    calls = [c for c in slack.calls if not c.failed and c.method in ("chat.postMessage", "chat.update")]
    live = []
    for closing in closings:
        about = [
            c for c in calls
            if (c.method == "chat.update" and closing.message_ts and c.params.get("ts") == closing.message_ts)
            or (c.method == "chat.postMessage" and c.params.get("channel") == CHANNEL
                and button_value(c.params, ids.SIGNOFF_CONFIRM_ACTION) == str(closing.id))
        ]  # fmt: skip
        if about and has_action(about[-1].params, ids.SIGNOFF_CONFIRM_ACTION):
            live.append(closing.id)
    return live


def race(bot, commands: list[str], round_: int) -> None:
    barrier = threading.Barrier(len(commands))

    def send(n: int, text: str) -> None:
        barrier.wait(timeout=10)
        bot.command(text, user=OWNER, channel=CHANNEL, key=f"race{round_}-{n}")

    threads = [threading.Thread(target=send, args=(n, text)) for n, text in enumerate(commands)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    bot.settle()


@pytest.mark.parametrize("start_closed", [False, True])
def test_close_and_reopen_racing_end_with_the_standing_closes_signoff_or_none(bot, slack, frozen, start_closed):
    close_project(bot, slack, CLIENT)
    if not start_closed:
        run(bot, "reopen")
    for round_ in range(4):
        bot.settle()
        slack.reset()
        race(bot, ["close --force", "reopen", "close --force", "reopen"], round_)
        with bot.db.reader() as session:
            project = session.exec(select(Project)).one()
            closings = list(session.exec(select(Closing).order_by(Closing.id)))
        standing = closings[-1] if project.closed_at is not None else None
        assert live_signoffs(slack, closings) == ([standing.id] if standing else []), (round_, closings, project)
        if standing is not None:
            assert standing.message_ts is not None
            debriefs = [c for c in debrief_dms(slack) if button_value(c.params, ids.DEBRIEF_ACTION) == str(standing.id)]
            assert len(debriefs) == 1


def test_a_reopen_while_slack_is_posting_the_signoff_leaves_no_live_signoff_and_asks_no_debrief(bot, slack, frozen):
    run(bot, 'new "Acme website" client:Acme')
    run(bot, f"approver add <@{CLIENT}>")
    slack.delay("chat.postMessage", 1.0)  # the sign-off is on its way when the owner reopens
    assert "closed" in text_of(run(bot, "close"))
    assert eventually(lambda: signoff_posts(slack))  # the close's post has reached Slack, not yet answered
    assert "reopened" in text_of(run(bot, "reopen"))
    bot.settle()
    [closing] = closings(bot)
    assert closing.message_ts is not None  # posted: and then made to say the project was reopened
    assert live_signoffs(slack, [closing]) == []
    assert "reopened" in text_of(slack.calls_to("chat.update")[-1].params)
    assert debrief_dms(slack) == []


def test_a_second_refresh_of_a_proposal_the_close_replaced_finds_nothing_owed_and_does_not_fail(bot, slack, frozen):
    """A close and a reopen each refresh the proposals the close replaced: the one that comes second
    finds nothing owed any more (it used to compare a naive `datetime.max` with the stored time)."""
    run(bot, 'new "Acme website" client:Acme due:2026-12-18')
    run(bot, f"approver add <@{CLIENT}>")
    run(bot, "due 2027-01-15 more pages")
    assert "closed" in text_of(run(bot, "close --force"))
    bot.settle()
    with bot.db.reader() as session:
        proposal = session.exec(select(Proposal)).one()
    assert proposal.state == "superseded" and proposal.refresh_due_at is None and proposal.message_ts
    updates = len(slack.calls_to("chat.update"))
    refresh_proposal(bot.services, web_client(bot.services.settings), team_id=bot.team_id, proposal_id=proposal.id)
    assert len(slack.calls_to("chat.update")) == updates + 1  # the message is rewritten from the database, no error
    assert not has_action(slack.calls_to("chat.update")[-1].params, ids.PROPOSAL_ACCEPT_ACTION)
