"""How the week in numbers reads (bot.domain.week_numbers): the wording of a change, what is left
out, and the round trip through the drop's content."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.domain.compliance import DayOutcome, Rate, paused_day
from bot.domain.lifting import KG_PER_LB
from bot.domain.models import Unit
from bot.domain.week_numbers import PRS_NAMED, Lift, WeekNumbers, lines, tally

DAY = dt.date(2026, 5, 18)
START = DAY - dt.timedelta(days=7)
LABELS = {"checkin": "check-in", "meals": "meals"}


def weighed(this: float, before: float | None) -> list[str]:
    numbers = WeekNumbers(START, bodyweight_kg=this, weigh_ins=1, previous_kg=before)
    return [lines(numbers, unit, {})[0] for unit in (Unit.kg, Unit.lb)]


def test_a_change_reads_up_down_or_the_same_in_the_clients_unit() -> None:
    assert weighed(80.0, 80.5) == [
        "Bodyweight: 80.0 kg average (1 weigh-in), down 0.5 kg from the week before",
        f"Bodyweight: {80 / KG_PER_LB:.1f} lb average (1 weigh-in), down 1.1 lb from the week before",
    ]
    assert weighed(80.3, 80.0)[0].endswith(", up 0.3 kg from the week before")
    # Less than a tenth either way is no change, never "down 0.0" or "−0.0".
    assert weighed(80.02, 80.0) == [
        "Bodyweight: 80.0 kg average (1 weigh-in), the same as the week before",
        f"Bodyweight: {80.02 / KG_PER_LB:.1f} lb average (1 weigh-in), the same as the week before",
    ]
    assert weighed(80.0, None) == [
        "Bodyweight: 80.0 kg average (1 weigh-in)",
        "Bodyweight: 176.4 lb average (1 weigh-in)",
    ]


def test_compliance_shows_the_labelled_engines_with_something_due_and_the_paused_days() -> None:
    outcomes = [
        DayOutcome(START, "checkin", 1, 1),
        DayOutcome(START, "meals", 3, 2),
        DayOutcome(START, "other", 1, 0),  # not in the labels: not shown
        DayOutcome(START + dt.timedelta(days=1), "checkin", 1, 0),
        paused_day(START + dt.timedelta(days=1)),  # that miss is not counted
        DayOutcome(DAY, "checkin", 1, 0),  # the check-in day: not part of the week
        DayOutcome(START - dt.timedelta(days=1), "meals", 3, 0),  # the week before
    ]
    numbers = tally(DAY, outcomes, bodyweight_kg=None, weigh_ins=0, previous_kg=None, sessions=[], prs=[])
    assert numbers.compliance == {"checkin": Rate(1, 1), "meals": Rate(2, 3), "other": Rate(0, 1)}
    assert lines(numbers, Unit.kg, LABELS)[1] == "Check-in 1/1 · Meals 2/3 (1 paused day not counted)"
    everything_paused = tally(
        DAY, [paused_day(START + dt.timedelta(days=n)) for n in range(7)],
        bodyweight_kg=None, weigh_ins=0, previous_kg=None, sessions=[(START, 0)], prs=[],
    )  # fmt: skip
    assert lines(everything_paused, Unit.kg, LABELS) == [
        "No weigh-ins this week.",
        "Nothing was due this week (paused 7 days).",
        "No training sessions this week.",
    ]


def test_prs_keep_the_last_of_each_lift_and_name_at_most_three() -> None:
    lifts = [Lift(f"Lift {n}", 100 + n, 5) for n in range(PRS_NAMED + 2)]
    better = Lift("Lift 0", 110, 3, 242.5, "lb")
    numbers = tally(
        DAY,
        [],
        bodyweight_kg=None,
        weigh_ins=0,
        previous_kg=None,
        sessions=[(START, 2)],
        prs=[*lifts, better],
    )
    assert numbers.prs == (*lifts[1:], better)
    assert lines(numbers, Unit.lb, {})[-1] == (
        f"PRs: {', '.join(p.text(Unit.lb) for p in lifts[1 : PRS_NAMED + 1])} and 2 more"
    )
    assert better.text(Unit.lb) == "Lift 0 242.5 lb × 3" and better.text(Unit.kg) == "Lift 0 110 kg × 3"


@pytest.mark.parametrize(
    "numbers",
    [
        WeekNumbers(START),
        WeekNumbers(
            START, bodyweight_kg=81.433, weigh_ins=6, previous_kg=82.0, compliance={"meals": Rate(18, 21)},
            paused_days=1, sessions=3, trained=2, prs=(Lift("Squat", 102.058, 5, 225.0, "lb"),),
        ),
    ],
)  # fmt: skip
def test_the_content_round_trip_is_exact(numbers: WeekNumbers) -> None:
    assert WeekNumbers.from_content(json.loads(json.dumps(numbers.to_content()))) == numbers
