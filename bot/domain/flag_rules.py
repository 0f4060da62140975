"""The weekly flag rules: which clients a coach should look at, and why.

The seeds' "DSPy flag engine" stands here as plain rules behind one function, `evaluate`, so a
model-based analyzer could replace it later without touching the scan that calls it. Pure
functions: the caller gathers one `ClientWeek` per client and decides what to store and send.

Every decision is taken on the rounded numbers the summary shows, so a coach never reads a card
like "70% (threshold 70%)" that fired on a hidden 69.96.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import StatisticsError, fmean, linear_regression
from typing import Literal

from bot.domain.blocks import BlockEnd
from bot.domain.compliance import (
    OVERALL,
    DayOutcome,
    Rate,
    missed_run,
    paused_days,
    rates,
    weekly_overall,
)

PREVIOUS_WEEKS = 4  # the baseline a compliance drop is measured against
MIN_PREVIOUS_WEEKS = 2  # fewer is noise: a new client's first week is no baseline
MIN_POINTS = 3  # readiness scores or weigh-ins needed before a trend means anything
HONORS_TOP_STREAKS = 5
HONORS_MIN_STREAK = 3
_WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class FlagThresholds:
    min_compliance_pct: float = 70.0
    drop_points: float = 20.0  # drop vs the previous 4 weeks' average, in percentage points
    missed_days: int = 3  # N consecutive fully missed days
    no_checkin_days: int = 3
    readiness_drop: float = 0.75  # last-7-day mean vs previous-7-day mean, points on the 1–5 scale
    block_ending_days: int = 7
    # Engine name -> label, in the order people read them (the registry's): for card texts.
    engine_labels: Mapping[str, str] = field(default_factory=dict)
    # The engines whose logs are the client's check-in (the registry's "check-in" role).
    checkin_engines: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ClientWeek:
    """Everything the rules need about one client, gathered by the caller."""

    user_id: int
    display_name: str
    week_start: dt.date  # the 7 local days scanned are [week_start, week_end)
    week_end: dt.date
    outcomes: list[DayOutcome]  # at least the last 35 days (this week and the 4 before)
    readiness: list[tuple[dt.date, float]] = field(default_factory=list)  # daily scores, 1–5
    bodyweight_kg: list[tuple[dt.date, float]] = field(default_factory=list)
    expected_weekly_change_kg: tuple[float, float] | None = None  # the coach's range; None = no rule
    last_checkin: dt.date | None = None
    block_end: BlockEnd | None = None  # where the current block ends (a block with a length)
    unreachable: bool = False
    invalid_timezone: bool = False
    invalid_block: bool = False


@dataclass(frozen=True)
class CardDraft:
    kind: str  # the rule id; with the client and the week it is the card's idempotency key
    urgency: int  # 1 most urgent … 3
    summary: str  # one line: the rule and the numbers behind it
    details: dict[str, object]  # the same numbers, JSON-serialisable


# Urgency by rule: 1 = the client is slipping away or the bot cannot reach them; 2 = worth a look
# this week; 3 = planning.
URGENCY = {
    "missed_days": 1,
    "unreachable": 1,
    "invalid_timezone": 1,
    "low_compliance": 2,
    "compliance_drop": 2,
    "no_checkin": 2,
    "readiness_down": 2,
    "invalid_block": 2,
    "bodyweight_off_range": 3,
    "block_ending": 3,
}


def _num(value: float, places: int = 1) -> str:
    """A number as a coach reads it: no trailing zeros, no '-0'."""
    text = f"{round(value, places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _signed(value: float, places: int = 2) -> str:
    text = _num(value, places)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def _card(kind: str, summary: str, details: dict[str, object], urgency: int | None = None) -> CardDraft:
    return CardDraft(kind, URGENCY[kind] if urgency is None else urgency, summary, details)


def _engines_in_order(week: Mapping[str, Rate], labels: Mapping[str, str]) -> list[str]:
    """The engines with something due, in the order the labels list them (then by name)."""
    due = [e for e, rate in week.items() if e != OVERALL and rate.due > 0]
    order = list(labels)
    return sorted(due, key=lambda e: (order.index(e) if e in order else len(order), e))


def _engines_text(week: Mapping[str, Rate], labels: Mapping[str, str]) -> str:
    return ", ".join(
        f"{labels.get(e, e)} {week[e].done}/{week[e].due}" for e in _engines_in_order(week, labels)
    )


def _low_compliance(week: ClientWeek, thresholds: FlagThresholds) -> CardDraft | None:
    this = rates(week.outcomes, week.week_start, week.week_end)
    pct = this[OVERALL].pct
    if pct is None or round(pct, 1) >= thresholds.min_compliance_pct:
        return None
    summary = (
        f"Overall compliance {_num(pct)}% this week ({this[OVERALL].done}/{this[OVERALL].due} items; "
        f"threshold {_num(thresholds.min_compliance_pct)}%): {_engines_text(this, thresholds.engine_labels)}"
    )
    details: dict[str, object] = {
        "pct": round(pct, 1),
        "threshold_pct": thresholds.min_compliance_pct,
        "done": this[OVERALL].done,
        "due": this[OVERALL].due,
        "engines": {
            e: {"done": this[e].done, "due": this[e].due}
            for e in _engines_in_order(this, thresholds.engine_labels)
        },
    }
    return _card("low_compliance", summary, details)


def _compliance_drop(week: ClientWeek, thresholds: FlagThresholds) -> CardDraft | None:
    pct = rates(week.outcomes, week.week_start, week.week_end)[OVERALL].pct
    if pct is None:
        return None
    starts = [week.week_start - _WEEK * k for k in range(PREVIOUS_WEEKS, 0, -1)]  # oldest first
    previous = [
        (start, rate.pct)
        for start, rate in zip(starts, weekly_overall(week.outcomes, starts), strict=True)
        if rate.pct is not None
    ]
    if len(previous) < MIN_PREVIOUS_WEEKS:
        return None
    baseline = round(fmean(p for _, p in previous), 1)
    drop = round(baseline - round(pct, 1), 1)
    if drop < thresholds.drop_points:
        return None
    weeks_text = ", ".join(f"{_num(p)}%" for _, p in previous)
    summary = (
        f"Overall compliance {_num(pct)}% this week, down {_num(drop)} points from the average "
        f"{_num(baseline)}% of the previous {len(previous)} weeks ({weeks_text}; "
        f"threshold {_num(thresholds.drop_points)} points)"
    )
    details: dict[str, object] = {
        "pct": round(pct, 1),
        "previous_avg_pct": baseline,
        "drop_points": drop,
        "threshold_points": thresholds.drop_points,
        "previous_weeks": [{"start": s.isoformat(), "pct": round(p, 1)} for s, p in previous],
    }
    return _card("compliance_drop", summary, details)


def _missed_days_card(run: int, through: dt.date, threshold: int) -> CardDraft:
    summary = (
        f"{run} consecutive days with nothing logged on any engine, through {through:%A %d %B} "
        f"(threshold {threshold} days)"
    )
    return _card(
        "missed_days", summary, {"days": run, "through": through.isoformat(), "threshold": threshold}
    )


def _missed_days(week: ClientWeek, thresholds: FlagThresholds) -> CardDraft | None:
    run = missed_run(week.outcomes, week.week_end)
    if run < thresholds.missed_days:
        return None
    return _missed_days_card(run, week.week_end - dt.timedelta(days=1), thresholds.missed_days)


def _no_checkin(week: ClientWeek, thresholds: FlagThresholds) -> CardDraft | None:
    """Days without a check-in, counted after the last one through the week's last day.

    Paused days do not count, and a pause ends the count as it ends a run of missed days: a
    client back from a holiday starts afresh, whatever they skipped before it. A client who never
    checked in counts from the first day a check-in was due, so a new client is not flagged on
    day one.
    """
    paused = paused_days(week.outcomes)
    last_day = week.week_end - dt.timedelta(days=1)
    if week.last_checkin is not None:
        first = week.last_checkin + dt.timedelta(days=1)
    else:
        due_days = [
            o.day
            for o in week.outcomes
            if o.engine in thresholds.checkin_engines
            and o.due > 0
            and o.day not in paused
            and o.day <= last_day
        ]
        if not due_days:
            return None
        first = min(due_days)
    last_pause = max((day for day in paused if first <= day <= last_day), default=None)
    if last_pause is not None:
        first = last_pause + dt.timedelta(days=1)
    days = max(0, (last_day - first).days + 1)
    if days < thresholds.no_checkin_days:
        return None
    if last_pause is not None:
        summary = (
            f"No check-in for {days} days since the pause that ended on {first:%A %d %B} "
            f"(threshold {thresholds.no_checkin_days} days)"
        )
    elif week.last_checkin is None:
        summary = (
            f"No check-in yet: {days} days since check-ins started on {first:%A %d %B} "
            f"(threshold {thresholds.no_checkin_days} days)"
        )
    else:
        summary = (
            f"No check-in for {days} days, last one on {week.last_checkin:%A %d %B} "
            f"(threshold {thresholds.no_checkin_days} days)"
        )
    details: dict[str, object] = {
        "days": days,
        "last_checkin": None if week.last_checkin is None else week.last_checkin.isoformat(),
        "threshold": thresholds.no_checkin_days,
    }
    if last_pause is not None:
        details["since_pause_ended"] = first.isoformat()
    return _card("no_checkin", summary, details)


def _readiness_down(week: ClientWeek, thresholds: FlagThresholds) -> CardDraft | None:
    split = week.week_end - _WEEK
    paused = paused_days(week.outcomes)
    scores = [(day, score) for day, score in week.readiness if day not in paused]
    recent = [score for day, score in scores if split <= day < week.week_end]
    before = [score for day, score in scores if split - _WEEK <= day < split]
    if len(recent) < MIN_POINTS or len(before) < MIN_POINTS:
        return None
    recent_mean, before_mean = round(fmean(recent), 2), round(fmean(before), 2)
    drop = round(before_mean - recent_mean, 2)
    if drop < thresholds.readiness_drop:
        return None
    summary = (
        f"Readiness down {_num(drop, 2)} points: average {_num(recent_mean, 2)} over the last 7 days "
        f"({len(recent)} scores) vs {_num(before_mean, 2)} the 7 days before ({len(before)} scores; "
        f"threshold {_num(thresholds.readiness_drop, 2)})"
    )
    details: dict[str, object] = {
        "recent_mean": recent_mean,
        "previous_mean": before_mean,
        "drop": drop,
        "recent_scores": len(recent),
        "previous_scores": len(before),
        "threshold": thresholds.readiness_drop,
    }
    return _card("readiness_down", summary, details)


def weekly_change_kg(points: Iterable[tuple[dt.date, float]]) -> float | None:
    """Least-squares slope of bodyweight over days × 7; None below 3 weigh-ins or on one day only.

    A slope, not last minus first, so one salty dinner on the last day does not swing the card.
    """
    listed = list(points)
    if len(listed) < MIN_POINTS:
        return None
    origin = min(day for day, _ in listed)
    xs = [float((day - origin).days) for day, _ in listed]
    ys = [kg for _, kg in listed]
    try:
        slope, _ = linear_regression(xs, ys)
    except StatisticsError:  # every weigh-in on one day: x is constant
        return None
    return slope * 7


def expected_change_text(low: float, high: float) -> str:
    """The coach's range as the card and /client show write it: "-0.5 to -0.25 kg/week"."""
    return f"{_signed(low)} to {_signed(high)} kg/week"


