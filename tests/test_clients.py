"""The client boundary through the real pipeline: who is a client (another organization, a guest,
a named contact, or unknown), what they see and may do, and where team-only posts go."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from sqlmodel import func, select

from storage.models import AuditEvent, ClientContact, Project, Step
from tests.support.blocks import assert_valid_blocks, text_of

OWNER, BOB, ACME, GUEST, NAMED, ROBOT = "U0OWNER", "U0BOB", "U0ACME", "U0GUEST", "U0NAMED", "U0ROBOT"
CHANNEL, OTHER_CHANNEL, TEAM_CHANNEL = "C0ACME", "C0BETA", "C0TEAM"
NOW = "2026-11-26 10:00:00"  # a Thursday
INTERNAL_WORDS = ("Budget", "h of", "Health", "Owner", "Overdue", "late")


@pytest.fixture
def frozen():
    with freeze_time(NOW, tick=True) as clock:
        yield clock


@pytest.fixture
def clients(slack):
    """ACME belongs to the client's own organization; GUEST is a guest of ours; ROBOT is an app."""
    slack.user_team[ACME] = "T0ACMECORP"
    slack.guests.add(GUEST)
    slack.bots.add(ROBOT)
    return slack


def count(db, model, *where) -> int:
    with db.reader() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def rows(db, model) -> list:
    with db.reader() as session:
        return [row.model_dump() for row in session.exec(select(model).order_by(model.id))]


def two_projects(bot):
    """Acme (ACME approves, has a step, a budget over 100 %) and Beta, another client's project."""
    bot.run('new "Acme website" client:Acme due:2026-12-18 budget:90h', user=OWNER, channel=CHANNEL)
    bot.run(f"approver add <@{ACME}>", user=OWNER, channel=CHANNEL)
    for hours in (23, 23, 23, 24, 24, 3):  # 120h, one day an entry, and one alert: 69h is under 80 %, 93h past 100 %
        bot.run(f"log {hours}h", user=OWNER, channel=CHANNEL)
    bot.run(f"step add Send the logo files <@{ACME}> due:2026-11-20", user=OWNER, channel=CHANNEL)
    bot.run(f"step add QA test plan <@{BOB}> due:2026-11-20", user=OWNER, channel=CHANNEL)
    bot.run('new "Beta app" client:Beta budget:50h', user=OWNER, channel=OTHER_CHANNEL)
    bot.run("step add Secret roadmap", user=OWNER, channel=OTHER_CHANNEL)


def test_a_client_from_another_organization_lists_only_their_project(bot, clients, frozen):
    two_projects(bot)
    listed = text_of(bot.run("list all", user=ACME, channel=CHANNEL))
    assert "Acme website" in listed and "Beta app" not in listed
    assert not any(word in listed for word in ("on track", "behind", "awaiting"))


def test_status_of_another_clients_project_is_refused_like_a_project_that_does_not_exist(bot, clients, frozen):
    two_projects(bot)
    other = text_of(bot.run('status "Beta app"', user=ACME, channel=CHANNEL))
    missing = text_of(bot.run('status "No such project"', user=ACME, channel=CHANNEL))
    assert other.replace("Beta app", "X") == missing.replace("No such project", "X")
    assert "Secret roadmap" not in other


def test_the_client_view_shows_dates_and_what_waits_on_them_never_budget_hours_or_staff_lateness(bot, clients, frozen):
    two_projects(bot)
    card = bot.run("status", user=ACME, channel=CHANNEL)
    assert card["response_type"] == "ephemeral"
    assert_valid_blocks(card["blocks"])
    shown = text_of(card)
    assert "Acme website" in shown and "Fri 18 Dec 2026" in shown and "Send the logo files" in shown
    assert "Waiting on you" in shown
    for word in (*INTERNAL_WORDS, "120", "90h", "QA test plan", BOB):
        assert word not in shown, word


def test_a_team_member_in_a_shared_channel_still_gets_the_full_card(bot, clients, frozen):
    clients.shared_channels.add(CHANNEL)
    two_projects(bot)
    card = bot.run("status", user=BOB, channel=CHANNEL)
    assert card["response_type"] == "ephemeral"
    assert "Budget" in text_of(card) and "120h of 90h" in text_of(card) and "QA test plan" in text_of(card)


