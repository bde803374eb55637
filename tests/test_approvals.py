"""Client sign-off through the real pipeline: signed clicks and modal submissions in, the Slack
stand-in out, a real database (SQLite and PostgreSQL) deciding who decided first."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from datetime import timedelta

import pytest
from sqlmodel import func, select, update

from bot.messages import ids
from bot.slack.server import stop_server
from storage.models import AuditEvent, Decision, Deliverable, Project, utcnow
from tests.support.blocks import assert_valid_blocks, assert_valid_view, text_of
from tests.support.harness import SECRET, start_bot
from tests.support.slack_requests import block_actions_body, sign, view_submission_body

PM, CLIENT, CLIENT2, DEV = "U0PM", "U0CLIENT", "U0CLIENT2", "U0DEV"
CHANNEL = "C0PROJ"


# --- helpers -------------------------------------------------------------------------------------


def start_project(bot, *approvers: str) -> None:
    reply = bot.run('new "Acme website" client:Acme Corp', user=PM, channel=CHANNEL)
    assert reply["response_type"] == "in_channel", reply
    if approvers:
        bot.run("approver add " + " ".join(f"<@{a}|{a.lower()}>" for a in approvers), user=PM, channel=CHANNEL)


def submit(bot, slack, text: str = 'deliverable "Homepage design" https://figma.example/v1') -> tuple[dict, dict]:
    """Run `/project deliverable …`; return (what the submitter saw, the approval message posted)."""
    before = len(approval_posts(slack))
    reply = bot.run(text, user=PM, channel=CHANNEL)  # the reply comes after the post
    posts = approval_posts(slack)
    assert len(posts) == before + 1, reply
    return reply, posts[-1]


def approval_posts(slack) -> list[dict]:
    """Messages posted to the channel itself (thread replies to submitters left out)."""
    return [c.params for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c.params]


def button(message: dict, action_id: str) -> dict:
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    assert actions, f"no buttons on {text_of(message)!r}"
    return next(e for e in actions[0]["elements"] if e["action_id"] == action_id)


def click(bot, slack, message: dict, action_id: str, user: str, key: str, **kw):
    """Click a button of `message` as `user`; answers to the click are recorded under `key`."""
    reply = bot.action(
        action_id=action_id,
        value=button(message, action_id)["value"],
        user_id=user,
        channel_id=CHANNEL,
        message_ts=kw.pop("message_ts", "1700000000.000001"),
        response_url=slack.response_url(key),
        block_id=ids.APPROVAL_ACTIONS_BLOCK,
        **kw,
    )
    assert reply.status == 200, reply
    assert reply.body == "", "a click is acknowledged with an empty body"
    return reply


def submit_reason(bot, deliverable_id: int, reason: str, user: str = CLIENT):
    return bot.view_submission(
        callback_id=ids.REJECT_VIEW,
        values={ids.REJECT_REASON_BLOCK: {ids.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": reason}}},
        user_id=user,
        private_metadata=json.dumps({"deliverable_id": deliverable_id}),
    )


def deliverables(db) -> list[Deliverable]:
    with db.reader() as session:
        return list(session.exec(select(Deliverable).order_by(Deliverable.id)))


def decisions(db) -> list[Decision]:
    with db.reader() as session:
        return list(session.exec(select(Decision).order_by(Decision.id)))


def audit_actions(db) -> list[tuple[str, str]]:
    with db.reader() as session:
        return [(e.action, e.actor_id) for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def has_buttons(message: dict) -> bool:
    return any(b["type"] == "actions" for b in message["blocks"])


# --- submitting ----------------------------------------------------------------------------------


def test_deliverable_posts_an_approval_message_in_the_project_channel_and_stores_where_it_is(bot, slack):
    start_project(bot, CLIENT, CLIENT2)
    reply, message = submit(bot, slack)

    assert reply["response_type"] == "ephemeral" and "Homepage design" in reply["text"]
    assert message["channel"] == CHANNEL
    shown = text_of(message)
    for expected in (
        "Homepage design",
        "v1",
        f"<@{PM}>",
        "Initiation",
        "https://figma.example/v1",
        f"<@{CLIENT}> and <@{CLIENT2}>",
    ):
        assert expected in shown, expected
    assert button(message, ids.APPROVE_ACTION)["text"]["text"] == "Approve"
    assert button(message, ids.REJECT_ACTION)["text"]["text"] == "Reject"
    assert "Homepage design" in message["text"], "a plain-text fallback for notifications"
    assert_valid_blocks(message["blocks"])

    [row] = deliverables(bot.db)
    posted = slack.calls_to("chat.postMessage")[-1]
    assert (row.channel_id, row.state, row.version) == (CHANNEL, "pending", 1)
    assert row.message_ts is not None and row.message_ts.startswith("1700000000.")
    assert button(message, ids.APPROVE_ACTION)["value"] == str(row.id), "the button carries the id only"
    assert posted.params["channel"] == row.channel_id


def test_a_project_without_approvers_says_on_the_message_that_its_owner_decides(bot, slack):
    start_project(bot)
    _, message = submit(bot, slack)
    assert f"project owner <@{PM}> decides" in text_of(message)


def test_a_failed_post_keeps_the_deliverable_and_the_same_command_posts_it_again(bot, slack):
    start_project(bot, CLIENT)
    slack.fail("chat.postMessage", error="not_in_channel")
    reply = bot.run('deliverable "Homepage design"', user=PM, channel=CHANNEL)
    assert "saved" in reply["text"] and "not_in_channel" in reply["text"] and "again" in reply["text"]
    [row] = deliverables(bot.db)
    assert row.message_ts is None and row.state == "pending"

    reply, message = submit(bot, slack, 'deliverable "Homepage design"')
    [row] = deliverables(bot.db)
    assert row.version == 1 and row.message_ts is not None, "posted again, not bumped to v2"
    assert "v1" in text_of(message) and has_buttons(message)


# --- who may decide ------------------------------------------------------------------------------


def test_a_non_approver_click_is_refused_politely_changes_nothing_and_is_audited(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)

    click(bot, slack, message, ids.APPROVE_ACTION, DEV, key="dev")
    [answer] = slack.wait_for_responses(1, key="dev")
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert f"<@{CLIENT}>" in answer["text"] and "changed nothing" in answer["text"]

    assert decisions(bot.db) == []
    assert deliverables(bot.db)[0].state == "pending"
    assert slack.calls_to("chat.update") == []
    assert ("deliverable.decision_refused", DEV) in audit_actions(bot.db)


def test_the_owner_is_refused_too_when_the_project_names_approvers(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    click(bot, slack, message, ids.APPROVE_ACTION, PM, key="pm")
    [answer] = slack.wait_for_responses(1, key="pm")
    assert "Only the project's approvers" in answer["text"]
    assert decisions(bot.db) == []


def test_a_non_approver_clicking_reject_gets_no_modal(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    click(bot, slack, message, ids.REJECT_ACTION, DEV, key="dev")
    [answer] = slack.wait_for_responses(1, key="dev")
    assert f"<@{CLIENT}>" in answer["text"]
    assert slack.calls_to("views.open") == []
    assert ("deliverable.decision_refused", DEV) in audit_actions(bot.db)


def test_a_client_approver_from_another_organisation_is_recognised_by_user_id(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    # Slack Connect: the client's own team id is in the payload; the installation's team decides.
    click(bot, slack, message, ids.APPROVE_ACTION, CLIENT, key="client", team_id="T0CLIENTORG", user_team_id="T0CLIENTORG")
    slack.wait_for("chat.update")
    [decision] = decisions(bot.db)
    assert decision.approver_id == CLIENT and decision.team_id == bot.team_id


def test_another_workspace_cannot_decide_a_deliverable_by_guessing_its_id(bot, other_bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    click(other_bot, slack, message, ids.APPROVE_ACTION, CLIENT, key="other")
    [answer] = slack.wait_for_responses(1, key="other")
    assert "can't find" in answer["text"]
    assert decisions(bot.db) == []


@pytest.mark.parametrize("value", ["²", "١", "99999999999999999999999", "0", "-1", "abc", ""])
def test_a_tampered_or_stale_button_value_is_answered_politely_and_decides_nothing(bot, slack, value):
    start_project(bot, CLIENT)
    submit(bot, slack)
    reply = bot.action(
        action_id=ids.APPROVE_ACTION, value=value, user_id=CLIENT, channel_id=CHANNEL,
        message_ts="1700000000.000001", response_url=slack.response_url("odd"), block_id=ids.APPROVAL_ACTIONS_BLOCK,
    )  # fmt: skip
    assert reply.status == 200
    [answer] = slack.wait_for_responses(1, key="odd")
    assert "out of date" in answer["text"] or "can't find" in answer["text"]
    assert decisions(bot.db) == []


# --- approving -----------------------------------------------------------------------------------


def test_approve_updates_the_message_in_place_and_tells_the_submitter_in_its_thread(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    [row] = deliverables(bot.db)

    click(bot, slack, message, ids.APPROVE_ACTION, CLIENT, key="client", message_ts="9999.forged")
    [updated] = slack.wait_for("chat.update")
    assert (updated.params["channel"], updated.params["ts"]) == (row.channel_id, row.message_ts), "where the DB says"
    assert not has_buttons(updated.params)
    shown = text_of(updated.params)
    assert f"*Approved* by <@{CLIENT}> <!date^" in shown and "Homepage design" in shown
    assert "approved" in updated.params["text"]
    assert_valid_blocks(updated.params["blocks"])

    notice = slack.wait_for("chat.postMessage", 2)[-1].params
    assert notice["thread_ts"] == row.message_ts and f"<@{PM}>" in notice["text"] and "approved" in notice["text"]

    [decision] = decisions(bot.db)
    assert (decision.approver_id, decision.verdict, decision.reason) == (CLIENT, "approved", None)
    assert deliverables(bot.db)[0].state == "approved"
    assert ("deliverable.approved", CLIENT) in audit_actions(bot.db)
    assert slack.responses("client") == [], "the winner needs no extra ephemeral"


def test_the_owner_decides_when_the_project_has_no_approvers(bot, slack):
    start_project(bot)
    _, message = submit(bot, slack)
    click(bot, slack, message, ids.APPROVE_ACTION, PM, key="pm")
    slack.wait_for("chat.update")
    assert [(d.approver_id, d.verdict) for d in decisions(bot.db)] == [(PM, "approved")]


# --- rejecting -----------------------------------------------------------------------------------


def test_reject_asks_for_a_reason_refuses_an_empty_one_and_records_the_reason(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    [row] = deliverables(bot.db)

    click(bot, slack, message, ids.REJECT_ACTION, CLIENT, key="client")
    [opened] = slack.wait_for("views.open")
    modal = opened.params["view"]
    assert opened.params["trigger_id"] and modal["callback_id"] == ids.REJECT_VIEW
    assert json.loads(modal["private_metadata"]) == {"deliverable_id": row.id}
    assert_valid_view(modal)

    empty = submit_reason(bot, row.id, "   \n ")
    assert empty.status == 200
    assert empty.json()["response_action"] == "errors" and ids.REJECT_REASON_BLOCK in empty.json()["errors"]
    assert decisions(bot.db) == []

    done = submit_reason(bot, row.id, "Logo too small <!channel> & on mobile")
    assert done.status == 200 and done.json() is None, "the modal closes"
    [updated] = slack.wait_for("chat.update")
    shown = text_of(updated.params)
    assert f"*Rejected* by <@{CLIENT}>" in shown and not has_buttons(updated.params)
    assert "Logo too small &lt;!channel&gt; &amp; on mobile" in shown, "the reason is shown as text"
    notice = slack.wait_for("chat.postMessage", 2)[-1].params
    assert notice["thread_ts"] == row.message_ts and f"<@{PM}>" in notice["text"] and "Logo too small" in notice["text"]

    [decision] = decisions(bot.db)
    assert (decision.verdict, decision.reason, decision.approver_id) == (
        "rejected",
        "Logo too small <!channel> & on mobile",
        CLIENT,
    )
    assert ("deliverable.rejected", CLIENT) in audit_actions(bot.db)


def test_a_rejection_submitted_by_someone_who_lost_the_right_is_refused(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    [row] = deliverables(bot.db)
    submit_reason(bot, row.id, "Not good", user=DEV)  # a modal can't be opened by DEV, but a payload can be sent
    [whisper] = slack.wait_for("chat.postEphemeral")
    assert whisper.params["user"] == DEV and f"<@{CLIENT}>" in whisper.params["text"]
    assert decisions(bot.db) == []


def test_resubmitting_a_rejected_deliverable_makes_v2_and_v1_says_it_was_superseded(bot, slack):
    start_project(bot, CLIENT)
    _, v1_message = submit(bot, slack)
    [v1] = deliverables(bot.db)
    submit_reason(bot, v1.id, "Wrong colours")
    slack.wait_for("chat.update")

    reply, v2_message = submit(bot, slack, 'deliverable "homepage DESIGN" https://figma.example/v2')
    assert "v2" in reply["text"]
    first, second = deliverables(bot.db)
    assert (second.version, second.previous_id, second.state) == (2, first.id, "pending")
    assert first.state == "superseded"
    assert "v2" in text_of(v2_message) and "Replaces v1, rejected by" in text_of(v2_message) and has_buttons(v2_message)

    v1_update = slack.wait_for("chat.update", 2)[-1].params
    assert v1_update["ts"] == first.message_ts
    assert "Superseded by v2" in text_of(v1_update) and "Wrong colours" in text_of(v1_update)
    assert not has_buttons(v1_update)
    assert len(decisions(bot.db)) == 1, "the decision on v1 is kept"


def test_an_approved_deliverable_cannot_be_resubmitted(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    click(bot, slack, message, ids.APPROVE_ACTION, CLIENT, key="client")
    slack.wait_for("chat.update")
    reply = bot.run('deliverable "Homepage design"', user=PM, channel=CHANNEL)
    assert "already approved" in reply["text"]
    assert len(deliverables(bot.db)) == 1


# --- exactly one decision ------------------------------------------------------------------------


def test_a_double_click_makes_one_decision_and_the_second_click_is_told(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    click(bot, slack, message, ids.APPROVE_ACTION, CLIENT, key="first")
    slack.wait_for("chat.update")
    click(bot, slack, message, ids.REJECT_ACTION, CLIENT, key="second")  # changed their mind: too late
    [answer] = slack.wait_for_responses(1, key="second")
    assert "You already approved" in answer["text"]
    assert [d.verdict for d in decisions(bot.db)] == ["approved"]
    assert slack.calls_to("views.open") == []
    bot.settle()
    [final] = slack.calls_to("chat.update")  # the late click doesn't rewrite a message that already shows it
    assert "*Approved* by" in text_of(final.params)


def test_the_same_payload_delivered_twice_makes_one_decision(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    body = block_actions_body(
        action_id=ids.APPROVE_ACTION,
        value=button(message, ids.APPROVE_ACTION)["value"],
        user_id=CLIENT,
        channel_id=CHANNEL,
        message_ts="1700000000.000001",
        response_url=slack.response_url("retry"),
        team_id=bot.team_id,
    )

    def deliver(signed: dict[str, str], retry: str | None) -> None:
        headers = {**signed, "Content-Type": "application/x-www-form-urlencoded"}
        if retry:
            headers |= {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
        request = urllib.request.Request(bot.sender.url, data=body.encode(), headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    now = int(time.time())
    first = sign(SECRET, body, timestamp=now)
    deliver(first, None)
    slack.wait_for("chat.update")
    deliver(first, "1")  # the very same signed request again (a replay): not run at all
    bot.settle()
    assert slack.responses("retry") == [] and len(decisions(bot.db)) == 1
    deliver(sign(SECRET, body, timestamp=now + 1), "2")  # signed anew: run, and told the decision stands
    [answer] = slack.wait_for_responses(1, key="retry")
    assert "You already approved" in answer["text"]
    assert len(decisions(bot.db)) == 1 and len(slack.calls_to("chat.update")) == 1
    assert [a for a in audit_actions(bot.db) if a[0] == "deliverable.approved"] == [("deliverable.approved", CLIENT)]


def test_two_approvers_clicking_at_the_same_moment_make_exactly_one_decision(bot, slack):
    start_project(bot, CLIENT, CLIENT2)
    _, message = submit(bot, slack)
    clickers = [CLIENT, CLIENT2] * 4
    start = threading.Barrier(len(clickers))
    errors: list[BaseException] = []

    def press(index: int, user: str) -> None:
        try:
            start.wait(timeout=10)
            click(bot, slack, message, ids.APPROVE_ACTION, user, key=f"c{index}")
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=press, args=(i, u)) for i, u in enumerate(clickers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors

    # The winning click updates the message once; losers are told who decided first.
    slack.wait_for("chat.update", 1, timeout=15)
    [decision] = decisions(bot.db)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and sum(bool(slack.responses(f"c{i}")) for i in range(len(clickers))) < 7:
        time.sleep(0.05)  # every loser hears back; the winner's key stays empty
    updates = slack.calls_to("chat.update")
    assert len(updates) == 1, "losing clicks don't each rewrite the message"
    told = {i for i in range(len(clickers)) if slack.responses(f"c{i}")}
    assert len(told) == len(clickers) - 1, "everyone but the winner is told who decided first"
    for i in told:
        [answer] = slack.responses(f"c{i}")
        who = "You" if clickers[i] == decision.approver_id else f"<@{decision.approver_id}>"
        assert f"{who} already approved" in answer["text"]
    assert all(f"*Approved* by <@{decision.approver_id}>" in text_of(u.params) for u in updates)
    assert not has_buttons(updates[-1].params)
    assert [a for a in audit_actions(bot.db) if a[0] == "deliverable.approved"] == [
        ("deliverable.approved", decision.approver_id)
    ]


def test_a_click_on_a_message_posted_before_a_restart_still_works(db, slack):
    first, server = start_bot(db, slack)
    try:
        start_project(first, CLIENT)
        _, message = submit(first, slack)
    finally:
        stop_server(server)
    second, server = start_bot(db, slack)
    try:
        click(second, slack, message, ids.APPROVE_ACTION, CLIENT, key="after")
        [updated] = slack.wait_for("chat.update")
        assert f"*Approved* by <@{CLIENT}>" in text_of(updated.params)
        assert [d.approver_id for d in decisions(db)] == [CLIENT]
    finally:
        stop_server(server)


# --- the stage gate ------------------------------------------------------------------------------


def test_stage_next_waits_for_pending_and_rejected_deliverables_and_lists_them(bot, slack):
    start_project(bot, CLIENT)
    _, brief = submit(bot, slack, 'deliverable "Project brief"')
    _, plan = submit(bot, slack, 'deliverable "Plan"')
    [brief_row, _] = deliverables(bot.db)
    submit_reason(bot, brief_row.id, "Missing budget")
    slack.wait_for("chat.update")

    refused = bot.run("stage next", user=PM, channel=CHANNEL)
    assert "Project brief v1: rejected" in refused["text"] and "Plan v1: pending" in refused["text"]
    assert "--force" in refused["text"]
    with bot.db.reader() as session:
        assert session.exec(select(Project)).one().stage == "initiation"


def test_stage_next_passes_once_every_deliverable_of_the_stage_is_approved(bot, slack):
    start_project(bot, CLIENT)
    _, v1 = submit(bot, slack)
    [row] = deliverables(bot.db)
    submit_reason(bot, row.id, "Too dark")
    slack.wait_for("chat.update")
    _, v2 = submit(bot, slack)
    click(bot, slack, v2, ids.APPROVE_ACTION, CLIENT, key="ok")
    slack.wait_for("chat.update", 3)
    moved = bot.run("stage next", user=PM, channel=CHANNEL)
    assert "to *Planning*" in moved["text"], moved
    assert ("stage.changed", PM) in audit_actions(bot.db)


def test_the_owner_can_force_the_gate_and_the_override_is_audited(bot, slack):
    start_project(bot, CLIENT)
    submit(bot, slack)
    refused = bot.run("stage next --force", user=DEV, channel=CHANNEL)
    assert "Only the project owner" in refused["text"]
    moved = bot.run("stage next --force", user=PM, channel=CHANNEL)
    assert "Planning" in moved["text"] and "overriding the sign-off of 1 waiting deliverable" in moved["text"]
    with bot.db.reader() as session:
        forced = session.exec(select(AuditEvent).where(AuditEvent.action == "stage.forced")).one()
    assert forced.actor_id == PM and json.loads(forced.detail)["overridden"] == [deliverables(bot.db)[0].id]


# --- status and list -----------------------------------------------------------------------------


def test_status_and_list_show_pending_approvals_and_how_long_they_waited(bot, slack):
    start_project(bot, CLIENT)
    submit(bot, slack)
    with bot.db.transaction() as session:
        session.execute(update(Deliverable).values(submitted_at=utcnow() - timedelta(days=3, hours=2)))
    now = utcnow()  # not frozen: count the weekdays since then by hand, as a person would
    since = (now - timedelta(days=3, hours=2)).date()
    weekdays = sum(1 for n in range(1, (now.date() - since).days + 1) if (since + timedelta(days=n)).weekday() < 5)
    days = f"{max(weekdays, 1)} working day{'s' if max(weekdays, 1) != 1 else ''}"
    card = text_of(bot.run("status", user=PM, channel=CHANNEL))
    assert "Waiting for a decision (1)" in card and f"Homepage design v1: waiting on <@{CLIENT}>, {days}" in card
    listed = text_of(bot.run("list", user=PM, channel=CHANNEL))
    assert f"1 awaiting sign-off, oldest {days}" in listed


# --- the whole story -----------------------------------------------------------------------------


def test_the_sign_off_story_as_a_new_team_lives_it(bot, slack):
    """PM submits; a teammate is refused; the client rejects; v2; the client approves; next stage."""
    start_project(bot, CLIENT)
    _, v1 = submit(bot, slack)
    click(bot, slack, v1, ids.APPROVE_ACTION, DEV, key="dev")
    assert "changed nothing" in slack.wait_for_responses(1, key="dev")[0]["text"]
    click(bot, slack, v1, ids.REJECT_ACTION, CLIENT, key="client-1")
    slack.wait_for("views.open")
    submit_reason(bot, int(button(v1, ids.REJECT_ACTION)["value"]), "Hero image is off-brand")
    slack.wait_for("chat.update")
    _, v2 = submit(bot, slack, 'deliverable "Homepage design" https://figma.example/v2')
    click(bot, slack, v2, ids.APPROVE_ACTION, CLIENT, key="client-2")
    slack.wait_for("chat.update", 3)
    moved = bot.run("stage next", user=PM, channel=CHANNEL)
    assert "to *Planning*" in moved["text"]

    # The channel tells the true story: each message's latest version.
    latest: dict[str, dict] = {}
    for call in slack.calls:
        if call.method == "chat.update":
            latest[call.params["ts"]] = call.params
    first, second = deliverables(bot.db)
    assert "Rejected" in text_of(latest[first.message_ts]) and "Superseded by v2" in text_of(latest[first.message_ts])
    assert "Approved" in text_of(latest[second.message_ts])
    assert audit_actions(bot.db)[2:] == [
        ("deliverable.submitted", PM),
        ("deliverable.decision_refused", DEV),
        ("deliverable.rejected", CLIENT),
        ("deliverable.submitted", PM),
        ("deliverable.approved", CLIENT),
        ("stage.changed", PM),
    ]
    with bot.db.reader() as session:
        assert session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.at.is_(None))).one() == 0


def test_changing_approvers_or_owner_rewrites_waiting_approval_messages(bot, slack):
    start_project(bot)
    _, message = submit(bot, slack)
    assert "project owner" in text_of(message)
    [row] = deliverables(bot.db)
    bot.run(f"approver add <@{CLIENT}|client>", user=PM, channel=CHANNEL)
    [updated] = slack.wait_for("chat.update")
    assert (updated.params["channel"], updated.params["ts"]) == (row.channel_id, row.message_ts)
    assert f"<@{CLIENT}>" in text_of(updated.params) and "project owner" not in text_of(updated.params)
    assert button(updated.params, ids.APPROVE_ACTION)  # still waiting, still clickable


def test_a_slack_hiccup_on_the_update_after_a_decision_is_retried(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    slack.fail("chat.update", status=429, headers={"Retry-After": "1"}, error="ratelimited")
    click(bot, slack, message, ids.APPROVE_ACTION, CLIENT, key="hiccup")
    updates = slack.wait_for("chat.update", 2, timeout=10)
    assert updates[0].failed and not updates[1].failed
    assert f"*Approved* by <@{CLIENT}>" in text_of(updates[1].params)


def test_a_forged_or_replayed_click_is_refused_with_401_and_decides_nothing(bot, slack):
    start_project(bot, CLIENT)
    _, message = submit(bot, slack)
    body = block_actions_body(
        action_id=ids.APPROVE_ACTION, value=button(message, ids.APPROVE_ACTION)["value"], user_id=CLIENT,
        channel_id=CHANNEL, message_ts="1700000000.000001", response_url=slack.response_url("forged"),
    )  # fmt: skip
    assert bot.sender.post(body, signature="v0=" + "f" * 64).status == 401
    assert bot.sender.post(body, timestamp=int(time.time()) - 6 * 60).status == 401
    reason = view_submission_body(
        callback_id=ids.REJECT_VIEW, user_id=CLIENT, private_metadata=json.dumps({"deliverable_id": deliverables(bot.db)[0].id}),
        values={ids.REJECT_REASON_BLOCK: {ids.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": "forged"}}},
    )  # fmt: skip
    assert bot.sender.post(reason, signature="v0=" + "0" * 64).status == 401
    bot.settle()
    assert decisions(bot.db) == [] and slack.calls_to("chat.update") == []
