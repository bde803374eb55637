"""What people read about a project, through signed HTTP on both databases: the team card and the
client view, the slip alert's causes, the client-held days every surface counts alike, and the
Home tab's decisions (date proposals too) and projects."""

from __future__ import annotations

import gc
import json
import threading

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.messages import ids
from storage.models import Baseline, Deliverable, Project, Proposal, Step
from tests.support.blocks import assert_valid_blocks, assert_valid_view, text_of
from tests.support.waiting import eventually, settled

OWNER, BOB, ACME, ACME2 = "U0OWNER", "U0BOB", "U0ACME", "U0ACME2"
CHANNEL = "C0ACME"
NOW = "2026-11-26 10:00:00"  # a Thursday; the target is Fri 18 Dec


@pytest.fixture(autouse=True)
def _only_this_tests_app(slack):
    """Home refreshes follow commits a moment later: let an earlier test's last one land (and be
    forgotten) before this test starts reading what the Home tab shows."""
    gc.collect()
    settled(slack, quiet=1.5)
    slack.reset()


@pytest.fixture
def frozen():
    with freeze_time(NOW, tick=True) as clock:
        yield clock


@pytest.fixture
def acme(slack):
    """ACME (the approver) and ACME2 (a contact who is no approver) are of the client's organization."""
    slack.user_team[ACME] = "T0ACMECORP"
    slack.user_team[ACME2] = "T0ACMECORP"
    return slack


def run(bot, text, user=OWNER):
    return bot.run(text, user=user, channel=CHANNEL)


def start(bot) -> None:
    run(bot, 'new "Acme website" client:Acme due:2026-12-18')
    run(bot, f"approver add <@{ACME}>")
    run(bot, f"client add <@{ACME2}>")


def publishes(slack, user: str) -> list[dict]:
    return [c.params["view"] for c in slack.calls_to("views.publish") if c.params["user_id"] == user]


def open_home(bot, user: str) -> dict:
    """Open the Home tab; once every refresh has landed, what it shows."""
    before = len(publishes(bot.slack, user))
    assert bot.sender.app_home_opened(user_id=user, team_id=bot.team_id).status == 200
    assert eventually(lambda: len(publishes(bot.slack, user)) > before)
    bot.settle()
    return publishes(bot.slack, user)[-1]


