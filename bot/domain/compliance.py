"""Compliance arithmetic over per-day outcomes: rates, streaks and runs of missed days.

Pure functions: no database, no Discord, no clock. The caller turns log rows into one
`DayOutcome` per client, local day and engine, and passes the local `today` explicitly, so the
same numbers come out in a test, in the Sunday flag scan and in a chart.

Paused days are excluded from everything: a day counts as paused when any of its outcomes says
so (a pause covers the whole client, not one engine). The data layer adds one `paused_day`
outcome for every day of a stored pause, so a paused day is there even when nothing was sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

OVERALL = "overall"
PAUSED = "paused"  # the `engine` of the outcome that marks a paused day (no engine has this name)
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class DayOutcome:
    """What was due and what was logged for one engine on one of the client's local days."""

    day: dt.date  # the client's local date
    engine: str  # the engine's name (the registry says which engines count)
    due: int  # items due: check-in 1, meals the number of meals, cardio 1, training its exercises
    done: int  # items logged, 0..due
    paused: bool = False  # the client was paused that day: excluded from everything

    def __post_init__(self) -> None:
        # A bad count is a bug in the caller's query; failing here beats a 130% compliance card.
        if not self.engine or self.engine == OVERALL:
            raise ValueError(f"{self.engine!r} is not an engine")
        if self.due < 0 or not 0 <= self.done <= self.due:
            raise ValueError(f"{self.engine} on {self.day}: done {self.done} of due {self.due} is impossible")


@dataclass(frozen=True)
class Rate:
    done: int
    due: int

    @property
    def pct(self) -> float | None:
        """Percent done; None when nothing was due (0 of 0 is neither 0% nor 100%)."""
        return None if self.due == 0 else 100.0 * self.done / self.due

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.done + other.done, self.due + other.due)


@dataclass(frozen=True)
class _Day:
    due: int
    done: int
    complete: bool  # every engine with something due was fully logged


def paused_day(day: dt.date) -> DayOutcome:
    """The marker of a day the client was paused: nothing due, nothing done, the day left out."""
    return DayOutcome(day, PAUSED, 0, 0, paused=True)


def paused_days(outcomes: Iterable[DayOutcome]) -> set[dt.date]:
    return {o.day for o in outcomes if o.paused}


def _active(outcomes: Iterable[DayOutcome]) -> list[DayOutcome]:
    """The outcomes that count: everything except the days the client was paused."""
    listed = list(outcomes)
    paused = paused_days(listed)
    return [o for o in listed if o.day not in paused]


def _days(outcomes: Iterable[DayOutcome]) -> dict[dt.date, _Day]:
    """Per active day: the totals, and whether every engine with something due was complete."""
    per_engine: dict[tuple[dt.date, str], Rate] = {}
    for o in _active(outcomes):
        key = (o.day, o.engine)
        per_engine[key] = per_engine.get(key, Rate(0, 0)) + Rate(o.done, o.due)
    days: dict[dt.date, _Day] = {}
    for (day, _), rate in per_engine.items():
        seen = days.get(day, _Day(0, 0, True))
        days[day] = _Day(seen.due + rate.due, seen.done + rate.done, seen.complete and rate.done == rate.due)
    return days


def rates(outcomes: Iterable[DayOutcome], start: dt.date, end: dt.date) -> dict[str, Rate]:
    """Done/due per engine and "overall" over the local days [start, end), paused days left out.
    Every engine with an outcome on an unpaused day has an entry (0 of 0 outside the window).

    "overall" adds items, not percentages: a day of five meals weighs more than its one check-in,
    which matches what the client was asked to do.
    """
    active = _active(outcomes)
    totals = {engine: Rate(0, 0) for engine in dict.fromkeys(o.engine for o in active)}
    for o in active:
        if start <= o.day < end:
            totals[o.engine] += Rate(o.done, o.due)
    overall = Rate(0, 0)
    for rate in totals.values():
        overall += rate
    return {**totals, OVERALL: overall}


def window_rates(outcomes: Iterable[DayOutcome], today: dt.date, days: int) -> dict[str, Rate]:
    """The last `days` local days ending yesterday: today is not over, so it would only drag
    every rate down until its deadlines pass."""
    return rates(outcomes, today - dt.timedelta(days=days), today)


def streak(outcomes: Iterable[DayOutcome], today: dt.date, *, include_today_if_complete: bool = False) -> int:
    """Consecutive fully compliant days counting back from yesterday; with
    `include_today_if_complete`, from today when today is already fully logged (what a client
    reads mid-day), else still from yesterday: today is not over, so it never breaks a streak.

    Days with nothing due and paused days are stepped over: a rest day or a holiday the coach
    agreed to should not cost a client the streak they built.
    """
    days = _days(outcomes)
    last = today + _ONE_DAY if include_today_if_complete else today
    count = 0
    for day in sorted((d for d in days if d < last), reverse=True):
        summary = days[day]
        if summary.due == 0:
            continue
        if not summary.complete:
            if day == today:
                continue  # not over yet: it counts once complete, and cannot cost anything before
            break
        count += 1
    return count


def missed_run(outcomes: Iterable[DayOutcome], today: dt.date, *, include_today: bool = False) -> int:
    """Consecutive fully missed days (something due, nothing logged on any engine) ending
    yesterday, or today when `include_today` (for a check after today's deadlines passed).

    Days with nothing due are stepped over (nothing could be missed). A paused day ends the run:
    a pause is a fresh start, and a client coming back from one should not be escalated for the
    days before it.
    """
    listed = list(outcomes)
    paused = paused_days(listed)
    days = _days(listed)
    if not days:
        return 0
    first = min(days)
    count = 0
    day = today if include_today else today - _ONE_DAY
    while day >= first:
        if day in paused:
            break
        summary = days.get(day)
        if summary is not None and summary.due > 0:
            if summary.done > 0:
                break
            count += 1
        day -= _ONE_DAY
    return count


def weekly_overall(outcomes: Iterable[DayOutcome], week_starts: list[dt.date]) -> list[Rate]:
    """The overall rate of each 7-day window [start, start + 7 days), in the order given."""
    listed = list(outcomes)
    return [rates(listed, start, start + dt.timedelta(days=7))[OVERALL] for start in week_starts]
