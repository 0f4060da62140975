"""Progress charts as PNG bytes (matplotlib's Agg backend: no display needed).

Rendering takes up to about a tenth of a second; the cogs call these through `asyncio.to_thread`
so the event loop keeps answering interactions meanwhile. Matplotlib is not thread-safe as a
whole; what it allows, and what these do, is separate figures in separate threads on Agg: each
call makes its own figure and closes it.
"""

from __future__ import annotations

import datetime as dt
import io
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
    figure, axes = plt.subplots(figsize=(8, 4.2))
    days = [p.day for p in points]
    weights = [from_kg(p.weight_kg, unit) for p in points]
    axes.plot(days, weights, marker="o", markersize=3, linewidth=1.5, label=f"top set ({unit})")
    estimated = [(p.day, epley(p.weight_kg, p.reps)) for p in points]
    shown = [(d, from_kg(e, unit)) for d, e in estimated if e is not None]
    if shown:
        axes.plot(
            [d for d, _ in shown],
            [e for _, e in shown],
            linestyle="--",
            linewidth=1.2,
            label="estimated 1RM (Epley)",
        )
    prs = [(p.day, from_kg(p.weight_kg, unit)) for p in points if p.is_pr]
    if prs:
        axes.scatter(
            [d for d, _ in prs], [w for _, w in prs], marker="*", s=140, color="#d4ac0d", zorder=5, label="PR"
        )
    _dates(axes, days)
    axes.set_title(title)
    axes.set_ylabel(str(unit))
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    return _png(figure)


def _dates(axes: plt.Axes, days: Sequence[dt.date]) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if len(set(days)) == 1:  # a single day: give the axis some width
        only = days[0]
        axes.set_xlim(only - dt.timedelta(days=3), only + dt.timedelta(days=3))
