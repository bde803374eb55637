"""Mark done and Snooze 1 day on reminder DMs, clicked through the real app: only the assignee or the
project's owner may use them, and the DM is updated in place."""

from __future__ import annotations

import json
from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import select

from bot.messages import ids
from storage.models import AuditEvent, Step
from tests.support.blocks import assert_valid_blocks, text_of
from tests.support.reminders import MON, THU, WED, at, make_services, posts, reminders, run_pass, seed


def dm_to(bot, user: str) -> tuple[str, str, dict]:
    """The DM Shepherd sent `user`: its D… channel, its ts, and the message as Slack shows it."""
    (row,) = [row for row in reminders(bot.db).values() if row.recipient == user]
    (params,) = posts(bot.slack, user)
    return (
        row.channel_id,
        row.message_ts,
        {"type": "message", "ts": row.message_ts, "text": params["text"], "blocks": params["blocks"]},
    )


def click(bot, action_id: str, step_id: int, user: str, channel: str, ts: str, message: dict, **kw):
    return bot.action(
        action_id=action_id, value=str(step_id), user_id=user, channel_id=channel, message_ts=ts, message=message,
        block_id=f"{ids.REMINDER_STEP_BLOCK}{step_id}", **kw,
    )  # fmt: skip


def step_ids(db) -> dict[str, int]:
    with db.reader() as session:
        return {s.title: s.id for s in session.exec(select(Step))}


def test_the_assignee_snoozes_a_step_until_their_next_working_day_and_the_dm_updates_in_place(bot, slack, db):
    services = make_services(db, slack)
    seed(db, steps=[("Wireframes", "U_BOB", MON), ("Copy", "U_BOB", MON)])
    run_pass(services, slack, at(WED, "09:05"))
    channel, ts, message = dm_to(bot, "U_BOB")
    wireframes = step_ids(db)["Wireframes"]

    with freeze_time(at(WED, "09:10")):
        reply = click(bot, ids.STEP_SNOOZE_ACTION, wireframes, "U_BOB", channel, ts, message)
        (update,) = slack.wait_for("chat.update")

    assert reply.status == 200
    assert update.params["channel"] == channel and channel.startswith("D") and update.params["ts"] == ts
    assert_valid_blocks(update.params["blocks"])
    shown = text_of(update.params)
    assert "Snoozed by <@U_BOB> until Thu 3 Dec 2026" in shown and shown.count("Mark done") == 1  # Copy keeps its buttons
    with db.reader() as session:
        assert session.get(Step, wireframes).snoozed_until == THU
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "step.snoozed")).one().actor_id == "U_BOB"

    run_pass(services, slack, at(WED, "09:45"))  # today's digest leaves the snoozed step out
    assert "Wireframes" not in text_of(posts(slack, "C_PROJ")[0])
    run_pass(services, slack, at(THU, "10:00"))  # and it is back on the next working day
    assert "Wireframes" in text_of(posts(slack, "U_BOB")[-1])


def test_the_owner_marks_a_step_done_from_the_escalation_dm(bot, slack, db):
    services = make_services(db, slack)
    seed(db, steps=[("Wireframes", "U_BOB", MON - timedelta(days=7))])
    run_pass(services, slack, at(WED, "10:00"))
    channel, ts, message = dm_to(bot, "U_OWNER")
    wireframes = step_ids(db)["Wireframes"]

    click(bot, ids.STEP_DONE_ACTION, wireframes, "U_OWNER", channel, ts, message)
    (update,) = slack.wait_for("chat.update")

    assert "Marked done by <@U_OWNER>" in text_of(update.params) and "Mark done" not in text_of(update.params)
    with db.reader() as session:
        step = session.get(Step, wireframes)
        assert step.done_at is not None and step.done_by == "U_OWNER"
    run_pass(services, slack, at(THU, "10:00"))
    assert len(posts(slack, "U_BOB")) == 1  # nothing about it the next day


def test_someone_else_clicking_is_told_why_and_nothing_changes(bot, slack, db):
    services = make_services(db, slack)
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    run_pass(services, slack, at(WED, "10:00"))
    channel, ts, message = dm_to(bot, "U_BOB")
    wireframes = step_ids(db)["Wireframes"]

    reply = click(bot, ids.STEP_DONE_ACTION, wireframes, "U_MALLORY", channel, ts, message)
    (refusal,) = slack.wait_for_responses(1)

    assert reply.status == 200
    assert refusal["response_type"] == "ephemeral" and refusal["replace_original"] is False
    assert "<@U_BOB>" in refusal["text"] and "<@U_OWNER>" in refusal["text"]
    assert slack.calls_to("chat.update") == []
    with db.reader() as session:
        assert session.get(Step, wireframes).done_at is None


def test_a_click_from_another_workspace_cannot_touch_this_workspaces_steps(bot, other_bot, slack, db):
    services = make_services(db, slack)
    seed(db, steps=[("Wireframes", "U_BOB", MON)])
    run_pass(services, slack, at(WED, "10:00"))
    channel, ts, message = dm_to(bot, "U_BOB")
    wireframes = step_ids(db)["Wireframes"]

    click(other_bot, ids.STEP_DONE_ACTION, wireframes, "U_BOB", channel, ts, message)
    (refusal,) = slack.wait_for_responses(1)

    assert "no longer exists" in json.dumps(refusal)
    with db.reader() as session:
        assert session.get(Step, wireframes).done_at is None


def test_mark_done_updates_the_dms_first_line_to_count_what_is_left(bot, slack, db):
    services = make_services(db, slack)
    seed(db, steps=[("Wireframes", "U_BOB", MON), ("Copy", "U_BOB", MON), ("Launch", "U_BOB", THU)])
    run_pass(services, slack, at(WED, "09:05"))
    channel, ts, message = dm_to(bot, "U_BOB")
    assert message["text"] == "You have 2 overdue steps and 1 step due soon."
    ids_by_title = step_ids(db)

    click(bot, ids.STEP_DONE_ACTION, ids_by_title["Wireframes"], "U_BOB", channel, ts, message)
    (first,) = slack.wait_for("chat.update")
    assert first.params["text"] == "You have 1 overdue step and 1 step due soon."
    assert "You have 1 overdue step and 1 step due soon" in text_of({"blocks": first.params["blocks"][:1]})
    assert_valid_blocks(first.params["blocks"])

    shown = {"type": "message", "ts": ts, "text": first.params["text"], "blocks": first.params["blocks"]}
    click(bot, ids.STEP_DONE_ACTION, ids_by_title["Copy"], "U_BOB", channel, ts, shown)
    click_when_done = slack.wait_for("chat.update", 2)[1]
    assert click_when_done.params["text"] == "You have 1 step due soon."
    shown = {"type": "message", "ts": ts, "text": click_when_done.params["text"], "blocks": click_when_done.params["blocks"]}
    with freeze_time(at(WED, "09:10")):
        click(bot, ids.STEP_SNOOZE_ACTION, ids_by_title["Launch"], "U_BOB", channel, ts, shown)
        last = slack.wait_for("chat.update", 3)[2]
    assert last.params["text"] == "Snoozed #3 Launch until Thu 3 Dec 2026. Nothing else is left from this reminder."
    assert ":zzz: Snoozed #3 Launch until Thu 3 Dec 2026" in text_of({"blocks": last.params["blocks"][:1]})
    assert "Mark done" not in text_of(last.params) and text_of(last.params).count("Marked done by <@U_BOB>") == 2
