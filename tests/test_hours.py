"""Hours through the real pipeline: `log` keeps a time entry with its note, in the forms people type;
`budget` keeps every change with its reason; the card and the report show both."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from freezegun import freeze_time
from sqlmodel import select

from storage.hours import BudgetChange, TimeEntry
from storage.models import Project
from tests.support.blocks import text_of

OWNER, BOB = "U0OWNER", "U0BOB"
CHANNEL = "C0ACME"


@pytest.fixture
def clock():
    with freeze_time("2026-11-26 22:30:00", tick=True) as frozen:  # Thursday evening in London
        yield frozen


def run(bot, text, user=OWNER):
    return bot.run(text, user=user, channel=CHANNEL)


def rows(bot, model):
    with bot.db.reader() as session:
        return list(session.exec(select(model).order_by(model.id)))


def hours_used(bot) -> float:
    with bot.db.reader() as session:
        return session.exec(select(Project.hours_used)).one()


def test_log_reads_the_hours_as_people_type_them_and_keeps_the_note_on_the_persons_own_day(bot, slack, clock):
    slack.user_tz[BOB] = "Pacific/Auckland"  # already Friday morning there
    run(bot, 'new "Acme website" budget:130h')
    said = text_of(run(bot, "log 22h site audit, interviews", user=BOB))
    assert "Logged 22h (site audit, interviews) on *Acme website*: 22h of 130h used." in said
    for text in ("log 1h30m", "log 90m kick-off call", "log 1.5 hours design review", "log 2 hrs", "log 45 min standup",
                 "log 3.5", "log 1h 30m"):  # fmt: skip
        assert "Logged" in text_of(run(bot, text)), text
    entries = rows(bot, TimeEntry)
    assert [(e.person, e.hours, e.note) for e in entries] == [
        (BOB, 22.0, "site audit, interviews"),
        (OWNER, 1.5, None),
        (OWNER, 1.5, "kick-off call"),
        (OWNER, 1.5, "design review"),
        (OWNER, 2.0, None),
        (OWNER, 0.75, "standup"),
        (OWNER, 3.5, None),
        (OWNER, 1.5, None),
    ]
    assert [str(e.day) for e in entries[:2]] == ["2026-11-27", "2026-11-26"]  # Bob's Friday, the owner's Thursday
    assert hours_used(bot) == sum(e.hours for e in entries) == 34.25


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("log site audit", "Start with the hours"),
        ("log lots", "isn't a number of hours"),
        ("log -3h", "isn't a number of hours"),
        ("log 0h nothing", "is no time at all"),
        ("log 25h the whole week", "at most 24h"),
        ("log 1h75", "isn't a number of hours"),
        ("log", "How many hours?"),
        ("budget lots", "isn't a number of hours"),
        ("budget 0h", "is no time at all"),
    ],
)
def test_unreadable_zero_or_absurd_hours_are_refused_in_a_friendly_line_and_change_nothing(bot, clock, text, said):
    run(bot, 'new "Acme website" budget:120h')
    reply = run(bot, text)
    assert reply["response_type"] == "ephemeral" and said in text_of(reply), text_of(reply)
    assert rows(bot, TimeEntry) == [] and hours_used(bot) == 0
    assert [b.hours for b in rows(bot, BudgetChange)] == [120]


def test_twenty_people_logging_at_once_each_keep_their_entry_and_the_sum_is_exact(bot, clock):
    run(bot, 'new "Acme website" budget:100h')
    people = [f"U0P{n:02d}" for n in range(20)]
    for person in people:  # Shepherd knows them all: the logs race each other, not users.info
        run(bot, "help", user=person)
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(lambda person: run(bot, f"log 1h30m work of {person}", user=person), people))
    assert all("Logged 1.5h" in text_of(r) for r in replies)
    entries = rows(bot, TimeEntry)
    assert sorted((e.person, e.note) for e in entries) == [(p, f"work of {p}") for p in people]
    assert hours_used(bot) == 30


def test_log_stays_with_the_team(bot, slack, clock):
    slack.user_team["U0CLIENT"] = "T_CLIENTCO"
    run(bot, 'new "Acme website"')
    assert "That's for the project team" in text_of(run(bot, "log 2h a client's hours", user="U0CLIENT"))
    assert rows(bot, TimeEntry) == []


def test_a_budget_change_keeps_its_reason_beside_the_original_and_the_card_says_what_it_was(bot, clock):
    run(bot, 'new "Acme website" budget:120h')
    assert "Only the project owner" in text_of(run(bot, "budget 200h", user=BOB))
    said = text_of(run(bot, "budget 130h the client added two landing pages"))
    assert "Budget of *Acme website*: 130h (was 120h), because the client added two landing pages." in said
    run(bot, "log 12h", user=BOB)
    changes = rows(bot, BudgetChange)
    assert [(c.hours, c.reason, c.changed_by) for c in changes] == [
        (120, None, OWNER),
        (130, "the client added two landing pages", OWNER),
    ]
    card = run(bot, "status")
    [budget] = [f["text"] for b in card["blocks"] for f in b.get("fields", []) if f["text"].startswith("*Budget*")]
    assert budget == "*Budget*\n12h of 130h (9%) · 0% of steps done\n_budget 130h (was 120h)_"


def test_the_report_shows_every_budget_and_every_time_entry_with_its_note(bot, slack, clock):
    run(bot, 'new "Acme website" budget:120h')
    run(bot, "log 22h site audit, interviews", user=BOB)
    run(bot, "budget 130h the client added two landing pages")
    run(bot, "budget 125h")
    reply = bot.command("report", user=OWNER, channel=CHANNEL, key="report")
    assert reply.status == 200
    assert "is in <#C0ACME>" in text_of(slack.wait_for_responses(2, key="report")[1])  # no client reads it
    [report] = [f.text for f in slack.shared_files(CHANNEL) if f.filename.endswith(".md")]
    lines = report.splitlines()
    for line in (
        "- Used: 22h of a 125h budget (18%)",
        "### Budget (the original, then every change)",
        "1. 120h, the original budget; set by @U0OWNER on Thu 26 Nov 2026 22:30",
        "2. 130h, up 10h from 120h: the client added two landing pages; changed by @U0OWNER on Thu 26 Nov 2026 22:30",
        "3. 125h (current), down 5h from 130h: no reason given; changed by @U0OWNER on Thu 26 Nov 2026 22:30",
        "### Time entries",
        "- Thu 26 Nov 2026: @U0BOB 22h: site audit, interviews",
    ):
        assert line in lines, f"{line!r} not in the report:\n{report}"


def test_hours_and_budgets_from_before_time_entries_are_kept_when_the_schema_is_migrated(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from storage.db import Database, alembic_config

    db = Database(f"sqlite:///{tmp_path}/before.db")
    with db.engine.connect() as connection:  # the schema as it was, with a project that logged hours
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
        connection.execute(
            text(
                "INSERT INTO project (team_id, name, name_key, channel_id, owner_id, stage, start_date, budget_hours,"
                " hours_used, tz, created_at, updated_at, skipped_stages, budget_alerted)"
                " VALUES ('T1', 'Acme', 'acme', 'C1', 'U1', 'execution', '2026-11-02', 120, 42.5, 'UTC',"
                " '2026-11-02 09:00:00', '2026-11-20 09:00:00', '', 0)"
            )
        )
        connection.commit()
    db.migrate()
    with db.reader() as session:
        [entry] = session.exec(select(TimeEntry)).all()
        [budget] = session.exec(select(BudgetChange)).all()
    db.dispose()
    assert (entry.person, entry.hours, str(entry.day)) == ("U1", 42.5, "2026-11-02")
    assert (budget.hours, budget.changed_by, budget.reason) == (120, "U1", None)


def test_after_a_budget_change_the_team_is_told_again_as_the_hours_reach_the_new_budget(bot, slack, clock):
    run(bot, 'new "Acme website" budget:50h internal:<#C0TEAM|team>')
    for hours in ("24h", "14h", "14h"):  # 76 %, then 52h of 50h: the whole budget is used
        run(bot, f"log {hours}")
    run(bot, "budget 100h the client added a blog")  # 52 %: no alert for what is already behind
    run(bot, "log 24h")  # 76 %
    run(bot, "log 10h")  # 86 %: past 80 % of the new budget
    alerts = [c.params for c in slack.wait_for("chat.postMessage", 2) if "budget" in str(c.params.get("text"))]
    assert [a["channel"] for a in alerts] == ["C0TEAM", "C0TEAM"]
    assert "whole budget: 52h of 50h" in text_of(alerts[0]) and "used 80% of its budget: 86h of 100h" in text_of(alerts[1])
