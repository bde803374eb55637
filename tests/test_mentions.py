"""A person is named by a Slack mention: `@dana` typed out (not picked from Slack's list) arrives as
plain text, names no one, and is pointed out instead of being kept in a title or refused as "not a person"."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from sqlmodel import select

from storage.models import Approver, ClientContact, Project, Step
from tests.support.blocks import text_of

OWNER, DANA = "U0OWNER", "U0DANA"
CHANNEL = "C0ACME"
POINTED_OUT = "`@dana` isn't a Slack mention, so I can't tell who that is. Type @ and pick the person from Slack's list"


@pytest.fixture
def clock():
    with freeze_time("2026-11-26 10:00:00", tick=True) as frozen:  # a Thursday
        yield frozen


def run(bot, text, user=OWNER):
    return bot.run(text, user=user, channel=CHANNEL)


def rows(bot, model):
    with bot.db.reader() as session:
        return list(session.exec(select(model).order_by(model.id)))


def test_a_typed_at_name_on_step_add_is_pointed_out_and_no_step_is_made(bot, clock):
    run(bot, 'new "Acme website"')
    reply = run(bot, "step add Stakeholder interviews @dana due:fri")
    assert reply["response_type"] == "ephemeral" and POINTED_OUT in text_of(reply)
    assert "put it in quotes" in text_of(reply)
    assert rows(bot, Step) == []
    run(bot, f"step add Stakeholder interviews <@{DANA}|dana> due:fri")  # picked from the list
    [step] = rows(bot, Step)
    assert (step.title, step.assignee_id) == ("Stakeholder interviews", DANA)


def test_a_quoted_at_word_stays_in_the_title_as_text(bot, clock):
    run(bot, 'new "Acme website"')
    run(bot, 'step add Answer the "@support" inbox')
    [step] = rows(bot, Step)
    assert (step.title, step.assignee_id) == ("Answer the @support inbox", None)


@pytest.mark.parametrize("text", ["step assign #1 @dana", "approver add @dana", "client add @dana", "owner @dana"])
def test_a_typed_at_name_names_no_one_for_assign_approvers_clients_or_owner(bot, clock, text):
    run(bot, 'new "Acme website"')
    run(bot, "step add Brief")
    reply = run(bot, text)
    assert POINTED_OUT in text_of(reply), text_of(reply)
    assert [s.assignee_id for s in rows(bot, Step)] == [None]
    assert rows(bot, Approver) == [] and rows(bot, ClientContact) == []
    assert [p.owner_id for p in rows(bot, Project)] == [OWNER]
