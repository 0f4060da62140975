"""Roster charts render a PNG for no data and for a year of it, and leave no figure open."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import matplotlib.pyplot as plt
import pytest
from helpers import ENGINES, tracked_labels
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.compliance import DayOutcome
from bot.views.client_charts import (
    adherence_grid,
    adherence_heatmap,
    bodyweight_chart,
    in_unit,
    moving_average,
    readiness_chart,
)

ROWS = tracked_labels()
START = dt.date(2025, 1, 1)
PNG = b"\x89PNG\r\n\x1a\n"


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def year_of_outcomes() -> list[DayOutcome]:
    return [
        DayOutcome(day(n), engine, 3, (n + i) % 4, paused=n % 60 == 0)
        for n in range(365)
        for i, engine in enumerate(ENGINES)
    ]


@pytest.fixture(autouse=True)
def no_figure_left_open() -> Iterator[None]:
    yield
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    "render",
    [
        lambda: adherence_heatmap("Adherence", [], START, START, ROWS),
        lambda: adherence_heatmap("Adherence", [], START, day(7), ROWS),
        lambda: adherence_heatmap("Adherence", year_of_outcomes(), START, day(365), ROWS),
        lambda: adherence_heatmap("Adherence", year_of_outcomes()[:4], START, day(1), ROWS),
        lambda: bodyweight_chart("Bodyweight", [], "kg"),
        lambda: bodyweight_chart("Bodyweight", [(day(n), 90 - n / 50) for n in range(365)], "lb"),
        lambda: bodyweight_chart("Bodyweight", [(day(0), 80.0)], "kg"),
        lambda: readiness_chart("Readiness", []),
        lambda: readiness_chart("Readiness", [(day(n), 1 + n % 5) for n in range(365)]),
        lambda: readiness_chart("Readiness", [(day(3), 4.0)]),
    ],
    ids=[
        "heatmap-0-days",
        "heatmap-empty-week",
        "heatmap-year",
        "heatmap-1-day",
        "bodyweight-empty",
        "bodyweight-year-lb",
        "bodyweight-1-point",
        "readiness-empty",
        "readiness-year",
        "readiness-1-point",
    ],
)
def test_every_chart_renders_a_png(render) -> None:  # type: ignore[no-untyped-def]
    png = render()
    assert png.startswith(PNG)
    assert len(png) > 1000


def test_adherence_grid_colours_by_done_over_due_and_greys_paused_and_nothing_due() -> None:
    outcomes = [
        DayOutcome(day(0), "meals", 4, 3),
        DayOutcome(day(0), "checkin", 1, 1),
        DayOutcome(day(1), "meals", 4, 0, paused=True),
        DayOutcome(day(1), "checkin", 1, 1),  # same day as a pause: grey too
        DayOutcome(day(2), "training", 0, 0),
        DayOutcome(day(9), "meals", 4, 4),  # outside the range
    ]
    grid = adherence_grid(outcomes, START, day(3), ENGINES)
    assert grid.shape == (len(ENGINES), 3)
    assert grid[ENGINES.index("meals"), 0] == 0.75
    assert grid[ENGINES.index("checkin"), 0] == 1.0
    assert all(math.isnan(v) for v in grid[:, 1])
    assert all(math.isnan(v) for v in grid[:, 2])
    assert adherence_grid(outcomes, START, START, ENGINES).shape == (len(ENGINES), 0)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-3, 12), st.sampled_from(ENGINES), st.integers(0, 5), st.floats(0, 1), st.booleans()
        )
    )
)
def test_adherence_grid_values_are_fractions_or_grey(items: list[tuple[int, str, int, float, bool]]) -> None:
    outcomes = [DayOutcome(day(n), e, due, round(due * f), p) for n, e, due, f, p in items]
    grid = adherence_grid(outcomes, START, day(10), ENGINES)
    assert grid.shape == (len(ENGINES), 10)
    assert all(math.isnan(v) or 0.0 <= v <= 1.0 for v in grid.flat)


def test_weights_are_shown_in_the_clients_unit() -> None:
    points = [(day(1), 100.0), (day(0), 45.359237)]
    assert in_unit(points, "kg") == [(day(0), 45.359237), (day(1), 100.0)]
    shown = in_unit(points, "lb")
    assert shown[0][0] == day(0) and shown[0][1] == pytest.approx(100.0)
    assert shown[1][1] == pytest.approx(220.462, abs=1e-3)


def test_moving_average_uses_the_last_seven_calendar_days() -> None:
    points = [(day(0), 80.0), (day(1), 82.0), (day(6), 84.0), (day(7), 90.0), (day(20), 70.0)]
    # day 7's window is days 1..7: day 0 has left it; day 20 stands alone after a gap
    assert moving_average(points) == [80.0, 81.0, 82.0, pytest.approx(256.0 / 3), 70.0]
