"""A Home tab Slack failed to take (views.publish, three tries) is not left stale: the failure is
recorded and the next scheduler pass publishes it again, once, for people who opened it lately."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from slack_sdk import WebClient
from sqlmodel import select

from bot.slack import passes
from storage.home_tabs import HomeTab
from storage.models import utcnow
from tests.support.harness import HOME_TEAM, HOME_TOKEN
from tests.support.reminders import WED, at

BOB = "U0BOB"


def publishes(slack) -> list:
    return [c for c in slack.calls_to("views.publish") if c.params["user_id"] == BOB]


def tab(db) -> HomeTab:
    with db.reader() as session:
        return session.exec(select(HomeTab).where(HomeTab.user_id == BOB)).one()


def a_pass(bot, when):
    client = WebClient(token=HOME_TOKEN, base_url=bot.slack.api_url)
    with freeze_time(when):
        return passes.run_pass(bot.services, client, utcnow(), team_id=HOME_TEAM)


def a_home_slack_failed_to_publish(bot, slack, when) -> None:
    slack.fail("views.publish", status=500, times=3)  # the listener's client tries three times
    with freeze_time(when, tick=True):
        assert bot.sender.app_home_opened(user_id=BOB, team_id=bot.team_id).status == 200
        slack.wait_for("views.publish", 3)
        bot.settle()
    assert all(call.failed for call in publishes(slack)) and tab(bot.db).failed_at is not None


def test_the_next_pass_publishes_a_home_that_failed_and_only_once(bot, slack):
    a_home_slack_failed_to_publish(bot, slack, at(WED, "10:00"))

    summary = a_pass(bot, at(WED, "10:01"))

    assert summary.parts["home retries"].sent == 1
    (retry,) = [c for c in publishes(slack) if not c.failed]
    assert retry.params["view"]["type"] == "home"
    assert tab(bot.db).failed_at is None
    a_pass(bot, at(WED, "10:02"))
    assert len(publishes(slack)) == 4  # three failed tries, one retry: no more


def test_a_retry_that_fails_again_is_tried_on_the_following_pass(bot, slack):
    a_home_slack_failed_to_publish(bot, slack, at(WED, "10:00"))
    slack.fail("views.publish", status=500, times=1)

    assert a_pass(bot, at(WED, "10:01")).parts["home retries"].deferred == 1
    assert a_pass(bot, at(WED, "10:02")).parts["home retries"].sent == 1
    assert tab(bot.db).failed_at is None


def test_a_home_opened_more_than_a_day_ago_is_not_published_again(bot, slack):
    a_home_slack_failed_to_publish(bot, slack, at(WED, "10:00"))

    a_pass(bot, at(WED, "10:00") + timedelta(days=1, minutes=1))

    assert len(publishes(slack)) == 3
