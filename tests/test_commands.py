"""`/project` commands through the real pipeline: signed HTTP in, Slack stand-in out, real database."""

from __future__ import annotations

import json
import time

import pytest
from freezegun import freeze_time
from sqlmodel import func, select

from bot.messages import ids
from storage.models import Approver, AuditEvent, Project, Step
from tests.support.blocks import assert_valid_blocks, assert_valid_view, text_of
from tests.support.slack_requests import command_body

ALICE, BOB, CAROL, CLIENT = "U0ALICE", "U0BOB", "U0CAROL", "U0CLIENT"
CHANNEL, OTHER_CHANNEL = "C0PROJ", "C0OTHER"
# Thursday 26 November 2026, mid-morning in London
NOW = "2026-11-26 10:00:00"


@pytest.fixture
def frozen():
    with freeze_time(NOW, tick=True) as clock:
        yield clock


def count(db, model, *where) -> int:
    with db.reader() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def project(db, name="Acme website") -> Project:
    with db.reader() as session:
        return session.exec(select(Project).where(Project.name == name)).one()


def steps(db) -> list[Step]:
    with db.reader() as session:
        return list(session.exec(select(Step).order_by(Step.number)))


def run(bot, text, user=ALICE, channel=CHANNEL) -> dict:
    return bot.run(text, user=user, channel=channel)


def new_project(bot, text='new "Acme website" client:Acme Corp due:2026-12-18'):
    reply = run(bot, text)
    assert reply["response_type"] == "in_channel", reply
    return reply


# --- help and unknown input ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "help", "HELP", "frobnicate the thing", "?"])
def test_help_is_an_ephemeral_usage_reply_for_empty_unknown_and_help(bot, text):
    message = bot.run(text, user=ALICE, channel=CHANNEL)
    assert message["response_type"] == "ephemeral"
    assert "/project new" in text_of(message) and "/project step add" in text_of(message)
    assert_valid_blocks(message["blocks"])
    if text.startswith("frob"):
        assert "I don't know `frobnicate`. Here is" in text_of(message)


@pytest.mark.parametrize(
    ("text", "hint"),
    [("stauts", "Did you mean `/project status`?"), ("stpe add x", "Did you mean `/project step`?"),
     ("step dnoe #1", "Did you mean `step done`?"), ("stage nxt", "Did you mean `next`?"),
     ("stage plannign", "Did you mean `planning`?")],
)  # fmt: skip
def test_typos_get_a_did_you_mean(bot, frozen, text, hint):
    new_project(bot)
    assert hint in text_of(run(bot, text))


def test_help_for_someone_shepherd_knows_answers_inside_the_acknowledgement_without_calling_slack(bot, slack):
    bot.run("help")  # the first time, Shepherd asks Slack who this is (users.info), after the ack
    assert [c.method for c in slack.calls].count("users.info") == 1
    calls_before, responses_before = len(slack.calls), len(slack.responses())
    reply = bot.command("help")
    assert reply.json()["text"]
    bot.settle()
    assert len(slack.responses()) == responses_before and len(slack.calls) == calls_before


# --- new -------------------------------------------------------------------------------------


def test_new_creates_a_project_linked_to_the_channel_in_the_owners_time_zone(bot, slack, frozen):
    slack.user_tz[ALICE] = "Europe/London"
    reply = new_project(bot)
    assert "Acme website" in reply["text"] and "Acme Corp" in reply["text"]
    created = project(bot.db)
    assert (created.channel_id, created.owner_id, created.team_id) == (CHANNEL, ALICE, "T_HOME")
    assert (created.stage, created.tz, str(created.target_date)) == ("initiation", "Europe/London", "2026-12-18")
    assert str(created.start_date) == "2026-11-26"
    assert count(bot.db, AuditEvent, AuditEvent.action == "project.created") == 1


