"""The Home tab, its buttons and the "Add as a step" shortcut, through signed HTTP: an
`app_home_opened` event callback, clicks in a `view` container, a `message_action` payload —
and what Slack's stand-in received (views.publish, chat.update, chat.getPermalink, views.open)."""

from __future__ import annotations

import gc
import json
import time

import pytest
from freezegun import freeze_time
from sqlmodel import func, select

from bot.core import steps as step_rules
from bot.messages import ids
from storage.models import AuditEvent, Decision, Project, Step
from tests.support.blocks import assert_valid_view, text_of
from tests.support.reminders import WED as CHASE_DAY
from tests.support.reminders import at, make_services, posts, run_pass

OWNER, BOB, CAROL, ACME = "U0ALICE", "U0BOB", "U0CAROL", "U0ACME"
ACME_CHANNEL, BETA_CHANNEL, EMPTY_CHANNEL = "C0ACME", "C0BETA", "C0EMPTY"
NOW = "2026-11-26 10:00:00"  # a Thursday


@pytest.fixture(autouse=True)
def _only_this_tests_app():
    """Home refreshes follow commits on a shared engine: let earlier tests' apps be collected first."""
    gc.collect()


@pytest.fixture
def frozen():
    with freeze_time(NOW, tick=True) as clock:
        yield clock


@pytest.fixture
def acme(slack):
    """ACME belongs to the client's own organization (Slack Connect)."""
    slack.user_team[ACME] = "T0ACMECORP"
    return slack


def publishes(slack, user: str) -> list[dict]:
    return [c.params["view"] for c in publishes_called(slack, user)]


def publishes_called(slack, user: str) -> list:
    return [c for c in slack.calls_to("views.publish") if c.params["user_id"] == user]


def open_home(bot, user: str, *, count: int = 1) -> dict:
    """Open `user`'s Home tab; wait for the `count`-th publish for them and return that view."""
    before = len(publishes(bot.slack, user))
    reply = bot.sender.app_home_opened(user_id=user, team_id=bot.team_id)
    assert reply.status == 200, reply
    return wait_publish(bot.slack, user, before + count)


def wait_publish(slack, user: str, count: int, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = publishes(slack, user)
        if len(found) >= count:
            return found[count - 1]
        time.sleep(0.02)
    raise AssertionError(f"expected {count} views.publish for {user}, got {len(publishes(slack, user))}")


def wait_publish_without(slack, user: str, text: str, *, after: int, timeout: float = 5.0) -> dict:
    """The first publish for `user` after the `after`-th that no longer shows `text` (a refresh
    the setup left pending may land first, still showing it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for view in publishes(slack, user)[after:]:
            if text not in text_of(view):
                return view
        time.sleep(0.02)
    raise AssertionError(f"no views.publish for {user} without {text!r}")


def wait_notice(slack, user: str, notice: str, *, after: int, timeout: float = 5.0) -> dict:
    """The publish after the `after`-th that opens with `notice` (the answer to a click), whatever
    refreshes land around it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for view in publishes(slack, user)[after:]:
            if view["blocks"][0]["type"] == "context" and notice in text_of({"blocks": view["blocks"][:1]}):
                return view
        time.sleep(0.02)
    raise AssertionError(f"no views.publish for {user} opening with {notice!r}")


def home_click(bot, action_id: str, value: int, user: str, **kw):
    return bot.sender.home_action(action_id=action_id, value=str(value), user_id=user, team_id=bot.team_id, **kw)


def step_id(db, title: str) -> int:
    with db.reader() as session:
        return session.exec(select(Step.id).where(Step.title == title)).one()


def count(db, model, *where) -> int:
    with db.reader() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def two_projects(bot) -> None:
    """Bob has steps in Acme (one overdue) and Beta, and Beta's deliverable waits on his decision."""
    bot.run('new "Acme website" client:Acme due:2026-12-18 budget:90h', user=OWNER, channel=ACME_CHANNEL)
    bot.run(f"approver add <@{ACME}>", user=OWNER, channel=ACME_CHANNEL)
    bot.run(f"step add Wireframes <@{BOB}> due:2026-11-20", user=OWNER, channel=ACME_CHANNEL)
    bot.run(f"step add Send the logo files <@{ACME}> due:2026-12-01", user=OWNER, channel=ACME_CHANNEL)
    bot.run(f"step add Final copy <@{BOB}> due:2026-12-10", user=OWNER, channel=ACME_CHANNEL)
    bot.run('new "Beta app" client:Beta due:2027-02-01', user=OWNER, channel=BETA_CHANNEL)
    bot.run(f"approver add <@{BOB}>", user=OWNER, channel=BETA_CHANNEL)
    bot.run(f"step add Beta QA <@{BOB}> due:2026-11-30", user=OWNER, channel=BETA_CHANNEL)
    bot.run('deliverable "Beta designs"', user=OWNER, channel=BETA_CHANNEL)
    bot.run('deliverable "Acme homepage"', user=OWNER, channel=ACME_CHANNEL)


def wait_update(slack, channel: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c in slack.calls_to("chat.update") if c.params["channel"] == channel]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"no chat.update in {channel}")


