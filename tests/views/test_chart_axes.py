"""What the charts draw, read off the figure just before it is saved (issue 13): date ticks that
name whole days with no offset label, room around the values, a marker for a series of one point,
and heatmap ticks naming the days under them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pytest
from helpers import ENGINES, tracked_labels
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bot.domain.compliance import DayOutcome
from bot.domain.models import Unit
from bot.views import charts, client_charts
from bot.views.charts import LiftPoint, lift_chart
from bot.views.client_charts import adherence_heatmap, bodyweight_chart, readiness_chart

FIRST = dt.date(2026, 12, 1)
PNG = b"\x89PNG\r\n\x1a\n"
SPANS = [1, 2, 7, 28, 90, 365]  # days with a log in them, consecutive from FIRST
MONTHS_PAST = 100  # an axis spanning more days than this may be labelled with months


def day(n: int) -> dt.date:
    return FIRST + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def no_figure_left_open() -> Iterator[None]:
    yield
    assert plt.get_fignums() == []


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[], bytes]], Axes]:
    """Render a chart as the bot does and hand back its main axes, drawn (tick labels and the
    offset text are only set when drawn) and then saved and closed as usual."""
    figures: list[Figure] = []
    save = charts._png

    def capture(figure: Figure) -> bytes:
        figure.canvas.draw()
        figures.append(figure)
        return save(figure)

    monkeypatch.setattr(charts, "_png", capture)
    monkeypatch.setattr(client_charts, "_png", capture)

    def render(make: Callable[[], bytes]) -> Axes:
        assert make().startswith(PNG)
        return figures[-1].axes[0]

    return render


def lifts(count: int, reps: int = 5) -> list[LiftPoint]:
    return [LiftPoint(day(n), 100 + n * 0.5, reps, n % 10 == 0) for n in range(count)]


def weigh_ins(count: int) -> list[tuple[dt.date, float]]:
    return [(day(n), 90 - n / 50) for n in range(count)]


def readiness(count: int) -> list[tuple[dt.date, float]]:
    return [(day(n), float(1 + n % 5)) for n in range(count)]


def outcomes(first: dt.date, last: dt.date) -> list[DayOutcome]:
    days = [first + dt.timedelta(days=n) for n in range((last - first).days)]
    return [DayOutcome(d, e, 3, (d.day + i) % 4) for d in days for i, e in enumerate(ENGINES)]


LINE_CHARTS: dict[str, Callable[[int], bytes]] = {
    "lift": lambda n: lift_chart("Squat", lifts(n), Unit.kg),
    "bodyweight": lambda n: bodyweight_chart("Bodyweight", weigh_ins(n), "kg"),
    "readiness": lambda n: readiness_chart("Readiness", readiness(n)),
}


def x_ticks(axes: Axes) -> list[tuple[float, str]]:
    left, right = sorted(axes.get_xlim())
    ticks = [(label.get_position()[0], label.get_text()) for label in axes.get_xticklabels()]
    return [(x, text) for x, text in ticks if left <= x <= right]


def tick_day(x: float) -> dt.date:
    return mdates.num2date(x).date()


def names_its_day(x: float, text: str, long_span: bool) -> bool:
    """A day tick reads "01 Dec"; past three months a tick may name its month ("Mar", "Jan 2027",
    or the year alone for a January) instead, on the month's first day."""
    shown = tick_day(x)
    if text == f"{shown:%d %b}":
        return True
    months = [f"{shown:%b}", f"{shown:%b %Y}"] + ([f"{shown:%Y}"] if shown.month == 1 else [])
    return long_span and shown.day == 1 and text in months


# Finding 1: two consecutive days showed hour ticks (04:00 … 20:00) and an offset "2026-Dec-01".
@pytest.mark.parametrize("span", SPANS)
@pytest.mark.parametrize("chart", list(LINE_CHARTS))
def test_date_ticks_name_whole_days_with_no_offset_label(drawn, chart: str, span: int) -> None:  # type: ignore[no-untyped-def]
    axes = drawn(lambda: LINE_CHARTS[chart](span))
    ticks = x_ticks(axes)
    assert axes.xaxis.get_offset_text().get_text() == ""
    assert len(ticks) >= 2, ticks
    for x, text in ticks:
        assert x == mdates.date2num(tick_day(x)), f"{text!r} is not at midnight: an hour tick"
        assert names_its_day(x, text, long_span=span > MONTHS_PAST), (x, text, tick_day(x))
    left, right = axes.get_xlim()
    assert left < mdates.date2num(day(0)) and mdates.date2num(day(span - 1)) < right
    if span <= MONTHS_PAST:
        assert mdates.date2num(day(span - 1)) in [x for x, _ in ticks], "the latest day is named"


def drawn_values(axes: Axes) -> list[float]:
    values = [float(y) for line in axes.lines for _, y in line.get_xydata()]
    for c in axes.collections:
        values += [float(y) for _, y in c.get_offsets()]
    return values