@pytest.mark.parametrize(
    "text",
    [
        "step add Please also do a mobile app",
        "log 10h",
        "budget 500h",
        "stage next",
        "step assign #2 <@U0ACME>",
        "step reopen #1",
        f"approver add <@{GUEST}>",
        f"client remove <@{ACME}>",
        "internal <#C0TEAM|team>",
        "deliverable Sneaky https://x.example",
        "owner <@U0ACME>",
        "close",
        "new Another project",
        "status share",
    ],
)
def test_every_team_command_by_a_client_is_refused_in_one_line_audited_and_changes_nothing(bot, clients, frozen, text):
    two_projects(bot)
    before = (rows(bot.db, Project), rows(bot.db, Step), rows(bot.db, ClientContact))
    posts_before = len(clients.calls_to("chat.postMessage"))
    reply = bot.run(text, user=ACME, channel=CHANNEL)
    assert "That's for the project team" in text_of(reply) and reply["response_type"] == "ephemeral"
    assert (rows(bot.db, Project), rows(bot.db, Step), rows(bot.db, ClientContact)) == before
    assert count(bot.db, AuditEvent, AuditEvent.action == "client.refused", AuditEvent.actor_id == ACME) == 1
    assert len(clients.calls_to("chat.postMessage")) == posts_before


def test_a_client_may_mark_done_and_date_their_own_steps_but_no_one_elses(bot, clients, frozen):
    two_projects(bot)
    assert "#1 Send the logo files is done" in text_of(bot.run("step done #1", user=ACME, channel=CHANNEL))
    assert "Tue 1 Dec 2026" in text_of(bot.run("step due #1 2026-12-01", user=ACME, channel=CHANNEL))
    refused = text_of(bot.run("step done #2", user=ACME, channel=CHANNEL))
    assert "isn't assigned to you" in refused
    with bot.db.reader() as session:
        qa = session.exec(select(Step).where(Step.title == "QA test plan")).one()
    assert qa.done_at is None


def test_a_guest_of_our_workspace_is_a_client(bot, clients, frozen):
    two_projects(bot)
    assert "That's for the project team" in text_of(bot.run("log 1h", user=GUEST, channel=CHANNEL))
    assert "Budget" not in text_of(bot.run("status", user=GUEST, channel=CHANNEL))
    assert "Acme website" not in text_of(bot.run("list", user=GUEST, channel=CHANNEL))  # not theirs by name


def test_a_named_client_contact_sees_the_client_view_until_removed(bot, clients, frozen):
    two_projects(bot)
    assert "is now a client of" in text_of(bot.run(f"client add <@{NAMED}>", user=OWNER, channel=CHANNEL))
    assert "Budget" not in text_of(bot.run("status", user=NAMED, channel=CHANNEL))
    assert "That's for the project team" in text_of(bot.run("step add More", user=NAMED, channel=CHANNEL))
    listed = text_of(bot.run("list all", user=NAMED, channel=CHANNEL))
    assert "Acme website" in listed and "Beta app" not in listed
    assert "no longer named a client" in text_of(bot.run(f"client remove <@{NAMED}>", user=OWNER, channel=CHANNEL))
    assert "Budget" in text_of(bot.run("status", user=NAMED, channel=CHANNEL))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("client add bob", "isn't a person"),
        (f"client add <@{OWNER}>", "owns the project"),
        (f"client add <@{ROBOT}>", "is an app, not a person"),
        (f"client remove <@{BOB}>", "not a named client"),
        ("internal <#C0ACME|acme>", "can't be the project channel"),
        ("internal team", "isn't a channel"),
    ],
)
def test_client_and_internal_commands_with_bad_input_explain_and_change_nothing(bot, clients, frozen, text, expected):
    two_projects(bot)
    before = (rows(bot.db, Project), rows(bot.db, ClientContact))
    assert expected in text_of(bot.run(text, user=OWNER, channel=CHANNEL))
    assert (rows(bot.db, Project), rows(bot.db, ClientContact)) == before


def test_only_the_owner_names_clients(bot, clients, frozen):
    two_projects(bot)
    assert "Only the project owner" in text_of(bot.run(f"client add <@{NAMED}>", user=BOB, channel=CHANNEL))
    assert count(bot.db, ClientContact) == 0


@pytest.mark.parametrize("failure", [{"error": "user_not_found"}, {"status": 500, "times": 20}])
def test_when_slack_cannot_say_who_someone_is_they_are_treated_as_a_client(bot, clients, frozen, failure):
    two_projects(bot)
    clients.fail("users.info", **failure)
    assert "That's for the project team" in text_of(bot.run("log 1h", user="U0NEWBIE", channel=CHANNEL))
    card = text_of(bot.run("status", user="U0NEWBIE2", channel=CHANNEL)) if failure.get("status") else ""
    assert "Budget" not in card
    with bot.db.reader() as session:
        assert session.exec(select(Project.hours_used).where(Project.name == "Acme website")).one() == 120


def test_a_click_payload_from_another_team_is_a_client_without_asking_slack(bot, clients, frozen):
    two_projects(bot)
    calls = len(clients.calls_to("users.info"))
    reply = bot.command("status", user="U0STRANGER", channel=CHANNEL, team_id="T0ELSEWHERE")
    assert reply.status == 200 and "Budget" not in text_of(reply.json())
    assert len(clients.calls_to("users.info")) == calls