def approval_message(slack, channel: str, title: str):
    return next(c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == channel and title in text_of(c.params))


# --- the Home tab -------------------------------------------------------------------------------


def test_a_team_members_home_lists_their_steps_overdue_first_their_decision_and_their_projects_most_at_risk_first(
    bot, acme, frozen
):
    two_projects(bot)
    acme.delay("views.publish", 2.0)
    reply = bot.sender.app_home_opened(user_id=BOB, team_id=bot.team_id)
    # The event is acknowledged before Slack has answered the publish it leads to.
    assert reply.status == 200 and not any(c.answered for c in publishes_called(acme, BOB))
    view = wait_publish(acme, BOB, 1)

    assert view["type"] == "home"
    assert_valid_view(view)
    shown = text_of(view)
    assert shown.index("My steps") < shown.index("Waiting on my decision") < shown.index("My projects")
    assert shown.index("#1 Wireframes") < shown.index("Beta QA") < shown.index("Final copy")  # overdue first, then by date
    assert "overdue by 4 working days" in shown and "Send the logo files" not in shown  # ACME's step is not Bob's
    decisions = shown[shown.index("Waiting on my decision") : shown.index("My projects")]
    assert "Beta designs" in decisions and "Acme homepage" not in decisions  # ACME approves Acme's
    projects = shown[shown.index("My projects") :]
    assert projects.index("Acme website") < projects.index("Beta app")  # behind before on track
    assert "behind" in projects and "on track" in projects
    actions = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions.count(ids.HOME_STEP_DONE_ACTION) == 3 and actions.count(ids.HOME_APPROVE_ACTION) == 1


