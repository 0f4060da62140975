"""The hourly pass's time rules over every zone: answered from remembered blocks of instants."""

from __future__ import annotations

import datetime as dt

from helpers import utc

from bot.config import Settings
from bot.core.planner import Planner
from bot.domain import timezones
from bot.engines import build_registry


def _planners() -> list[Planner]:
    registry = build_registry(Settings(_env_file=None))  # type: ignore[call-arg]
    return [Planner(e.name, e.actions, dt.timedelta(hours=2), e.applies) for e in registry]


def test_an_hour_over_every_zone_is_answered_from_memory_the_second_time() -> None:
    """Every engine's due rows for every zone of the tz database, in a window whose days reach into
    two blocks: the second pass over the same window computes no block again (the cache holds a
    whole pass; too small, a least-recently-used cache would miss on every block of every pass)."""
    zones = {name: {} for name in timezones.zone_names()}
    zones[next(iter(zones))] = {"review_at": {dt.time(18, 30)}}
    start = utc(2026, 3, 1, 12)  # a Sunday: its days reach into the next week's block
    end = start + dt.timedelta(hours=1)
    planners = _planners()
    first = [p.due_rows(zones, start, end) for p in planners]
    before = timezones._block_of_instants.cache_info()
    again = [p.due_rows(zones, start, end) for p in planners]
    after = timezones._block_of_instants.cache_info()
    assert again == first
    assert after.misses == before.misses, "a pass over every zone does not fit the block cache"
    assert sum(len(rows) for rows, _ in first) > 0