# Finding 2: with a single log the point sat on the bottom edge of the plot.
@pytest.mark.parametrize(
    "make",
    [
        lambda: lift_chart("Squat", lifts(1), Unit.kg),
        lambda: lift_chart("Squat", lifts(1, reps=12), Unit.kg),  # no estimated 1RM: one value
        lambda: lift_chart("Squat", lifts(2), Unit.lb),
        lambda: lift_chart("Squat", lifts(365), Unit.kg),
        lambda: bodyweight_chart("Bodyweight", weigh_ins(1), "kg"),
        lambda: bodyweight_chart("Bodyweight", weigh_ins(2), "lb"),
        lambda: bodyweight_chart("Bodyweight", weigh_ins(365), "kg"),
    ],
    ids=["lift-1", "lift-1-no-1rm", "lift-2", "lift-year", "bodyweight-1", "bodyweight-2", "bodyweight-year"],
)
def test_values_keep_clear_of_the_top_and_bottom_edges(drawn, make) -> None:  # type: ignore[no-untyped-def]
    axes = drawn(make)
    bottom, top = axes.get_ylim()
    values = drawn_values(axes)
    assert top > bottom
    heights = [(v - bottom) / (top - bottom) for v in values]
    assert all(0.1 <= h <= 0.9 for h in heights), heights
    if len(set(values)) == 1:  # a single value: a band around it, not a sliver
        assert heights[0] == pytest.approx(0.5)
        assert top - bottom >= 0.05 * values[0]


def readiness_is_on_its_fixed_scale(axes: Axes) -> None:
    assert axes.get_ylim() == (0.8, 5.2)
    assert list(axes.get_yticks()) == [1, 2, 3, 4, 5]


def test_readiness_keeps_its_fixed_one_to_five_axis(drawn) -> None:  # type: ignore[no-untyped-def]
    readiness_is_on_its_fixed_scale(drawn(lambda: readiness_chart("Readiness", readiness(1))))
    readiness_is_on_its_fixed_scale(drawn(lambda: readiness_chart("Readiness", readiness(365))))


def legible(artist: object) -> bool:
    """Something a reader sees: a line through two points or more, or a marker of a fair size."""
    if isinstance(artist, Line2D):
        points = {tuple(p) for p in artist.get_xydata()}
        line = len(points) >= 2 and artist.get_linestyle() not in ("None", "", " ")
        marker = artist.get_marker() not in (None, "None", "", " ") and artist.get_markersize() >= 5
        return bool(points) and (line or marker)
    if isinstance(artist, PathCollection):
        return len(artist.get_offsets()) >= 1 and min(artist.get_sizes()) >= 10
    raise AssertionError(f"unexpected legend entry {artist!r}")


# Finding 3: with a single log the estimated-1RM line drew nothing though it was in the legend.
@pytest.mark.parametrize(
    "make",
    [
        lambda: lift_chart("Squat", lifts(1), Unit.kg),
        lambda: lift_chart("Squat", [LiftPoint(FIRST, 140, 1, True)], Unit.kg),  # 1RM = the weight
        lambda: lift_chart("Squat", [*lifts(1, reps=12), LiftPoint(day(3), 90, 5, False)], Unit.lb),
        lambda: bodyweight_chart("Bodyweight", weigh_ins(1), "kg"),
        lambda: readiness_chart("Readiness", readiness(1)),
    ],
    ids=["lift-1", "lift-1-single-rep", "lift-one-1rm-of-two", "bodyweight-1", "readiness-1"],
)
def test_every_series_in_the_legend_is_drawn_for_a_single_point(drawn, make) -> None:  # type: ignore[no-untyped-def]
    axes = drawn(make)
    handles, labels = axes.get_legend_handles_labels()
    assert len(labels) >= 2
    assert [label for handle, label in zip(handles, labels, strict=True) if not legible(handle)] == []


def heatmap(start: dt.date, end: dt.date) -> bytes:
    return adherence_heatmap("Adherence", outcomes(start, end), start, end, tracked_labels())


def assert_ticks_name_the_cells_under_them(axes: Axes, start: dt.date, end: dt.date) -> list[dt.date]:
    assert axes.xaxis.get_offset_text().get_text() == ""
    assert axes.get_xlim() == (mdates.date2num(start), mdates.date2num(end))
    ticks = x_ticks(axes)
    assert ticks
    named = []
    for x, text in ticks:
        under = tick_day(x)  # the day whose column [day, day + 1) the tick stands in
        assert x == mdates.date2num(under) + 0.5, f"{text!r} is on a column edge, not on a day"
        assert start <= under < end
        assert names_its_day(x, text, long_span=(end - start).days > MONTHS_PAST), (text, under)
        named.append(under)
    return named


# Finding 4: the heatmap's day ticks were November dates under an axis label "2026-Dec".
def test_heatmap_ticks_name_the_november_days_they_stand_on(drawn) -> None:  # type: ignore[no-untyped-def]
    today = dt.date(2026, 12, 2)
    start = today - dt.timedelta(days=28)  # the coach's /client show window
    axes = drawn(lambda: heatmap(start, today))
    named = assert_ticks_name_the_cells_under_them(axes, start, today)
    november = [text for x, text in x_ticks(axes) if tick_day(x).month == 11]
    assert november and all(text.endswith(" Nov") for text in november), november
    assert named[-1] == today - dt.timedelta(days=1), "the latest day shown is named"


@pytest.mark.parametrize("days", [1, 2, 7, 14, 28, 90, 365])
def test_heatmap_ticks_name_the_days_of_any_window(drawn, days: int) -> None:  # type: ignore[no-untyped-def]
    end = day(days) - dt.timedelta(days=10)  # a window across a month's end
    start = end - dt.timedelta(days=days)
    named = assert_ticks_name_the_cells_under_them(drawn(lambda: heatmap(start, end)), start, end)
    assert len(named) >= (1 if days == 1 else 2)
    if days <= MONTHS_PAST:
        assert named[-1] == end - dt.timedelta(days=1), "the latest day shown is named"


def test_a_lift_chart_of_no_logs_still_renders() -> None:
    assert lift_chart("Squat", [], Unit.kg).startswith(PNG)
