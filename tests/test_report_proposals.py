"""The report lists every date proposal put to the approvers with its outcome: one discussed and
declined keeps the approver's comment, beside the accepted one, the replaced one and the one waiting."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.messages import ids
from storage.models import Proposal
from tests.support.waiting import eventually

OWNER, CLIENT = "U0OWNER", "U0CLIENT"
CHANNEL, CLIENT_TEAM = "C0ACME", "T_CLIENTCO"
OWNER_DM = "D0OWNER"  # what the stand-in's conversations.open answers for U0OWNER


@pytest.fixture
def clock():
    with freeze_time("2026-11-26 10:00:00", tick=True) as frozen:  # a Thursday
        yield frozen


def run(bot, text, user=OWNER):
    return bot.run(text, user=user, channel=CHANNEL)


def proposals(bot) -> list[Proposal]:
    with bot.db.reader() as session:
        return list(session.exec(select(Proposal).order_by(Proposal.id)))


def click(bot, slack, action: str, proposal_id: int, key: str):
    return bot.action(
        action_id=action, value=str(proposal_id), user_id=CLIENT, user_team_id=CLIENT_TEAM, channel_id=CHANNEL,
        message_ts="1700000000.000009", response_url=slack.response_url(key), block_id=ids.PROPOSAL_ACTIONS_BLOCK,
    )  # fmt: skip


def test_the_report_lists_every_date_proposal_with_its_outcome_and_the_clients_comment(bot, slack, clock):
    slack.user_team[CLIENT] = CLIENT_TEAM
    run(bot, 'new "Acme website" due:2026-12-18')
    run(bot, f"approver add <@{CLIENT}>")

    run(bot, "due 2027-01-15 the client added a blog section")
    first = proposals(bot)[0]
    click(bot, slack, ids.PROPOSAL_DISCUSS_ACTION, first.id, "discuss")
    slack.wait_for("views.open")
    comment = {"type": "plain_text_input", "value": "Can we keep Dec?"}
    bot.view_submission(
        callback_id=ids.DISCUSS_VIEW, user_id=CLIENT, user_team_id=CLIENT_TEAM,
        private_metadata=json.dumps({"proposal_id": first.id}),
        values={ids.DISCUSS_COMMENT_BLOCK: {ids.DISCUSS_COMMENT_INPUT: comment}},
    )  # fmt: skip
    assert eventually(lambda: proposals(bot)[0].state == "discuss")

    run(bot, "due 2027-01-08 blog section only")
    click(bot, slack, ids.PROPOSAL_ACCEPT_ACTION, proposals(bot)[1].id, "accept")
    assert eventually(lambda: proposals(bot)[1].state == "accepted")
    run(bot, "due 2027-01-22 a second blog")
    run(bot, "due 2027-01-29")  # replaces the one before, which waited

    reply = bot.command("report", user=OWNER, channel=CHANNEL, key="report")
    assert reply.status == 200
    slack.wait_for_responses(2, key="report")
    [report] = [f.text for f in slack.shared_files(OWNER_DM) if f.filename.endswith(".md")]
    lines = report.splitlines()
    start = lines.index("### Date proposals (every one put to the approvers)")
    assert lines[start + 1 : start + 15] == [
        "- Fri 15 Jan 2027 (from Fri 18 Dec 2026): proposed by @U0OWNER on Thu 26 Nov 2026 10:00",
        "    > Reason: the client added a blog section",
        "  - Declined for discussion by @U0CLIENT on Thu 26 Nov 2026 10:00; the target stayed",
        "    > Comment: Can we keep Dec?",
        "- Fri 8 Jan 2027 (from Fri 18 Dec 2026): proposed by @U0OWNER on Thu 26 Nov 2026 10:00",
        "    > Reason: blog section only",
        "  - Accepted by @U0CLIENT on Thu 26 Nov 2026 10:00",
        "- Fri 22 Jan 2027 (from Fri 8 Jan 2027): proposed by @U0OWNER on Thu 26 Nov 2026 10:00",
        "    > Reason: a second blog",
        "  - Replaced by a later proposal",
        "- Fri 29 Jan 2027 (from Fri 8 Jan 2027): proposed by @U0OWNER on Thu 26 Nov 2026 10:00",
        "  - Waiting for the approvers",
        "",
        "## Deliverables",
    ], report
