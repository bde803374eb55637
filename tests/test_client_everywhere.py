"""A client is a client everywhere: someone named a client of one project acts as one on every
project of the workspace (until the last naming goes, or an owner names them team on a project),
and a client finds only the projects they are a client or approver of, by name or by channel."""

from __future__ import annotations

from sqlmodel import select

from storage.models import AuditEvent, Project, Step
from storage.team import TeamMember
from tests.support.blocks import text_of
from tests.test_clients import ACME, BOB, CHANNEL, NAMED, OTHER_CHANNEL, OWNER, clients, count, frozen, rows, two_projects

__all__ = ["clients", "frozen"]  # fixtures
MINE = "I can't find a project of yours"


def acme_hours(bot) -> float:
    with bot.db.reader() as session:
        return session.exec(select(Project.hours_used).where(Project.name == "Acme website")).one()


def test_a_client_named_on_one_project_is_a_client_on_every_other(bot, clients, frozen):
    two_projects(bot)
    bot.run(f"client add <@{NAMED}>", user=OWNER, channel=OTHER_CHANNEL)  # a client of Beta
    steps_before, hours_before = rows(bot.db, Step), acme_hours(bot)

    by_name = text_of(bot.run('status "Acme website"', user=NAMED, channel=OTHER_CHANNEL))
    in_channel = text_of(bot.run("status", user=NAMED, channel=CHANNEL))
    for shown in (by_name, in_channel):
        assert MINE in shown and "Budget" not in shown and "QA test plan" not in shown and "late" not in shown
    for text in ('report "Acme website"', "step add Sneaky", "log 5h", "steps", "step done #2"):
        reply = bot.run(text, user=NAMED, channel=CHANNEL)
        assert "That's for the project team" in text_of(reply) or MINE in text_of(reply), text
    listed = text_of(bot.run("list all", user=NAMED, channel=CHANNEL))
    assert "Beta app" in listed and "Acme website" not in listed
    assert "`/project status [project]`" in text_of(bot.run("help", user=NAMED, channel=CHANNEL))  # client help
    bot.settle()
    assert not [c for c in clients.calls if c.method.startswith("files.") or c.method == "upload"]
    assert rows(bot.db, Step) == steps_before and acme_hours(bot) == hours_before
    assert count(bot.db, AuditEvent, AuditEvent.action == "client.refused", AuditEvent.actor_id == NAMED) >= 4


def test_an_owner_names_a_client_of_elsewhere_team_on_their_project_audited(bot, clients, frozen):
    two_projects(bot)
    bot.run(f"client add <@{NAMED}>", user=OWNER, channel=OTHER_CHANNEL)
    assert "Only the project owner" in text_of(bot.run(f"team add <@{NAMED}>", user=BOB, channel=CHANNEL))
    assert "is on the team of" in text_of(bot.run(f"team add <@{NAMED}>", user=OWNER, channel=CHANNEL))
    assert "Budget" in text_of(bot.run("status", user=NAMED, channel=CHANNEL))
    assert "#3" in text_of(bot.run("step add Now on the team", user=NAMED, channel=CHANNEL))
    assert "Budget" not in text_of(bot.run('status "Beta app"', user=NAMED, channel=CHANNEL))  # still Beta's client
    assert "That's for the project team" in text_of(bot.run("log 1h", user=NAMED, channel=OTHER_CHANNEL))
    assert count(bot.db, AuditEvent, AuditEvent.action == "team.added", AuditEvent.actor_id == OWNER) == 1

    assert "no longer named team" in text_of(bot.run(f"team remove <@{NAMED}>", user=OWNER, channel=CHANNEL))
    assert MINE in text_of(bot.run("status", user=NAMED, channel=CHANNEL))
    assert count(bot.db, TeamMember) == 0 and count(bot.db, AuditEvent, AuditEvent.action == "team.removed") == 1


def test_team_add_refuses_a_client_of_this_project_and_one_slack_says_is_a_client(bot, clients, frozen):
    two_projects(bot)
    bot.run(f"client add <@{NAMED}>", user=OWNER, channel=CHANNEL)
    assert "client remove" in text_of(bot.run(f"team add <@{NAMED}>", user=OWNER, channel=CHANNEL))
    assert "another organization" in text_of(bot.run(f"team add <@{ACME}>", user=OWNER, channel=CHANNEL))
    assert "not named team" in text_of(bot.run(f"team remove <@{BOB}>", user=OWNER, channel=CHANNEL))
    assert count(bot.db, TeamMember) == 0


def test_removing_the_last_naming_makes_them_team_everywhere_again(bot, clients, frozen):
    two_projects(bot)
    bot.run(f"client add <@{NAMED}>", user=OWNER, channel=OTHER_CHANNEL)
    assert MINE in text_of(bot.run("status", user=NAMED, channel=CHANNEL))
    bot.run(f"client remove <@{NAMED}>", user=OWNER, channel=OTHER_CHANNEL)
    assert "Budget" in text_of(bot.run("status", user=NAMED, channel=CHANNEL))


def test_a_client_of_another_organization_finds_nothing_in_a_channel_of_a_project_not_theirs(bot, clients, frozen):
    two_projects(bot)  # ACME approves Acme website, and has no role in Beta app
    before = rows(bot.db, Step)
    in_channel = text_of(bot.run("status", user=ACME, channel=OTHER_CHANNEL))
    by_name = text_of(bot.run('status "Beta app"', user=ACME, channel=CHANNEL))
    missing = text_of(bot.run('status "No such project"', user=ACME, channel=CHANNEL))
    assert MINE in in_channel and "Beta" not in in_channel and "Secret roadmap" not in in_channel
    assert by_name.replace("Beta app", "X") == missing.replace("No such project", "X")
    assert MINE in text_of(bot.run("step done #1", user=ACME, channel=OTHER_CHANNEL))
    assert rows(bot.db, Step) == before
    assert "Acme website" in text_of(bot.run("status", user=ACME, channel=CHANNEL))  # their own still works