def _bodyweight_off_range(week: ClientWeek, thresholds: FlagThresholds) -> CardDraft | None:
    if week.expected_weekly_change_kg is None:
        return None
    low, high = sorted(round(limit, 2) for limit in week.expected_weekly_change_kg)
    paused = paused_days(week.outcomes)
    points = sorted(
        p for p in week.bodyweight_kg if week.week_start <= p[0] < week.week_end and p[0] not in paused
    )
    change = weekly_change_kg(points)
    if change is None:
        return None
    change = round(change, 2)
    if low <= change <= high:
        return None
    direction = "above" if change > high else "below"
    summary = (
        f"Bodyweight trend {_signed(change)} kg/week this week, {direction} the expected "
        f"{expected_change_text(low, high)} ({len(points)} weigh-ins, "
        f"{_num(points[0][1])} → {_num(points[-1][1])} kg)"
    )
    details: dict[str, object] = {
        "change_kg_per_week": change,
        "expected_min_kg": low,
        "expected_max_kg": high,
        "weigh_ins": len(points),
        "first_kg": round(points[0][1], 1),
        "last_kg": round(points[-1][1], 1),
    }
    return _card("bodyweight_off_range", summary, details)


def _block_ending(week: ClientWeek, thresholds: FlagThresholds) -> CardDraft | None:
    """The block's last day falls in the N days after the week scanned (1 … N days left): with
    N = 7, exactly one weekly scan raises the card for each end, the one before its last week is
    over. The card says what happens next: the block a coach queued, or the block repeats."""
    end = week.block_end
    if end is None:
        return None
    days_left = (end.ends_on - week.week_end).days
    if not 1 <= days_left <= thresholds.block_ending_days:
        return None
    after = end.ends_on + dt.timedelta(days=1)
    if end.next_name is not None and end.next_from == after:
        then = f"then {end.next_name} from {after:%A %d %B}"
    elif end.next_name is not None and end.next_from is not None:
        then = f"then it repeats from day 1 until {end.next_name} starts on {end.next_from:%A %d %B}"
    else:
        then = (
            f"then it repeats from day 1 unless you /reassign them to another block "
            f"(effective:{after.isoformat()})"
        )
    in_days = "in 1 day" if days_left == 1 else f"in {days_left} days"
    summary = (
        f"Training block {end.name} ({end.length}) ends on {end.ends_on:%A %d %B}, {in_days}; "
        f"{then} (threshold {thresholds.block_ending_days} days)"
    )
    details: dict[str, object] = {
        "block_id": end.block_id,
        "length": end.length,
        "ends_on": end.ends_on.isoformat(),
        "days_left": days_left,
        "then": "repeat" if end.next_name is None else end.next_name,
        "next_from": None if end.next_from is None else end.next_from.isoformat(),
        "threshold": thresholds.block_ending_days,
    }
    return _card("block_ending", summary, details)


