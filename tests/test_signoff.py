"""After a close: one completion sign-off message for the approvers (clients included), each
confirming once with a 1–5 rating and a comment the owner hears about, and the owner's
team-only debrief. Posted once however the hooks race; repaired by the scheduler when Slack fails."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.messages import ids
from bot.messages import signoff as signoff_messages
from bot.slack.app import web_client
from bot.slack.scheduler import ReminderScheduler
from bot.slack.signoff import after_close
from storage.models import AuditEvent, Closing, Project, Signoff
from tests.support.blocks import assert_valid_blocks, assert_valid_view, text_of
from tests.support.waiting import eventually

OWNER, BOB, CLIENT, CLIENT2 = "U0OWNER", "U0BOB", "U0CLIENT", "U0CLIENTB"
CHANNEL, CLIENT_TEAM = "C0ACME", "T_CLIENTCO"


@pytest.fixture
def frozen():
    with freeze_time("2026-11-26 10:00:00", tick=True) as clock:
        yield clock


def run(bot, text, user=OWNER):
    return bot.run(text, user=user, channel=CHANNEL)


def blocks_of(params: dict) -> list[dict]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def view_of(call) -> dict:
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else view


def has_action(params: dict, action_id: str) -> bool:
    return any(e.get("action_id") == action_id for b in blocks_of(params) if b["type"] == "actions" for e in b["elements"])


def signoff_posts(slack) -> list:
    """Sign-off messages Slack accepted in the project channel."""
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if not c.failed and c.params.get("channel") == CHANNEL and "is complete" in text_of(c.params)
    ]


def debrief_dms(slack) -> list:
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if not c.failed and c.params.get("channel") == OWNER and has_action(c.params, ids.DEBRIEF_ACTION)
    ]


def closings(bot) -> list[Closing]:
    with bot.db.reader() as session:
        return list(session.exec(select(Closing).order_by(Closing.id)))


def signoffs(bot) -> list[Signoff]:
    with bot.db.reader() as session:
        return list(session.exec(select(Signoff).order_by(Signoff.id)))


def audits(bot, action: str) -> int:
    with bot.db.reader() as session:
        return len(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def close_project(bot, slack, *approvers: str, wait: bool = True) -> None:
    run(bot, 'new "Acme website" client:Acme')
    if approvers:
        run(bot, "approver add " + " ".join(f"<@{a}>" for a in approvers))
    assert "closed" in text_of(run(bot, "close"))
    if wait:
        assert eventually(lambda: signoff_posts(slack) and debrief_dms(slack)), [c.method for c in slack.calls]


def click(bot, slack, action_id: str, closing_id: int, user: str, key: str, *, team: str | None = None, where=None):
    channel, ts = where or (CHANNEL, "1700000000.000001")
    return bot.action(
        action_id=action_id, value=str(closing_id), user_id=user, user_team_id=team, channel_id=channel,
        message_ts=ts, response_url=slack.response_url(key),
    )  # fmt: skip


def answer_to(slack, key: str) -> str:
    return text_of(slack.wait_for_responses(1, key=key)[0])


def confirm_form(closing_id: int, rating: int | None, comment: str = "") -> dict:
    values: dict = {ids.SIGNOFF_COMMENT_BLOCK: {ids.SIGNOFF_COMMENT_INPUT: {"type": "plain_text_input", "value": comment}}}
    picked = {"value": str(rating), "text": {"type": "plain_text", "text": str(rating)}} if rating else None
    values[ids.SIGNOFF_RATING_BLOCK] = {ids.SIGNOFF_RATING_INPUT: {"type": "radio_buttons", "selected_option": picked}}
    return {"callback_id": ids.SIGNOFF_VIEW, "values": values, "private_metadata": json.dumps({"closing_id": closing_id})}


def submit_confirm(bot, closing_id: int, user: str, rating: int | None, comment: str = "", team: str | None = None):
    return bot.view_submission(user_id=user, user_team_id=team, **confirm_form(closing_id, rating, comment))


def debrief_form(closing_id: int, well: str, improve: str = "", lessons: str = "", dm: tuple[str, str] | None = None) -> dict:
    def field(block: str, action: str, value: str) -> dict:
        return {block: {action: {"type": "plain_text_input", "value": value or None}}}

    values = {
        **field(ids.DEBRIEF_WELL_BLOCK, ids.DEBRIEF_WELL_INPUT, well),
        **field(ids.DEBRIEF_IMPROVE_BLOCK, ids.DEBRIEF_IMPROVE_INPUT, improve),
        **field(ids.DEBRIEF_LESSONS_BLOCK, ids.DEBRIEF_LESSONS_INPUT, lessons),
    }
    metadata: dict = {"closing_id": closing_id, **({"dm": list(dm)} if dm else {})}
    return {"callback_id": ids.DEBRIEF_VIEW, "values": values, "private_metadata": json.dumps(metadata)}


# --- the sign-off message: exactly one per closing ------------------------------------------------


def test_close_posts_one_signoff_naming_the_approvers_and_dms_the_owner_a_debrief(bot, slack, frozen):
    close_project(bot, slack, CLIENT)
    bot.settle()  # anything posted twice has arrived by now
    [post] = signoff_posts(slack)
    said = text_of(post.params)
    assert f"<@{CLIENT}>" in said and "please confirm" in said and has_action(post.params, ids.SIGNOFF_CONFIRM_ACTION)
    assert f"<@{CLIENT}>" in post.params["text"]  # the notification mentions them too
    assert_valid_blocks(blocks_of(post.params))
    [closing] = closings(bot)
    assert closing.channel_id == CHANNEL and closing.message_ts and closing.post_claimed_at is not None
    [dm] = debrief_dms(slack)
    assert "debrief" in text_of(dm.params) and "never sees it" in text_of(dm.params)
    assert_valid_blocks(blocks_of(dm.params))
    in_channel = [text_of(c.params) for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == CHANNEL]
    assert not [t for t in in_channel if "debrief" in t.lower()]  # team-only: never in the (client) channel


def test_without_approvers_the_signoff_says_the_owner_confirms_and_the_owner_can(bot, slack, frozen):
    close_project(bot, slack)
    [post] = signoff_posts(slack)
    assert "No client approvers are named" in text_of(post.params) and f"<@{OWNER}>" in text_of(post.params)
    closing_id = closings(bot)[0].id
    assert submit_confirm(bot, closing_id, OWNER, 5).status == 200
    assert eventually(lambda: signoffs(bot))
    assert signoffs(bot)[0].approver_id == OWNER
    assert eventually(lambda: slack.calls_to("chat.postEphemeral"))  # thanked (and not told about it by DM)


def test_a_failed_signoff_post_is_posted_once_by_a_later_scheduler_pass(bot, slack, frozen):
    run(bot, 'new "Acme website"')
    run(bot, f"approver add <@{CLIENT}>")
    slack.fail("chat.postMessage", error="internal_error")  # the sign-off is the next post
    run(bot, "close")
    assert eventually(lambda: [c for c in slack.calls_to("chat.postMessage") if c.failed])
    assert eventually(lambda: closings(bot) and closings(bot)[0].post_claimed_at is None)  # the claim was released
    assert signoff_posts(slack) == [] and closings(bot)[0].message_ts is None
    scheduler = ReminderScheduler(bot.services)
    scheduler.run_pass()
    assert signoff_posts(slack) == []  # a fresh close is left to the command a moment longer
    frozen.tick(timedelta(minutes=1))
    scheduler.run_pass()
    scheduler.run_pass()
    assert len(signoff_posts(slack)) == 1 and len(debrief_dms(slack)) == 1
    assert closings(bot)[0].message_ts is not None and closings(bot)[0].channel_id == CHANNEL


def test_a_scheduler_repairs_only_its_own_workspaces_signoffs(bot, other_bot, slack, frozen):
    """Two workspaces in one database: each scheduler posts with its own token, so only its own."""
    other_bot.run('new "Other co"', user=OWNER, channel="C0OTHER")
    slack.fail("chat.postMessage", error="internal_error")  # the other workspace's sign-off fails
    other_bot.run("close", user=OWNER, channel="C0OTHER")
    assert eventually(lambda: closings(bot) and closings(bot)[0].post_claimed_at is None)
    frozen.tick(timedelta(minutes=1))
    ReminderScheduler(bot.services).run_pass()  # the home workspace's scheduler
    assert [c for c in slack.calls_to("chat.postMessage") if not c.failed and c.params.get("channel") == "C0OTHER"] == []
    assert closings(bot)[0].message_ts is None  # still owed, to its own workspace's scheduler


def test_concurrent_closes_close_once(bot, slack, frozen):
    run(bot, 'new "Acme website"')
    run(bot, f"approver add <@{CLIENT}>")
    barrier = threading.Barrier(6)

    def close(n: int) -> None:
        barrier.wait()
        bot.command("close", user=OWNER, channel=CHANNEL, key=f"close{n}")

    threads = [threading.Thread(target=close, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert eventually(lambda: len(signoff_posts(slack)) == 1)
    assert eventually(lambda: sum(len(slack.responses(f"close{n}")) for n in range(6)) == 6)
    assert len(closings(bot)) == 1 and audits(bot, "project.closed") == 1
    closed = [r for n in range(6) for r in slack.responses(f"close{n}") if "closed *Acme website*" in text_of(r)]
    assert len(closed) == 1


def test_a_close_run_by_name_in_another_channel_is_told_only_to_the_asker(bot, slack, frozen):
    run(bot, 'new "Acme website"')
    bot.run('new "Beta shop"', user=OWNER, channel="C0BETA")
    reply = bot.run('close "Acme website"', user=OWNER, channel="C0BETA")
    assert "closed" in text_of(reply) and reply.get("response_type") == "ephemeral"


def test_after_hooks_racing_in_two_processes_post_one_signoff(bot, slack, frozen):
    run(bot, 'new "Acme website"')
    run(bot, f"approver add <@{CLIENT}>")
    slack.fail("chat.postMessage", error="internal_error")  # the command's own post fails: the rest race for it
    run(bot, "close")
    assert eventually(lambda: [c for c in slack.calls_to("chat.postMessage") if c.failed])
    assert eventually(lambda: closings(bot) and closings(bot)[0].post_claimed_at is None)
    slack.delay("chat.postMessage", 0.3)  # a slow Slack widens the window a second post would need
    with bot.db.reader() as session:
        project_id = session.exec(select(Project.id)).one()
    barrier = threading.Barrier(8)

    def hook() -> None:
        barrier.wait()
        after_close(bot.services, web_client(bot.services.settings), team_id=bot.team_id, project_id=project_id)

    threads = [threading.Thread(target=hook) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(signoff_posts(slack)) == 1 and len(debrief_dms(slack)) == 1
    assert closings(bot)[0].message_ts is not None


# --- confirming -----------------------------------------------------------------------------------


def test_someone_not_an_approver_is_refused_kindly_and_nothing_changes(bot, slack, frozen):
    close_project(bot, slack, CLIENT)
    closing_id = closings(bot)[0].id
    click(bot, slack, ids.SIGNOFF_CONFIRM_ACTION, closing_id, BOB, "bob")
    said = answer_to(slack, "bob")
    assert "Only the project's approvers" in said and f"<@{CLIENT}>" in said and "changed nothing" in said
    assert slack.calls_to("views.open") == [] and signoffs(bot) == []
    assert audits(bot, "project.signoff_refused") == 1
    assert submit_confirm(bot, closing_id, BOB, 5).status == 200  # a forged form fares no better
    assert eventually(lambda: slack.calls_to("chat.postEphemeral"))
    assert "Only the project's approvers" in text_of(slack.calls_to("chat.postEphemeral")[0].params)
    assert signoffs(bot) == []


def test_a_client_approver_confirms_the_channel_shows_who_and_only_the_owner_gets_the_rating_and_comment(bot, slack, frozen):
    slack.user_team[CLIENT] = CLIENT_TEAM
    close_project(bot, slack, CLIENT)
    closing_id = closings(bot)[0].id
    click(bot, slack, ids.SIGNOFF_CONFIRM_ACTION, closing_id, CLIENT, "open", team=CLIENT_TEAM)
    [opened] = slack.wait_for("views.open")
    view = view_of(opened)
    assert view["callback_id"] == ids.SIGNOFF_VIEW and json.loads(view["private_metadata"]) == {"closing_id": closing_id}
    assert_valid_view(view)
    comment = "Great work <!channel> & <@U0BOB> \x00thanks " + "x" * 1500
    assert submit_confirm(bot, closing_id, CLIENT, 4, comment, team=CLIENT_TEAM).status == 200
    assert eventually(lambda: signoffs(bot))
    [signoff] = signoffs(bot)
    assert signoff.rating == 4 and signoff.comment is not None
    assert signoff.comment.startswith("Great work <!channel> & <@U0BOB> thanks") and len(signoff.comment) <= 1000
    update = slack.wait_for("chat.update")[-1]
    shown = text_of(update.params)
    assert f"<@{CLIENT}>" in shown and "Confirmed" in shown
    assert "4/5" not in shown and "★" not in shown and "Great work" not in shown  # the channel never shows the rating
    assert not has_action(update.params, ids.SIGNOFF_CONFIRM_ACTION)  # the only approver has confirmed
    notice = eventually(
        lambda: [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == OWNER and "4/5" in text_of(c.params)]
    )
    told = text_of(notice[0].params)
    assert "&lt;!channel&gt; &amp; &lt;@U0BOB&gt;" in told and "<!channel>" not in told and "\x00" not in told
    thanks = eventually(lambda: slack.calls_to("chat.postEphemeral"))
    assert "Thank you" in text_of(thanks[0].params) and thanks[0].params["channel"] == CHANNEL


def test_a_second_confirmation_by_the_same_approver_is_refused_kindly_and_not_stored(bot, slack, frozen):
    close_project(bot, slack, CLIENT, CLIENT2)
    closing_id = closings(bot)[0].id
    submit_confirm(bot, closing_id, CLIENT, 5)
    assert eventually(lambda: signoffs(bot))
    click(bot, slack, ids.SIGNOFF_CONFIRM_ACTION, closing_id, CLIENT, "again")
    said = answer_to(slack, "again")
    assert "You confirmed" in said and "on <!date^" in said and "5/5" in said
    assert slack.calls_to("views.open") == []
    submit_confirm(bot, closing_id, CLIENT, 1)  # a second form, opened before the first was sent
    assert eventually(lambda: [c for c in slack.calls_to("chat.postEphemeral") if "You confirmed" in text_of(c.params)])
    assert [(s.approver_id, s.rating) for s in signoffs(bot)] == [(CLIENT, 5)]


def test_one_approvers_forms_sent_at_once_make_one_confirmation(bot, slack, frozen):
    close_project(bot, slack, CLIENT, CLIENT2)
    closing_id = closings(bot)[0].id
    barrier = threading.Barrier(6)

    def press(n: int) -> None:
        barrier.wait()
        submit_confirm(bot, closing_id, CLIENT, n % 5 + 1, f"form {n}")  # six different forms, not one replayed

    threads = [threading.Thread(target=press, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert eventually(lambda: len(slack.calls_to("chat.postEphemeral")) == 6, timeout=10)
    said = [text_of(c.params) for c in slack.calls_to("chat.postEphemeral")]
    assert sum("Thank you! You confirmed" in t for t in said) == 1 and sum("You confirmed" in t for t in said) == 6, said
    assert len(signoffs(bot)) == 1 and audits(bot, "project.signoff_confirmed") == 1


def test_a_rating_is_required_by_the_form(bot, slack, frozen):
    close_project(bot, slack, CLIENT)
    reply = submit_confirm(bot, closings(bot)[0].id, CLIENT, None)
    assert reply.json()["response_action"] == "errors" and ids.SIGNOFF_RATING_BLOCK in reply.json()["errors"]
    bot.settle()
    assert signoffs(bot) == []


def test_approvers_confirming_at_once_are_all_kept_and_the_message_ends_up_showing_all(bot, slack, frozen, monkeypatch):
    first, *others = approvers = [CLIENT, CLIENT2, "U0CLIENTC"]
    close_project(bot, slack, *approvers)
    closing_id = closings(bot)[0].id
    slack.delay("chat.update", 0.1)
    build, paused, resume = signoff_messages.signoff_message, threading.Event(), threading.Event()

    def stalls_once(card):  # the first confirmer pauses between reading and sending, so its older update lands last
        if len(card.signoffs) == 1 and not paused.is_set():
            paused.set()
            resume.wait(5)
        return build(card)

    monkeypatch.setattr(signoff_messages, "signoff_message", stalls_once)
    submit_confirm(bot, closing_id, first, 3)
    assert paused.wait(5)
    barrier = threading.Barrier(len(others))

    def press(user: str, rating: int) -> None:
        barrier.wait()
        submit_confirm(bot, closing_id, user, rating)

    threads = [threading.Thread(target=press, args=(u, n + 4)) for n, u in enumerate(others)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert eventually(lambda: len(slack.calls_to("chat.postEphemeral")) == 2, timeout=10)  # the two are told, after their updates
    resume.set()
    assert eventually(lambda: len(slack.calls_to("chat.postEphemeral")) == 3, timeout=10)
    assert sorted((s.approver_id, s.rating) for s in signoffs(bot)) == sorted(zip(approvers, (3, 4, 5), strict=True))
    final = text_of(slack.calls_to("chat.update")[-1].params)
    assert all(f"<@{u}>" in final for u in approvers) and not any(f"{n}/5" in final for n in (3, 4, 5)), final
    assert "Everyone has confirmed" in final


# --- the debrief ----------------------------------------------------------------------------------


def test_the_owner_writes_the_debrief_and_edits_it_later_prefilled(bot, slack, frozen):
    close_project(bot, slack, CLIENT)
    closing_id = closings(bot)[0].id
    [dm] = debrief_dms(slack)
    where = (dm.params["channel"].replace("U", "D", 1), "1700000000.000777")
    click(bot, slack, ids.DEBRIEF_ACTION, closing_id, OWNER, "write", where=where)
    [opened] = slack.wait_for("views.open")
    view = view_of(opened)
    assert view["callback_id"] == ids.DEBRIEF_VIEW
    assert_valid_view(view)
    metadata = json.loads(view["private_metadata"])
    assert metadata == {"closing_id": closing_id, "dm": list(where)}
    reply = bot.view_submission(user_id=OWNER, **debrief_form(closing_id, "Kept <@U0BOB> & the client close", dm=where))
    assert reply.status == 200 and not reply.body.strip()
    assert eventually(lambda: closings(bot)[0].debrief_at is not None)
    closing = closings(bot)[0]
    assert closing.debrief_went_well == "Kept <@U0BOB> & the client close" and closing.debrief_by == OWNER
    assert closing.debrief_improve is None and audits(bot, "project.debrief_saved") == 1
    shown = slack.wait_for("chat.update")[-1]
    assert shown.params["channel"] == where[0] and shown.params["ts"] == where[1]
    assert "Kept &lt;@U0BOB&gt; &amp; the client close" in text_of(shown.params) and has_action(shown.params, ids.DEBRIEF_ACTION)

    click(bot, slack, ids.DEBRIEF_ACTION, closing_id, OWNER, "edit", where=where)
    edit = view_of(slack.wait_for("views.open", 2)[-1])
    prefilled = [b["element"].get("initial_value") for b in edit["blocks"] if b["type"] == "input"]
    assert prefilled[0] == "Kept <@U0BOB> & the client close"
    bot.view_submission(user_id=OWNER, **debrief_form(closing_id, "Kept close", "Estimate QA", "Book QA early", dm=where))
    assert eventually(lambda: closings(bot)[0].debrief_lessons == "Book QA early")
    assert closings(bot)[0].debrief_improve == "Estimate QA" and audits(bot, "project.debrief_edited") == 1
    assert "Book QA early" in text_of(slack.wait_for("chat.update", 2)[-1].params)


def test_when_slack_lost_the_debrief_dm_the_owners_closed_card_still_offers_it(bot, slack, frozen):
    run(bot, 'new "Acme website"')
    run(bot, f"approver add <@{CLIENT}>")
    slack.fail("chat.postMessage", error="internal_error", times=10)  # sign-off and debrief DM both refused
    run(bot, "close")
    assert eventually(lambda: closings(bot) and closings(bot)[0].post_claimed_at is None)
    assert debrief_dms(slack) == []
    card = run(bot, "status")
    assert has_action(card, ids.DEBRIEF_ACTION) and "Write debrief" in json.dumps(card)
    assert not has_action(run(bot, "status", user=BOB), ids.DEBRIEF_ACTION)  # the owner's alone
    click(bot, slack, ids.DEBRIEF_ACTION, closings(bot)[0].id, OWNER, "card")
    assert view_of(slack.wait_for("views.open")[-1])["callback_id"] == ids.DEBRIEF_VIEW


def test_only_the_owner_may_write_the_debrief(bot, slack, frozen):
    close_project(bot, slack, CLIENT)
    closing_id = closings(bot)[0].id
    click(bot, slack, ids.DEBRIEF_ACTION, closing_id, BOB, "bob")
    assert "Only the project owner" in answer_to(slack, "bob") and slack.calls_to("views.open") == []
    assert bot.view_submission(user_id=BOB, **debrief_form(closing_id, "Sneaky")).status == 200
    told = eventually(lambda: [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == BOB])
    assert "Only the project owner" in text_of(told[0].params)
    closing = closings(bot)[0]
    assert closing.debrief_went_well is None and closing.debrief_at is None and audits(bot, "project.debrief_saved") == 0


def test_an_empty_debrief_is_answered_in_the_form(bot, slack, frozen):
    close_project(bot, slack, CLIENT)
    reply = bot.view_submission(user_id=OWNER, **debrief_form(closings(bot)[0].id, "  ", "\x00", ""))
    body = reply.json()
    assert body["response_action"] == "errors" and "at least one" in body["errors"][ids.DEBRIEF_WELL_BLOCK]
    bot.settle()
    assert closings(bot)[0].debrief_at is None


# --- reopening ------------------------------------------------------------------------------------


def test_reopening_takes_the_button_off_the_last_signoff_message(bot, slack, frozen):
    close_project(bot, slack, CLIENT)
    first = closings(bot)[0]
    assert "reopened" in text_of(run(bot, "reopen"))
    rewritten = eventually(
        lambda: [
            c for c in slack.calls_to("chat.update") if c.params.get("ts") == first.message_ts and "reopened" in text_of(c.params)
        ]
    )
    assert rewritten and not has_action(rewritten[-1].params, ids.SIGNOFF_CONFIRM_ACTION)


def test_reopen_and_close_again_makes_a_second_closing_with_its_own_signoff(bot, slack, frozen):
    close_project(bot, slack, CLIENT)
    first = closings(bot)[0]
    submit_confirm(bot, first.id, CLIENT, 2)
    assert eventually(lambda: signoffs(bot))
    assert "reopened" in text_of(run(bot, "reopen"))
    frozen.tick(timedelta(seconds=5))
    assert "closed" in text_of(run(bot, "close"))
    assert eventually(lambda: len(signoff_posts(slack)) == 2 and len(debrief_dms(slack)) == 2)
    old, new = closings(bot)
    assert (old.id, old.message_ts) == (first.id, first.message_ts) and new.message_ts not in (None, old.message_ts)
    assert [s.closing_id for s in signoffs(bot)] == [old.id]  # the first closing's confirmation is kept
    second = signoff_posts(slack)[-1]
    assert "Confirmed" not in text_of(second.params) and has_action(second.params, ids.SIGNOFF_CONFIRM_ACTION)
    outdated = eventually(
        lambda: [
            c for c in slack.calls_to("chat.update") if c.params.get("ts") == old.message_ts and "reopened" in text_of(c.params)
        ]
    )
    assert outdated and not has_action(outdated[-1].params, ids.SIGNOFF_CONFIRM_ACTION)
    click(bot, slack, ids.SIGNOFF_CONFIRM_ACTION, old.id, CLIENT, "old")
    assert "was reopened" in answer_to(slack, "old")
    submit_confirm(bot, new.id, CLIENT, 5)
    assert eventually(lambda: len([c for c in slack.calls_to("chat.postEphemeral") if "Thank you" in text_of(c.params)]) == 2)
    assert [(s.closing_id, s.rating) for s in signoffs(bot)] == [(old.id, 2), (new.id, 5)]