def test_new_with_date_words_uses_the_owners_local_date(bot, slack):
    slack.user_tz[ALICE] = "Pacific/Auckland"  # already Friday there
    with freeze_time("2026-11-26 20:00:00", tick=True):
        new_project(bot, "new Kiwi due:tomorrow")
    assert str(project(bot.db, "Kiwi").target_date) == "2026-11-28"


def test_new_refuses_a_second_project_in_the_same_channel_and_a_duplicate_name(bot, frozen):
    new_project(bot)
    again = run(bot, "new Another")
    assert "already runs *Acme website*" in again["text"] and again["response_type"] == "ephemeral"
    duplicate = run(bot, "new ACME Website", channel=OTHER_CHANNEL)
    assert "already a project called" in duplicate["text"]
    assert count(bot.db, Project) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("new Acme due:someday", "I couldn't read the date `someday`"),
        ("new Acme due:2026-02-30", "not a real date"),
        ("new Acme due:", "needs a date"),
        ("new client:Acme", "Give the project a name"),
        ("new Acme budget:lots", "isn't a number of hours"),
        ('new "Acme', "closing"),
    ],
)
def test_new_with_bad_input_explains_and_creates_nothing(bot, frozen, text, expected):
    reply = run(bot, text)
    assert expected in text_of(reply)
    assert reply["response_type"] == "ephemeral"
    assert count(bot.db, Project) == 0


def test_new_in_a_direct_message_is_refused(bot, frozen):
    assert "not in a DM" in run(bot, "new Private", channel="D0ALICE")["text"]
    assert count(bot.db, Project) == 0


def test_new_without_arguments_opens_the_modal_and_its_submission_creates_the_project(bot, slack, frozen):
    reply = bot.command("new", user=ALICE, channel=CHANNEL, trigger_id="trig-1")
    assert reply.status == 200 and reply.body == ""
    opened = slack.wait_for("views.open")[0]
    assert opened.params["trigger_id"] == "trig-1"
    view = opened.params["view"]
    assert_valid_view(view)
    assert view["callback_id"] == ids.NEW_PROJECT_VIEW

    values = {
        ids.NEW_NAME_BLOCK: {ids.NEW_NAME_INPUT: {"type": "plain_text_input", "value": "  Acme   website "}},
        ids.NEW_CLIENT_BLOCK: {ids.NEW_CLIENT_INPUT: {"type": "plain_text_input", "value": "Acme <Corp>"}},
        ids.NEW_TARGET_BLOCK: {ids.NEW_TARGET_INPUT: {"type": "datepicker", "selected_date": "2026-12-18"}},
        ids.NEW_APPROVERS_BLOCK: {ids.NEW_APPROVERS_INPUT: {"type": "multi_users_select", "selected_users": [CLIENT]}},
    }
    submitted = bot.view_submission(
        callback_id=ids.NEW_PROJECT_VIEW, values=values, private_metadata=view["private_metadata"], user_id=ALICE
    )
    assert submitted.status == 200 and submitted.body == ""
    # An approver Slack hasn't described yet counts as a client: the announcement is public, the
    # set-up hints go to the owner alone, and the two may arrive in either order.
    answers = slack.wait_for_responses(2)
    [posted] = [r for r in answers if r["response_type"] == "in_channel"]
    assert "Acme &lt;Corp&gt;" in posted["text"] and f"<@{CLIENT}>" in posted["text"]
    created = project(bot.db)
    assert (created.client, str(created.target_date), created.channel_id) == ("Acme <Corp>", "2026-12-18", CHANNEL)
    with bot.db.reader() as session:
        assert list(session.exec(select(Approver.user_id))) == [CLIENT]


