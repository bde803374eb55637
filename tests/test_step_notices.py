"""People are told when someone else assigns, re-assigns, re-dates or completes their steps: one DM
per person per batch of changes, in their working hours, never about their own actions, once
across passes and processes. Commands over signed HTTP; the pass under freezegun."""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

from freezegun import freeze_time
from slack_sdk import WebClient
from sqlmodel import select

from bot.core.notices import changes
from bot.messages.notices import step_changes_dm
from bot.services import Services
from bot.slack.notices import deliver_notices
from bot.slack.outbox import Outbox
from bot.slack.scheduler import ReminderScheduler
from storage.db import Database
from storage.models import Project, Step
from storage.notices import ASSIGNED, DONE, REDATED, UNASSIGNED, StepNotice
from tests.support.blocks import assert_valid_blocks, text_of
from tests.support.harness import HOME_TEAM, HOME_TOKEN, Bot
from tests.support.reminders import Sleeps, at, make_services
from tests.support.slack_stub import SlackStub

TUE, SAT = date(2027, 1, 5), date(2027, 1, 9)  # a working day and a Saturday, after the steps are set
OWNER, BOB, CAROL, CLIENT = "U0ALICE", "U0BOB", "U0CAROL", "U0CLIENT"
SUMMARY = "to your steps"


def deliver(services: Services, slack: SlackStub, when: datetime) -> int:
    client = WebClient(token=HOME_TOKEN, base_url=slack.api_url)
    with freeze_time(when):
        return deliver_notices(services, Outbox(client, sleep=Sleeps()), team_id=HOME_TEAM, now=when)


def notices_to(slack: SlackStub, user: str) -> list[dict[str, Any]]:
    return [
        c.params
        for c in slack.calls_to("chat.postMessage")
        if not c.failed and c.params["channel"] == user and SUMMARY in str(c.params.get("text"))
    ]


def acme(bot: Bot) -> None:
    bot.run("new Acme", user=OWNER)


def test_someone_assigned_and_re_dated_steps_hears_of_all_of_them_in_one_dm(bot, slack):
    acme(bot)
    bot.run(f"step add Wireframes <@{BOB}> due:2027-01-15", user=OWNER)
    bot.run(f"step add Copy <@{BOB}>", user=OWNER)
    bot.run("step due #2 2027-01-20", user=OWNER)
    bot.run(f"step add Logo <@{OWNER}>", user=OWNER)  # the owner's own step: nothing to tell her

    assert deliver(bot.services, slack, at(TUE, "10:00")) == 1
    [dm] = notices_to(slack, BOB)
    said = text_of(dm)
    assert "2 changes to your steps" in said
    assert "#1 Wireframes" in said and "now yours by <@U0ALICE>, due Fri 15 Jan 2027" in said
    assert "#2 Copy" in said and "Wed 20 Jan 2027" in said and "Logo" not in said
    assert "<#C0PROJ>" in said
    assert_valid_blocks(dm["blocks"])
    assert notices_to(slack, OWNER) == []


def test_re_assigning_tells_who_lost_the_step_and_who_got_it(bot, slack):
    acme(bot)
    bot.run(f"step add Wireframes <@{BOB}>", user=OWNER)
    deliver(bot.services, slack, at(TUE, "10:00"))
    bot.run(f"step assign #1 <@{CAROL}>", user=OWNER)

    deliver(bot.services, slack, at(TUE, "11:00"))
    bob, carol = notices_to(slack, BOB), notices_to(slack, CAROL)
    assert len(bob) == 2 and "handed to <@U0CAROL> by <@U0ALICE>" in text_of(bob[1])
    assert len(carol) == 1 and "#1 Wireframes" in text_of(carol[0]) and "now yours" in text_of(carol[0])


def test_a_step_completed_by_someone_else_is_told_and_ones_own_actions_never_are(bot, slack):
    acme(bot)
    bot.run(f"step add Wireframes <@{BOB}>", user=OWNER)
    bot.run(f"step add Copy <@{BOB}>", user=OWNER)
    deliver(bot.services, slack, at(TUE, "10:00"))
    bot.run("step done #1", user=OWNER)  # the owner completes Bob's step
    bot.run("step done #2", user=BOB)  # Bob completes, re-dates and re-assigns his own: silence
    bot.run(f"step add Own <@{BOB}> due:2027-01-20", user=BOB)
    bot.run("step due #3 2027-01-22", user=BOB)

    assert deliver(bot.services, slack, at(TUE, "11:00")) == 1
    later = notices_to(slack, BOB)[1:]
    assert len(later) == 1
    said = text_of(later[0])
    assert "1 change to your steps" in said and "#1 Wireframes" in said and "marked done by <@U0ALICE>" in said
    assert "Copy" not in said and "Own" not in said


def test_notices_wait_for_the_persons_working_hours_in_their_time_zone(bot, slack):
    slack.user_tz[BOB] = "Asia/Tokyo"
    acme(bot)
    bot.run(f"step add Wireframes <@{BOB}>", user=OWNER)

    assert deliver(bot.services, slack, at(TUE, "20:00", "Asia/Tokyo")) == 0  # evening in Tokyo
    assert deliver(bot.services, slack, at(SAT, "10:00", "Asia/Tokyo")) == 0  # the weekend
    assert notices_to(slack, BOB) == []
    assert deliver(bot.services, slack, at(date(2027, 1, 11), "09:30", "Asia/Tokyo")) == 1  # Monday morning
    assert len(notices_to(slack, BOB)) == 1


