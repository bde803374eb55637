"""The weekly client update through the real pipeline: drafted once per project per week at the
project's local update time and DMed to its owner, client-safe, posted only by the owner's click
and exactly once, edited, skipped, scheduled per project, and never lost when Slack fails."""

from __future__ import annotations

import json
import threading
import time
from datetime import time as clock
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from slack_sdk import WebClient
from sqlmodel import select

from bot.core.update_times import Schedule, due_now
from bot.messages import ids
from bot.settings import Settings, SettingsError
from bot.slack.scheduler import ReminderScheduler
from bot.slack.updates import draft_weekly_updates
from storage.db import Database
from storage.models import AuditEvent, ClientUpdate, Project, utcnow
from tests.support.blocks import assert_valid_blocks, assert_valid_view, text_of
from tests.support.harness import HOME_TEAM, HOME_TOKEN
from tests.support.reminders import FRI, MON, NEXT_MON, SAT, SUN, THU, WED, at, make_services

OWNER, BOB, ACME = "U0OWNER", "U0BOB", "U0ACME"
CHANNEL = "C0ACME"
PARIS = "Europe/Paris"
INTERNAL = ("udget", "hour", "40h", "12h", "ealth", "behind", "at risk", "on track:")


def run(bot, text, user=OWNER):
    return bot.run(text, user=user, channel=CHANNEL)


def acme(bot, slack, *, quiet: bool = False) -> None:
    """Acme website, in Paris: a budget and hours (never for the client), a step done on Wednesday,
    the client's own step and a deliverable waiting on the client."""
    slack.user_tz[OWNER] = PARIS
    slack.user_team[ACME] = "T0ACMECORP"
    with freeze_time(at(MON - timedelta(days=7) if quiet else MON, "09:00", PARIS), tick=True):  # quiet: set up last week
        run(bot, 'new "Acme website" client:Acme due:2026-12-18 budget:40h')
        run(bot, "log 12h")
        if quiet:
            return
        run(bot, f"approver add <@{ACME}>")
        run(bot, "step add Wireframes due:2026-12-02")
        run(bot, f"step add Send the logo files <@{ACME}> due:2026-12-03")
        run(bot, "step add Homepage build due:2026-12-10")
        run(bot, 'deliverable "Homepage design"')
    with freeze_time(at(WED, "11:00", PARIS), tick=True):
        run(bot, "step done #1")
    slack.reset()
    slack.user_team[ACME] = "T0ACMECORP"


def draft_pass(bot, when, services=None) -> int:
    client = WebClient(token=HOME_TOKEN, base_url=bot.slack.api_url)
    return draft_weekly_updates(services or bot.services, client, team_id=HOME_TEAM, now=when, stop=threading.Event())


def dms(slack, user=OWNER) -> list[dict]:
    return [c.params for c in slack.calls_to("chat.postMessage") if not c.failed and c.params["channel"] == user]


def channel_posts(slack) -> list[dict]:
    return [c.params for c in slack.calls_to("chat.postMessage") if not c.failed and c.params["channel"] == CHANNEL]


def the_update(db) -> ClientUpdate:
    with db.reader() as session:
        return session.exec(select(ClientUpdate)).one()