def test_modal_without_a_name_or_for_a_taken_channel_shows_errors_inside_the_modal(bot, frozen):
    metadata = json.dumps({"channel_id": CHANNEL, "response_url": None})
    empty = {ids.NEW_NAME_BLOCK: {ids.NEW_NAME_INPUT: {"type": "plain_text_input", "value": "   "}}}
    reply = bot.view_submission(callback_id=ids.NEW_PROJECT_VIEW, values=empty, private_metadata=metadata, user_id=ALICE)
    assert reply.json() == {"response_action": "errors", "errors": {ids.NEW_NAME_BLOCK: "Give the project a name."}}

    new_project(bot)
    named = {ids.NEW_NAME_BLOCK: {ids.NEW_NAME_INPUT: {"type": "plain_text_input", "value": "Second"}}}
    reply = bot.view_submission(callback_id=ids.NEW_PROJECT_VIEW, values=named, private_metadata=metadata, user_id=ALICE)
    body = reply.json()
    assert body["response_action"] == "errors" and "already runs Acme website" in body["errors"][ids.NEW_NAME_BLOCK]
    assert count(bot.db, Project) == 1


# --- steps -----------------------------------------------------------------------------------


def test_step_add_parses_assignee_and_due_date_and_numbers_steps(bot, frozen):
    new_project(bot)
    first = run(bot, f"step add Kick-off call <@{BOB}|bob> due:fri")
    assert "Added #1 Kick-off call" in first["text"] and f"<@{BOB}>" in first["text"]
    run(bot, "step add Write the brief due:+1w")
    added = steps(bot.db)
    assert [(s.number, s.title, s.assignee_id, str(s.due_date)) for s in added] == [
        (1, "Kick-off call", BOB, "2026-11-27"),
        (2, "Write the brief", None, "2026-12-03"),
    ]
    assert all(s.stage == "initiation" for s in added)


def test_step_add_with_a_past_due_date_is_accepted_with_a_warning(bot, frozen):
    new_project(bot)
    reply = run(bot, "step add Contract due:2026-11-20")
    assert "already past" in reply["text"]
    assert str(steps(bot.db)[0].due_date) == "2026-11-20"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("step add", "Give the step a title"),
        ("step add Brief due:fryday", "I couldn't read the date `fryday`"),
        (f"step add Brief <@{BOB}> <@{CAROL}>", "one assignee"),
        ("step done", "Which step?"),
        ("step done three", "isn't a step number"),
        ("step done #9", "has no step #9"),
        ("step assign #1 bob", "`bob` isn't a person"),
        (f"step assign <@{CAROL}>", "Which step?"),
        ("step due #1 whenever", "I couldn't read the date `whenever`"),
        ("step frob #1", "isn't a step command"),
        ("step", "What about the step?"),
    ],
)
def test_step_commands_with_bad_input_explain_and_change_nothing(bot, frozen, text, expected):
    new_project(bot)
    run(bot, f"step add Brief <@{BOB}> due:fri")
    before = [(s.title, s.assignee_id, s.due_date, s.done_at) for s in steps(bot.db)]
    reply = run(bot, text)
    assert expected in text_of(reply), text_of(reply)
    assert reply["response_type"] == "ephemeral"
    assert [(s.title, s.assignee_id, s.due_date, s.done_at) for s in steps(bot.db)] == before


def test_step_done_assign_due_and_reopen(bot, frozen):
    new_project(bot)
    run(bot, "step add Brief")
    run(bot, "step add Design")
    assert "#1 Brief is done" in run(bot, "step done #1", user=BOB)["text"]
    assert "already done" in run(bot, "step done 1")["text"]
    assert f"<@{CAROL}>" in run(bot, f"step assign #2 <@{CAROL}|carol>")["text"]
    assert "Tue 1 Dec 2026" in run(bot, "step due #2 2026-12-01")["text"]
    first, second = steps(bot.db)
    assert first.done_by == BOB and first.done_at is not None
    assert (second.assignee_id, str(second.due_date)) == (CAROL, "2026-12-01")
    assert "Reopened #1" in run(bot, "step reopen #1")["text"]
    assert steps(bot.db)[0].done_at is None
    assert "no due date" in run(bot, "step due #2 none")["text"]
    assert steps(bot.db)[1].due_date is None
    actions = [e.action for e in _audit(bot.db)]
    assert actions.count("step.done") == 1 and "step.reopened" in actions and "step.assigned" in actions


