"""Help as each person may read it: a client gets the client help whatever they type (nothing,
`help`, a word Shepherd doesn't know); the team's help names every option of `new` and `budget`,
and the `new` form asks for the budget and the internal channel, checked like the command's words."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.messages import ids
from storage.hours import BudgetChange
from storage.models import Project
from tests.support.blocks import assert_valid_view, text_of

OWNER, CLIENT, NAMED = "U0OWNER", "U0CLIENT", "U0NAMED"
CHANNEL, TEAM_CHANNEL, CLIENT_TEAM = "C0ACME", "C0TEAM", "T_CLIENTCO"
TEAM_WORDS = ("budget", "close", "internal", "log", "new", "approver", "deliverable", "stage")


@pytest.fixture
def clock():
    with freeze_time("2026-11-26 10:00:00", tick=True) as frozen:  # a Thursday
        yield frozen


def run(bot, text, user=OWNER, channel=CHANNEL):
    return bot.run(text, user=user, channel=channel)


def commands_named(message: dict) -> set[str]:
    """The first word of every `/project …` the message names."""
    text = text_of(message)
    return {part.split("`")[0].split()[0] for part in text.split("`/project ")[1:] if part.split("`")[0].split()}


@pytest.mark.parametrize("text", ["xyzzy", "", "help", "budgte", "stauts"])
def test_a_client_gets_the_client_help_whatever_they_type(bot, slack, clock, text):
    slack.user_team[CLIENT] = CLIENT_TEAM  # of another organization
    run(bot, 'new "Acme website"')
    run(bot, f"approver add <@{CLIENT}>")
    reply = run(bot, text, user=CLIENT)
    said = text_of(reply)
    assert reply["response_type"] == "ephemeral" and "you can use" in said.lower(), said
    named = commands_named(reply)
    assert "status" in named and not named & set(TEAM_WORDS), named
    if text == "xyzzy":
        assert "I don't know `xyzzy`. Here is what you can use:" in said
    if text == "stauts":
        assert "Did you mean `/project status`?" in said


@pytest.mark.parametrize("text", ["budget lots", "log site audit", "step", "approver add bob", "new"])
def test_a_clients_unreadable_team_command_gets_the_client_help_not_the_teams_usage(bot, slack, clock, text):
    slack.user_team[CLIENT] = CLIENT_TEAM
    run(bot, 'new "Acme website"')
    reply = run(bot, text, user=CLIENT) if text != "new" else run(bot, "new budget:lots", user=CLIENT)
    said = text_of(reply)
    assert "you can use" in said.lower() and not commands_named(reply) & set(TEAM_WORDS), said
    for team_usage in ("120h", "3.5h", "step add", "@ann", "client:"):
        assert team_usage not in said, team_usage


@pytest.mark.parametrize(
    ("text", "said"),
    [("budget lots", "isn't a number of hours"), ("step", "Use one of `step add`"), ("approver add bob", "isn't a person")],
)
def test_the_team_still_hears_what_was_wrong_with_its_words(bot, clock, text, said):
    run(bot, 'new "Acme website"')
    assert said in text_of(run(bot, text))


def test_a_named_client_of_the_workspace_gets_the_client_help_for_an_unknown_word(bot, slack, clock):
    run(bot, 'new "Acme website"')
    run(bot, f"client add <@{NAMED}>")
    reply = run(bot, "xyzzy", user=NAMED)
    assert "I don't know `xyzzy`" in text_of(reply) and not commands_named(reply) & set(TEAM_WORDS)


def test_the_team_still_gets_the_team_help_for_an_unknown_word(bot, clock):
    reply = run(bot, "xyzzy")
    assert "I don't know `xyzzy`" in text_of(reply) and {"budget", "close", "internal", "log"} <= commands_named(reply)


def test_help_names_the_internal_channel_and_budget_options_and_the_budgets_reason(bot, clock):
    said = text_of(run(bot, "help"))
    assert "`/project new <name> [client:<name>] [due:<date>] [budget:<hours>] [internal:#channel]`" in said
    assert "`/project budget <hours>h [reason]`" in said and "`/project log <hours> [note]`" in said


def open_form(bot, slack) -> dict:
    bot.command("new", user=OWNER, channel=CHANNEL, trigger_id="trig-1")
    view = slack.wait_for("views.open")[0].params["view"]
    assert_valid_view(view)
    return view


def form(name: str, budget: str | None = None, internal: str | None = None) -> dict:
    values = {ids.NEW_NAME_BLOCK: {ids.NEW_NAME_INPUT: {"type": "plain_text_input", "value": name}}}
    if budget is not None:
        values[ids.NEW_BUDGET_BLOCK] = {ids.NEW_BUDGET_INPUT: {"type": "number_input", "value": budget}}
    if internal is not None:
        values[ids.NEW_INTERNAL_BLOCK] = {
            ids.NEW_INTERNAL_INPUT: {"type": "conversations_select", "selected_conversation": internal}
        }
    return values


def test_the_new_form_asks_for_a_budget_and_an_internal_channel_and_creates_with_them(bot, slack, clock):
    view = open_form(bot, slack)
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements[ids.NEW_BUDGET_BLOCK]["type"] == "number_input" and elements[ids.NEW_BUDGET_BLOCK]["is_decimal_allowed"]
    assert elements[ids.NEW_INTERNAL_BLOCK]["type"] == "conversations_select"
    assert elements[ids.NEW_INTERNAL_BLOCK]["filter"]["exclude_external_shared_channels"] is True
    submitted = bot.view_submission(
        callback_id=ids.NEW_PROJECT_VIEW, values=form("Acme website", "120", TEAM_CHANNEL),
        private_metadata=view["private_metadata"], user_id=OWNER,
    )  # fmt: skip
    assert submitted.status == 200 and submitted.body == ""
    assert "started" in text_of(slack.wait_for_responses(1)[0])
    with bot.db.reader() as session:
        project = session.exec(select(Project)).one()
        original = session.exec(select(BudgetChange)).one()
    assert (project.budget_hours, project.internal_channel_id) == (120, TEAM_CHANNEL)
    assert (original.hours, original.changed_by) == (120, OWNER)


@pytest.mark.parametrize(
    ("budget", "internal", "block", "said"),
    [
        ("0", None, ids.NEW_BUDGET_BLOCK, "is no time at all"),
        ("-5", None, ids.NEW_BUDGET_BLOCK, "isn't a number of hours"),
        ("1000000", None, ids.NEW_BUDGET_BLOCK, "at most 99999h"),
        (None, CHANNEL, ids.NEW_INTERNAL_BLOCK, "can't be the project channel"),
        (None, "D0OWNER", ids.NEW_INTERNAL_BLOCK, "Pick a channel of your team"),
    ],
)
def test_a_bad_budget_or_internal_channel_is_shown_in_the_form_and_nothing_is_created(
    bot, slack, clock, budget, internal, block, said
):
    metadata = json.dumps({"channel_id": CHANNEL, "response_url": None})
    reply = bot.view_submission(
        callback_id=ids.NEW_PROJECT_VIEW, values=form("Acme website", budget, internal), private_metadata=metadata,
        user_id=OWNER,
    )  # fmt: skip
    body = reply.json()
    assert body["response_action"] == "errors" and said in body["errors"][block], body
    assert "`" not in body["errors"][block] and "*" not in body["errors"][block]  # plain text in a form
    with bot.db.reader() as session:
        assert session.exec(select(Project)).all() == []
