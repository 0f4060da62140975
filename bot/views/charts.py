"""Progress charts as PNG bytes (matplotlib's Agg backend: no display needed).

Rendering takes up to about a tenth of a second; the cogs call these through `asyncio.to_thread`
so the event loop keeps answering interactions meanwhile. Matplotlib is not thread-safe as a
whole; what it allows, and what these do, is separate figures in separate threads on Agg: each
call makes its own figure and closes it.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bot.domain.lifting import epley, from_kg
from bot.domain.models import Unit


@dataclass(frozen=True)
class LiftPoint:
    day: dt.date
    weight_kg: float
    reps: int
    is_pr: bool


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=110)
    finally:
        plt.close(figure)  # even when saving fails: open figures are never freed otherwise
    return buffer.getvalue()


def lift_chart(title: str, points: Sequence[LiftPoint], unit: Unit) -> bytes:
    """Top-set weight and estimated 1RM (Epley, 1–10 reps only) over time, PRs marked."""
    figure, axes = plt.subplots(figsize=(8, 4.2), layout="constrained")
    days = [p.day for p in points]
    weights = [from_kg(p.weight_kg, unit) for p in points]
    axes.plot(
        days,
        weights,
        linewidth=1.5,
        label=f"top set ({unit})",
        **({"marker": "o", "markersize": 3} | _lone_point(len(days), "o")),
    )
    estimated = [(p.day, epley(p.weight_kg, p.reps)) for p in points]
    shown = [(d, from_kg(e, unit)) for d, e in estimated if e is not None]
    if shown:
        axes.plot(
            [d for d, _ in shown],
            [e for _, e in shown],
            linestyle="--",
            linewidth=1.2,
            label="estimated 1RM (Epley)",
            **_lone_point(len(shown), "D"),
        )
    prs = [(p.day, from_kg(p.weight_kg, unit)) for p in points if p.is_pr]
    if prs:
        axes.scatter(
            [d for d, _ in prs], [w for _, w in prs], marker="*", s=140, color="#d4ac0d", zorder=5, label="PR"
        )
    if points:
        _dates(axes, days)
        _values(axes, [*weights, *(e for _, e in shown)])
    axes.set_title(title)
    axes.set_ylabel(str(unit))
    axes.grid(alpha=0.3)
    legend_below(figure, axes)
    return _png(figure)


def legend_below(figure: Figure, axes: plt.Axes) -> None:
    """The legend in one row under the x axis, outside the axes, so it covers no point wherever
    the data run (a weight-loss trend starts in the top-left corner, a dip in readiness sits in
    a bottom one). The figure's constrained layout makes room for it."""
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        figure.legend(
            handles, labels, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False
        )


LONE_MARKER_SIZE = 6.0  # points; a line's own markers are smaller, its line shows where it runs


def _lone_point(count: int, marker: str) -> dict[str, object]:
    """Style for a line series of `count` points: a line through one point draws nothing, so
    that point gets a marker big enough to see (the legend then shows it too)."""
    if count != 1:
        return {}
    if marker == "_":  # a dash across the point: an average line through a single weigh-in
        return {"marker": marker, "markersize": 3 * LONE_MARKER_SIZE, "markeredgewidth": 2}
    return {"marker": marker, "markersize": LONE_MARKER_SIZE}


Y_ROOM = 0.15  # of the values' range, left free above and below them
LEAST_BAND = 0.05  # of the values' size: the least range shown, so one value gets a band


def _values(axes: plt.Axes, values: Sequence[float]) -> None:
    """Y limits that leave room above and below the values; a single value (or values nearly
    equal) sits in the middle of a band of 5% of its size rather than on a sliver or an edge."""
    low, high = min(values), max(values)
    least = max(LEAST_BAND * abs(low + high) / 2, 1.0)
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    room = Y_ROOM * (high - low)
    axes.set_ylim(low - room, high + room)


MAX_DATE_TICKS = 8
DAY_TICKS_UP_TO = 100  # days on the axis; a longer one is labelled by month
_DAY_STEPS = (1, 2, 3, 4, 7, 14)
_MONTH_STEPS = (1, 2, 3, 4, 6, 12)


def _dates(axes: plt.Axes, days: Sequence[dt.date], *, cells: bool = False) -> None:
    """The x axis from the first to the last of `days`, ticked with whole dates ("01 Dec", the
    latest day always among them) or, past about three months, months ("Mar"; the year on the
    first tick and on January). Never hours, and no offset label ("2026-Dec") to square with the
    ticks: each tick names itself.

    Points (the default) stand on their day, with room either side (three days for a single
    day). `cells`: the data are columns [day, day + 1) that fill the axis (the heatmap); each
    tick stands in the middle of the column it names."""
    first, last = min(days), max(days)
    if cells:
        left, right, shift = mdates.date2num(first), mdates.date2num(last) + 1.0, 0.5
    else:
        span = (last - first).days
        room = 3.0 if span == 0 else max(0.5, 0.04 * span)
        left, right, shift = mdates.date2num(first) - room, mdates.date2num(last) + room, 0.0
    offset = mdates.date2num(first) + shift  # where `first`'s tick would stand
    shown = [  # the days whose tick would be on the axis
        first + dt.timedelta(days=n) for n in range(math.ceil(left - offset), math.floor(right - offset) + 1)
    ]
    if len(shown) <= DAY_TICKS_UP_TO:
        step = next((s for s in _DAY_STEPS if math.ceil(len(shown) / s) <= MAX_DATE_TICKS), _DAY_STEPS[-1])
        ticks = [d for d in shown if (last - d).days % step == 0]
        labels = [f"{d:%d %b}" for d in ticks]
    else:
        starts = [d for d in shown if d.day == 1]
        step = next(
            (s for s in _MONTH_STEPS if math.ceil(len(starts) / s) <= MAX_DATE_TICKS),
            math.ceil(len(starts) / MAX_DATE_TICKS),
        )
        ticks = [d for d in starts if (d.year * 12 + d.month - 1) % step == 0]
        labels = [f"{d:%b %Y}" if i == 0 or d.month == 1 else f"{d:%b}" for i, d in enumerate(ticks)]
    axes.set_xticks([mdates.date2num(d) + shift for d in ticks], labels)
    axes.set_xlim(left, right)