def _audit(db) -> list[AuditEvent]:
    with db.reader() as session:
        return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))


def test_step_commands_outside_a_project_channel_say_how_to_start(bot, frozen):
    reply = run(bot, "step add Brief", channel="C0NOWHERE")
    assert "This channel has no project yet" in reply["text"]
    assert count(bot.db, Step) == 0


# --- the status card -------------------------------------------------------------------------


def test_the_new_user_walkthrough_status_card_tells_the_truth(bot, slack, frozen):
    slack.user_tz[ALICE] = "Europe/London"
    new_project(bot, 'new "Acme website" client:Acme Corp due:2026-12-01')
    run(bot, f"step add Kick-off call <@{BOB}|bob> due:2026-11-23")  # 3 working days late on Thu 26th
    run(bot, f"step add Sitemap <@{CAROL}|carol> due:2026-11-30")
    run(bot, f"step add Wireframes <@{BOB}|bob> due:2026-12-03")  # 2 days past the target
    assert "#2 Sitemap is done" in run(bot, "step done #2", user=BOB)["text"]
    card = run(bot, "status")
    assert card["response_type"] == "ephemeral"
    assert_valid_blocks(card["blocks"])
    shown = text_of(card)
    assert card["blocks"][0]["text"]["text"] == "Acme website"
    assert ":arrow_forward: *Initiation*" in shown
    assert "*Steps*\n1/3 done" in shown
    assert f"Overdue (1)*\n• #1 Kick-off call: <@{BOB}>, *3 working days late*" in shown
    assert "*Target*\nTue 1 Dec 2026" in shown
    assert "*Forecast*\nThu 3 Dec 2026" in shown
    assert "*Slip*\n*2 working days late*" in shown
    assert f"Due in the next 7 days (1)*\n• #3 Wireframes: <@{BOB}>, due Thu 3 Dec 2026" in shown
    assert "Sitemap" not in shown
    assert ":red_circle: behind" in shown

    held = run(bot, "stage next")  # open steps keep the stage open...
    assert held["response_type"] == "ephemeral" and "#1 Kick-off call" in text_of(held) and "--force" in text_of(held)
    assert project(bot.db).stage == "initiation"
    moved = run(bot, "stage next --force")  # ...unless the owner carries them on
    assert moved["response_type"] == "in_channel" and "to *Planning*" in moved["text"]
    assert "Carried into Planning: #1 Kick-off call, #3 Wireframes." in moved["text"]
    assert project(bot.db).stage == "planning" and {s.stage for s in steps(bot.db) if not s.done_at} == {"planning"}
    assert ":white_check_mark: Initiation  ›  :arrow_forward: *Planning*" in text_of(run(bot, "status"))


def test_status_uses_the_projects_local_date_for_overdue_days(bot, slack):
    slack.user_tz[ALICE] = "America/Los_Angeles"
    with freeze_time("2026-11-26 06:00:00", tick=True):  # still the 25th in Los Angeles
        new_project(bot, "new West")
        run(bot, "step add Proposal due:2026-11-24")
        shown = text_of(run(bot, "status"))
    assert "*1 working day late*" in shown


def test_status_of_a_named_project_from_another_channel_and_of_an_unknown_one(bot, frozen):
    new_project(bot)
    shown = text_of(run(bot, 'status "acme WEBSITE"', channel=OTHER_CHANNEL))
    assert "Acme website" in shown
    unknown = run(bot, "status Nope", channel=OTHER_CHANNEL)
    assert "can't find a project called *Nope*" in unknown["text"]
    assert "no project yet" in run(bot, "status", channel=OTHER_CHANNEL)["text"]