def test_a_client_assignee_reads_client_safe_words(bot, slack):
    slack.user_team[CLIENT] = "T0ACMECORP"  # another organization, over Slack Connect
    acme(bot)
    bot.run(f"step add Send the logo files <@{CLIENT}> due:2027-01-15", user=OWNER)
    bot.run(f"step add Brief <@{BOB}>", user=OWNER)
    bot.run(f"step assign #2 <@{CLIENT}>", user=OWNER)
    bot.run(f"step assign #2 <@{BOB}>", user=OWNER)  # given and taken back before the DM: nothing about it

    deliver(bot.services, slack, at(TUE, "10:00"))
    [dm] = notices_to(slack, CLIENT)
    said = text_of(dm)
    assert "#1 Send the logo files" in said and "now yours, due Fri 15 Jan 2027" in said
    assert "U0ALICE" not in said and "<#" not in said and "Brief" not in said and "/project" not in said


def test_removed_steps_and_closed_projects_send_nothing(bot, slack):
    acme(bot)
    bot.run(f"step add Wireframes <@{BOB}>", user=OWNER)
    bot.run("step remove #1", user=OWNER)
    bot.run("new Beta", user=OWNER, channel="C0BETA")
    bot.run(f"step add Copy <@{CAROL}>", user=OWNER, channel="C0BETA")
    bot.run("close --force", user=OWNER, channel="C0BETA")

    assert deliver(bot.services, slack, at(TUE, "10:00")) == 0
    bot.settle()
    assert notices_to(slack, BOB) == notices_to(slack, CAROL) == []
    with bot.db.reader() as session:
        assert {n.status for n in session.exec(select(StepNotice))} == {"dropped"}


def test_two_processes_passing_at_once_send_each_batch_once(bot, slack, db: Database):
    acme(bot)
    for person in (BOB, CAROL):
        bot.run(f"step add Task <@{person}>", user=OWNER)
    slack.delay("chat.postMessage", 0.5)  # both passes are in flight together
    when = at(TUE, "10:00")
    url = db.url.render_as_string(hide_password=False)
    passes = [make_services(Database(url), slack) for _ in range(2)]  # two processes' own connections
    counts: list[int] = []

    def one(services: Services) -> None:
        counts.append(
            deliver_notices(services, Outbox(WebClient(token=HOME_TOKEN, base_url=slack.api_url)), team_id=HOME_TEAM, now=when)
        )

    threads = [threading.Thread(target=one, args=(s,)) for s in passes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for services in passes:
        services.db.dispose()
    assert sum(counts) == 2 and len(notices_to(slack, BOB)) == len(notices_to(slack, CAROL)) == 1
    assert deliver(bot.services, slack, at(TUE, "11:00")) == 0  # and a later pass sends none again
    assert len(notices_to(slack, BOB)) == 1


def test_the_scheduler_pass_delivers_notices(bot, slack):
    acme(bot)
    bot.run(f"step add Wireframes <@{BOB}>", user=OWNER)
    scheduler = ReminderScheduler(bot.services, WebClient(token=HOME_TOKEN, base_url=slack.api_url))
    with freeze_time(at(TUE, "10:00")):
        scheduler.run_pass()
        scheduler.run_pass()
    assert len(notices_to(slack, BOB)) == 1


# --- what the DM says, from the notices and the steps as they are when it is sent ---------------


def _notice(n: int, kind: str, recipient: str = BOB, actor: str = OWNER) -> StepNotice:
    return StepNotice(id=n, team_id=HOME_TEAM, project_id=1, step_id=1, recipient=recipient, kind=kind, actor=actor)


def _step(assignee: str | None, **kw: Any) -> Step:
    return Step(id=1, team_id=HOME_TEAM, project_id=1, number=3, title="Wireframes", stage="planning", assignee_id=assignee,
                created_by=OWNER, created_at=at(TUE, "09:00"), **kw)  # fmt: skip


def _project(**kw: Any) -> Project:
    return Project(id=1, team_id=HOME_TEAM, name="Acme", name_key="acme", channel_id="C0PROJ", owner_id=OWNER,
                   start_date=TUE, **kw)  # fmt: skip


def test_what_the_dm_says_follows_the_step_as_it_stands_when_sent():
    projects = {1: _project()}
    taken_back = changes(BOB, [_notice(1, ASSIGNED), _notice(2, UNASSIGNED)], {1: _step(CAROL)}, projects)
    handed_back = changes(BOB, [_notice(1, UNASSIGNED), _notice(2, ASSIGNED)], {1: _step(BOB)}, projects)
    moved_away = changes(BOB, [_notice(1, REDATED), _notice(2, UNASSIGNED, actor=CAROL)], {1: _step(CAROL)}, projects)
    done_by_owner = changes(BOB, [_notice(1, DONE)], {1: _step(BOB, done_at=at(TUE, "10:00"), done_by=OWNER)}, projects)
    reopened = changes(BOB, [_notice(1, DONE)], {1: _step(BOB)}, projects)
    closed = changes(BOB, [_notice(1, ASSIGNED)], {1: _step(BOB)}, {1: _project(closed_at=at(TUE, "11:00"))})
    assert taken_back == [] and reopened == [] and closed == []
    assert [c.kind for c in handed_back] == [ASSIGNED]
    assert [(c.kind, c.actor, c.assignee_id) for c in moved_away] == [(UNASSIGNED, CAROL, CAROL)]
    assert [(c.kind, c.actor) for c in done_by_owner] == [(DONE, OWNER)]
    team, client = step_changes_dm(moved_away, client=False), step_changes_dm(moved_away, client=True)
    assert "taken over by <@U0CAROL>" in text_of(team) and "U0CAROL" not in text_of(client)
    assert "no longer yours" in text_of(client)
