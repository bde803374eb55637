"""The pure parts of reading a command: tokens, date words, Slack markup, and each verb's grammar."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.dates import next_working_day, parse_date, previous_working_day, working_days_between
from bot.core.errors import UserError
from bot.core.grammar import People, tokenize
from bot.core.grammar.clients import Channel
from bot.core.grammar.deliverables import Submit
from bot.core.grammar.hours import BudgetChange, LogTime
from bot.core.grammar.projects import ListScope, New, Nothing, Person, StageMove, StatusArgs
from bot.core.grammar.steps import StepAdd, StepAssign, StepDue, StepNumbers
from bot.core.text import cut, link_url, mention_id, plain
from bot.messages.errors import OOPS, error_text
from bot.messages.format import escape
from bot.messages.help import help_message
from handlers.commands.declare import Unknown, Who, declared, resolve
from storage.models import Stage

THURSDAY = date(2026, 11, 26)
MON_FRI = frozenset(range(5))


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("2026-1-5", date(2026, 1, 5)),
        ("today", THURSDAY),
        ("Tomorrow", date(2026, 11, 27)),
        ("fri", date(2026, 11, 27)),
        ("friday", date(2026, 11, 27)),
        ("thu", date(2026, 12, 3)),  # the next Thursday, not today
        ("MON", date(2026, 11, 30)),
        ("+3d", date(2026, 11, 29)),
        ("+2w", date(2026, 12, 10)),
        ("+0d", THURSDAY),
    ],
)
def test_date_words(word, expected):
    assert parse_date(word, THURSDAY) == expected


@pytest.mark.parametrize("word", ["fryday", "next week", "12/01", "2026-13-01", "2026-02-29", "+3x", "", "<script>"])
def test_unreadable_dates_name_the_word_and_the_accepted_forms(word):
    with pytest.raises(UserError) as error:
        parse_date(word, THURSDAY)
    message = error_text(error.value)
    assert "`2026-12-01`, `today`, `tomorrow`" in message and "<script>" not in message


def test_working_days():
    friday, monday = date(2026, 11, 27), date(2026, 11, 30)
    assert working_days_between(friday, monday, MON_FRI) == 1
    assert working_days_between(THURSDAY, date(2026, 12, 10), MON_FRI) == 10
    assert working_days_between(monday, friday, MON_FRI) == 0
    assert previous_working_day(monday, MON_FRI) == friday
    assert next_working_day(friday, MON_FRI) == monday


def test_tokenize_groups_straight_and_curly_quotes():
    assert [t.raw for t in tokenize('status "Acme  web" “Big Co” x')] == ["status", "Acme  web", "Big Co", "x"]
    assert [t.raw for t in tokenize('client:"Acme Corp"')] == ["client:Acme Corp"]
    with pytest.raises(UserError):
        tokenize('new "unfinished')


def test_plain_turns_slack_markup_into_the_text_the_user_meant():
    assert (
        plain("Pay <@U1|ann> &amp; <!channel> <https://x.io|site> <#C1|general>")
        == "Pay @ann & @channel site (https://x.io) #general"
    )
    assert plain("&lt;b&gt; <!subteam^S1|@design>") == "<b> @design"


def test_escape_and_cut():
    assert escape("<!here> & <@U1>") == "&lt;!here&gt; &amp; &lt;@U1&gt;"
    assert escape("@here @Channel @everyone mail@here.com") == "@\u200bhere @\u200bChannel @\u200beveryone mail@here.com"
    assert cut("abcdef", 4) == "abc…" and cut("abc", 4) == "abc"


def test_mentions_and_links_are_recognised_only_in_slack_form():
    assert mention_id("<@U012AB|ann>") == "U012AB" and mention_id("<@W9>") == "W9"
    assert mention_id("@ann") is None and mention_id("<@U1|a><@U2>") is None
    assert link_url("<https://x.io/a?b=1|label>") == "https://x.io/a?b=1"
    assert link_url("https://x.io") == "https://x.io"
    assert link_url("<javascript:alert(1)>") is None and link_url("ftp://x") is None


def read(text: str) -> tuple[str, object]:
    """The verb `/project <text>` names and its typed arguments, as the dispatcher reads them."""
    found = resolve(tokenize(text))
    if isinstance(found, Unknown):
        return "?", found
    verb, rest = found
    return verb.name, verb.parse(rest)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("help", Nothing())),
        ("new Acme website client:Acme Corp due:fri", ("new", New("Acme website", "Acme Corp", "fri"))),
        ('new "Acme" budget:120h', ("new", New("Acme", budget=120.0))),
        ("new", ("new", New(None))),
        ("status", ("status", StatusArgs())),
        ('status "Acme web"', ("status", StatusArgs("Acme web"))),
        ('status "Acme web" share', ("status", StatusArgs("Acme web", share=True))),
        ("new Acme internal:<#C9|acme-team>", ("new", New("Acme", internal_channel="C9"))),
        ("internal <#G12>", ("internal", Channel("G12"))),
        ("client add <@U7|acme>", ("client add", People(("U7",)))),
        ("list overdue", ("list", ListScope("overdue"))),
        ("stage next", ("stage", StageMove())),
        ("stage Acme next --force", ("stage", StageMove("Acme", force=True))),
        ("stage Acme —force next", ("stage", StageMove("Acme", force=True))),
        ("stage execution &amp; monitoring", ("stage", StageMove(stage=Stage.EXECUTION))),
        ("stage Big Project planning", ("stage", StageMove("Big Project", Stage.PLANNING))),
        ("step add Brief <@U1|ann> due:fri", ("step add", StepAdd("Brief", "U1", "fri"))),
        ("step add Brief due: fri", ("step add", StepAdd("Brief", due_word="fri"))),
        ("step done #3 4", ("step done", StepNumbers((3, 4)))),
        ("steps done #3", ("step done", StepNumbers((3,)))),
        ("step assign #2 <@U2>", ("step assign", StepAssign(2, "U2"))),
        ("step due 2 +1w", ("step due", StepDue(2, "+1w"))),
        ("step due 2 none", ("step due", StepDue(2, None))),
        ("step reopen #1", ("step reopen", StepNumbers((1,)))),
        ("approver add <@U1|a> <@U2|b>", ("approver add", People(("U1", "U2")))),
        ("approver remove <@U1>", ("approver remove", People(("U1",)))),
        ("approvers rm <@U1>", ("approver remove", People(("U1",)))),
        ("owner <@U9>", ("owner", Person("U9"))),
        (
            "deliverable Homepage design <https://figma.com/x|figma>",
            ("deliverable", Submit("Homepage design", "https://figma.com/x")),
        ),
        ("deliverable Brief", ("deliverable", Submit("Brief"))),
        ("log 2.5h", ("log", LogTime(2.5))),
        ("log 22h site audit, interviews", ("log", LogTime(22.0, "site audit, interviews"))),
        ("log 1h30m", ("log", LogTime(1.5))),
        ("log 3.5", ("log", LogTime(3.5))),
        ("log 90m call with <@U1|ann>", ("log", LogTime(1.5, "call with @ann"))),
        ("log 1.5 hours design review", ("log", LogTime(1.5, "design review"))),
        ("log 2 hrs", ("log", LogTime(2.0))),
        ("log 45 min standup", ("log", LogTime(0.75, "standup"))),
        ("log 1h 30m", ("log", LogTime(1.5))),
        ("log 3 meetings", ("log", LogTime(3.0, "meetings"))),
        ("log 22h, site audit", ("log", LogTime(22.0, "site audit"))),
        ("budget 130h", ("budget", BudgetChange(130.0))),
        ("budget 130 the client added two pages", ("budget", BudgetChange(130.0, "the client added two pages"))),
        ("bogus", ("?", Unknown("bogus", None))),
    ],
)
def test_grammar(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "new <@U1>",
        "new Acme due:tomorrow due:fri",
        "list everything",
        "stage",
        "stage sideways",
        "step",
        "step add",
        "step add <@U1>",
        "step add x client:y",
        "step done x",
        "step assign #1",
        "step due #1",
        "approver",
        "approver add",
        "approver add bob",
        "owner <@U1> <@U2>",
        "deliverable",
        "log",
        "log -3",
        "log 0h",
        "log 25h",
        "log site audit 3h",
        "log 1h75",
        "budget lots",
        "budget 0",
        "step add Stakeholder interviews @dana due:fri",
        "step assign #1 @dana",
        "approver add @dana",
        "client add @dana",
        "owner @dana",
        "steps @dana",
        "internal acme-team",
        "internal",
        "new Acme internal:acme-team",
        "client add bob",
    ],
)
def test_bad_grammar_is_a_friendly_refusal(text):
    with pytest.raises(UserError) as error:
        read(text)
    assert error_text(error.value) not in ("", OOPS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "step add Write brief due:fri <@U012ABC|bob>",
            ("step add", StepAdd("Write brief", "U012ABC", "fri")),
        ),
        ("step add Write due:fri the brief", ("step add", StepAdd("Write the brief", due_word="fri"))),
        ("step add Review with <@U1|ann>.", ("step add", StepAdd("Review with", "U1"))),
        ("new Acme due:2026-12-01 relaunch", ("new", New("Acme relaunch", due_word="2026-12-01"))),
        (
            "new Acme client:Acme Corp budget: 80h due:fri",
            ("new", New("Acme", "Acme Corp", "fri", 80.0)),
        ),
        ("step done 1,2", ("step done", StepNumbers((1, 2)))),
        ("step done #1, #3", ("step done", StepNumbers((1, 3)))),
        (
            "deliverable Homepage <https://a.example/x|label with spaces>",
            ("deliverable", Submit("Homepage", "https://a.example/x")),
        ),
    ],
)
def test_grammar_as_people_actually_type_it(text, expected):
    assert read(text) == expected


def test_every_declared_verb_has_a_help_line_a_grammar_and_a_handler():
    verbs = declared()
    assert len(verbs) >= 17
    for verb in verbs:
        assert verb.usage.startswith(verb.name.split()[0]) and verb.does, verb.name
        assert callable(verb.parse) and callable(verb.handler), verb.name
        if verb.who is Who.OWNER:
            assert verb.owner_action, verb.name
    shown = help_message([(v.usage, v.does) for v in verbs])["text"]
    for verb in verbs:
        assert f"/project {verb.usage}" in shown


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("next fri", date(2026, 12, 4)),  # `fri` is tomorrow (27th); `next fri` the one after
        ("next thu", date(2026, 12, 10)),
        ("eow", date(2026, 11, 27)),
        ("+1m", date(2026, 12, 26)),
        ("dec 5", date(2026, 12, 5)),
        ("5 Dec", date(2026, 12, 5)),
        ("december 5th", date(2026, 12, 5)),
        ("nov 20", date(2027, 11, 20)),  # the next such date: this year's has passed
        ("nov 26", THURSDAY),
        ("feb 29", date(2028, 2, 29)),
    ],
)
def test_the_date_words_people_type(word, expected):
    assert parse_date(word, THURSDAY) == expected


def test_a_month_later_keeps_the_day_or_takes_the_months_last():
    assert parse_date("+1m", date(2027, 1, 31)) == date(2027, 2, 28)
    assert parse_date("+2m", date(2026, 12, 31)) == date(2027, 2, 28)


def test_end_of_week_follows_the_working_week():
    sun_thu = frozenset({6, 0, 1, 2, 3})
    assert parse_date("eow", date(2026, 11, 23), sun_thu) == date(2026, 11, 26)
    assert parse_date("eow", date(2026, 11, 28)) == date(2026, 12, 4)  # on a Saturday: the coming week's end


@pytest.mark.parametrize("word", ["next", "dec 32", "feb 30", "next month", "5", "dec"])
def test_unreadable_date_words_name_the_word(word):
    with pytest.raises(UserError) as error:
        parse_date(word, THURSDAY)
    assert f"`{word}`" in error_text(error.value)