def test_status_card_cuts_long_lists_and_stays_within_block_kit_limits(bot, frozen):
    new_project(bot)
    long_title = "x" * 200
    with bot.db.transaction() as session:
        p = session.exec(select(Project)).one()
        for n in range(1, 61):
            session.add(Step(team_id="T_HOME", project_id=p.id, number=n, title=long_title, stage="initiation",
                             due_date=p.start_date.replace(day=1), created_by=ALICE))  # fmt: skip
    card = run(bot, "status")
    assert_valid_blocks(card["blocks"])
    assert "…and 50 more" in text_of(card)


# --- list ------------------------------------------------------------------------------------


def test_list_shows_projects_with_stage_health_and_scopes(bot, frozen):
    new_project(bot)
    run(bot, "step add Late thing due:2026-11-20")
    run(bot, "new Beta", user=BOB, channel=OTHER_CHANNEL)
    everything = text_of(run(bot, "list"))
    assert "*Acme website* (Acme Corp) · Initiation · behind" in everything
    assert "*Beta* · Initiation · on track" in everything
    overdue = text_of(run(bot, "list overdue"))
    assert "Acme website" in overdue and "Beta" not in overdue
    mine = text_of(run(bot, "list mine", user=BOB))
    assert "Beta" in mine and "Acme website" not in mine
    assert "takes one of" in run(bot, "list everything")["text"]


# --- stages, approvers, owner ------------------------------------------------------------------


def test_stage_by_name_next_and_refusals(bot, frozen):
    new_project(bot)
    forced = run(bot, "stage execution &amp; monitoring --force")["text"]
    assert "to *Execution & Monitoring*" in forced and "overriding" not in forced  # nothing was waiting
    assert "already in Execution & Monitoring" in run(bot, "stage exec")["text"]
    assert "I don't know the stage `nowhere`" in run(bot, "stage nowhere")["text"]
    refused = run(bot, "stage next", user=BOB)
    assert f"Only the project owner, <@{ALICE}>" in refused["text"]
    assert project(bot.db).stage == "execution"
    run(bot, "stage closure")
    assert "already in the last stage" in run(bot, "stage next")["text"]
    assert "to *Planning*" in run(bot, 'stage "Acme website" planning', channel=OTHER_CHANNEL)["text"]


def test_approver_add_remove_is_owner_only(bot, frozen):
    new_project(bot)
    added = run(bot, f"approver add <@{CLIENT}|client> <@{CAROL}>")
    assert f"<@{CLIENT}> and <@{CAROL}> can now approve" in added["text"]
    assert "already is an approver" in run(bot, f"approver add <@{CLIENT}>")["text"]
    refused = run(bot, f"approver remove <@{CLIENT}>", user=BOB)
    assert "Only the project owner" in refused["text"]
    assert count(bot.db, Approver) == 2
    run(bot, f"approver remove <@{CLIENT}>")
    assert count(bot.db, Approver) == 1
    assert "isn't a person" in run(bot, "approver add bob")["text"]
    assert "not an approver" in run(bot, f"approver remove <@{BOB}>")["text"]


def test_owner_hands_over_and_the_old_owner_loses_owner_rights(bot, frozen):
    new_project(bot)
    assert "Only the project owner" in run(bot, f"owner <@{BOB}>", user=CAROL)["text"]
    reply = run(bot, f"owner <@{BOB}|bob>")
    assert reply["response_type"] == "in_channel"
    assert project(bot.db).owner_id == BOB
    assert "Only the project owner" in run(bot, "stage next")["text"]


def test_budget_log_and_close(bot, frozen):
    new_project(bot)
    run(bot, "budget 100h")
    run(bot, "log 12.5h", user=BOB)
    assert "*Budget*\n12.5h of 100h (12%)" in text_of(run(bot, "status"))
    assert "Only the project owner" in run(bot, "close", user=BOB)["text"]
    assert run(bot, "close")["response_type"] == "in_channel"
    assert "is closed" in run(bot, "step add Late idea")["text"]
    assert "Acme website" not in text_of(run(bot, "list"))
    assert "Acme website" in text_of(run(bot, "list all"))