def test_status_share_posts_the_client_view_in_the_project_channel(bot, clients, frozen):
    two_projects(bot)
    reply = bot.run("status share", user=BOB, channel=CHANNEL)
    assert "Posting the client view" in text_of(reply)
    clients.wait_for("chat.postMessage", 2)  # the owner's budget alert (120h of 90h), then the share
    [post] = [c for c in clients.calls_to("chat.postMessage") if c.params["channel"] == CHANNEL]
    shown = text_of(post.params)
    assert "Acme website" in shown and "Shared by" in shown
    for word in (*INTERNAL_WORDS, "120", "QA test plan"):
        assert word not in shown, word


def test_a_project_started_in_a_shared_channel_announces_without_coaching_and_hints_the_owner_alone(bot, clients, frozen):
    clients.shared_channels.add(CHANNEL)
    public = bot.run('new "Acme website" client:Acme', user=OWNER, channel=CHANNEL)
    assert public["response_type"] == "in_channel" and "started" in text_of(public)
    assert "/project" not in text_of(public)
    hints = [r for r in clients.wait_for_responses(2) if r.get("response_type") == "ephemeral"]
    assert hints and "/project step add" in text_of(hints[-1]) and "/project internal" in text_of(hints[-1])


def test_a_project_in_a_team_only_channel_keeps_its_coaching(bot, clients, frozen):
    public = bot.run('new "Internal tool"', user=OWNER, channel=CHANNEL)
    assert "/project step add" in text_of(public)


def test_the_internal_channel_is_set_on_new_or_later_by_the_owner(bot, clients, frozen):
    bot.run('new "Acme website" internal:<#C0TEAM|acme-team>', user=OWNER, channel=CHANNEL)
    with bot.db.reader() as session:
        assert session.exec(select(Project.internal_channel_id)).one() == TEAM_CHANNEL
    assert "now go to <#C0OTHER>" in text_of(bot.run("internal <#C0OTHER>", user=OWNER, channel=CHANNEL))
    assert "Only the project owner" in text_of(bot.run("internal <#C0TEAM>", user=BOB, channel=CHANNEL))


def test_a_rejection_reply_in_the_thread_carries_no_command_coaching(bot, clients, frozen):
    from bot.messages import ids
    from storage.models import Deliverable

    two_projects(bot)
    bot.run("deliverable Homepage https://x.example/v1", user=BOB, channel=CHANNEL)
    clients.wait_for("chat.postMessage", 2)  # the owner's budget alert, then the approval message
    [posted] = [c for c in clients.calls_to("chat.postMessage") if c.params["channel"] == CHANNEL]
    with bot.db.reader() as session:
        deliverable = session.exec(select(Deliverable)).one()
    bot.view_submission(
        callback_id=ids.REJECT_VIEW, user_id=ACME, private_metadata=f'{{"deliverable_id": {deliverable.id}}}',
        values={ids.REJECT_REASON_BLOCK: {ids.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": "Too dark"}}},
    )  # fmt: skip
    thread = [c for c in clients.wait_for("chat.postMessage", 3) if c.params.get("thread_ts")]
    assert thread and "Too dark" in text_of(thread[0].params) and "/project" not in text_of(thread[0].params)
    [hint] = [c for c in clients.wait_for("chat.postEphemeral") if c.params.get("user") == BOB]
    assert "/project deliverable" in text_of(hint.params) and "v2" in text_of(hint.params)
    assert posted.params["channel"] == CHANNEL


def test_a_database_made_before_the_client_boundary_upgrades_in_place(db):
    from alembic import command
    from sqlalchemy import text

    from storage.db import alembic_config

    with db.engine.connect() as connection:  # back to the first schema, as an existing install has it
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO project (team_id, name, name_key, channel_id, owner_id, stage, start_date, hours_used, tz,"
                " created_at, updated_at) VALUES ('T1', 'Kept', 'kept', 'C1', 'U1', 'planning', '2026-11-02', 3.5, 'UTC',"
                " '2026-11-02 09:00:00', '2026-11-02 09:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO userprofile (team_id, user_id, tz, fetched_at)"
                " VALUES ('T1', 'U1', 'Europe/Paris', '2026-11-27 09:00:00')"
            )
        )
        connection.commit()
    db.migrate()
    with db.reader() as session:
        kept = session.exec(select(Project)).one()
        assert (kept.name, kept.stage, kept.hours_used) == ("Kept", "planning", 3.5)
        assert kept.internal_channel_id is None and kept.channel_shared is None
        assert session.exec(select(func.count()).select_from(ClientContact)).one() == 0


def test_client_help_speaks_to_the_client(bot, clients, frozen):
    shown = text_of(bot.run("help", user=ACME, channel=CHANNEL))
    assert "`/project status [project]`: where your project stands" in shown and "step done #3" in shown
    for team_only in ("share", "budget", "log", "approver", "deliverable", "stage", "new"):
        assert f"/project {team_only}" not in shown and "[share]" not in shown, team_only
