"""Re-assign and New date on the owner's escalation DM, clicked through the real app: they change the
step as `step assign` / `step due` would (same rights), and the DM says what changed."""

from __future__ import annotations

import json
from datetime import date, timedelta

from freezegun import freeze_time
from sqlmodel import select

from bot.messages import ids
from storage.models import AuditEvent, Step
from tests.support.blocks import assert_valid_blocks, assert_valid_view, text_of
from tests.support.reminders import MON, THU, WED, at, make_services, posts, reminders, run_pass, seed
from tests.test_reminder_buttons import step_ids

LATE = MON - timedelta(days=7)


def escalation_dm(bot) -> tuple[str, str, dict]:
    row, *_ = [row for row in reminders(bot.db).values() if row.recipient == "U_OWNER"]  # a key per step, one DM
    (params,) = posts(bot.slack, "U_OWNER")
    return (
        row.channel_id,
        row.message_ts,
        {"type": "message", "ts": row.message_ts, "text": params["text"], "blocks": params["blocks"]},
    )


def an_escalation(bot, slack, db, *titles: str) -> tuple[str, str, dict]:
    seed(db, steps=[(title, "U_BOB", LATE) for title in titles or ("Wireframes",)])
    run_pass(make_services(db, slack), slack, at(WED, "10:00"))
    return escalation_dm(bot)


def test_the_escalation_dm_offers_mark_done_snooze_reassign_and_new_date(bot, slack, db):
    _, _, message = an_escalation(bot, slack, db)
    assert_valid_blocks(message["blocks"])
    elements = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in elements] == [
        ids.STEP_DONE_ACTION, ids.STEP_SNOOZE_ACTION, ids.ESCALATION_ASSIGN_ACTION, ids.ESCALATION_DATE_ACTION,
    ]  # fmt: skip
    assert elements[2]["type"] == "users_select"


def reassign(bot, step_id: int, user: str, chosen: str, channel: str, ts: str, message: dict):
    return bot.action(
        action_id=ids.ESCALATION_ASSIGN_ACTION, value="", selected_user=chosen, user_id=user, channel_id=channel,
        message_ts=ts, message=message, block_id=f"{ids.REMINDER_STEP_BLOCK}{step_id}",
    )  # fmt: skip


def test_the_owner_reassigns_an_escalated_step_from_the_dm_and_the_dm_says_so(bot, slack, db):
    channel, ts, message = an_escalation(bot, slack, db, "Wireframes", "Copy")
    wireframes = step_ids(db)["Wireframes"]

    with freeze_time(at(WED, "10:05")):
        reply = reassign(bot, wireframes, "U_OWNER", "U_CAROL", channel, ts, message)
        (update,) = slack.wait_for("chat.update")

    assert reply.status == 200
    assert update.params["channel"] == channel and update.params["ts"] == ts
    assert_valid_blocks(update.params["blocks"])
    shown = text_of(update.params)
    assert "Re-assigned to <@U_CAROL> by <@U_OWNER>" in shown
    assert update.params["text"].startswith("1 step in your projects is overdue too long")  # Copy is left
    with db.reader() as session:
        assert session.get(Step, wireframes).assignee_id == "U_CAROL"
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "step.assigned")).one()
        assert audit.actor_id == "U_OWNER"
    run_pass(make_services(db, slack), slack, at(THU, "10:00"))
    assert "Wireframes" in text_of(posts(slack, "U_CAROL")[-1])  # the new assignee is reminded now


def test_a_client_cannot_reassign_as_the_team_and_nothing_changes(bot, slack, db):
    channel, ts, message = an_escalation(bot, slack, db)
    wireframes = step_ids(db)["Wireframes"]
    slack.user_team["U_OWNER"] = "T0ELSEWHERE"  # the clicker is from another organization: a client

    reassign(bot, wireframes, "U_OWNER", "U_CAROL", channel, ts, message)
    (refusal,) = slack.wait_for_responses(1)
    bot.settle()

    assert "project team" in json.dumps(refusal)
    assert slack.calls_to("chat.update") == []
    with db.reader() as session:
        assert session.get(Step, wireframes).assignee_id == "U_BOB"


def new_date_click(bot, step_id: int, user: str, channel: str, ts: str, message: dict):
    return bot.action(
        action_id=ids.ESCALATION_DATE_ACTION, value=str(step_id), user_id=user, channel_id=channel, message_ts=ts,
        message=message, block_id=f"{ids.REMINDER_STEP_BLOCK}{step_id}",
    )  # fmt: skip


def submit_date(bot, view: dict, user: str, picked: date | None):
    chosen = {"type": "datepicker", "selected_date": picked.isoformat() if picked else None}
    return bot.view_submission(
        callback_id=ids.NEW_DATE_VIEW, user_id=user, private_metadata=view["private_metadata"],
        values={ids.NEW_DATE_BLOCK: {ids.NEW_DATE_INPUT: chosen}},
    )  # fmt: skip


def test_new_date_opens_a_form_and_redates_the_step_as_step_due_would_and_the_dm_says_so(bot, slack, db):
    channel, ts, message = an_escalation(bot, slack, db, "Wireframes", "Copy")
    wireframes = step_ids(db)["Wireframes"]

    with freeze_time(at(WED, "10:05")):
        new_date_click(bot, wireframes, "U_OWNER", channel, ts, message)
        (opened,) = slack.wait_for("views.open")
        view = opened.params["view"]
        assert_valid_view(view)
        assert view["callback_id"] == ids.NEW_DATE_VIEW and "#1 Wireframes" in json.dumps(view)

        past = submit_date(bot, view, "U_OWNER", MON)  # a day gone by: refused inside the form
        assert past.status == 200 and json.loads(past.body)["response_action"] == "errors"
        submitted = submit_date(bot, view, "U_OWNER", THU + timedelta(days=7))
        assert submitted.status == 200
        (update,) = slack.wait_for("chat.update")

    assert update.params["channel"] == channel and update.params["ts"] == ts
    assert_valid_blocks(update.params["blocks"])
    assert "New date Thu 10 Dec 2026, set by <@U_OWNER>" in text_of(update.params)
    assert update.params["text"].startswith("1 step in your projects is overdue too long")
    with db.reader() as session:
        step = session.get(Step, wireframes)
        assert step.due_date == THU + timedelta(days=7)
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "step.due_changed")).one()
        assert audit.actor_id == "U_OWNER"


def test_new_date_by_someone_who_is_neither_owner_nor_assignee_is_refused_before_the_form(bot, slack, db):
    channel, ts, message = an_escalation(bot, slack, db)
    wireframes = step_ids(db)["Wireframes"]

    new_date_click(bot, wireframes, "U_MALLORY", channel, ts, message)
    (refusal,) = slack.wait_for_responses(1)
    bot.settle()

    assert "<@U_OWNER>" in json.dumps(refusal)
    assert slack.calls_to("views.open") == []
    with db.reader() as session:
        assert session.get(Step, wireframes).due_date == LATE