def actions_of(view: dict) -> list[str]:
    return [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def fields(message: dict) -> list[str]:
    return [f["text"] for block in message.get("blocks", []) for f in block.get("fields", [])]


def alert(bot, slack, when: str) -> int:
    from slack_sdk import WebClient

    from bot.slack.slip_alerts import alert_slips
    from storage.models import utcnow

    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    with freeze_time(when):
        return alert_slips(bot.services, client, team_id="T_HOME", now=utcnow(), stop=threading.Event())


def the(db, model):
    with db.reader() as session:
        return session.exec(select(model)).one()


# --- decisions wait on approvers -------------------------------------------------------------------


def test_a_client_contact_who_is_no_approver_sees_the_decision_wait_on_the_approvers_without_buttons(bot, acme, frozen):
    start(bot)
    run(bot, 'deliverable "Homepage design"')

    hers = bot.run("status", user=ACME2, channel=CHANNEL)
    assert_valid_blocks(hers["blocks"])
    shown = text_of(hers)
    assert "your decision" not in shown and "*Waiting on you*" not in shown
    assert "Waiting on your approvers" in shown and f"Homepage design v1: for <@{ACME}> to decide" in shown

    approvers = text_of(bot.run("status", user=ACME, channel=CHANNEL))
    assert "*Waiting on you*" in approvers and "Homepage design v1: your decision" in approvers

    home = open_home(bot, ACME2)
    assert_valid_view(home)
    assert ids.HOME_APPROVE_ACTION not in actions_of(home) and "Homepage design v1: your decision" not in text_of(home)
    assert f"Homepage design v1: for <@{ACME}> to decide" in text_of(home)
    assert ids.HOME_APPROVE_ACTION in actions_of(open_home(bot, ACME))


def test_a_client_never_sees_our_own_reviewer_named_as_the_one_a_decision_waits_on(bot, acme, frozen):
    run(bot, 'new "Acme website" client:Acme due:2026-12-18')
    run(bot, f"approver add <@{BOB}>")  # an in-workspace reviewer stays team
    run(bot, f"client add <@{ACME2}>")
    run(bot, "status", user=BOB)  # Slack has said who Bob is
    run(bot, 'deliverable "Homepage design"')
    shown = text_of(bot.run("status", user=ACME2, channel=CHANNEL))
    assert "Homepage design v1: for the team's sign-off" in shown and BOB not in shown, shown


# --- the client hears of a new date from the owner, not from an internal re-date -------------------


def test_an_internal_redate_leaves_the_clients_date_holding_until_the_owner_proposes_or_it_passes(bot, acme, frozen):
    start(bot)
    run(bot, "step add Launch due:2026-12-16")
    run(bot, "step due #1 2026-12-31")  # the forecast moves past the agreed 18 Dec: the owner's to raise
    assert "working days late" in text_of(run(bot, "status"))  # the team sees it at once
    for user in (ACME, ACME2):
        card = text_of(bot.run("status", user=user, channel=CHANNEL))
        assert "Fri 18 Dec 2026" in card and "on track" in card and "late" not in card, card
    assert "Target Fri 18 Dec 2026: on track" in text_of(open_home(bot, ACME))

    assert alert(bot, acme, "2026-11-26 11:00:00") == 1  # the owner hears it first
    run(bot, "due 2027-01-08 launch moved")
    assert "new date proposed: Fri 8 Jan 2027" in text_of(bot.run("status", user=ACME2, channel=CHANNEL))


def test_once_the_agreed_date_has_passed_the_client_sees_it_running_late(bot, acme, frozen):
    start(bot)
    run(bot, "step add Launch due:2026-12-31")
    assert "on track" in text_of(bot.run("status", user=ACME, channel=CHANNEL))
    frozen.move_to("2026-12-21 10:00:00")  # the Monday after the agreed Friday
    assert "running late" in text_of(bot.run("status", user=ACME, channel=CHANNEL))


# --- the slip alert says what sets the forecast ---------------------------------------------------


def test_the_slip_alert_names_the_step_that_sets_the_forecast_before_overdue_steps_and_client_held_days(bot, acme, frozen):
    start(bot)
    run(bot, f"step add Wireframes <@{BOB}> due:2026-11-20")  # overdue
    run(bot, "step add Launch due:2026-12-16")
    run(bot, "step due #2 2026-12-31")
    assert alert(bot, acme, "2026-11-26 11:00:00") == 1
    [dm] = [c.params for c in acme.calls_to("chat.postMessage") if c.params["channel"] == OWNER]
    shown = text_of(dm)
    assert "Causes: #2 Launch, due Thu 31 Dec 2026, sets the forecast; 1 overdue step." in shown, shown


# --- client-held days: one count everywhere --------------------------------------------------------


def test_client_held_days_count_from_the_next_working_day_and_agree_on_the_card_and_the_proposal(bot, acme, frozen):
    start(bot)
    run(bot, 'deliverable "Homepage design"')
    card = run(bot, "status")
    assert not [f for f in fields(card) if f.startswith("*Client-held*")]  # submitted just now: nothing held yet

    frozen.move_to("2026-11-30 10:00:00")  # Monday: held Friday and Monday
    assert "*Client-held*\n2 working days" in fields(run(bot, "status"))
    deliverable_id = the(bot.db, Deliverable).id
    bot.action(
        action_id=ids.APPROVE_ACTION, value=str(deliverable_id), user_id=ACME, user_team_id="T0ACMECORP",
        channel_id=CHANNEL, message_ts="1700000000.000001", response_url=acme.response_url("approve"),
        block_id=ids.APPROVAL_ACTIONS_BLOCK,
    )  # fmt: skip
    assert eventually(lambda: the(bot.db, Deliverable).state == "approved")
    run(bot, "due 2027-01-08 more pages")
    [proposal] = [c.params for c in acme.wait_for("chat.postMessage", 3) if "New target date" in str(c.params.get("text"))]
    assert "2 working days waiting on the client so far" in text_of(proposal)
    assert "*Client-held*\n2 working days" in fields(run(bot, "status"))  # the proposal itself holds nothing


# --- the Home tab ---------------------------------------------------------------------------------


def propose(bot, acme) -> Proposal:
    start(bot)
    run(bot, "due 2027-01-08 more pages")
    acme.wait_for("chat.postMessage", 1)
    assert eventually(lambda: the(bot.db, Proposal).message_ts)
    return the(bot.db, Proposal)


def test_a_date_proposal_waits_on_the_approvers_home_and_accept_there_is_the_channel_messages_one_decision(bot, acme, frozen):
    proposal = propose(bot, acme)
    assert "A new target date, Fri 8 Jan 2027: your answer" in text_of(bot.run("status", user=ACME, channel=CHANNEL))
    theirs = text_of(bot.run("status", user=ACME2, channel=CHANNEL))
    assert f"A new target date, Fri 8 Jan 2027: for <@{ACME}> to decide" in theirs and "your answer" not in theirs
    home = open_home(bot, ACME)
    assert_valid_view(home)
    shown = text_of(home)
    decisions = shown[shown.index("Waiting on your decision") :]
    assert "New target date" in decisions and "Fri 18 Dec 2026 → *Fri 8 Jan 2027*" in decisions and "more pages" in decisions
    assert ids.HOME_PROPOSAL_ACCEPT_ACTION in actions_of(home) and ids.HOME_PROPOSAL_DISCUSS_ACTION in actions_of(home)
    assert ids.HOME_PROPOSAL_ACCEPT_ACTION not in actions_of(open_home(bot, ACME2))  # a contact who is no approver

    before = len(publishes(acme, ACME))
    bot.sender.home_action(
        action_id=ids.HOME_PROPOSAL_ACCEPT_ACTION, value=str(proposal.id), user_id=ACME, team_id=bot.team_id,
        user_team_id="T0ACMECORP", block_id=f"{ids.HOME_PROPOSAL_BLOCK}{proposal.id}",
    )  # fmt: skip
    assert eventually(lambda: the(bot.db, Proposal).state == "accepted")
    with bot.db.reader() as session:
        assert session.exec(select(Project.target_date)).one().isoformat() == "2027-01-08"
        assert len(session.exec(select(Baseline)).all()) == 2
    [update] = acme.wait_for("chat.update")
    assert update.params["ts"] == proposal.message_ts and "Accepted" in text_of(update.params)
    refreshed = eventually(lambda: [v for v in publishes(acme, ACME)[before:] if "New target date" not in text_of(v)])
    assert refreshed and ids.HOME_PROPOSAL_ACCEPT_ACTION not in actions_of(refreshed[-1])

    bot.sender.home_action(  # a second click: one decision, and the clicker is told
        action_id=ids.HOME_PROPOSAL_ACCEPT_ACTION, value=str(proposal.id), user_id=ACME, team_id=bot.team_id,
        user_team_id="T0ACMECORP", block_id=f"{ids.HOME_PROPOSAL_BLOCK}{proposal.id}",
    )  # fmt: skip
    bot.settle()
    with bot.db.reader() as session:
        assert len(session.exec(select(Baseline)).all()) == 2


def test_discuss_on_the_home_tab_opens_the_comment_form_of_the_channel_message(bot, acme, frozen):
    proposal = propose(bot, acme)
    open_home(bot, ACME)
    bot.sender.home_action(
        action_id=ids.HOME_PROPOSAL_DISCUSS_ACTION, value=str(proposal.id), user_id=ACME, team_id=bot.team_id,
        user_team_id="T0ACMECORP", block_id=f"{ids.HOME_PROPOSAL_BLOCK}{proposal.id}",
    )  # fmt: skip
    [opened] = acme.wait_for("views.open")
    form = opened.params["view"]
    assert form["callback_id"] == ids.DISCUSS_VIEW and json.loads(form["private_metadata"]) == {"proposal_id": proposal.id}
    bot.view_submission(
        callback_id=ids.DISCUSS_VIEW, user_id=ACME, user_team_id="T0ACMECORP", private_metadata=form["private_metadata"],
        values={ids.DISCUSS_COMMENT_BLOCK: {ids.DISCUSS_COMMENT_INPUT: {"type": "plain_text_input", "value": "Why so late?"}}},
    )  # fmt: skip
    assert eventually(lambda: the(bot.db, Proposal).state == "discuss")
    run(bot, "step add Launch due:2026-12-31")
    assert "running late" in text_of(bot.run("status", user=ACME2, channel=CHANNEL))  # the owner has raised it


def test_a_team_members_home_keeps_her_projects_once_her_steps_are_done(bot, acme, frozen):
    start(bot)
    run(bot, f"step add Wireframes <@{BOB}> due:2026-12-01")
    run(bot, "step add Launch due:2026-12-16")
    run(bot, "step done #1", user=BOB)
    home = open_home(bot, BOB)
    shown = text_of(home)
    projects = shown[shown.index("My projects") :]
    assert "Acme website" in projects and "on track" in projects and "You own" not in shown
    with bot.db.reader() as session:
        assert session.exec(select(Step.done_by).where(Step.number == 1)).one() == BOB
    assert "Acme website" in text_of(bot.run("list mine", user=BOB, channel=CHANNEL))  # the same projects as Home's


# --- the team card says why, on whom and who is next ------------------------------------------------


def test_the_team_card_says_why_a_step_waits_on_the_client_on_whom_a_decision_waits_and_who_is_next(bot, acme, frozen):
    start(bot)
    run(bot, f"step add Wireframes <@{BOB}> due:2027-01-20")
    run(bot, "step add Copy due:2027-01-22")
    run(bot, "step wait #2 client logo files not sent")
    run(bot, 'deliverable "Homepage design"')
    card = run(bot, "status")
    assert_valid_blocks(card["blocks"])
    shown = text_of(card)
    assert "#2 Copy: logo files not sent" in shown
    assert f"Homepage design v1: waiting on <@{ACME}>, under an hour" in shown
    assert f"#1 Wireframes: <@{BOB}>, due Wed 20 Jan 2027" in shown
    client_card = text_of(bot.run("status", user=ACME, channel=CHANNEL))
    assert BOB not in client_card and "logo files not sent" not in client_card