# --- safety ----------------------------------------------------------------------------------


def test_typed_text_can_never_ping_mention_or_forge_links(bot, frozen):
    new_project(bot, "new Evil &lt;!channel&gt; client:&lt;https://evil.example|Bank&gt;")
    run(bot, f"step add <!here> pay <@{CAROL}|carol> now &amp; &lt;https://x.example|click&gt; due:fri")
    card = run(bot, "status")
    shown = json.dumps(card)
    for forged in ("<!channel>", "<!here>", "<https://evil.example|Bank>", "<https://x.example|click>"):
        assert forged not in shown
    assert card["blocks"][0]["text"]["text"] == "Evil ‹!channel›"  # plain_text: look-alike brackets
    assert "Evil &lt;!channel&gt;" in card["text"]
    assert "• #1 @\u200bhere pay now &amp; &lt;https://x.example|click&gt;" in text_of(card)
    with bot.db.reader() as session:
        assert session.exec(select(Project.name)).one() == "Evil <!channel>"
        step = session.exec(select(Step)).one()
    assert step.title == "@here pay now & <https://x.example|click>"
    assert step.assignee_id == CAROL  # the one real mention became the assignee, not text


def test_over_long_input_is_cut_rather_than_failing(bot, frozen):
    new_project(bot, "new " + "N" * 500)
    run(bot, "step add " + "word " * 400)
    card = run(bot, "status")
    assert_valid_blocks(card["blocks"])
    with bot.db.reader() as session:
        assert len(session.exec(select(Project.name)).one()) <= 80
        assert len(session.exec(select(Step.title)).one()) <= 200


def test_a_workspace_never_sees_or_changes_another_workspaces_projects(bot, other_bot, frozen):
    new_project(bot)
    run(bot, "step add Secret plan")
    # Same channel id, same project name, other installation: nothing is shared.
    assert "no project yet" in run(other_bot, "status")["text"]
    assert "can't find a project" in run(other_bot, 'status "Acme website"', channel=OTHER_CHANNEL)["text"]
    assert "no project yet" in run(other_bot, "step done #1")["text"]
    assert "No projects yet" in run(other_bot, "list all")["text"]
    assert other_bot.run('new "Acme website"', user=ALICE, channel=CHANNEL)["response_type"] == "in_channel"
    with bot.db.reader() as session:
        assert sorted(session.exec(select(Project.team_id))) == ["T_HOME", "T_OTHER"]
    assert steps(bot.db)[0].done_at is None


def test_a_slack_connect_client_acts_only_as_a_client_in_the_installations_workspace(bot, slack, frozen):
    new_project(bot)
    # The payload carries the client's own team id; the project belongs to the installation's.
    reply = bot.run("step add From the client", user=CLIENT, channel=CHANNEL, team_id="T0GUESTORG")
    assert "That's for the project team" in reply["text"]
    assert steps(bot.db) == []
    run(bot, f"approver add <@{CLIENT}>")  # a client sees only projects they have a role in
    card = bot.run("status", user=CLIENT, channel=CHANNEL, team_id="T0GUESTORG")
    assert "Acme website" in text_of(card) and "Budget" not in text_of(card)


def test_forged_and_stale_requests_are_refused_with_401_and_change_nothing(bot, slack, frozen):
    body = command_body("new Forged", response_url=slack.response_url("forged"), user_id=ALICE, channel_id=CHANNEL)
    assert bot.sender.post(body, signature="v0=" + "0" * 64).status == 401
    stale = int(time.time()) - 6 * 60
    assert bot.sender.post(body, timestamp=stale).status == 401
    other_secret = bot.sender.__class__(bot.url, "not-the-secret")
    assert other_secret.post(body).status == 401
    bot.settle()
    assert count(bot.db, Project) == 0 and slack.responses("forged") == []


