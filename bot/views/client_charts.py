"""Roster charts as PNG bytes: adherence heatmap, bodyweight trend, readiness and the weekly
check-in's measurements.

Same conventions as `bot.views.charts`: matplotlib's Agg backend (no display, safe in a worker
thread), every figure closed after rendering, and the cogs call these through
`asyncio.to_thread`. Every chart renders something for no data ("No data yet") and stays
readable for a year of it, so a command never fails because a client is new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from bot.domain.compliance import DayOutcome, paused_days
from bot.domain.lifting import KG_PER_LB
from bot.domain.measurements import from_cm, length_unit
from bot.views.charts import _dates, _lone_point, _png, _values, legend_below

NOTHING_DUE = "#d9d9d9"  # grey: nothing due or paused, so neither good nor bad
MOVING_AVERAGE_DAYS = 7
_ADHERENCE = LinearSegmentedColormap.from_list("adherence", ["#c0392b", "#f4d03f", "#27ae60"])


def _no_data(axes: plt.Axes) -> None:
    axes.text(0.5, 0.5, "No data yet", ha="center", va="center", fontsize=14, color="#777777")
    axes.set_xticks([])
    axes.set_yticks([])


def adherence_grid(
    outcomes: Sequence[DayOutcome], start: dt.date, end: dt.date, engines: Sequence[str]
) -> np.ndarray:
    """Rows = `engines`, columns = the days [start, end); done/due, NaN for nothing due or paused.
    Outcomes of an engine not listed are left out."""
    width = max((end - start).days, 0)
    done = np.zeros((len(engines), width))
    due = np.zeros((len(engines), width))
    paused = paused_days(outcomes)
    for o in outcomes:
        column = (o.day - start).days
        if 0 <= column < width and o.day not in paused and o.engine in engines:
            row = list(engines).index(o.engine)
            done[row, column] += o.done
            due[row, column] += o.due
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(due > 0, done / np.where(due > 0, due, 1), np.nan)


def adherence_heatmap(
    title: str, outcomes: list[DayOutcome], start: dt.date, end: dt.date, rows: Mapping[str, str]
) -> bytes:
    """Engines by day (`rows`: name -> label, top to bottom), coloured red → green by done/due;
    grey where nothing was due or the client was paused. Works from zero days to a year (the x
    axis switches to month ticks)."""
    grid = adherence_grid(outcomes, start, end, list(rows))
    figure, axes = plt.subplots(figsize=(9, 2.8))
    axes.set_title(title)
    if grid.shape[1] == 0 or np.all(np.isnan(grid)):
        _no_data(axes)
        figure.tight_layout()
        return _png(figure)
    colours = _ADHERENCE.with_extremes(bad=NOTHING_DUE)
    left, right = mdates.date2num(start), mdates.date2num(end)
    image = axes.imshow(
        np.ma.masked_invalid(grid),
        aspect="auto",
        cmap=colours,
        vmin=0.0,
        vmax=1.0,
        interpolation="nearest",
        extent=(left, right, len(rows) - 0.5, -0.5),
    )
    axes.set_yticks(range(len(rows)), list(rows.values()))
    axes.xaxis_date()
    _dates(axes, [start, end - dt.timedelta(days=1)], cells=True)
    bar = figure.colorbar(image, ax=axes, fraction=0.03, pad=0.02, ticks=[0, 0.5, 1])
    bar.ax.set_yticklabels(["0%", "50%", "100%"])
    bar.set_label("done / due", fontsize=8)
    figure.tight_layout()
    return _png(figure)


def moving_average(points: Sequence[tuple[dt.date, float]], days: int = MOVING_AVERAGE_DAYS) -> list[float]:
    """For each point (sorted by day), the mean of the points in the `days` calendar days ending
    on its day: calendar days, not the last N points, so a gap in weigh-ins is not averaged away."""
    result = []
    for day, _ in points:
        window = [value for d, value in points if day - dt.timedelta(days=days - 1) <= d <= day]
        result.append(sum(window) / len(window))
    return result


def in_unit(points: Sequence[tuple[dt.date, float]], unit: str) -> list[tuple[dt.date, float]]:
    """Weigh-ins stored in kg, shown in the client's unit, sorted by day."""
    factor = 1 / KG_PER_LB if str(unit) == "lb" else 1.0
    return sorted((day, kg * factor) for day, kg in points)


def bodyweight_chart(title: str, points: list[tuple[dt.date, float]], unit: str) -> bytes:
    """Daily weigh-ins (dots) and their 7-day moving average (line), in the client's unit."""
    figure, axes = plt.subplots(figsize=(8, 4.2), layout="constrained")
    axes.set_title(title)
    if not points:
        _no_data(axes)
        return _png(figure)
    unit = str(unit)
    shown = in_unit(points, unit)
    days = [d for d, _ in shown]
    axes.scatter(days, [v for _, v in shown], s=12, alpha=0.55, label=f"weigh-in ({unit})")
    average = moving_average(shown)
    axes.plot(
        days, average, linewidth=2, color="#1f4e79", label="7-day average", **_lone_point(len(days), "_")
    )
    _dates(axes, days)
    _values(axes, [*(v for _, v in shown), *average])
    axes.set_ylabel(unit)
    axes.grid(alpha=0.3)
    legend_below(figure, axes)
    return _png(figure)


def readiness_chart(title: str, points: list[tuple[dt.date, float]]) -> bytes:
    """Daily readiness on its 1–5 scale with the 7-day average, the axis fixed so a dip of one
    point looks the same size in every client's chart."""
    figure, axes = plt.subplots(figsize=(8, 3.6), layout="constrained")
    axes.set_title(title)
    if not points:
        _no_data(axes)
        return _png(figure)
    shown = sorted(points)
    days = [d for d, _ in shown]
    axes.scatter(days, [v for _, v in shown], s=14, alpha=0.6, label="readiness")
    axes.plot(
        days,
        moving_average(shown),
        linewidth=2,
        color="#7d3c98",
        label="7-day average",
        **_lone_point(len(days), "_"),
    )
    axes.set_ylim(0.8, 5.2)
    axes.set_yticks([1, 2, 3, 4, 5])
    _dates(axes, days)
    axes.set_ylabel("readiness (1–5)")
    axes.grid(alpha=0.3)
    legend_below(figure, axes)
    return _png(figure)


def measurement_chart(title: str, name: str, points: list[tuple[dt.date, float]], unit: str) -> bytes:
    """A measurement of the weekly check-in (`points` in cm), in the client's length unit (inches
    for a client who weighs in lb): one point per check-in joined by a line; weekly, so no
    average."""
    figure, axes = plt.subplots(figsize=(8, 4.2), layout="constrained")
    axes.set_title(title)
    if not points:
        _no_data(axes)
        return _png(figure)
    length = length_unit(unit)
    shown = sorted((day, from_cm(cm, unit)) for day, cm in points)
    days = [d for d, _ in shown]
    values = [v for _, v in shown]
    axes.plot(
        days,
        values,
        linewidth=2,
        color="#1f4e79",
        label=f"{name} ({length})",
        **({"marker": "o", "markersize": 4} | _lone_point(len(days), "o")),
    )
    _dates(axes, days)
    _values(axes, values)
    axes.set_ylabel(length)
    axes.grid(alpha=0.3)
    legend_below(figure, axes)
    return _png(figure)
