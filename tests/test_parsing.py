"""The pure parts of reading a command: tokens, date words, Slack markup, and each verb's grammar."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.dates import next_working_day, parse_date, previous_working_day, working_days_between
from bot.core.errors import UserError
from bot.core.grammar import Command, parse, tokenize
from bot.core.text import cut, escape, link_url, mention_id, plain
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
    message = str(error.value)
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("new Acme website client:Acme Corp due:fri", Command("new", title="Acme website", client="Acme Corp", date_word="fri")),
        ('new "Acme" budget:120h', Command("new", title="Acme", hours=120.0)),
        ("new", Command("new")),
        ("status", Command("status")),
        ('status "Acme web"', Command("status", project="Acme web")),
        ("list overdue", Command("list", scope="overdue")),
        ("stage next", Command("stage")),
        ("stage Acme next --force", Command("stage", project="Acme", force=True)),
        ("stage Acme —force next", Command("stage", project="Acme", force=True)),
        ("stage execution &amp; monitoring", Command("stage", stage=Stage.EXECUTION)),
        ("stage Big Project planning", Command("stage", project="Big Project", stage=Stage.PLANNING)),
        ("step add Brief <@U1|ann> due:fri", Command("step add", title="Brief", user_ids=("U1",), date_word="fri")),
        ("step add Brief due: fri", Command("step add", title="Brief", date_word="fri")),
        ("step done #3 4", Command("step done", numbers=(3, 4))),
        ("step assign #2 <@U2>", Command("step assign", numbers=(2,), user_ids=("U2",))),
        ("step due 2 +1w", Command("step due", numbers=(2,), date_word="+1w")),
        ("step reopen #1", Command("step reopen", numbers=(1,))),
        ("approver add <@U1|a> <@U2|b>", Command("approver add", user_ids=("U1", "U2"))),
        ("approver remove <@U1>", Command("approver remove", user_ids=("U1",))),
        ("owner <@U9>", Command("owner", user_ids=("U9",))),
        (
            "deliverable Homepage design <https://figma.com/x|figma>",
            Command("deliverable", title="Homepage design", link="https://figma.com/x"),
        ),
        ("deliverable Brief", Command("deliverable", title="Brief")),
        ("log 2.5h", Command("log", hours=2.5)),
        ("bogus", Command("help", unknown="bogus")),
    ],
)
def test_grammar(text, expected):
    assert parse(text) == expected


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
        "budget lots",
    ],
)
def test_bad_grammar_is_a_friendly_refusal(text):
    with pytest.raises(UserError) as error:
        parse(text)
    assert str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "step add Write brief due:fri <@U012ABC|bob>",
            Command("step add", title="Write brief", user_ids=("U012ABC",), date_word="fri"),
        ),
        ("step add Write due:fri the brief", Command("step add", title="Write the brief", date_word="fri")),
        ("step add Review with <@U1|ann>.", Command("step add", title="Review with", user_ids=("U1",))),
        ("new Acme due:2026-12-01 relaunch", Command("new", title="Acme relaunch", date_word="2026-12-01")),
        (
            "new Acme client:Acme Corp budget: 80h due:fri",
            Command("new", title="Acme", client="Acme Corp", date_word="fri", hours=80.0),
        ),
        ("step done 1,2", Command("step done", numbers=(1, 2))),
        ("step done #1, #3", Command("step done", numbers=(1, 3))),
        (
            "deliverable Homepage <https://a.example/x|label with spaces>",
            Command("deliverable", title="Homepage", link="https://a.example/x"),
        ),
    ],
)
def test_grammar_as_people_actually_type_it(text, expected):
    assert parse(text) == expected
