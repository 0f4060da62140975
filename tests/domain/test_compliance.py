"""Compliance arithmetic: rates over local days, streaks, runs of missed days, paused days."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import ENGINES
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.compliance import (
    OVERALL,
    DayOutcome,
    Rate,
    missed_run,
    rates,
    streak,
    weekly_overall,
    window_rates,
)

MONDAY = dt.date(2026, 5, 4)


def d(n: int) -> dt.date:
    return MONDAY + dt.timedelta(days=n)


def full_day(n: int, *, paused: bool = False) -> list[DayOutcome]:
    return [
        DayOutcome(d(n), "checkin", 1, 1, paused),
        DayOutcome(d(n), "meals", 4, 4, paused),
        DayOutcome(d(n), "cardio", 1, 1, paused),
        DayOutcome(d(n), "training", 5, 5, paused),
    ]


def missed_day(n: int) -> list[DayOutcome]:
    return [DayOutcome(d(n), "checkin", 1, 0), DayOutcome(d(n), "meals", 4, 0)]


def test_impossible_outcomes_are_refused() -> None:
    with pytest.raises(ValueError):
        DayOutcome(d(0), "", 1, 1)  # which engines exist is the registry's to say; a blank is none
    with pytest.raises(ValueError):
        DayOutcome(d(0), OVERALL, 1, 1)  # reserved for the total
    with pytest.raises(ValueError):
        DayOutcome(d(0), "meals", 3, 4)
    with pytest.raises(ValueError):
        DayOutcome(d(0), "meals", -1, 0)


def test_rate_pct_is_none_when_nothing_was_due() -> None:
    assert Rate(0, 0).pct is None
    assert Rate(3, 4).pct == 75.0
    assert Rate(1, 2) + Rate(2, 2) == Rate(3, 4)


def test_rates_per_engine_and_overall_over_a_half_open_range() -> None:
    outcomes = [
        DayOutcome(d(0), "checkin", 1, 1),
        DayOutcome(d(0), "meals", 4, 2),
        DayOutcome(d(1), "cardio", 1, 0),
        DayOutcome(d(2), "training", 5, 5),  # day 2 is the range's end: not counted
        DayOutcome(d(-1), "meals", 4, 4),  # before the start: not counted
    ]
    result = rates(outcomes, d(0), d(2))
    assert result["checkin"] == Rate(1, 1)
    assert result["meals"] == Rate(2, 4)
    assert result["cardio"] == Rate(0, 1)
    assert result["training"] == Rate(0, 0)
    assert result[OVERALL] == Rate(3, 6)
    assert set(result) == {o.engine for o in outcomes} | {OVERALL}  # the engines that had anything


def test_a_paused_day_is_left_out_entirely_even_if_only_one_outcome_says_so() -> None:
    outcomes = [
        *missed_day(0),
        DayOutcome(d(0), "cardio", 1, 0, paused=True),
        *full_day(1),
    ]
    assert rates(outcomes, d(0), d(7))[OVERALL] == Rate(11, 11)


def test_window_rates_end_yesterday() -> None:
    outcomes = [*missed_day(0), *full_day(1), *full_day(2), *missed_day(3)]
    # today = day 3: the window is days 1 and 2, today's misses do not count yet
    assert window_rates(outcomes, d(3), 2)[OVERALL] == Rate(22, 22)
    assert window_rates(outcomes, d(3), 3)[OVERALL] == Rate(22, 27)


def test_streak_counts_back_from_yesterday_and_steps_over_rest_and_paused_days() -> None:
    outcomes = [
        *missed_day(0),
        *full_day(1),
        DayOutcome(d(2), "training", 0, 0),  # nothing due
        *full_day(3, paused=True),
        *missed_day(4),  # paused below: a missed day during a pause costs nothing
        DayOutcome(d(4), "cardio", 1, 0, paused=True),
        *full_day(5),
        *missed_day(6),  # today: not over
    ]
    assert streak(outcomes, d(6)) == 2  # days 5 and 1
    assert streak(outcomes, d(1)) == 0  # yesterday (day 0) was missed
    assert streak([], d(6)) == 0


def test_a_partial_day_breaks_the_streak() -> None:
    partial = [*full_day(1)[:3], DayOutcome(d(1), "training", 5, 4)]
    assert streak([*full_day(0), *partial, *full_day(2)], d(3)) == 1


def test_a_fully_logged_today_counts_for_the_streak_only_when_asked() -> None:
    """Issue 13: /stats on day one said a 0-day streak after a fully logged day. What a client
    reads counts today once complete; the flag scan (the default) looks at complete days only."""
    two_full = [*full_day(0), *full_day(1)]
    assert streak(two_full, d(1)) == 1  # complete days only: yesterday
    assert streak(two_full, d(1), include_today_if_complete=True) == 2
    assert streak(full_day(0), d(0), include_today_if_complete=True) == 1  # day one, all logged
    assert streak(full_day(0), d(0)) == 0
    # Today not complete yet: not over, so it costs nothing and the streak counts from yesterday.
    assert streak([*full_day(0), *missed_day(1)], d(1), include_today_if_complete=True) == 1
    partial_today = [*full_day(0), *full_day(1)[:3], DayOutcome(d(1), "training", 5, 4)]
    assert streak(partial_today, d(1), include_today_if_complete=True) == 1
    # A missed yesterday still breaks it: a complete today starts a new streak of one.
    assert streak([*full_day(0), *missed_day(1), *full_day(2)], d(2), include_today_if_complete=True) == 1
    # A paused or rest today is stepped over, as any other day; tomorrow never counts.
    assert streak([*full_day(0), *full_day(1, paused=True)], d(1), include_today_if_complete=True) == 1
    assert streak([*full_day(0), DayOutcome(d(1), "cardio", 0, 0)], d(1), include_today_if_complete=True) == 1
    assert streak([*full_day(0), *full_day(1)], d(0), include_today_if_complete=True) == 1


def test_missed_run_ends_yesterday_unless_today_is_included() -> None:
    outcomes = [*full_day(0), *missed_day(1), *missed_day(2), *missed_day(3)]
    assert missed_run(outcomes, d(3)) == 2
    assert missed_run(outcomes, d(3), include_today=True) == 3
    assert missed_run(outcomes, d(4)) == 3
    assert missed_run([], d(4)) == 0


def test_missed_run_steps_over_nothing_due_but_a_pause_ends_it() -> None:
    outcomes = [*missed_day(0), DayOutcome(d(1), "cardio", 0, 0), *missed_day(2)]
    assert missed_run(outcomes, d(3)) == 2
    paused = [*missed_day(0), DayOutcome(d(1), "meals", 4, 0, paused=True), *missed_day(2)]
    assert missed_run(paused, d(3)) == 1


def test_any_logged_item_ends_a_missed_run() -> None:
    outcomes = [*missed_day(0), DayOutcome(d(1), "meals", 4, 1), DayOutcome(d(1), "checkin", 1, 0)]
    assert missed_run(outcomes, d(2)) == 0


def test_weekly_overall_per_window() -> None:
    outcomes = [*full_day(0), *missed_day(7), DayOutcome(d(8), "meals", 4, 4)]
    weeks = weekly_overall(outcomes, [d(0), d(7), d(14)])
    assert weeks == [Rate(11, 11), Rate(4, 9), Rate(0, 0)]


@st.composite
def outcome_lists(draw: st.DrawFn) -> list[DayOutcome]:
    items = draw(
        st.lists(
            st.tuples(
                st.integers(0, 20),
                st.sampled_from(ENGINES),
                st.integers(0, 6),
                st.floats(0, 1),
                st.booleans() if draw(st.booleans()) else st.just(False),
            ),
            max_size=60,
        )
    )
    return [DayOutcome(d(n), engine, due, round(due * f), paused) for n, engine, due, f, paused in items]


@settings(max_examples=150, deadline=None)
@given(outcome_lists(), st.integers(0, 21), st.integers(0, 21))
def test_rates_stay_between_0_and_100_and_overall_adds_the_engines(
    outcomes: list[DayOutcome], a: int, b: int
) -> None:
    result = rates(outcomes, d(min(a, b)), d(max(a, b)))
    for rate in result.values():
        assert 0 <= rate.done <= rate.due
        assert rate.pct is None or 0.0 <= rate.pct <= 100.0
    assert result[OVERALL].done == sum(r.done for e, r in result.items() if e != OVERALL)
    assert result[OVERALL].due == sum(r.due for e, r in result.items() if e != OVERALL)


@settings(max_examples=150, deadline=None)
@given(outcome_lists(), st.integers(0, 22))
def test_paused_days_never_count(outcomes: list[DayOutcome], today: int) -> None:
    paused = {o.day for o in outcomes if o.paused}
    without = [o for o in outcomes if o.day not in paused]
    # Whatever happened on a paused day, it changes no rate and no streak.
    scribbled = [*outcomes, *(DayOutcome(day, "meals", 5, 0, paused=True) for day in paused)]
    for data in (outcomes, scribbled):
        assert rates(data, d(0), d(21)) == rates(without, d(0), d(21))
        for with_today in (False, True):
            assert streak(data, d(today), include_today_if_complete=with_today) == streak(
                without, d(today), include_today_if_complete=with_today
            )


@settings(max_examples=150, deadline=None)
@given(outcome_lists(), st.integers(0, 22))
def test_streak_and_missed_run_are_bounded_and_exclusive(outcomes: list[DayOutcome], today: int) -> None:
    due_days = {o.day for o in outcomes if o.due > 0 and o.day < d(today)}
    good, bad = streak(outcomes, d(today)), missed_run(outcomes, d(today))
    assert 0 <= good <= len(due_days)
    assert 0 <= bad <= len(due_days)
    assert not (good > 0 and bad > 0)  # yesterday's last due day was either complete or missed
    # A fully logged today adds exactly one day, and only then; an unfinished today costs nothing.
    on_today = [o for o in outcomes if o.day == d(today)]
    paused_today = any(o.paused for o in on_today)
    today_complete = (
        not paused_today and sum(o.due for o in on_today) > 0 and all(o.done == o.due for o in on_today)
    )
    assert streak(outcomes, d(today), include_today_if_complete=True) == good + today_complete


@settings(max_examples=100, deadline=None)
@given(outcome_lists(), st.integers(0, 22), st.integers(1, 30))
def test_window_rates_is_rates_over_the_days_before_today(
    outcomes: list[DayOutcome], today: int, days: int
) -> None:
    assert window_rates(outcomes, d(today), days) == rates(outcomes, d(today - days), d(today))