def test_healthz_answers_ok_with_the_work_not_yet_done(bot):
    import urllib.request

    with urllib.request.urlopen(bot.url + "/healthz", timeout=5) as response:
        assert response.status == 200 and json.loads(response.read()) == {"ok": True, "jobs": 0}


def test_a_slack_error_after_a_write_keeps_the_write(bot, slack, frozen):
    new_project(bot)
    slack.user_tz.clear()
    reply = bot.command("step add Survives", user=ALICE, channel=CHANNEL, response_url="http://127.0.0.1:9/gone")
    assert reply.status == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and count(bot.db, Step) == 0:
        time.sleep(0.05)
    assert [s.title for s in steps(bot.db)] == ["Survives"]


def test_list_of_many_projects_with_long_names_stays_readable_and_within_limits(bot, frozen):
    with bot.db.transaction() as session:
        for i in range(130):
            name = f"{i:03d} " + "&" * 76
            session.add(Project(team_id="T_HOME", name=name, name_key=name.casefold(), client="<" * 80, channel_id=f"C0L{i:03d}",
                                owner_id=ALICE, start_date=frozen().date()))  # fmt: skip
    listed = run(bot, "list")
    assert_valid_blocks(listed["blocks"])
    shown = text_of(listed)
    assert "…and 30 more" in shown
    assert shown.count("&amp;" * 76) == 100  # every shown name whole, none cut mid-line


def test_names_that_grow_when_case_folded_still_fit(bot, frozen):
    reply = run(bot, "new " + "Straße " * 15)
    assert reply["response_type"] == "in_channel", reply
    with bot.db.reader() as session:
        created = session.exec(select(Project)).one()
    assert created.name.startswith("Straße Straße") and len(created.name_key) <= 80


def test_a_closed_project_leaves_its_channel_free_for_the_next_one(bot, frozen):
    new_project(bot, "new Phase one")
    run(bot, "close")
    assert "Phase one" in text_of(run(bot, "status"))  # still readable where it ran
    assert run(bot, "new Phase two")["response_type"] == "in_channel"
    assert text_of(run(bot, "status")).startswith("Phase two")
    assert "Added #1" in run(bot, "step add Kick-off")["text"]
    assert "already runs *Phase two*" in run(bot, "new Phase three")["text"]


def test_a_modal_submitted_after_its_response_url_expired_still_confirms_in_the_channel(bot, slack, frozen):
    metadata = json.dumps({"channel_id": CHANNEL, "response_url": "http://127.0.0.1:9/expired"})
    named = {ids.NEW_NAME_BLOCK: {ids.NEW_NAME_INPUT: {"type": "plain_text_input", "value": "Late form"}}}
    reply = bot.view_submission(callback_id=ids.NEW_PROJECT_VIEW, values=named, private_metadata=metadata, user_id=ALICE)
    assert reply.status == 200
    [posted] = slack.wait_for("chat.postMessage")
    assert posted.params["channel"] == CHANNEL and "Late form" in text_of(posted.params)
    assert project(bot.db, "Late form").owner_id == ALICE


def test_commands_are_acknowledged_before_slow_slack_calls_finish(bot, slack, frozen):
    # Slack takes 2 s to answer users.info: the ack must not wait for it (ordering, not timing:
    # the reply to the command may only arrive after the ack has returned).
    slack.delay("users.info", 2)
    reply = bot.command("new Patient", user=ALICE, channel=CHANNEL, key="slow")
    assert reply.status == 200 and reply.body == ""
    assert slack.responses("slow") == []  # the work is still waiting on Slack
    assert "Patient" in slack.wait_for_responses(1, key="slow", timeout=10)[0]["text"]
    # and reads answered inside the ack keep answering meanwhile
    slack.delay("users.info", 0)
    assert "Patient" in text_of(run(bot, "status"))
