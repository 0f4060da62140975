"""The weekly check-in's measurement chart (client_charts.measurement_chart): a PNG that decodes,
one point per check-in in the client's length unit joined by a line (no average), the legend
under the axes, a visible point for a single check-in and "No data yet" for none."""

from __future__ import annotations

import datetime as dt
import io

import matplotlib.dates as mdates
import pytest
from PIL import Image

from bot.domain.measurements import CM_PER_INCH
from bot.views.client_charts import measurement_chart

FIRST = dt.date(2026, 10, 4)  # a Sunday
PNG = b"\x89PNG\r\n\x1a\n"


def weeks(count: int, start_cm: float = 86.0) -> list[tuple[dt.date, float]]:
    return [(FIRST + dt.timedelta(weeks=n), start_cm - n * 0.5) for n in range(count)]


@pytest.fixture(autouse=True)
def _every_figure_closed(no_figure_left_open: None) -> None:
    """Each chart closes its figure (tests/views/conftest.py)."""


@pytest.mark.parametrize("count", [0, 1, 2, 12, 52])
def test_the_chart_is_a_png_that_decodes(count: int) -> None:
    png = measurement_chart("Waist — Sam", "waist", weeks(count), "kg")
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.format == "PNG"
        assert image.size == (880, 462)  # 8 × 4.2 inches at 110 dpi


def test_one_point_per_check_in_joined_by_a_line_in_cm(drawn) -> None:  # type: ignore[no-untyped-def]
    points = [weeks(5)[n] for n in (3, 0, 4, 1, 2)]  # as given, out of order
    axes = drawn(lambda: measurement_chart("Waist — Sam", "waist", points, "kg")).axes[0]
    [line] = axes.lines
    assert len(axes.collections) == 0  # no separate dots, no average
    xy = line.get_xydata()
    assert len(xy) == 5
    assert [mdates.num2date(x).date() for x, _ in xy] == [d for d, _ in weeks(5)]
    assert [float(y) for _, y in xy] == [86.0, 85.5, 85.0, 84.5, 84.0]
    assert line.get_linestyle() == "-" and line.get_marker() == "o"
    assert line.get_label() == "waist (cm)" and axes.get_ylabel() == "cm"
    bottom, top = axes.get_ylim()
    assert bottom < 84.0 and 86.0 < top


def test_a_client_who_weighs_in_lb_sees_inches(drawn) -> None:  # type: ignore[no-untyped-def]
    points = [(FIRST, 40 * CM_PER_INCH), (FIRST + dt.timedelta(weeks=1), 39.5 * CM_PER_INCH)]
    axes = drawn(lambda: measurement_chart("Hips — Sam", "hips", points, "lb")).axes[0]
    [line] = axes.lines
    assert [float(y) for _, y in line.get_xydata()] == [40.0, 39.5]
    assert line.get_label() == "hips (in)" and axes.get_ylabel() == "in"


def test_the_legend_is_below_the_axes(drawn) -> None:  # type: ignore[no-untyped-def]
    figure = drawn(lambda: measurement_chart("Waist — Sam", "waist", weeks(8), "kg"))
    [axes] = figure.axes
    assert axes.get_legend() is None
    [legend] = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == ["waist (cm)"]
    [legend_box], [axes_box] = figure.drawn_boxes["legends"], figure.drawn_boxes["axes"]
    assert legend_box.y1 < axes_box.y0


def test_a_single_check_in_is_a_visible_point_in_a_band(drawn) -> None:  # type: ignore[no-untyped-def]
    axes = drawn(lambda: measurement_chart("Arm — Sam", "arm", [(FIRST, 35.0)], "kg")).axes[0]
    [line] = axes.lines
    assert len(line.get_xydata()) == 1 and line.get_markersize() >= 5
    bottom, top = axes.get_ylim()
    assert (35.0 - bottom) / (top - bottom) == pytest.approx(0.5)
    left, right = axes.get_xlim()
    assert left < mdates.date2num(FIRST) < right


def test_no_check_in_says_no_data_yet(drawn) -> None:  # type: ignore[no-untyped-def]
    axes = drawn(lambda: measurement_chart("Chest — Sam", "chest", [], "kg")).axes[0]
    assert len(axes.lines) == 0 and [t.get_text() for t in axes.texts] == ["No data yet"]
