"""One pass, defined once: `python -m bot remind` runs the same parts as the serving process's timer
(reminders, message repairs, slip alerts, weekly drafts…), counts each, and one part breaking does
not stop the others."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import select

from bot.messages import ids
from bot.slack import passes, runner
from storage.models import Deliverable
from tests.support.blocks import text_of
from tests.support.reminders import FRI, MON, at

OWNER, CLIENT, CHANNEL = "U0OWNER", "U0CLIENT", "C0ACME"


def run(bot, text: str, user: str = OWNER) -> dict:
    return bot.run(text, user=user, channel=CHANNEL)


def a_project_that_owes_every_part(bot, slack) -> Deliverable:
    """Target Fri 4 Dec, a step due after it (a slip), a deliverable approved whose message Slack
    failed to update, and a weekly draft owed on Friday afternoon."""
    slack.user_team[CLIENT] = "T0ACMECORP"
    with freeze_time(at(MON, "09:00"), tick=True):
        run(bot, 'new "Acme website" client:Acme due:2026-12-04')
        run(bot, f"approver add <@{CLIENT}>")
        run(bot, "step add Launch due:2026-12-10")
        run(bot, 'deliverable "Homepage design"')
        with bot.db.reader() as session:
            deliverable = session.exec(select(Deliverable)).one()
        slack.fail("chat.update", times=3, status=500)  # the click's own update, tried three times
        bot.action(
            action_id=ids.APPROVE_ACTION, value=str(deliverable.id), user_id=CLIENT, channel_id=CHANNEL,
            message_ts=deliverable.message_ts, block_id=ids.APPROVAL_ACTIONS_BLOCK,
        )  # fmt: skip
        slack.wait_for("chat.update", 3)
        bot.settle()
    with bot.db.reader() as session:
        deliverable = session.exec(select(Deliverable)).one()
    assert deliverable.state == "approved" and deliverable.refresh_due_at is not None  # the message still owes it
    return deliverable


def owner_dms(slack) -> list[dict]:
    return [c.params for c in slack.calls_to("chat.postMessage") if not c.failed and c.params["channel"] == OWNER]


def test_python_m_bot_remind_sends_slip_alerts_and_weekly_drafts_and_repairs_approval_messages(bot, slack, capsys):
    deliverable = a_project_that_owes_every_part(bot, slack)
    slack.reset()
    slack.user_team[CLIENT] = "T0ACMECORP"

    with freeze_time(at(FRI, "15:30")):
        assert runner.remind_once(bot.services.settings) == 0

    texts = [text_of(dm) for dm in owner_dms(slack)]
    assert any("Propose new date" in t for t in texts), texts  # the slip alert
    assert any("Post to" in t for t in texts), texts  # the weekly client update's draft
    (repair,) = [c.params for c in slack.calls_to("chat.update") if c.params.get("ts") == deliverable.message_ts]
    assert "*Approved* by <@U0CLIENT>" in text_of(repair) and ids.APPROVE_ACTION not in str(repair)
    with bot.db.reader() as session:
        assert session.get(Deliverable, deliverable.id).refresh_due_at is None
    printed = capsys.readouterr().out
    for part in ("reminders:", "slip alerts: sent 1", "weekly drafts: sent 1", "approval repairs: sent 1"):
        assert part in printed, printed


def test_a_part_that_breaks_does_not_stop_the_others(bot, slack, monkeypatch, capsys):
    a_project_that_owes_every_part(bot, slack)
    slack.reset()

    def broken(run: passes.Pass, tally) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(passes, "PARTS", (("reminders", broken), *passes.PARTS[1:]))
    with freeze_time(at(FRI, "15:30")):
        assert runner.remind_once(bot.services.settings) == 0

    assert "reminders: sent 0, deferred 0, failed 0, held 0 (broke: see the log)" in capsys.readouterr().out
    assert any("Post to" in text_of(dm) for dm in owner_dms(slack))
    assert any("Propose new date" in text_of(dm) for dm in owner_dms(slack))


def test_the_timer_runs_the_same_pass(bot, slack):
    from bot.slack.scheduler import ReminderScheduler

    a_project_that_owes_every_part(bot, slack)
    slack.reset()
    with freeze_time(at(FRI, "15:30") + timedelta(seconds=1)):
        ReminderScheduler(bot.services).run_pass()
    texts = [text_of(dm) for dm in owner_dms(slack)]
    assert any("Propose new date" in t for t in texts) and any("Post to" in t for t in texts)
