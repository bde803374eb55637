"""Date-change proposals are chased like deliverables: waiting more than APPROVAL_CHASE_DAYS working
days, each approver gets one DM a working day, in their hours, with Accept / Discuss right there (the
same single decision as the channel message) and a link to the message."""

from __future__ import annotations

import json

from freezegun import freeze_time
from sqlmodel import select

from bot.messages import ids
from storage.models import Project, Proposal, ProposalState
from tests.support.blocks import assert_valid_blocks, text_of
from tests.support.reminders import FRI, MON, THU, WED, at, make_services, posts, run_pass

OWNER, CLIENT, CLIENT2 = "U0OWNER", "U0CLIENT", "U0CLIENT2"
CHANNEL = "C0ACME"


def run(bot, text: str, user: str = OWNER) -> dict:
    return bot.run(text, user=user, channel=CHANNEL)


def a_date_proposal(bot, slack, *approvers: str) -> Proposal:
    for approver in approvers:
        slack.user_team[approver] = "T0ACMECORP"
    with freeze_time(at(MON, "09:00"), tick=True):
        run(bot, 'new "Acme website" client:Acme due:2026-12-18')
        run(bot, "approver add " + " ".join(f"<@{a}>" for a in approvers))
        run(bot, "due 2027-01-15 the client's content came late")
        bot.settle()
    with bot.db.reader() as session:
        return session.exec(select(Proposal)).one()


def chase_dms(slack, user: str) -> list[dict]:
    return [p for p in posts(slack, user) if "date change" in p["text"]]


