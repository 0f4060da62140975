"""Paused days in the flag rules: a pause is a fresh start for the runs the rules count (missed
days, days without a check-in), and nothing measured on a paused day feeds a trend."""

from __future__ import annotations

import dataclasses
import datetime as dt

from helpers import tracked_labels

from bot.domain.compliance import DayOutcome, missed_run, paused_day, rates
from bot.domain.flag_rules import ClientWeek, FlagThresholds, escalation_due, evaluate

START = dt.date(2026, 5, 4)  # a Monday: the week scanned is [START, END)
END = START + dt.timedelta(days=7)
T = FlagThresholds(engine_labels=tracked_labels(), checkin_engines=frozenset({"checkin"}))


def d(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def logged(n: int) -> list[DayOutcome]:
    return [DayOutcome(d(n), "checkin", 1, 1), DayOutcome(d(n), "meals", 2, 2)]


def missed(n: int) -> list[DayOutcome]:
    return [DayOutcome(d(n), "checkin", 1, 0), DayOutcome(d(n), "meals", 2, 0)]


def paused(first: int, last: int) -> list[DayOutcome]:
    """The markers the data layer adds for a pause over days [first, last)."""
    return [paused_day(d(n)) for n in range(first, last)]


def week(outcomes: list[DayOutcome], **changes: object) -> ClientWeek:
    base = ClientWeek(
        user_id=1, display_name="Ada", week_start=START, week_end=END, outcomes=outcomes, last_checkin=None
    )
    return dataclasses.replace(base, **changes)


def kinds(w: ClientWeek) -> list[str]:
    return [card.kind for card in evaluate(w, T)]


def test_the_pause_marker_leaves_its_day_out_of_every_rate() -> None:
    # Thursday's check-in went out at 05:30 and was missed; the coach paused her that afternoon.
    outcomes = [*logged(0), *logged(1), *logged(2), *missed(3), *paused(3, 7)]
    assert rates(outcomes, START, END)["overall"].pct == 100.0


def test_back_from_two_weeks_away_with_two_days_missed_before_them_is_not_escalated() -> None:
    # Missed Friday and Saturday while packing, away two weeks, back on the third Sunday and
    # missed that too: a run of one, not three.
    outcomes = [*logged(-3), *missed(-2), *missed(-1), *paused(0, 14), *missed(14)]
    assert missed_run(outcomes, d(14), include_today=True) == 1
    assert escalation_due(outcomes, d(14), T, include_today=True) is None


def test_no_checkin_starts_afresh_after_a_pause() -> None:
    # One day without a check-in before a pause and two after it: two, not three (and without
    # any pause it would be twenty).
    outcomes = [*logged(-14), *missed(-13), *paused(-12, 5), *missed(5), *missed(6)]
    w = week(outcomes, last_checkin=d(-14))
    assert "no_checkin" not in kinds(w)
    assert "no_checkin" in kinds(week([*logged(-14), *(o for n in range(-13, 7) for o in missed(n))]))


def test_no_checkin_counts_the_days_since_the_pause_ended() -> None:
    outcomes = [*logged(-10), *paused(-9, 3), *missed(3), *missed(4), *missed(5), *missed(6)]
    [card] = [c for c in evaluate(week(outcomes, last_checkin=d(-10)), T) if c.kind == "no_checkin"]
    assert (
        card.summary == "No check-in for 4 days since the pause that ended on Thursday 07 May "
        "(threshold 3 days)"
    )
    assert card.details["since_pause_ended"] == "2026-05-07" and card.details["days"] == 4


def test_a_client_who_never_checked_in_starts_afresh_after_a_pause_too() -> None:
    outcomes = [*missed(0), *missed(1), *paused(2, 5), *missed(5), *missed(6)]
    assert "no_checkin" not in kinds(week(outcomes))


def test_readiness_and_weigh_ins_on_paused_days_feed_no_trend() -> None:
    # A drop in readiness that exists only on paused days (she checked in, then was paused).
    outcomes = [*(o for n in range(-7, 7) for o in logged(n)), *paused(4, 7)]
    before = [(d(n), 4.0) for n in range(-7, 0)]
    recent = [(d(0), 4.0), (d(1), 4.0), (d(4), 1.0), (d(5), 1.0), (d(6), 1.0)]
    assert "readiness_down" not in kinds(week(outcomes, readiness=before + recent, last_checkin=d(6)))
    assert "readiness_down" in kinds(
        week(outcomes[: -len(paused(4, 7))], readiness=before + recent, last_checkin=d(6))
    )
    weigh_ins = [(d(0), 80.0), (d(1), 80.0), (d(2), 80.0), (d(4), 85.0), (d(5), 85.0), (d(6), 85.0)]
    on_target = week(
        outcomes, bodyweight_kg=weigh_ins, expected_weekly_change_kg=(-0.5, 0.5), last_checkin=d(6)
    )
    assert "bodyweight_off_range" not in kinds(on_target)