def _state_cards(week: ClientWeek) -> list[CardDraft]:
    cards = []
    if week.unreachable:
        cards.append(
            _card(
                "unreachable",
                "Unreachable: direct messages to this client fail, so their drops are skipped",
                {},
            )
        )
    if week.invalid_timezone:
        cards.append(
            _card("invalid_timezone", "Invalid timezone: the client is skipped until a coach fixes it", {})
        )
    if week.invalid_block:
        cards.append(
            _card("invalid_block", "Invalid or unknown training block: the default template is used", {})
        )
    return cards


_RULES = (
    _low_compliance,
    _compliance_drop,
    _missed_days,
    _no_checkin,
    _readiness_down,
    _bodyweight_off_range,
    _block_ending,
)


def _card_key(card: CardDraft) -> tuple[int, str]:
    return (card.urgency, card.kind)


def evaluate(week: ClientWeek, thresholds: FlagThresholds) -> list[CardDraft]:
    """Every rule that fires for this client's week, most urgent first (then by kind).

    The one seam for a future model-based analyzer: same input, same list of drafts out.
    """
    cards = _state_cards(week)
    for rule in _RULES:
        card = rule(week, thresholds)
        if card is not None:
            cards.append(card)
    return sorted(cards, key=_card_key)


def escalation_due(
    outcomes: Iterable[DayOutcome],
    today: dt.date,
    thresholds: FlagThresholds,
    *,
    include_today: bool = False,
) -> CardDraft | None:
    """The mid-week escalation: a client at N or more consecutive fully missed days gets a
    `missed_days` card at once instead of on Sunday.

    Returned every day the run lasts (so a tick the bot slept through is caught up); the card's
    idempotency key (client, kind, week) keeps it to one card a week, and the Sunday scan's
    `missed_days` card for the same week is the same card.
    """
    run = missed_run(outcomes, today, include_today=include_today)
    if run < thresholds.missed_days:
        return None
    through = today if include_today else today - dt.timedelta(days=1)
    return _missed_days_card(run, through, thresholds.missed_days)