def test_a_waiting_date_proposal_is_chased_once_a_working_day_with_accept_discuss_and_a_link(bot, slack, db):
    proposal = a_date_proposal(bot, slack, CLIENT, CLIENT2)
    services = make_services(db, slack)

    run_pass(services, slack, at(WED, "10:00"))  # waited 2 working days: not yet
    assert chase_dms(slack, CLIENT) == []
    run_pass(services, slack, at(THU, "07:00"))  # 3 days, but before the approver's working hours
    assert chase_dms(slack, CLIENT) == []
    run_pass(services, slack, at(THU, "10:00"))
    run_pass(services, slack, at(THU, "15:00"))  # once a day
    run_pass(services, slack, at(FRI, "10:00"))  # and again the next working day

    for user in (CLIENT, CLIENT2):
        thursday, friday = chase_dms(slack, user)
        assert_valid_blocks(thursday["blocks"])
        shown = text_of(thursday)
        assert thursday["text"] == "1 date change waiting for your decision"
        assert "Acme website" in shown and "Fri 18 Dec 2026 → *Fri 15 Jan 2027*" in shown and "waiting 3 working days" in shown
        assert f"https://team.slack.com/archives/{proposal.channel_id}/p{proposal.message_ts.replace('.', '')}" in shown
        actions = [e["action_id"] for b in thursday["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert actions == [ids.CHASE_ACCEPT_ACTION, ids.CHASE_DISCUSS_ACTION]
        assert "waiting 4 working days" in text_of(friday)
    assert [p for p in posts(slack, OWNER) if "date change" in p["text"]] == []  # the owner has approvers to ask


def dm_click(bot, action: str, proposal_id: int, user: str, dm: dict):
    return bot.action(
        response_url=bot.slack.response_url(f"dm-{user}"),
        action_id=action, value=str(proposal_id), user_id=user, user_team_id="T0ACMECORP", channel_id="D" + user[1:],
        message_ts="1700000000.000099", block_id=f"{ids.CHASE_PROPOSAL_BLOCK}{proposal_id}",
        message={"type": "message", "ts": "1700000000.000099", "text": dm["text"], "blocks": dm["blocks"]},
    )  # fmt: skip


def test_accept_in_the_chase_dm_is_the_proposals_one_decision_and_the_dm_and_channel_message_say_so(bot, slack, db):
    proposal = a_date_proposal(bot, slack, CLIENT, CLIENT2)
    services = make_services(db, slack)
    run_pass(services, slack, at(THU, "10:00"))
    (dm,) = chase_dms(slack, CLIENT)

    with freeze_time(at(THU, "10:05"), tick=True):
        dm_click(bot, ids.CHASE_ACCEPT_ACTION, proposal.id, CLIENT, dm)
        updates = slack.wait_for("chat.update", 2)
        bot.settle()
        (second,) = chase_dms(slack, CLIENT2)
        dm_click(bot, ids.CHASE_ACCEPT_ACTION, proposal.id, CLIENT2, second)  # too late: told who decided
        (late,) = slack.wait_for_responses(1, key=f"dm-{CLIENT2}")
        bot.settle()

    channel = [u.params for u in updates if u.params["channel"] == CHANNEL]
    in_dm = [u.params for u in updates if u.params["channel"] == "D0CLIENT"]
    assert channel and ids.PROPOSAL_ACCEPT_ACTION not in json.dumps(channel[-1]["blocks"])
    (dm_update,) = in_dm
    assert "Accepted by <@U0CLIENT>" in text_of(dm_update) and ids.CHASE_ACCEPT_ACTION not in json.dumps(dm_update["blocks"])
    assert dm_update["text"] == "Nothing here waits for you any more."
    assert "<@U0CLIENT>" in json.dumps(late)
    assert len([u for u in slack.calls_to("chat.update") if u.params["channel"] == "D0CLIENT2"]) == 0
    with db.reader() as session:
        assert session.get(Proposal, proposal.id).state == ProposalState.ACCEPTED.value
        assert str(session.exec(select(Project.target_date)).one()) == "2027-01-15"
    run_pass(services, slack, at(FRI, "10:00"))
    assert len(chase_dms(slack, CLIENT)) == 1  # decided: never chased again


def test_discuss_in_the_chase_dm_asks_for_a_comment_then_decides_and_the_dm_says_so(bot, slack, db):
    proposal = a_date_proposal(bot, slack, CLIENT)
    run_pass(make_services(db, slack), slack, at(THU, "10:00"))
    (dm,) = chase_dms(slack, CLIENT)

    dm_click(bot, ids.CHASE_DISCUSS_ACTION, proposal.id, CLIENT, dm)
    (opened,) = slack.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == ids.DISCUSS_VIEW
    comment = {"type": "plain_text_input", "value": "Can we keep Jan 8?"}
    bot.view_submission(
        callback_id=ids.DISCUSS_VIEW, user_id=CLIENT, user_team_id="T0ACMECORP", private_metadata=view["private_metadata"],
        values={ids.DISCUSS_COMMENT_BLOCK: {ids.DISCUSS_COMMENT_INPUT: comment}},
    )  # fmt: skip
    bot.settle()

    (dm_update,) = [c.params for c in slack.calls_to("chat.update") if c.params["channel"] == "D0CLIENT"]
    assert "<@U0CLIENT> asked to discuss it" in text_of(dm_update)
    assert ids.CHASE_ACCEPT_ACTION not in json.dumps(dm_update["blocks"])
    with db.reader() as session:
        found = session.get(Proposal, proposal.id)
        assert found.state == ProposalState.DISCUSS.value and found.comment == "Can we keep Jan 8?"


def test_discuss_in_the_chase_dm_opens_the_comment_form_and_someone_else_is_refused(bot, slack, db):
    proposal = a_date_proposal(bot, slack, CLIENT)
    run_pass(make_services(db, slack), slack, at(THU, "10:00"))
    (dm,) = chase_dms(slack, CLIENT)

    dm_click(bot, ids.CHASE_DISCUSS_ACTION, proposal.id, CLIENT, dm)
    (opened,) = slack.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == ids.DISCUSS_VIEW

    bot.action(
        action_id=ids.CHASE_ACCEPT_ACTION, value=str(proposal.id), user_id="U0MALLORY", channel_id="D0MALLORY",
        message_ts="1700000000.000099", block_id=f"{ids.CHASE_PROPOSAL_BLOCK}{proposal.id}",
        response_url=slack.response_url("mallory"),
    )  # fmt: skip
    (refused,) = slack.wait_for_responses(1, key="mallory")
    assert "approver" in json.dumps(refused).lower()
    bot.settle()
    with db.reader() as session:
        assert session.get(Proposal, proposal.id).state == ProposalState.PENDING.value