def blocks_of(params: dict) -> list[dict]:
    blocks = params["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def has_buttons(params: dict) -> bool:
    return any(b["type"] == "actions" for b in blocks_of(params))


def click(bot, action_id: str, user: str, key: str, **kw):
    row = the_update(bot.db)
    return bot.action(
        action_id=action_id, value=str(row.id), user_id=user, channel_id=row.dm_channel_id or "D0OWNER",
        message_ts=row.dm_ts or "1.1", response_url=bot.slack.response_url(key), block_id=ids.UPDATE_ACTIONS_BLOCK, **kw,
    )  # fmt: skip


def answer(slack, key: str) -> str:
    return text_of(slack.wait_for_responses(1, key=key, timeout=10)[0])


# --- when the draft goes -------------------------------------------------------------------------


def test_the_draft_reaches_the_owner_once_at_friday_15_00_project_local_and_never_before(bot, slack):
    acme(bot, slack)
    for when in (at(THU, "15:00", PARIS), at(FRI, "03:00", PARIS), at(FRI, "14:59", PARIS)):
        assert draft_pass(bot, when) == 0, when
    assert dms(slack) == []
    assert draft_pass(bot, at(FRI, "15:00", PARIS)) == 1  # 14:00 UTC: Paris time, not the host's
    for when in (at(FRI, "15:01", PARIS), at(FRI, "17:30", PARIS), at(SAT, "10:00", PARIS)):
        assert draft_pass(bot, when) == 0
    [dm] = dms(slack)
    assert_valid_blocks(blocks_of(dm))
    shown = text_of(dm)
    assert "Done so far" in shown and "Wireframes" in shown  # the first update: everything since the project began
    assert "Next up" in shown and "Homepage build" in shown
    assert "Waiting on you" in shown and "Send the logo files" in shown and "Homepage design v1: your decision" in shown
    assert "Agreed date*: Fri 18 Dec 2026" in shown
    labels = [e["text"]["text"] for b in blocks_of(dm) if b["type"] == "actions" for e in b["elements"]]
    assert labels[0].startswith("Post to") and labels[1:] == ["Edit", "Skip this week"]
    row = the_update(bot.db)
    assert row.week == MON and row.dm_channel_id == "D0OWNER" and row.state == "drafted"
    for word in INTERNAL:
        assert word not in shown and word not in row.text, word


def test_a_busy_week_is_counted_not_cut_and_keeps_the_agreed_date(bot, slack):
    acme(bot, slack)
    with freeze_time(at(WED, "12:00", PARIS), tick=True):
        for n in range(30):
            run(bot, f"step add Step number {n} with a long and careful title, as people write them")
            run(bot, f"step done #{n + 4}")
    slack.reset()
    draft_pass(bot, at(FRI, "15:00", PARIS))
    text = the_update(bot.db).text
    assert "…and 24 more" in text and "*Agreed date*: Fri 18 Dec 2026" in text and len(text) < 3000


def test_a_draft_asked_for_early_in_the_week_is_drafted_again_at_the_update_time(bot, slack):
    acme(bot, slack)
    with freeze_time(at(WED, "12:00", PARIS), tick=True):
        run(bot, "update")
    with freeze_time(at(THU, "10:00", PARIS), tick=True):
        run(bot, "step done #3")
    assert "Homepage build" not in the_update(bot.db).text.split("*Next up*")[0]
    assert draft_pass(bot, at(FRI, "15:00", PARIS)) == 1  # the week moved on since Wednesday
    done = the_update(bot.db).text.split("*Next up*")[0]
    assert "Homepage build" in done and len(dms(slack)) == 2
    assert draft_pass(bot, at(FRI, "15:30", PARIS)) == 0


def update_of(db, week) -> ClientUpdate:
    with db.reader() as session:
        return session.exec(select(ClientUpdate).where(ClientUpdate.week == week)).one()


def press(bot, action_id: str, week, key: str):
    """The owner clicks a button on the DM of that week's draft, and Slack's DM shows the outcome."""
    row = update_of(bot.db, week)
    updates_before = len(bot.slack.calls_to("chat.update"))
    bot.action(
        action_id=action_id, value=str(row.id), user_id=OWNER, channel_id=row.dm_channel_id or "D0OWNER",
        message_ts=row.dm_ts or "1.1", response_url=bot.slack.response_url(key), block_id=ids.UPDATE_ACTIONS_BLOCK,
    )  # fmt: skip
    bot.slack.wait_for("chat.update", updates_before + 1)


def test_a_monday_update_covers_last_weeks_work_and_a_late_client_step_keeps_its_date(bot, slack):
    acme(bot, slack)  # Wireframes was done on Wednesday
    with freeze_time(at(WED, "12:00", PARIS), tick=True):
        run(bot, "update weekly mon 09:00")
    slack.reset()
    assert draft_pass(bot, at(NEXT_MON, "09:00", PARIS)) == 1
    text = the_update(bot.db).text
    assert "Nothing new" not in text
    assert "*Done so far*\n• Wireframes" in text  # last week's work reaches the client, whatever the day
    assert "• Send the logo files (late: it was due Thu 3 Dec 2026)" in text  # the client's step, late


def test_the_next_update_carries_on_from_the_last_posted_one_and_a_skipped_week_loses_nothing(bot, slack):
    acme(bot, slack)
    assert draft_pass(bot, at(FRI, "15:00", PARIS)) == 1
    press(bot, ids.UPDATE_POST_ACTION, MON, "post")
    with freeze_time(at(NEXT_MON + timedelta(days=1), "10:00", PARIS), tick=True):
        run(bot, "step done #3")
    assert draft_pass(bot, at(FRI + timedelta(days=7), "15:00", PARIS)) == 1
    second = update_of(bot.db, NEXT_MON).text
    assert "*Done since the last update (Fri 4 Dec 2026)*\n• Homepage build" in second and "Wireframes" not in second
    press(bot, ids.UPDATE_SKIP_ACTION, NEXT_MON, "skip")
    assert draft_pass(bot, at(FRI + timedelta(days=14), "15:00", PARIS)) == 1
    third = update_of(bot.db, NEXT_MON + timedelta(days=7)).text  # the skipped week's news was never sent: it still is
    assert "*Done since the last update (Fri 4 Dec 2026)*\n• Homepage build" in third and "Nothing new" not in third


def test_an_overdue_next_up_step_keeps_its_date_and_says_it_is_late_naming_no_one(bot, slack):
    acme(bot, slack)
    with freeze_time(at(WED, "12:00", PARIS), tick=True):
        run(bot, f"step assign #3 <@{BOB}>")
    assert draft_pass(bot, at(FRI + timedelta(days=7), "15:00", PARIS)) == 1  # Homepage build was due Thursday
    [line] = [x for x in the_update(bot.db).text.splitlines() if "Homepage build" in x]
    assert line == "• Homepage build (late: it was due Thu 10 Dec 2026)"
    assert BOB not in the_update(bot.db).text


def test_a_draft_asked_for_a_moment_before_the_update_time_is_not_sent_again_at_it(bot, slack):
    acme(bot, slack)
    with freeze_time(at(FRI, "14:59", PARIS), tick=True):
        assert "is in your DMs" in text_of(run(bot, "update"))
    assert draft_pass(bot, at(FRI, "15:00", PARIS)) == 0 and len(dms(slack)) == 1  # it is this moment's news already


def edited_on_wednesday(bot, slack) -> None:
    """The owner asked for the draft on Wednesday and edited it."""
    acme(bot, slack)
    with freeze_time(at(WED, "12:00", PARIS), tick=True):
        run(bot, "update")
    with bot.db.transaction() as session:
        row = session.exec(select(ClientUpdate)).one()
        row.text, row.edited_by = "My careful words", OWNER  # as the Edit form saves it


def test_an_early_draft_the_owner_edited_is_left_as_written(bot, slack):
    edited_on_wednesday(bot, slack)
    assert draft_pass(bot, at(FRI, "15:00", PARIS)) == 0
    assert the_update(bot.db).text == "My careful words"


def test_the_owner_asking_again_over_their_edit_is_told_it_was_replaced(bot, slack):
    edited_on_wednesday(bot, slack)
    with freeze_time(at(WED, "13:00", PARIS), tick=True):
        said = text_of(run(bot, "update"))
    assert "your earlier edit was replaced" in said and the_update(bot.db).text != "My careful words"


def test_a_week_with_nothing_new_says_so(bot, slack):
    acme(bot, slack, quiet=True)
    draft_pass(bot, at(FRI, "15:00", PARIS))
    shown = text_of(dms(slack)[0])
    assert "Nothing was finished or decided yet." in shown
    assert "Done so far" not in shown and "Decisions so far" not in shown
    for word in INTERNAL:
        assert word not in shown, word


def test_a_draft_missed_on_its_day_is_not_sent_at_3_am_but_at_the_next_working_hour(bot, slack):
    acme(bot, slack)
    with freeze_time(at(WED, "12:00", PARIS), tick=True):
        run(bot, "update weekly thu 17:30")
    slack.reset()
    assert draft_pass(bot, at(THU, "20:00", PARIS)) == 0  # the bot was down on Thursday evening
    assert draft_pass(bot, at(FRI, "03:00", PARIS)) == 0
    assert draft_pass(bot, at(FRI, "09:00", PARIS)) == 1


def test_a_draft_missed_on_friday_does_not_go_out_on_the_weekend(bot, slack):
    acme(bot, slack)
    assert draft_pass(bot, at(SAT, "09:00", PARIS)) == 0
    assert draft_pass(bot, at(SUN, "11:00", PARIS)) == 0
    assert dms(slack) == []


def test_a_project_made_after_this_weeks_update_time_waits_for_next_week(bot, slack):
    slack.user_tz[OWNER] = PARIS
    with freeze_time(at(FRI, "16:00", PARIS), tick=True):
        run(bot, 'new "Late starter" client:Acme due:2026-12-18')
    slack.reset()
    assert draft_pass(bot, at(FRI, "16:30", PARIS)) == 0
    assert draft_pass(bot, at(FRI + timedelta(days=7), "15:00", PARIS)) == 1


def test_the_schedule_window_follows_the_update_time_outside_working_hours():
    hours = (clock(9), clock(18))
    late = Schedule(4, clock(20, 30))
    paris = ZoneInfo(PARIS)
    assert not due_now(at(FRI, "20:29", PARIS).astimezone(paris), late, hours)
    assert due_now(at(FRI, "20:30", PARIS).astimezone(paris), late, hours)
    assert not due_now(at(FRI, "21:30", PARIS).astimezone(paris), late, hours)
    assert not due_now(at(MON, "10:00", PARIS).astimezone(paris), Schedule(4, clock(15)), hours)


def test_a_dm_slack_refuses_is_retried_by_a_later_pass_and_sent_once(bot, slack):
    acme(bot, slack)
    slack.fail("chat.postMessage", error="internal_error")
    assert draft_pass(bot, at(FRI, "15:00", PARIS)) == 0
    assert the_update(bot.db).dm_ts is None  # kept, owed
    assert draft_pass(bot, at(FRI, "15:01", PARIS)) == 0  # not hammered
    assert draft_pass(bot, at(FRI, "15:03", PARIS)) == 1
    assert draft_pass(bot, at(FRI, "15:10", PARIS)) == 0
    assert len(dms(slack)) == 1 and the_update(bot.db).dm_ts is not None


def test_two_processes_passing_at_the_same_moment_send_one_draft(db, slack, bot):
    acme(bot, slack)
    url = db.url.render_as_string(hide_password=False)
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    sent: list[int] = []

    def process() -> None:
        own = Database(url)
        try:
            start.wait(timeout=10)
            sent.append(draft_pass(bot, at(FRI, "15:00", PARIS), services=make_services(own, slack)))
        except BaseException as error:
            errors.append(error)
        finally:
            own.dispose()

    threads = [threading.Thread(target=process) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and sorted(sent) == [0, 0, 0, 1]
    assert len(dms(slack)) == 1
    with db.reader() as session:
        assert len(session.exec(select(ClientUpdate)).all()) == 1


def test_the_reminder_scheduler_runs_the_weekly_draft_step(bot, slack):
    acme(bot, slack)
    scheduler = ReminderScheduler(bot.services, WebClient(token=HOME_TOKEN, base_url=slack.api_url))
    with freeze_time(at(FRI, "15:05", PARIS)):
        scheduler.run_pass()
    drafts = [dm for dm in dms(slack) if "Weekly client update" in text_of(dm)]  # beside the day's reminders
    assert len(drafts) == 1 and the_update(bot.db).dm_ts is not None


# --- per project ---------------------------------------------------------------------------------


def test_update_weekly_with_a_day_and_time_it_cant_read_says_the_forms_and_changes_nothing(bot, slack):
    acme(bot, slack, quiet=True)
    said = text_of(run(bot, "update weekly funday 25:00"))
    assert "`funday 25:00`" in said and "update weekly fri 15:00" in said and "update weekly off" in said
    with bot.db.reader() as session:
        project = session.exec(select(Project)).one()
    assert (project.update_day, project.update_time) == (None, None)
    assert "Only the project owner" in text_of(run(bot, "update weekly wed 10:00", user=BOB))
    assert "Wednesdays at 10:00 (Europe/Paris)" in text_of(run(bot, "update weekly wednesday 10:00"))
    assert draft_pass(bot, at(WED, "09:59", PARIS)) == 0  # not Friday any more: Wednesday 10:00
    assert draft_pass(bot, at(WED, "10:00", PARIS)) == 1


def test_update_weekly_off_stops_drafting_but_update_still_drafts_on_demand(bot, slack):
    acme(bot, slack, quiet=True)
    assert "No more weekly client updates" in text_of(run(bot, "update weekly off"))
    assert draft_pass(bot, at(FRI, "15:00", PARIS)) == 0 and dms(slack) == []
    assert "in your DMs" in text_of(run(bot, "update"))
    assert len(dms(slack)) == 1


def test_a_closed_project_gets_no_weekly_draft(bot, slack):
    acme(bot, slack, quiet=True)
    with freeze_time(at(THU, "10:00", PARIS), tick=True):
        run(bot, "close --force")
    slack.reset()
    assert draft_pass(bot, at(FRI, "15:00", PARIS)) == 0 and dms(slack) == []


# --- on demand -----------------------------------------------------------------------------------


def test_a_client_running_update_is_refused_and_nothing_is_drafted(bot, slack):
    acme(bot, slack)
    said = text_of(run(bot, "update", user=ACME))
    assert "That's for the project team" in said
    assert dms(slack) == [] and dms(slack, ACME) == []
    with bot.db.reader() as session:
        assert session.exec(select(ClientUpdate)).all() == []


def test_a_teammate_asks_for_the_draft_the_owner_gets_it_and_once_posted_update_says_when_and_by_whom(bot, slack):
    acme(bot, slack)
    with freeze_time(at(FRI, "10:00", PARIS), tick=True):  # the week Wireframes was done in
        said = text_of(run(bot, "update", user=BOB))
        assert f"went to <@{OWNER}>" in said and "Wireframes" in said  # the teammate sees what the client would read
        assert len(dms(slack)) == 1 and has_buttons(dms(slack)[0])
    with freeze_time(at(FRI, "10:05", PARIS), tick=True):
        assert "is in your DMs" in text_of(run(bot, "update"))  # the owner asks later: sent again, the older DM says so
        assert len(dms(slack)) == 2
        assert "replaced by a newer one" in text_of(slack.wait_for("chat.update")[0].params)
        click(bot, ids.UPDATE_POST_ACTION, OWNER, "post")
        slack.wait_for("chat.update", 2)
        again = text_of(run(bot, "update", user=BOB))
        assert f"already posted by <@{OWNER}>" in again and "Nothing was changed" in again
        assert len(dms(slack)) == 2 and len(channel_posts(slack)) == 1


def test_ten_updates_at_once_send_the_owner_one_draft_and_tell_the_others_it_is_on_its_way(bot, slack):
    acme(bot, slack)
    askers = [OWNER] * 6 + [BOB] * 4
    start = threading.Barrier(len(askers))

    def ask(n: int, user: str) -> None:
        start.wait(timeout=10)
        assert bot.command("update", user=user, channel=CHANNEL, key=f"u{n}").status == 200

    with freeze_time(at(FRI, "10:00", PARIS), tick=True):
        threads = [threading.Thread(target=ask, args=(n, user)) for n, user in enumerate(askers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        told = [text_of(slack.wait_for_responses(1, key=f"u{n}", timeout=20)[0]) for n in range(len(askers))]
        bot.settle()
    [dm] = dms(slack)  # one draft with live buttons, not one per ask
    assert has_buttons(dm) and slack.calls_to("chat.update") == []
    sent = [t for t in told if "is in your DMs" in t or "went to" in t]
    assert len(sent) == 1, told
    assert all("already in your DMs" in t or "on its way" in t for t in told if t not in sent), told
    with bot.db.reader() as session:
        assert len(session.exec(select(ClientUpdate)).all()) == 1


def test_a_draft_slack_did_not_deliver_is_sent_when_the_owner_asks_again_at_once(bot, slack):
    acme(bot, slack)
    slack.fail("chat.postMessage", error="internal_error")
    with freeze_time(at(FRI, "10:00", PARIS), tick=True):
        assert "didn't deliver" in text_of(run(bot, "update"))
        assert "is in your DMs" in text_of(run(bot, "update"))  # not "already": nothing reached the owner
    assert len(dms(slack)) == 1 and the_update(bot.db).dm_ts is not None


# --- the owner's buttons -------------------------------------------------------------------------


def test_twenty_concurrent_post_clicks_post_exactly_once_and_the_dm_says_who_posted(bot, slack):
    acme(bot, slack)
    draft_pass(bot, at(FRI, "15:00", PARIS))
    start = threading.Barrier(20)
    errors: list[BaseException] = []

    def press(n: int) -> None:
        try:
            start.wait(timeout=10)
            assert click(bot, ids.UPDATE_POST_ACTION, OWNER, f"p{n}").status == 200
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=press, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    [update] = slack.wait_for("chat.update", timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sum(bool(slack.responses(f"p{n}")) for n in range(20)) < 19:
        time.sleep(0.05)
    [post] = channel_posts(slack)
    assert "Wireframes" in text_of(post) and f"Weekly update from <@{OWNER}>" in text_of(post)
    for word in INTERNAL:
        assert word not in text_of(post), word
    told = [text_of(slack.responses(f"p{n}")[0]) for n in range(20) if slack.responses(f"p{n}")]
    assert len(told) == 19 and all("being posted right now" in t or "already posted by you" in t for t in told)
    assert all("*Post* works again in " in t for t in told if "being posted" in t)  # in case it never shows up
    assert f"*Posted* by <@{OWNER}>" in text_of(update.params) and not has_buttons(update.params)
    row = the_update(bot.db)
    assert row.state == "posted" and row.decided_by == OWNER and row.channel_id == CHANNEL and row.message_ts


def test_a_client_or_a_teammate_clicking_post_is_refused_and_nothing_is_posted(bot, slack):
    acme(bot, slack)
    draft_pass(bot, at(FRI, "15:00", PARIS))
    click(bot, ids.UPDATE_POST_ACTION, ACME, "client", user_team_id="T0ACMECORP")
    click(bot, ids.UPDATE_SKIP_ACTION, BOB, "bob")
    assert "That's for the project team" in answer(slack, "client")
    assert f"Only the project owner, <@{OWNER}>" in answer(slack, "bob")
    assert channel_posts(slack) == [] and the_update(bot.db).state == "drafted"
    with bot.db.reader() as session:
        assert session.exec(select(AuditEvent.actor_id).where(AuditEvent.action == "client.refused")).all() == [ACME]


def test_edit_opens_the_text_and_the_saved_words_are_what_gets_posted_escaped(bot, slack):
    acme(bot, slack)
    draft_pass(bot, at(FRI, "15:00", PARIS))
    click(bot, ids.UPDATE_EDIT_ACTION, OWNER, "edit")
    [opened] = slack.wait_for("views.open")
    view = opened.params["view"]
    assert_valid_view(view)
    [field] = [b for b in view["blocks"] if b.get("block_id") == ids.UPDATE_TEXT_BLOCK]
    assert "Wireframes" in field["element"]["initial_value"]
    words = "Great week! Logo & copy <!channel> next"
    reply = bot.view_submission(
        callback_id=ids.UPDATE_EDIT_VIEW, user_id=OWNER, private_metadata=view["private_metadata"],
        values={ids.UPDATE_TEXT_BLOCK: {ids.UPDATE_TEXT_INPUT: {"type": "plain_text_input", "value": words}}},
    )  # fmt: skip
    assert reply.status == 200
    [refreshed] = slack.wait_for("chat.update")
    assert "Logo &amp; copy &lt;!channel&gt; next" in text_of(refreshed.params) and has_buttons(refreshed.params)
    assert the_update(bot.db).text == words and the_update(bot.db).edited_by == OWNER
    click(bot, ids.UPDATE_POST_ACTION, OWNER, "post")
    slack.wait_for("chat.update", 2)
    [post] = channel_posts(slack)
    assert "Great week! Logo &amp; copy &lt;!channel&gt; next" in text_of(post) and "<!channel>" not in json.dumps(post)


def test_an_empty_edit_is_refused_in_the_form(bot, slack):
    acme(bot, slack)
    draft_pass(bot, at(FRI, "15:00", PARIS))
    reply = bot.view_submission(
        callback_id=ids.UPDATE_EDIT_VIEW, user_id=OWNER, private_metadata=json.dumps({"update_id": the_update(bot.db).id}),
        values={ids.UPDATE_TEXT_BLOCK: {ids.UPDATE_TEXT_INPUT: {"type": "plain_text_input", "value": "  "}}},
    )  # fmt: skip
    assert reply.json()["response_action"] == "errors"
    assert the_update(bot.db).edited_by is None


def test_skip_this_week_sends_nothing_and_the_dm_says_skipped(bot, slack):
    acme(bot, slack)
    draft_pass(bot, at(FRI, "15:00", PARIS))
    click(bot, ids.UPDATE_SKIP_ACTION, OWNER, "skip")
    [update] = slack.wait_for("chat.update")
    assert f"*Skipped* by <@{OWNER}>" in text_of(update.params) and not has_buttons(update.params)
    click(bot, ids.UPDATE_POST_ACTION, OWNER, "late")
    assert "already skipped by you" in answer(slack, "late")
    assert channel_posts(slack) == [] and the_update(bot.db).state == "skipped"


def test_when_slack_refuses_the_post_the_owner_is_told_the_claim_is_released_and_a_later_click_posts_once(bot, slack):
    acme(bot, slack)
    draft_pass(bot, at(FRI, "15:00", PARIS))
    slack.fail("chat.postMessage", error="not_in_channel")
    click(bot, ids.UPDATE_POST_ACTION, OWNER, "first")
    said = answer(slack, "first")
    assert "Slack wouldn't post" in said and "not_in_channel" in said and "Click *Post* again" in said
    row = the_update(bot.db)
    assert row.post_claimed_at is None and row.state == "drafted" and row.message_ts is None
    click(bot, ids.UPDATE_POST_ACTION, OWNER, "second")
    slack.wait_for("chat.update")
    assert len(channel_posts(slack)) == 1 and the_update(bot.db).state == "posted"


def test_when_slack_may_have_posted_the_owner_is_told_the_truth_and_post_works_again_when_it_said(bot, slack):
    """A 5xx (after the client's own retries) may come after the message went out: the owner is
    asked to look first and told when Post works again; a click before then posts nothing and
    says the same (never "being posted right now": nothing is), and a click after it posts."""
    acme(bot, slack)
    draft_pass(bot, at(FRI, "15:00", PARIS))
    slack.fail("chat.postMessage", status=500, error="internal_error", times=3)
    with freeze_time(at(FRI, "16:00", PARIS), tick=True) as clock:
        click(bot, ids.UPDATE_POST_ACTION, OWNER, "first")
        first = answer(slack, "first")
        assert "didn't confirm" in first and "Look there first" in first and "*Post* works again in 30 seconds" in first
        assert "click *Post* again" not in first
        click(bot, ids.UPDATE_POST_ACTION, OWNER, "second")
        second = answer(slack, "second")
        assert "being posted" not in second and "didn't confirm the earlier post" in second and "<#C0ACME>" in second
        assert "*Post* works again in " in second
        assert channel_posts(slack) == [] and the_update(bot.db).state == "drafted"
        clock.move_to(utcnow() + timedelta(seconds=31))  # when the reply said
        click(bot, ids.UPDATE_POST_ACTION, OWNER, "third")
        slack.wait_for("chat.update")
    assert len(channel_posts(slack)) == 1 and the_update(bot.db).state == "posted"


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "variable"), [({"CLIENT_UPDATE_DAY": "funday"}, "CLIENT_UPDATE_DAY"),
                                               ({"CLIENT_UPDATE_TIME": "25:00"}, "CLIENT_UPDATE_TIME")])  # fmt: skip
def test_a_bad_update_day_or_time_stops_start_up_naming_the_variable(env, variable):
    with pytest.raises(SettingsError) as error:
        Settings.from_mapping({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", **env})
    assert str(error.value).startswith(variable)


def test_the_update_settings_default_to_friday_15_00_and_are_read():
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert (Settings.from_mapping(base).client_update_day, Settings.from_mapping(base).client_update_time) == (4, clock(15))
    read = Settings.from_mapping({**base, "CLIENT_UPDATE_DAY": "Thursday", "CLIENT_UPDATE_TIME": "9:30"})
    assert (read.client_update_day, read.client_update_time) == (3, clock(9, 30))
