"""A step removed from the plan (`step remove #n`) is gone from every reminder, digest, escalation
and list a person works from; it stays only in history, the report and `steps all`."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time

from tests.support.blocks import text_of
from tests.support.reminders import MON, WED, at, make_services, posts, reminders, run_pass, seed


def test_a_removed_step_is_never_reminded_digested_or_escalated_and_leaves_list_mine(bot, slack, db):
    services = make_services(db, slack)
    seed(db, steps=[("Stakeholder interviews", "U_BOB", MON - timedelta(days=7)), ("Copy", "U_BOB", MON)])
    with freeze_time(at(MON, "08:00")):
        removed = bot.run("step remove #1", user="U_OWNER", channel="C_PROJ")
    assert "removed" in text_of(removed).lower()

    run_pass(services, slack, at(WED, "10:00"))

    bob, digest = posts(slack, "U_BOB"), posts(slack, "C_PROJ")
    assert len(bob) == 1 and "Copy" in text_of(bob[0]) and "Stakeholder" not in text_of(bob[0])
    assert len(digest) == 1 and "Copy" in text_of(digest[0]) and "Stakeholder" not in text_of(digest[0])
    assert posts(slack, "U_OWNER") == []  # Copy is 2 working days late: nothing left to escalate
    assert not [key for key in reminders(db) if key.startswith("escalation:")]
    with freeze_time(at(WED, "10:05")):
        assert "Stakeholder" not in text_of(bot.run("steps", user="U_OWNER", channel="C_PROJ"))
        assert "removed from the plan" in text_of(bot.run("steps all", user="U_OWNER", channel="C_PROJ"))


def test_a_project_whose_only_open_step_was_removed_is_not_in_list_mine(bot, slack, db):
    seed(db, steps=[("Stakeholder interviews", "U_BOB", MON)])
    with freeze_time(at(MON, "08:00")):
        bot.run("step remove #1", user="U_OWNER", channel="C_PROJ")
        mine = bot.run("list mine", user="U_BOB", channel="C_PROJ")
    assert "Acme website" not in text_of(mine)


def test_a_removed_step_of_the_clients_is_no_longer_waiting_on_them_in_the_client_view(bot, slack):
    slack.user_team["U0ACME"] = "T0ACMECORP"
    with freeze_time(at(MON, "09:00"), tick=True):
        bot.run('new "Acme website" client:Acme due:2026-12-18', user="U_OWNER", channel="C0ACME")
        bot.run("approver add <@U0ACME>", user="U_OWNER", channel="C0ACME")
        bot.run("step add Send the logo files <@U0ACME> due:2026-12-02", user="U_OWNER", channel="C0ACME")
        assert "Send the logo files" in text_of(bot.run("status", user="U0ACME", channel="C0ACME"))
        bot.run("step remove #1", user="U_OWNER", channel="C0ACME")
        assert "Send the logo files" not in text_of(bot.run("status", user="U0ACME", channel="C0ACME"))
