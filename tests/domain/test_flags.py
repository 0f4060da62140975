"""The weekly flag rules: each fires on its numbers and stays quiet at its threshold boundary;
escalation, sorting and the honors board."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random

from helpers import ENGINES, tracked_labels
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.blocks import BlockEnd
from bot.domain.compliance import DayOutcome
from bot.domain.flag_rules import (
    URGENCY,
    CardDraft,
    ClientWeek,
    FlagThresholds,
    escalation_due,
    evaluate,
    honors,
    weekly_change_kg,
)

START = dt.date(2026, 5, 4)  # a Monday: the week scanned is [START, END)
END = START + dt.timedelta(days=7)
T = FlagThresholds(engine_labels=tracked_labels(), checkin_engines=frozenset({"checkin"}))


def d(n: int) -> dt.date:
    """Days relative to the week's start (negative: the weeks before)."""
    return START + dt.timedelta(days=n)


def perfect(first: int, last: int) -> list[DayOutcome]:
    """Days [first, last): check-in and two meals, all logged."""
    return [
        o
        for n in range(first, last)
        for o in (DayOutcome(d(n), "checkin", 1, 1), DayOutcome(d(n), "meals", 2, 2))
    ]


def meals_week(week: int, done: int) -> list[DayOutcome]:
    """One week of 10 meals a day (70 due), `done` of them logged, spread over the days."""
    per_day = [done // 7 + (1 if n < done % 7 else 0) for n in range(7)]
    return [DayOutcome(d(7 * week + n), "meals", 10, per_day[n]) for n in range(7)]


def client(outcomes: list[DayOutcome] | None = None, **changes: object) -> ClientWeek:
    week = ClientWeek(
        user_id=1,
        display_name="Ada",
        week_start=START,
        week_end=END,
        outcomes=perfect(-28, 7) if outcomes is None else outcomes,
        readiness=[],
        bodyweight_kg=[],
        expected_weekly_change_kg=None,
        last_checkin=d(6),
        block_end=None,
        unreachable=False,
        invalid_timezone=False,
        invalid_block=False,
    )
    return dataclasses.replace(week, **changes)


def kinds(week: ClientWeek, thresholds: FlagThresholds = T) -> list[str]:
    return [card.kind for card in evaluate(week, thresholds)]


def card(week: ClientWeek, kind: str) -> CardDraft:
    (found,) = [c for c in evaluate(week, T) if c.kind == kind]
    return found


def test_a_good_week_raises_nothing() -> None:
    assert evaluate(client(), T) == []


# --- low_compliance ---------------------------------------------------------------------------


def test_low_compliance_fires_under_the_threshold_and_shows_every_engine() -> None:
    outcomes = [
        *(DayOutcome(d(n), "checkin", 1, 1 if n < 3 else 0) for n in range(7)),
        *(DayOutcome(d(n), "meals", 5, 3 if n < 6 else 2) for n in range(7)),
        *(DayOutcome(d(n), "cardio", 1, 1 if n < 4 else 0) for n in range(7)),
        DayOutcome(d(0), "training", 6, 5),
        DayOutcome(d(3), "training", 6, 4),
    ]
    found = card(client(outcomes, last_checkin=d(6)), "low_compliance")
    assert found.summary == (
        "Overall compliance 59% this week (36/61 items; threshold 70%): "
        "check-in 3/7, meals 20/35, cardio 4/7, training 9/12"
    )
    assert found.details["pct"] == 59.0
    assert found.urgency == 2


def test_low_compliance_boundary() -> None:
    assert "low_compliance" in kinds(client(meals_week(0, 48)))  # 68.6%
    assert "low_compliance" not in kinds(client(meals_week(0, 49)))  # exactly 70%


def test_low_compliance_is_quiet_when_nothing_was_due() -> None:
    assert "low_compliance" not in kinds(client([]))


# --- compliance_drop --------------------------------------------------------------------------


def drop_history(this_week: int, previous: list[int]) -> list[DayOutcome]:
    weeks = [meals_week(-len(previous) + i, done) for i, done in enumerate(previous)]
    return [o for week in weeks for o in week] + meals_week(0, this_week)


def test_compliance_drop_fires_at_the_threshold() -> None:
    # 90% for four weeks, then 70%: exactly 20 points down (and not low compliance).
    found = card(client(drop_history(49, [63, 63, 63, 63])), "compliance_drop")
    assert found.details["drop_points"] == 20.0
    assert "down 20 points from the average 90% of the previous 4 weeks" in found.summary


def test_compliance_drop_boundary() -> None:
    assert "compliance_drop" not in kinds(client(drop_history(50, [63, 63, 63, 63])))  # 18.6 points


def test_compliance_drop_ignores_empty_weeks_and_needs_two_previous_weeks() -> None:
    two = drop_history(49, [63, 63])
    found = card(client(two), "compliance_drop")
    assert "previous 2 weeks" in found.summary
    one = [*meals_week(-1, 70), *meals_week(0, 35)]
    assert "compliance_drop" not in kinds(client(one))


# --- missed_days ------------------------------------------------------------------------------


def missed_tail(days: int) -> list[DayOutcome]:
    tail = [DayOutcome(d(n), "meals", 2, 0) for n in range(7 - days, 7)]
    return [*perfect(-28, 7 - days), *tail]


def test_missed_days_fires_at_n_consecutive_fully_missed_days() -> None:
    found = card(client(missed_tail(3), last_checkin=d(3)), "missed_days")
    assert found.summary == (
        "3 consecutive days with nothing logged on any engine, through Sunday 10 May (threshold 3 days)"
    )
    assert found.urgency == 1


def test_missed_days_boundary() -> None:
    assert "missed_days" not in kinds(client(missed_tail(2)))


def test_escalation_comes_mid_week_as_the_same_kind_of_card() -> None:
    outcomes = missed_tail(3)
    assert escalation_due(outcomes, d(6), T) is None  # days 4 and 5 missed so far
    assert escalation_due(outcomes, d(6), T, include_today=True) is not None
    found = escalation_due(outcomes, d(7), T)
    assert found is not None
    assert found == card(client(outcomes, last_checkin=d(3)), "missed_days")


# --- no_checkin -------------------------------------------------------------------------------


def test_no_checkin_fires_after_n_days_without_one() -> None:
    found = card(client(last_checkin=d(2)), "no_checkin")  # days 3, 4, 5, 6
    assert found.summary == "No check-in for 4 days, last one on Wednesday 06 May (threshold 3 days)"


def test_no_checkin_boundary() -> None:
    assert "no_checkin" in kinds(client(last_checkin=d(3)))  # days 4, 5, 6
    assert "no_checkin" not in kinds(client(last_checkin=d(4)))  # days 5, 6


def test_no_checkin_does_not_count_paused_days() -> None:
    paused = [DayOutcome(d(n), "checkin", 1, 0, paused=True) for n in (5, 6)]
    assert "no_checkin" not in kinds(client([*perfect(-28, 5), *paused], last_checkin=d(2)))


def test_never_checked_in_counts_from_the_first_check_in_due() -> None:
    never = [DayOutcome(d(n), "checkin", 1, 0) for n in range(4, 7)]
    found = card(client(never, last_checkin=None), "no_checkin")
    assert found.summary == (
        "No check-in yet: 3 days since check-ins started on Friday 08 May (threshold 3 days)"
    )
    new = [DayOutcome(d(n), "checkin", 1, 0) for n in range(5, 7)]
    assert "no_checkin" not in kinds(client(new, last_checkin=None))
    assert "no_checkin" not in kinds(client([], last_checkin=None))


# --- readiness_down ---------------------------------------------------------------------------


def readiness(before: float, after: float) -> list[tuple[dt.date, float]]:
    return [(d(n), before) for n in range(-7, -3)] + [(d(n), after) for n in range(3, 7)]


def test_readiness_down_fires_at_the_threshold() -> None:
    found = card(client(readiness=readiness(4.0, 3.25)), "readiness_down")
    assert found.summary == (
        "Readiness down 0.75 points: average 3.25 over the last 7 days (4 scores) "
        "vs 4 the 7 days before (4 scores; threshold 0.75)"
    )


def test_readiness_down_boundary() -> None:
    assert "readiness_down" not in kinds(client(readiness=readiness(4.0, 3.3)))  # 0.7


def test_readiness_down_needs_three_scores_each_side() -> None:
    sparse = [(d(-7), 5.0), (d(-6), 5.0), (d(5), 1.0), (d(6), 1.0), (d(4), 1.0)]
    assert "readiness_down" not in kinds(client(readiness=sparse))


# --- bodyweight_off_range ---------------------------------------------------------------------


def weights(per_week: float, days: int = 7) -> list[tuple[dt.date, float]]:
    return [(d(n), 80.0 + per_week * n / 7) for n in range(days)]


def test_bodyweight_off_range_fires_outside_the_expected_range() -> None:
    found = card(
        client(bodyweight_kg=weights(0.7), expected_weekly_change_kg=(-0.75, -0.25)), "bodyweight_off_range"
    )
    assert found.summary == (
        "Bodyweight trend +0.7 kg/week this week, above the expected -0.75 to -0.25 kg/week "
        "(7 weigh-ins, 80 → 80.6 kg)"
    )
    assert found.urgency == 3


def test_bodyweight_off_range_boundary() -> None:
    for edge in (-0.25, -0.75):
        week = client(bodyweight_kg=weights(edge), expected_weekly_change_kg=(-0.75, -0.25))
        assert "bodyweight_off_range" not in kinds(week)
    slow = client(bodyweight_kg=weights(-0.2), expected_weekly_change_kg=(-0.75, -0.25))
    assert "below" not in card(slow, "bodyweight_off_range").summary  # -0.2 is above the range


def test_bodyweight_needs_three_weigh_ins_and_a_range() -> None:
    assert "bodyweight_off_range" not in kinds(
        client(bodyweight_kg=weights(3.0, days=2), expected_weekly_change_kg=(-0.75, -0.25))
    )
    assert "bodyweight_off_range" not in kinds(client(bodyweight_kg=weights(3.0)))
    assert weekly_change_kg([(d(0), 80.0), (d(0), 81.0), (d(0), 82.0)]) is None


def test_weekly_change_is_a_least_squares_slope() -> None:
    points = [(d(0), 80.0), (d(1), 80.0), (d(2), 81.5), (d(3), 80.0)]
    # slope of y over x = 0..3: cov = 0.75, var = 5 → 0.15 a day
    change = weekly_change_kg(points)
    assert change is not None and abs(change - 0.15 * 7) < 1e-9


# --- block_ending -----------------------------------------------------------------------------


def ending(days_after_the_week: int, **changes: object) -> BlockEnd:
    return dataclasses.replace(
        BlockEnd("steel_A", "Steel Block A", "4 weeks", END + dt.timedelta(days=days_after_the_week)),
        **changes,
    )


def test_block_ending_fires_within_n_days_of_the_week_end_and_says_it_repeats() -> None:
    found = card(client(block_end=ending(7)), "block_ending")
    assert found.summary == (
        "Training block Steel Block A (4 weeks) ends on Monday 18 May, in 7 days; then it repeats from "
        "day 1 unless you /reassign them to another block (effective:2026-05-19) (threshold 7 days)"
    )
    assert found.urgency == 3
    assert found.details == {
        "block_id": "steel_A",
        "length": "4 weeks",
        "ends_on": "2026-05-18",
        "days_left": 7,
        "then": "repeat",
        "next_from": None,
        "threshold": 7,
    }


def test_block_ending_boundary_one_card_per_end_with_weekly_scans() -> None:
    assert "block_ending" not in kinds(client(block_end=ending(8)))
    assert "block_ending" in kinds(client(block_end=ending(1)))
    # Ending on the scan's day: last week's scan (7 days left then) raised its card.
    assert "block_ending" not in kinds(client(block_end=ending(0)))
    assert "block_ending" not in kinds(client(block_end=ending(-3)))


def test_block_ending_names_the_block_a_coach_queued() -> None:
    queued = ending(2, next_name="Steel Block B", next_from=END + dt.timedelta(days=3))
    assert "ends on Wednesday 13 May, in 2 days; then Steel Block B from Thursday 14 May" in (
        card(client(block_end=queued), "block_ending").summary
    )
    later = ending(1, next_name="Steel Block B", next_from=END + dt.timedelta(days=9))
    found = card(client(block_end=later), "block_ending")
    assert "in 1 day; then it repeats from day 1 until Steel Block B starts on Wednesday 20 May" in (
        found.summary
    )
    assert found.details["then"] == "Steel Block B" and found.details["next_from"] == "2026-05-20"


# --- client state -----------------------------------------------------------------------------


def test_state_flags_fire_when_set_and_not_otherwise() -> None:
    for kind in ("unreachable", "invalid_timezone", "invalid_block"):
        assert kinds(client(**{kind: True})) == [kind]
        assert kind not in kinds(client(**{kind: False}))


def test_cards_come_sorted_by_urgency_then_kind() -> None:
    week = client(
        missed_tail(4),
        last_checkin=d(-1),
        block_end=ending(3),
        unreachable=True,
        invalid_block=True,
    )
    cards = evaluate(week, T)
    assert [c.kind for c in cards] == [
        "missed_days",
        "unreachable",
        "compliance_drop",
        "invalid_block",
        "low_compliance",
        "no_checkin",
        "block_ending",
    ]


# --- honors -----------------------------------------------------------------------------------


def test_honors_board() -> None:
    names = ["Ann", "Ben", "Cat", "Dan", "Eve", "Fay", "Gus"]
    weeks = [dataclasses.replace(client(), user_id=i, display_name=n) for i, n in enumerate(names)]
    weeks[1] = dataclasses.replace(weeks[1], outcomes=meals_week(0, 60))  # not full
    weeks[2] = dataclasses.replace(weeks[2], outcomes=[])  # nothing due: no honor
    streaks = {0: 30, 1: 2, 2: 9, 3: 9, 4: 12, 5: 40, 6: 3}
    prs = {0: ["Squat 140 kg × 3"], 3: ["Bench 100 kg × 5", "Row 90 kg × 8"], 4: []}
    board = honors(weeks, streaks, prs, paused={5}, opted_out={6})
    assert [(e.kind, e.display_name) for e in board] == [
        ("full_compliance", "Ann"),
        ("full_compliance", "Dan"),
        ("full_compliance", "Eve"),
        ("streak", "Ann"),
        ("streak", "Eve"),
        ("streak", "Cat"),
        ("streak", "Dan"),
        ("pr", "Ann"),
        ("pr", "Dan"),
    ]
    assert board[3].text == "30-day streak of fully compliant days"
    assert board[-1].text == "PRs: Bench 100 kg × 5, Row 90 kg × 8"
    assert board[-2].text == "PR: Squat 140 kg × 3"


def test_honors_keeps_the_five_longest_streaks() -> None:
    weeks = [dataclasses.replace(client([]), user_id=i, display_name=f"c{i}") for i in range(8)]
    board = honors(weeks, {i: 3 + i for i in range(8)}, {}, set(), set())
    assert [e.user_id for e in board] == [7, 6, 5, 4, 3]


# --- properties -------------------------------------------------------------------------------

ROUNDED = st.integers(-60, 60).map(lambda n: n / 20)


@st.composite
def client_weeks(draw: st.DrawFn) -> ClientWeek:
    outcomes = [
        DayOutcome(d(n), engine, due, round(due * f), paused)
        for n, engine, due, f, paused in draw(
            st.lists(
                st.tuples(
                    st.integers(-28, 6),
                    st.sampled_from(ENGINES),
                    st.integers(0, 5),
                    st.sampled_from([0.0, 0.5, 1.0, 1.0]),
                    st.sampled_from([False, False, False, True]),
                ),
                max_size=120,
            )
        )
    ]
    day = st.integers(-20, 20).map(d)
    return client(
        outcomes,
        readiness=draw(st.lists(st.tuples(st.integers(-14, 6).map(d), st.integers(1, 5).map(float)))),
        bodyweight_kg=draw(
            st.lists(st.tuples(st.integers(0, 6).map(d), st.integers(700, 900).map(lambda g: g / 10)))
        ),
        expected_weekly_change_kg=draw(st.none() | st.tuples(ROUNDED, ROUNDED)),
        last_checkin=draw(st.none() | day),
        block_end=draw(st.none() | st.integers(-20, 20).map(ending)),
        unreachable=draw(st.booleans()),
        invalid_timezone=draw(st.booleans()),
        invalid_block=draw(st.booleans()),
    )


thresholds = st.builds(
    FlagThresholds,
    min_compliance_pct=st.integers(0, 100).map(float),
    drop_points=st.integers(1, 50).map(float),
    missed_days=st.integers(1, 7),
    no_checkin_days=st.integers(1, 7),
    readiness_drop=st.integers(1, 40).map(lambda n: n / 20),
    block_ending_days=st.integers(0, 14),
)


def numbers(value: object) -> list[float]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, int | float):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers(v)]
    raise AssertionError(f"not JSON-like: {value!r}")


