"""Changing the plan with the client, through signed HTTP: seeing the steps, editing them, moving
the target date (at once, or by a proposal the approvers accept or want to discuss), baselines kept,
and the days the client held the project up."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from freezegun import freeze_time
from sqlmodel import func, select

from bot.messages import ids
from storage.models import AuditEvent, Baseline, Project, Proposal, Step
from tests.support.blocks import assert_valid_blocks, text_of

OWNER, BOB, CLIENT, CLIENT2 = "U0OWNER", "U0BOB", "U0CLIENT", "U0CLIENT2"
CHANNEL = "C0ACME"
NOW = "2026-11-26 10:00:00"  # a Thursday


@pytest.fixture
def frozen():
    with freeze_time(NOW, tick=True) as clock:
        yield clock


def run(bot, text, user=OWNER):
    return bot.run(text, user=user, channel=CHANNEL)


def rows(db, model):
    with db.reader() as session:
        return list(session.exec(select(model).order_by(model.id)))


def count(db, model, *where) -> int:
    with db.reader() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def target(db):
    with db.reader() as session:
        return str(session.exec(select(Project.target_date)).one())


def start(bot, *approvers):
    run(bot, 'new "Acme website" client:Acme due:2026-12-18')
    if approvers:
        run(bot, "approver add " + " ".join(f"<@{a}>" for a in approvers))


def proposal_post(slack) -> dict:
    [post] = [c.params for c in slack.calls_to("chat.postMessage") if "New target date proposed" in str(c.params.get("text"))]
    return post


def click(bot, slack, action: str, proposal_id: int, user: str, key: str):
    return bot.action(
        action_id=action, value=str(proposal_id), user_id=user, channel_id=CHANNEL, message_ts="1700000000.000009",
        response_url=slack.response_url(key), block_id=ids.PROPOSAL_ACTIONS_BLOCK,
    )  # fmt: skip


def test_without_approvers_the_owners_new_date_takes_effect_with_its_reason_and_the_original_stays_on_the_card(bot, frozen):
    start(bot)
    reply = run(bot, "due 2027-01-15 the client added a blog section")
    assert "to *Fri 15 Jan 2027*" in text_of(reply) and "blog section" in text_of(reply)
    assert target(bot.db) == "2027-01-15"
    assert [(str(b.target_date), b.reason) for b in rows(bot.db, Baseline)] == [
        ("2026-12-18", "at kick-off"),
        ("2027-01-15", "the client added a blog section"),
    ]
    card = text_of(run(bot, "status"))
    assert "Fri 15 Jan 2027" in card and "first promised Fri 18 Dec 2026" in card


def test_with_approvers_a_proposal_is_posted_and_accepting_makes_a_new_baseline(bot, slack, frozen):
    start(bot, CLIENT)
    assert "Proposed *Fri 15 Jan 2027*" in text_of(run(bot, "due 2027-01-15 more pages"))
    assert target(bot.db) == "2026-12-18"  # nothing changes until an approver accepts
    post = proposal_post(slack)
    shown = text_of(post)
    assert "Fri 18 Dec 2026 → *Fri 15 Jan 2027*" in shown and "more pages" in shown
    assert_valid_blocks(post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"]))
    [proposal] = rows(bot.db, Proposal)
    click(bot, slack, ids.PROPOSAL_ACCEPT_ACTION, proposal.id, CLIENT, "accept")
    [update] = slack.wait_for("chat.update")
    assert "*Accepted* by <@U0CLIENT>" in text_of(update.params)
    assert target(bot.db) == "2027-01-15"
    assert [b.agreed_by for b in rows(bot.db, Baseline)] == [OWNER, CLIENT]


def test_twenty_concurrent_clicks_on_a_proposal_make_one_outcome_and_one_baseline(bot, slack, frozen):
    start(bot, CLIENT, CLIENT2)
    run(bot, "due 2027-01-15")
    [proposal] = rows(bot.db, Proposal)
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(
            pool.map(
                lambda n: click(bot, slack, ids.PROPOSAL_ACCEPT_ACTION, proposal.id, [CLIENT, CLIENT2][n % 2], f"k{n}"), range(20)
            )
        )
    slack.wait_for_responses(19, timeout=15)
    assert count(bot.db, Baseline) == 2  # kick-off, and the one accepted
    assert count(bot.db, AuditEvent, AuditEvent.action == "target.accepted") == 1
    assert rows(bot.db, Proposal)[0].state == "accepted"


def test_a_non_approver_click_changes_nothing_and_says_who_decides(bot, slack, frozen):
    start(bot, CLIENT)
    run(bot, "due 2027-01-15")
    [proposal] = rows(bot.db, Proposal)
    click(bot, slack, ids.PROPOSAL_ACCEPT_ACTION, proposal.id, BOB, "bob")
    [answer] = slack.wait_for_responses(1, key="bob")
    assert "Only the project's approvers (<@U0CLIENT>)" in answer["text"]
    assert target(bot.db) == "2026-12-18" and rows(bot.db, Proposal)[0].state == "pending"


def test_discuss_asks_for_a_comment_that_reaches_the_owner_and_keeps_the_target(bot, slack, frozen):
    start(bot, CLIENT)
    run(bot, "due 2027-01-15")
    [proposal] = rows(bot.db, Proposal)
    click(bot, slack, ids.PROPOSAL_DISCUSS_ACTION, proposal.id, CLIENT, "discuss")
    [opened] = slack.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == ids.DISCUSS_VIEW
    bot.view_submission(
        callback_id=ids.DISCUSS_VIEW, user_id=CLIENT, private_metadata=json.dumps({"proposal_id": proposal.id}),
        values={
            ids.DISCUSS_COMMENT_BLOCK: {ids.DISCUSS_COMMENT_INPUT: {"type": "plain_text_input", "value": "Can we keep Dec?"}}
        },
    )  # fmt: skip
    note = [c for c in slack.wait_for("chat.postMessage", 2) if c.params["channel"] == OWNER]
    assert note and "Can we keep Dec?" in text_of(note[0].params)
    assert target(bot.db) == "2026-12-18" and rows(bot.db, Proposal)[0].state == "discuss"


@pytest.mark.parametrize(
    ("text", "user", "expected"),
    [
        ("due 2026-11-01", OWNER, "has already passed"),
        ("due 2026-12-18", OWNER, "already Fri 18 Dec 2026"),
        ("due someday", OWNER, "I couldn't read the date `someday`"),
        ("due 2027-01-15", BOB, "Only the project owner"),
        ("due", OWNER, "Give the new target date"),
    ],
)
def test_target_changes_that_cannot_be_made_explain_and_change_nothing(bot, frozen, text, user, expected):
    start(bot, CLIENT)
    assert expected in text_of(run(bot, text, user=user))
    assert target(bot.db) == "2026-12-18" and rows(bot.db, Proposal) == []


def test_steps_lists_open_steps_by_stage_including_undated_and_far_off_ones(bot, frozen):
    start(bot)
    run(bot, f"step add Kick-off call <@{BOB}> due:fri")
    run(bot, "step add Sitemap")  # no date
    run(bot, "step add Launch due:2027-03-01")  # far off
    run(bot, "step done #1")
    shown = text_of(run(bot, "steps"))
    assert "Initiation" in shown and "#2 Sitemap" in shown and "no date" in shown and "#3 Launch" in shown
    assert "#1 Kick-off" not in shown
    assert "#1 Kick-off" in text_of(run(bot, "steps all"))
    mine = text_of(run(bot, f"steps <@{BOB}>"))
    assert "Sitemap" not in mine


def test_steps_can_be_renamed_removed_and_held_on_the_client(bot, frozen):
    start(bot)
    run(bot, "step add Draft brief due:2026-11-24")
    run(bot, "step add Logo files")
    assert "#1 Final brief" in text_of(run(bot, "step rename #1 Final brief"))
    assert "Removed #1 Final brief" in text_of(run(bot, "step remove #1"))
    card = text_of(run(bot, "status"))
    assert "Final brief" not in card and "0/1 done" in card
    with bot.db.reader() as session:
        assert session.exec(select(Step.removed_by).where(Step.number == 1)).one() == OWNER  # kept in history
    assert "waits on the client" in text_of(run(bot, "step wait #2 client logo files from Acme"))
    assert "Waiting on the client (1)" in text_of(run(bot, "status"))
    assert "no longer waits" in text_of(run(bot, "step resume #2"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("step remove #2", "is done, so it can't be removed"),
        ("step wait #1", "Say who it waits on"),
        ("step wait #1 boss", "Say who it waits on"),
        ("step resume #1", "isn't waiting on the client"),
        ("step rename #9 New", "has no step #9"),
        ("step done #3", "was removed from the plan"),
    ],
)
def test_step_edits_that_cannot_be_made_explain_and_change_nothing(bot, frozen, text, expected):
    start(bot)
    run(bot, "step add Brief")
    run(bot, "step add Done already")
    run(bot, "step add Gone")
    run(bot, "step done #2")
    run(bot, "step remove #3")
    before = [(s.title, s.done_at, s.removed_at) for s in rows(bot.db, Step)]
    assert expected in text_of(run(bot, text))
    assert [(s.title, s.done_at, s.removed_at) for s in rows(bot.db, Step)] == before


def test_a_stage_jumped_over_shows_as_skipped_not_done(bot, frozen):
    start(bot)
    assert "Skipped: Planning." in text_of(run(bot, "stage execution"))
    card = text_of(run(bot, "status"))
    assert ":white_check_mark: Initiation" in card and ":fast_forward: ~Planning~" in card


def test_moving_on_past_the_budget_tells_the_owner_alone(bot, slack, frozen):
    run(bot, 'new "Acme website" budget:10h')
    run(bot, "log 12h")
    moved = run(bot, "stage next")
    assert moved["response_type"] == "in_channel" and "budget" not in text_of(moved)
    warned = [r for r in slack.wait_for_responses(4) if "past its budget" in text_of(r)]
    assert warned and warned[0]["response_type"] == "ephemeral" and "12h of 10h (120%)" in text_of(warned[0])


def test_approving_a_deliverable_for_a_step_completes_the_step_done_by_its_submitter(bot, slack, frozen):
    start(bot, CLIENT)
    run(bot, "step add Wireframes due:fri")
    assert "Posted" in text_of(run(bot, "deliverable Wireframes https://x.example/w for:#1"))
    with bot.db.reader() as session:
        from storage.models import Deliverable

        deliverable = session.exec(select(Deliverable)).one()
    bot.action(
        action_id=ids.APPROVE_ACTION, value=str(deliverable.id), user_id=CLIENT, channel_id=CHANNEL,
        message_ts="1700000000.000001", response_url=slack.response_url("ok"), block_id=ids.APPROVAL_ACTIONS_BLOCK,
    )  # fmt: skip
    slack.wait_for("chat.update")
    [step] = rows(bot.db, Step)
    assert step.done_at is not None and step.done_by == OWNER  # the credit stays with who delivered it, not the approver


@pytest.mark.parametrize(
    ("text", "expected"),
    [("deliverable Wireframes for:#7", "has no step #7"), ("deliverable X for:seven", "isn't a step number")],
)
def test_a_deliverable_for_a_missing_step_is_refused_and_nothing_is_posted(bot, slack, frozen, text, expected):
    start(bot, CLIENT)
    assert expected in text_of(run(bot, text))
    assert [c for c in slack.calls_to("chat.postMessage") if "for sign-off" in str(c.params)] == []


def test_the_team_is_told_once_at_80_and_once_at_100_percent_of_the_budget_never_in_a_client_channel(bot, slack, frozen):
    run(bot, 'new "Acme website" budget:100h internal:<#C0TEAM|team>')
    for hours in ("24h", "24h", "22h"):  # 70h: one entry holds at most a day
        run(bot, f"log {hours}")
    assert [c for c in slack.calls_to("chat.postMessage") if "budget" in str(c.params.get("text"))] == []
    with ThreadPoolExecutor(max_workers=10) as pool:  # many logs cross 80 % at once: one alert
        list(pool.map(lambda _: run(bot, "log 1h"), range(10)))
    run(bot, "log 24h")  # past 100 %
    alerts = [c.params for c in slack.wait_for("chat.postMessage", 2) if "budget" in str(c.params.get("text"))]
    assert [a["channel"] for a in alerts] == ["C0TEAM", "C0TEAM"]
    assert "used 80% of its budget" in text_of(alerts[0]) and "whole budget" in text_of(alerts[1])


def test_the_client_view_says_when_a_new_date_is_proposed(bot, slack, frozen):
    slack.user_team[CLIENT] = "T0ACMECORP"
    start(bot, CLIENT)
    run(bot, "due 2027-01-15")
    card = text_of(run(bot, "status", user=CLIENT))
    assert "new date proposed: Fri 15 Jan 2027" in card and "Budget" not in card


# --- slip alerts ---------------------------------------------------------------------------------


def alert(bot, slack, when: str) -> int:
    from slack_sdk import WebClient

    from bot.slack.slip_alerts import alert_slips
    from storage.models import utcnow

    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    with freeze_time(when):
        return alert_slips(bot.services, client, team_id="T_HOME", now=utcnow(), stop=threading.Event())


def test_the_owner_is_told_once_when_the_forecast_passes_the_target_and_again_after_further_slip(bot, slack, frozen):
    start(bot)  # target Fri 18 Dec
    run(bot, "step add Launch due:2026-12-22")  # forecast Tue 22 Dec: 2 working days late
    assert alert(bot, slack, "2026-11-27 10:00:00") == 1
    [dm] = [c.params for c in slack.calls_to("chat.postMessage") if c.params["channel"] == OWNER]
    assert "2 working days past the agreed Fri 18 Dec 2026" in text_of(dm) and "Propose new date" in text_of(dm)
    assert alert(bot, slack, "2026-11-27 11:00:00") == 0  # once
    run(bot, "step due #1 2026-12-29")  # 7 working days: 5 more than when told
    assert alert(bot, slack, "2026-11-27 12:00:00") == 1
    assert alert(bot, slack, "2026-11-28 10:00:00") == 0  # a Saturday: and nothing new anyway


def test_a_slip_alert_is_sent_once_across_two_processes(bot, slack, frozen):
    start(bot)
    run(bot, "step add Launch due:2026-12-22")
    with ThreadPoolExecutor(max_workers=2) as pool:
        sent = list(pool.map(lambda _: alert(bot, slack, "2026-11-27 10:00:00"), range(2)))
    assert sum(sent) == 1
    assert len([c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == OWNER]) == 1


def test_propose_new_date_opens_the_form_with_the_forecast_and_posts_a_proposal(bot, slack, frozen):
    start(bot, CLIENT)
    run(bot, "step add Launch due:2026-12-22")
    alert(bot, slack, "2026-11-27 10:00:00")
    with bot.db.reader() as session:
        project_id = session.exec(select(Project.id)).one()
    bot.action(
        action_id=ids.PROPOSE_DATE_ACTION, value=str(project_id), user_id=OWNER, channel_id="D0OWNER",
        message_ts="1700000000.000002", response_url=slack.response_url("propose"),
    )  # fmt: skip
    [opened] = slack.wait_for("views.open")
    form = opened.params["view"]
    date_input = [b for b in form["blocks"] if b.get("block_id") == ids.PROPOSE_DATE_BLOCK][0]["element"]
    assert date_input["initial_date"] == "2026-12-22"
    bot.view_submission(
        callback_id=ids.PROPOSE_VIEW, user_id=OWNER, private_metadata=form["private_metadata"],
        values={
            ids.PROPOSE_DATE_BLOCK: {ids.PROPOSE_DATE_INPUT: {"type": "datepicker", "selected_date": "2026-12-22"}},
            ids.PROPOSE_REASON_BLOCK: {ids.PROPOSE_REASON_INPUT: {"type": "plain_text_input", "value": "Launch moved"}},
        },
    )  # fmt: skip
    slack.wait_for("chat.postMessage", 3)
    assert "Tue 22 Dec 2026" in text_of(proposal_post(slack)) and "Launch moved" in text_of(proposal_post(slack))
    assert rows(bot.db, Proposal)[0].new_target.isoformat() == "2026-12-22"
