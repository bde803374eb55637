"""Closing a project: a checklist first, `--force` by the owner, waiting approval messages updated,
a calm final card, nothing more sent, and `reopen`."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time
from sqlmodel import select

from storage.models import AuditEvent, Deliverable, Project
from tests.support.blocks import text_of

OWNER, BOB, CLIENT = "U0OWNER", "U0BOB", "U0CLIENT"
CHANNEL = "C0ACME"


@pytest.fixture
def frozen():
    with freeze_time("2026-11-26 10:00:00", tick=True) as clock:
        yield clock


def run(bot, text, user=OWNER):
    return bot.run(text, user=user, channel=CHANNEL)


def busy_project(bot):
    run(bot, 'new "Acme website" due:2026-12-18 budget:10h')
    run(bot, f"approver add <@{CLIENT}>")
    run(bot, "step add Launch due:2026-11-20")
    run(bot, "deliverable Homepage https://x.example")
    run(bot, "log 12h")
    run(bot, "due 2027-01-15")


def closed_at(db):
    with db.reader() as session:
        return session.exec(select(Project.closed_at)).one()


def test_close_lists_what_still_stands_and_changes_nothing(bot, frozen):
    busy_project(bot)
    said = text_of(run(bot, "close"))
    for item in (
        "step #1 Launch is open",
        "Homepage v1 waits for sign-off",
        "Fri 15 Jan 2027 waits for the approvers",
        "12h of 10h",
    ):
        assert item in said, item
    assert "--force" in said and closed_at(bot.db) is None


def test_close_force_closes_updates_waiting_messages_and_is_audited(bot, slack, frozen):
    busy_project(bot)
    reply = run(bot, "close --force")
    assert reply["response_type"] == "in_channel" and "closed" in text_of(reply)
    assert closed_at(bot.db) is not None
    with bot.db.reader() as session:
        assert session.exec(select(AuditEvent.action).where(AuditEvent.action == "project.closed_forced")).all()
    updates = slack.wait_for("chat.update", 2)
    approval = [u for u in updates if "Homepage" in text_of(u.params)][-1]
    blocks = approval.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert "closed before a decision" in text_of(approval.params) and not [b for b in blocks if b["type"] == "actions"]
    card = text_of(run(bot, "status"))
    assert "*Closed*" in card and "Overdue" not in card and "Forecast" not in card and "Next up" not in card
    listed = text_of(run(bot, "list all"))
    assert "closed" in listed and "next " not in listed and "awaiting" not in listed


def test_after_close_nothing_can_be_changed_and_only_the_owner_reopens(bot, frozen):
    run(bot, 'new "Acme website"')
    assert "closed" in text_of(run(bot, "close"))
    assert "is closed" in text_of(run(bot, "step add More"))
    assert "Only the project owner" in text_of(run(bot, "reopen", user=BOB))
    assert "reopened" in text_of(run(bot, "reopen"))
    assert closed_at(bot.db) is None
    assert "there's nothing to reopen" in text_of(run(bot, "reopen"))


def test_a_click_on_a_closed_projects_approval_message_changes_nothing(bot, slack, frozen):
    from bot.messages import ids

    busy_project(bot)
    run(bot, "close --force")
    with bot.db.reader() as session:
        deliverable = session.exec(select(Deliverable)).one()
    bot.action(
        action_id=ids.APPROVE_ACTION, value=str(deliverable.id), user_id=CLIENT, channel_id=CHANNEL,
        message_ts="1700000000.000001", response_url=slack.response_url("late"), block_id=ids.APPROVAL_ACTIONS_BLOCK,
    )  # fmt: skip
    [answer] = slack.wait_for_responses(1, key="late")
    assert "is closed" in text_of(answer)
    with bot.db.reader() as session:
        assert session.exec(select(Deliverable.state)).one() == "pending"