@settings(max_examples=150, deadline=None)
@given(client_weeks(), thresholds, st.randoms(use_true_random=False))
def test_evaluate_is_deterministic_sorted_and_shows_its_numbers(
    week: ClientWeek, limits: FlagThresholds, shuffler: random.Random
) -> None:
    cards = evaluate(week, limits)
    shuffled = list(week.outcomes)
    shuffler.shuffle(shuffled)
    assert evaluate(dataclasses.replace(week, outcomes=shuffled), limits) == cards  # order of rows is noise
    assert cards == sorted(cards, key=lambda c: (c.urgency, c.kind))
    assert len({c.kind for c in cards}) == len(cards)
    for found in cards:
        assert found.kind in URGENCY and 1 <= found.urgency <= 3
        json.dumps(found.details)
        for number in numbers(found.details):
            assert f"{abs(number):g}" in found.summary, (number, found.summary)


@settings(max_examples=100, deadline=None)
@given(client_weeks())
def test_paused_and_opted_out_clients_never_reach_the_honors_board(week: ClientWeek) -> None:
    others = dataclasses.replace(week, user_id=2, display_name="Bo")
    streaks, prs = {1: 10, 2: 10}, {1: ["Squat"], 2: ["Squat"]}
    assert {e.user_id for e in honors([week, others], streaks, prs, paused={1}, opted_out={2})} == set()
    shown = {e.user_id for e in honors([week, others], streaks, prs, paused=set(), opted_out={2})}
    assert shown == {1}
