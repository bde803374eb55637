"""The numbers on the status card: overdue days, due-soon, forecast and slip, as pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.status import Health, forecast_date, slip, summarize
from bot.messages.status import status_card
from storage.models import Deliverable, Project, Step
from tests.support.blocks import assert_valid_blocks, text_of

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)


def make_project(**kw) -> Project:
    values = dict(
        id=1, team_id="T1", name="Acme", name_key="acme", channel_id="C1", owner_id="U1", start_date=date(2026, 11, 1), tz="UTC"
    )
    return Project(**{**values, **kw})


def make_step(number: int, due: date | None, done: bool = False, **kw) -> Step:
    return Step(
        id=number, team_id="T1", project_id=1, number=number, title=f"Step {number}", stage="initiation",
        due_date=due, created_by="U1", done_at=NOW if done else None, **kw,
    )  # fmt: skip


def test_forecast_is_today_at_best_and_never_before_the_last_open_step():
    assert forecast_date([], TODAY) == TODAY
    assert forecast_date([date(2026, 11, 1), None], TODAY) == TODAY  # late steps can't finish in the past
    assert forecast_date([date(2026, 12, 9), date(2026, 12, 2)], TODAY) == date(2026, 12, 9)


def test_slip_counts_working_days_past_the_target_and_never_goes_negative():
    assert slip(date(2026, 12, 9), date(2026, 12, 1)) == 6  # Tue 1 → Wed 9 Dec: the weekend doesn't count
    assert slip(date(2026, 11, 26), date(2026, 12, 1)) == 0
    assert slip(date(2026, 12, 9), None) is None


def test_summary_splits_overdue_and_due_soon_and_ignores_done_steps():
    steps = [
        make_step(1, date(2026, 11, 20)),  # 4 working days late (a Friday, read on Thursday)
        make_step(2, date(2026, 11, 25)),  # 1 day late
        make_step(3, date(2026, 11, 10), done=True),
        make_step(4, TODAY),  # due today: not late yet
        make_step(5, TODAY + timedelta(days=7)),  # the edge of "next 7 days"
        make_step(6, TODAY + timedelta(days=8)),
        make_step(7, None),
    ]
    status = summarize(make_project(target_date=date(2026, 12, 1)), steps, [], TODAY)
    assert [(x.step.number, x.days) for x in status.overdue] == [(1, 4), (2, 1)]
    assert [(x.step.number, x.days) for x in status.due_soon] == [(4, 0), (5, 7)]
    assert (status.done, status.total) == (1, 7)
    assert status.forecast == TODAY + timedelta(days=8) and status.slip_days == 3
    assert status.health == Health.BEHIND


def test_a_project_with_everything_done_before_target_is_on_track():
    status = summarize(make_project(target_date=date(2026, 12, 1)), [make_step(1, date(2026, 11, 20), done=True)], [], TODAY)
    assert (status.forecast, status.slip_days, status.health) == (TODAY, 0, Health.ON_TRACK)


def test_card_lists_waiting_deliverables_with_how_long_they_waited():
    waiting = Deliverable(
        id=1, team_id="T1", project_id=1, title="Homepage <b>", title_key="homepage", stage="initiation",
        submitted_by="U1", submitted_at=NOW - timedelta(days=3, hours=2),
    )  # fmt: skip
    card = status_card(summarize(make_project(), [], [waiting], TODAY), now=NOW)
    assert_valid_blocks(card["blocks"])
    assert "Homepage &lt;b&gt; v1: waiting 3 working days" in text_of(card)  # Mon 08:00 → Thu


def test_card_shows_budget_when_set_and_a_hint_when_there_are_no_steps():
    card = status_card(summarize(make_project(budget_hours=40, hours_used=10), [], [], TODAY), now=NOW)
    shown = text_of(card)
    assert "*Budget*\n10h of 40h (25%)" in shown and "No steps yet" in shown
    assert "*Slip*\nno target date" in shown


def test_hours_burning_ahead_of_progress_put_a_project_at_risk_and_past_budget_behind():
    steps = [make_step(1, None, done=True), make_step(2, None), make_step(3, None), make_step(4, None)]  # 25 % done
    on_track = make_project(budget_hours=100.0, hours_used=35.0)  # 35 % burnt: 10 points ahead
    at_risk = make_project(budget_hours=100.0, hours_used=45.0)  # 20 points ahead
    behind = make_project(budget_hours=100.0, hours_used=101.0)
    assert summarize(on_track, steps, [], TODAY).health == Health.ON_TRACK
    assert summarize(at_risk, steps, [], TODAY).health == Health.AT_RISK
    assert summarize(behind, steps, [], TODAY).health == Health.BEHIND


def test_removed_steps_leave_the_plan_and_the_counts():
    removed = make_step(2, date(2026, 11, 20))
    removed.removed_at = datetime(2026, 11, 25, tzinfo=UTC)
    status = summarize(make_project(), [make_step(1, None, done=True), removed], [], TODAY)
    assert (status.done, status.total, status.overdue) == (1, 1, [])


def test_client_held_days_count_working_days_once_across_overlapping_holds_and_weekends():
    from bot.core.targets import held_days

    weekdays = frozenset(range(5))
    fri, mon, tue = date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1)
    assert held_days([(fri, tue)], weekdays) == 3  # Fri, Mon, Tue: the weekend doesn't count
    assert held_days([(fri, mon), (mon, tue), (tue, tue)], weekdays) == 3  # overlaps count once
    assert held_days([(date(2026, 11, 28), date(2026, 11, 29))], weekdays) == 0  # a weekend only
    assert held_days([], weekdays) == 0