@dataclass(frozen=True)
class HonorsEntry:
    user_id: int
    display_name: str
    kind: Literal["full_compliance", "streak", "pr"]
    text: str


def honors(
    weeks: list[ClientWeek],
    streaks: dict[int, int],
    prs: dict[int, list[str]],
    paused: set[int],
    opted_out: set[int],
) -> list[HonorsEntry]:
    """The public honors board: full compliance this week, the 5 longest streaks (3+ days), and
    the week's PRs. Paused and opted-out clients are left off entirely; a client appears only
    if the caller gathered their week (that is where the name comes from).

    Order: full compliance by name, streaks longest first, PRs by name.
    """
    shown = sorted(
        (w for w in weeks if w.user_id not in paused and w.user_id not in opted_out),
        key=lambda w: (w.display_name.casefold(), w.user_id),
    )
    entries: list[HonorsEntry] = []
    for w in shown:
        overall = rates(w.outcomes, w.week_start, w.week_end)[OVERALL]
        if overall.due > 0 and overall.done == overall.due:
            text = f"Full compliance this week: {overall.done}/{overall.due} logged"
            entries.append(HonorsEntry(w.user_id, w.display_name, "full_compliance", text))
    ranked = sorted(
        (w for w in shown if streaks.get(w.user_id, 0) >= HONORS_MIN_STREAK),
        key=lambda w: -streaks[w.user_id],  # stable: ties stay in name order
    )
    for w in ranked[:HONORS_TOP_STREAKS]:
        text = f"{streaks[w.user_id]}-day streak of fully compliant days"
        entries.append(HonorsEntry(w.user_id, w.display_name, "streak", text))
    for w in shown:
        records = prs.get(w.user_id) or []
        if records:
            label = "PR" if len(records) == 1 else "PRs"
            entries.append(HonorsEntry(w.user_id, w.display_name, "pr", f"{label}: {', '.join(records)}"))
    return entries