def test_a_clients_home_shows_their_decisions_their_steps_and_the_client_view_never_budget_health_or_other_clients(
    bot, acme, frozen
):
    two_projects(bot)
    view = open_home(bot, ACME)
    assert_valid_view(view)
    shown = text_of(view)
    assert "Waiting on your decision" in shown and "Acme homepage" in shown
    assert "Send the logo files" in shown and "Acme website" in shown and "Target Fri 18 Dec 2026: on track" in shown
    for word in ("Beta", "Wireframes", "Final copy", BOB, "Budget", "90h", "behind", "at risk", "My projects"):
        assert word not in shown, word
    assert not any(colour in json.dumps(view) for colour in (":red_circle:", ":large_green_circle:", ":large_yellow_circle:"))
    actions = {e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert actions <= {ids.HOME_APPROVE_ACTION, ids.HOME_REJECT_ACTION, ids.HOME_STEP_DONE_ACTION, ids.HOME_STEP_SNOOZE_ACTION}


def test_done_on_the_home_tab_marks_the_step_done_and_publishes_the_home_again(bot, acme, frozen):
    two_projects(bot)
    open_home(bot, BOB)
    wireframes = step_id(bot.db, "Wireframes")

    acme.delay("views.publish", 2.0)
    reply = home_click(bot, ids.HOME_STEP_DONE_ACTION, wireframes, BOB)
    assert reply.status == 200 and not any(c.answered for c in publishes_called(acme, BOB)[1:])  # acked first
    view = wait_publish_without(acme, BOB, "Wireframes", after=1)

    assert "Beta QA" in text_of(view)
    with bot.db.reader() as session:
        step = session.get(Step, wireframes)
        assert step.done_at is not None and step.done_by == BOB


def test_a_home_opened_is_published_again_when_a_command_changes_the_persons_steps(bot, acme, frozen):
    two_projects(bot)
    open_home(bot, BOB)
    bot.run(f"step add Launch checklist <@{BOB}> due:2026-12-03", user=OWNER, channel=ACME_CHANNEL)
    deadline = time.monotonic() + 5
    while "Launch checklist" not in text_of(publishes(acme, BOB)[-1]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Launch checklist" in text_of(publishes(acme, BOB)[-1])
    assert publishes(acme, CAROL) == []  # nobody else's Home is touched


def test_approve_from_home_and_from_the_chase_dm_make_one_decision_and_the_channel_message_shows_it(bot, acme, db):
    with freeze_time(NOW, tick=True):
        two_projects(bot)
    beta = approval_message(acme, BETA_CHANNEL, "Beta designs")
    run_pass(make_services(db, acme), acme, at(CHASE_DAY, "10:00"))  # Wed 2 Dec: waited 4 working days
    (chase,) = posts(acme, BOB)[-1:]
    assert "Beta designs" in text_of(chase) and "https://team.slack.com/archives/C0BETA/p" in text_of(chase)
    chase_actions = [e["action_id"] for b in chase["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert chase_actions == [ids.CHASE_APPROVE_ACTION, ids.CHASE_REJECT_ACTION]
    deliverable = int(next(b for b in chase["blocks"] if b["type"] == "actions")["elements"][0]["value"])

    with freeze_time(at(CHASE_DAY, "10:05"), tick=True):
        open_home(bot, BOB)
        home_click(bot, ids.HOME_APPROVE_ACTION, deliverable, BOB)
        update = wait_update(acme, BETA_CHANNEL)
        reply = bot.action(
            action_id=ids.CHASE_APPROVE_ACTION, value=str(deliverable), user_id=BOB, channel_id="D0BOB",
            message_ts="1700000999.000100", message={"type": "message", "ts": "1700000999.000100", **chase},
            block_id=f"{ids.CHASE_BLOCK}{deliverable}", response_url=acme.response_url("chase"),
        )  # fmt: skip
        (late,) = acme.wait_for_responses(1, key="chase")

    assert reply.status == 200 and beta.params["channel"] == BETA_CHANNEL
    assert update.params["channel"] == BETA_CHANNEL and "Approved* by <@U0BOB>" in text_of(update.params)
    assert "already approved" in late["text"] and "That decision stands" in late["text"]
    assert count(db, Decision) == 1
    assert len([c for c in acme.calls_to("chat.update") if c.params["channel"] == BETA_CHANNEL]) == 1


def test_approve_in_the_chase_dm_decides_and_the_dm_is_updated_to_match(bot, acme, db):
    with freeze_time(NOW, tick=True):
        two_projects(bot)
    run_pass(make_services(db, acme), acme, at(CHASE_DAY, "10:00"))
    chase = posts(acme, BOB)[-1]
    deliverable = int(next(b for b in chase["blocks"] if b["type"] == "actions")["elements"][0]["value"])

    with freeze_time(at(CHASE_DAY, "10:05"), tick=True):
        bot.action(
            action_id=ids.CHASE_APPROVE_ACTION, value=str(deliverable), user_id=BOB, channel_id="D0BOB",
            message_ts="1700000999.000100", message={"type": "message", "ts": "1700000999.000100", **chase},
            block_id=f"{ids.CHASE_BLOCK}{deliverable}",
        )  # fmt: skip
        updates = acme.wait_for("chat.update", 2)

    channel_update = next(c for c in updates if c.params["channel"] == BETA_CHANNEL)
    dm_update = next(c for c in updates if c.params["channel"] == "D0BOB")
    assert "Approved* by <@U0BOB>" in text_of(channel_update.params)
    assert "Approved by <@U0BOB>" in text_of(dm_update.params) and "Approve" not in json.dumps(
        [b for b in dm_update.params["blocks"] if b["type"] == "actions"]
    )
    assert dm_update.params["text"].startswith("Nothing here waits for you")
    assert count(db, Decision) == 1


def test_reject_from_home_opens_the_reason_form_of_the_approval_message(bot, acme, frozen):
    two_projects(bot)
    open_home(bot, BOB)
    deliverable = int(
        next(
            e["value"]
            for b in publishes(acme, BOB)[-1]["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == ids.HOME_REJECT_ACTION
        )
    )
    home_click(bot, ids.HOME_REJECT_ACTION, deliverable, BOB)
    (opened,) = acme.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == ids.REJECT_VIEW
    assert count(bot.db, Decision) == 0


# --- bad input on the Home tab: one clear line, nothing changed -------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (f"step assign #1 <@{CAROL}>", "Only <@U0CAROL> (its assignee) or <@U0ALICE> (the project owner) can change step #1"),
        ("step remove #1", "Step #1 was removed from the plan"),
    ],
)
def test_a_home_click_on_a_step_since_reassigned_or_removed_says_so_and_changes_nothing(bot, acme, frozen, change, expected):
    two_projects(bot)
    open_home(bot, BOB)
    wireframes = step_id(bot.db, "Wireframes")
    bot.run(change, user=OWNER, channel=ACME_CHANNEL)
    wait_publish_without(acme, BOB, "Wireframes", after=1)  # the change itself refreshes Bob's Home, a moment later
    published = len(publishes(acme, BOB))

    home_click(bot, ids.HOME_STEP_DONE_ACTION, wireframes, BOB)  # a click on the tab as it was before
    wait_notice(acme, BOB, expected, after=published)
    with bot.db.reader() as session:
        assert session.get(Step, wireframes).done_at is None


def test_a_home_approve_on_a_decision_already_taken_says_who_decided_and_makes_no_second_decision(bot, acme, frozen):
    two_projects(bot)
    open_home(bot, BOB)
    [decision_id] = [
        int(e["value"])
        for b in publishes(acme, BOB)[-1]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.HOME_APPROVE_ACTION
    ]
    bot.action(  # Bob approves on the message in the channel first
        action_id=ids.APPROVE_ACTION, value=str(decision_id), user_id=BOB, channel_id=BETA_CHANNEL,
        message_ts="1700000000.000001",
    )  # fmt: skip
    acme.wait_for("chat.update")
    wait_publish_without(acme, BOB, "Beta designs", after=1)  # the decision refreshes Bob's Home
    published = len(publishes(acme, BOB))

    home_click(bot, ids.HOME_APPROVE_ACTION, decision_id, BOB)  # a click on the tab as it was before
    wait_notice(acme, BOB, "You already approved *Beta designs* v1", after=published)
    assert count(bot.db, Decision) == 1


def test_the_home_tab_stays_within_100_blocks_with_and_n_more(bot, acme, frozen):
    bot.run('new "Big project"', user=OWNER, channel=ACME_CHANNEL)
    with bot.db.transaction() as session:
        project = session.exec(select(Project)).one()
        for n in range(80):
            step_rules.add_step(
                session, project=project, actor=OWNER, title=f"Task {n}", assignee_id=BOB, due_date=None, now=project.created_at
            )
    view = open_home(bot, BOB)
    assert_valid_view(view)
    assert len(view["blocks"]) <= 100 and "more." in text_of(view)


# --- "Add as a step" ----------------------------------------------------------------------------------


MESSAGE = {
    "type": "message",
    "user": ACME,
    "ts": "1700000100.000200",
    "text": f"Could you update the logo on the homepage <@{BOB}> due:2026-12-04\nThanks!",
}


def shortcut(bot, *, user: str = OWNER, channel: str = ACME_CHANNEL, **kw):
    return bot.sender.message_action(
        callback_id=ids.ADD_STEP_SHORTCUT, user_id=user, channel_id=channel, message=MESSAGE, team_id=bot.team_id,
        response_url=bot.slack.response_url("shortcut"), **kw,
    )  # fmt: skip


def test_the_shortcut_opens_a_prefilled_form_and_creates_a_step_linked_to_the_message(bot, acme, frozen):
    two_projects(bot)
    acme.delay("views.open", 2.0)
    reply = shortcut(bot)
    assert reply.status == 200 and not any(c.answered for c in acme.calls_to("views.open"))  # acked before the form opened
    (opened,) = acme.wait_for("views.open")
    form = opened.params["view"]
    assert_valid_view(form)
    title, assignee, due = (b["element"] for b in form["blocks"] if b["type"] == "input")
    assert title["initial_value"] == "Could you update the logo on the homepage"
    assert assignee["initial_user"] == BOB and due["initial_date"] == "2026-12-04"

    values = {
        ids.SHORTCUT_TITLE_BLOCK: {ids.SHORTCUT_TITLE_INPUT: {"type": "plain_text_input", "value": "Update the logo"}},
        ids.SHORTCUT_ASSIGNEE_BLOCK: {ids.SHORTCUT_ASSIGNEE_INPUT: {"type": "users_select", "selected_user": BOB}},
        ids.SHORTCUT_DUE_BLOCK: {ids.SHORTCUT_DUE_INPUT: {"type": "datepicker", "selected_date": "2026-12-04"}},
    }
    submitted = bot.view_submission(
        callback_id=ids.SHORTCUT_STEP_VIEW, values=values, user_id=OWNER, private_metadata=form["private_metadata"]
    )
    assert submitted.status == 200
    (told,) = acme.wait_for("chat.postEphemeral")
    (permalink,) = acme.calls_to("chat.getPermalink")

    assert permalink.params["channel"] == ACME_CHANNEL and permalink.params["message_ts"] == MESSAGE["ts"]
    with bot.db.reader() as session:
        step = session.exec(select(Step).where(Step.title == "Update the logo")).one()
    assert step.link == "https://team.slack.com/archives/C0ACME/p1700000100000200"
    assert step.assignee_id == BOB and str(step.due_date) == "2026-12-04" and step.number == 4
    assert told.params["channel"] == ACME_CHANNEL and told.params["user"] == OWNER
    assert "Added #4 *Update the logo*" in text_of(told.params) and step.link in text_of(told.params)
    home = text_of(open_home(bot, BOB))
    assert "Update the logo" in home and step.link in home


@pytest.mark.parametrize(
    ("user", "channel", "expected"),
    [
        (OWNER, "D0ALICE", "this is a direct message"),
        (OWNER, EMPTY_CHANNEL, "This channel has no project"),
        (ACME, ACME_CHANNEL, "That's for the project team"),
    ],
)
def test_the_shortcut_in_a_dm_a_channel_without_project_or_by_a_client_explains_and_changes_nothing(
    bot, acme, frozen, user, channel, expected
):
    two_projects(bot)
    steps_before = count(bot.db, Step)
    shortcut(bot, user=user, channel=channel, user_team_id="T0ACMECORP" if user == ACME else None)
    (answer,) = acme.wait_for_responses(1, key="shortcut")

    assert answer["response_type"] == "ephemeral" and expected in answer["text"]
    assert acme.calls_to("views.open") == [] and count(bot.db, Step) == steps_before
    if user == ACME:
        assert count(bot.db, AuditEvent, AuditEvent.action == "client.refused", AuditEvent.actor_id == ACME) == 1


def test_acks_for_the_home_tab_and_its_clicks_never_wait_on_a_slow_slack(bot, acme, frozen):
    two_projects(bot)
    for method in ("views.publish", "users.info", "chat.update", "chat.postMessage"):
        acme.delay(method, 2.0)
    wireframes = step_id(bot.db, "Wireframes")
    timings = []
    for send in (
        lambda: bot.sender.app_home_opened(user_id=BOB, team_id=bot.team_id),
        lambda: home_click(bot, ids.HOME_STEP_SNOOZE_ACTION, wireframes, BOB),
        lambda: home_click(bot, ids.HOME_APPROVE_ACTION, 1, BOB),
    ):
        started = time.monotonic()
        assert send().status == 200
        timings.append(time.monotonic() - started)
    assert max(timings) < 1.0, timings
    wait_publish(acme, BOB, 1, timeout=15)
