"""Timezones and due instants: the one place the time rules live.

A client's zone is an IANA name (`America/Chicago`) or a fixed offset (`+05:30`, `-03:00`,
`UTC+5:45`). Anything else is an `InvalidTimezone`.

The rules for turning "07:00 local on 2026-03-08" into a UTC instant (DESIGN.md "Time"):
- a local time that does not exist that day (a DST gap) fires at the first instant after the
  gap, i.e. the moment the clocks jump;
- a local time that occurs twice (fall-back) fires once, at the first occurrence;
- so every (action, local date) has exactly one instant, never before the local time.

Pure functions over aware datetimes; nothing here reads the clock.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterator

UTC = dt.UTC

# Present in the tz database but not places a client lives in.
_NOT_PLACES = frozenset({"Factory", "localtime", "posixrules"})

# "+05:30", "-3", "UTC+5:45", "GMT-03:00", "+0545". GMT/UTC+N means N hours *ahead* of UTC, as
# people write it (the IANA names Etc/GMT+N keep their inverted POSIX meaning).
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_MAX_OFFSET = dt.timedelta(hours=14)


class InvalidTimezone(ValueError):
    """Not an IANA zone name nor a fixed UTC offset."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(
            f"{text!r} is not a timezone: use an IANA name such as 'America/Chicago' or "
            "'Asia/Kathmandu', or a fixed offset such as '+05:30' or 'UTC-3'"
        )


@functools.cache
def _zone_names() -> dict[str, str]:
    """Lower-cased name → canonical IANA name (so 'europe/london' is understood)."""
    return {name.lower(): name for name in zoneinfo.available_timezones() if name not in _NOT_PLACES}


def zone_names() -> list[str]:
    return sorted(_zone_names().values())


def _parse_offset(text: str) -> dt.timedelta | None:
    match = _OFFSET.fullmatch(text.strip())
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if minutes >= 60:
        return None
    offset = dt.timedelta(hours=hours, minutes=minutes)
    if offset > _MAX_OFFSET:
        return None
    return -offset if sign == "-" else offset


def _format_offset(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def canonical_name(text: str) -> str:
    """The stored spelling of a zone: the IANA name as the database spells it, or ±HH:MM."""
    stripped = text.strip()
    name = _zone_names().get(stripped.lower())
    if name is not None:
        return name
    offset = _parse_offset(stripped)
    if offset is None:
        raise InvalidTimezone(text)
    return _format_offset(offset)


@functools.lru_cache(maxsize=2048)
def parse_timezone(text: str) -> dt.tzinfo:
    """The tzinfo for a client's zone, or InvalidTimezone."""
    name = canonical_name(text)
    if name[0] in "+-":
        offset = _parse_offset(name)
        assert offset is not None
        return dt.timezone(offset) if offset else UTC
    return zoneinfo.ZoneInfo(name)


def is_valid(text: str) -> bool:
    try:
        canonical_name(text)
    except InvalidTimezone:
        return False
    return True


def _wall(instant: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


# A pure function of its arguments, asked again and again for the same zones and days (each
# planned row's deadline, a changed client's schedule checked against their jobs): remembered.
# The planner's windows do not come through here but through the blocks below, which remember
# their own instants.
@functools.lru_cache(maxsize=1 << 16)
def due_instant(tz: dt.tzinfo, local_date: dt.date, at: dt.time) -> dt.datetime:
    """The UTC instant at which `at` on `local_date` falls due in `tz` (rules above)."""
    target = dt.datetime.combine(local_date, at)
    first = target.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first, tz) == target:
        return first  # exists (for a repeated time, fold=0 is the first occurrence)
    # Inside a gap: the first instant whose wall reading reaches `target` is the jump itself.
    second = target.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(first, second), max(first, second)
    while _wall(lo, tz) >= target:  # make sure the jump lies inside [lo, hi]
        lo -= dt.timedelta(hours=1)
    while _wall(hi, tz) < target:
        hi += dt.timedelta(hours=1)
    # Binary search to the second: transitions fall on whole seconds.
    while hi - lo > dt.timedelta(seconds=1):
        mid = (lo + (hi - lo) / 2).replace(microsecond=0)
        if mid <= lo:
            mid = lo + dt.timedelta(seconds=1)
        if _wall(mid, tz) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def local_date(tz: dt.tzinfo, instant: dt.datetime) -> dt.date:
    return instant.astimezone(tz).date()


def due_instants_between(
    tz: dt.tzinfo, at: dt.time, start: dt.datetime, end: dt.datetime
) -> Iterator[tuple[dt.date, dt.datetime]]:
    """Every (local date, due instant) of `at` in `tz` with start <= instant < end, in order."""
    for _, day, due in due_times_between(tz, (at,), start, end):
        yield day, due


def due_times_between(
    tz: dt.tzinfo, ats: tuple[dt.time, ...], start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.time, dt.date, dt.datetime]]:
    """(time, local date, due instant) of each of `ats` in `tz` with start <= instant < end, in
    order of instant (of date, then of `ats`, where two share an instant)."""
    # The planner asks this for every zone each hour, for all its actions' times at once: a
    # bisection in a block of remembered instants answers without converting the window into the
    # zone. A local date whose instant lies in the window is within a day of the window's UTC
    # dates (offsets are under a day), or two for a date a gap pushes past midnight (Samoa, 2011).
    first = ((start - _EPOCH).days - 2) // _BLOCK_DAYS
    last = ((end - _EPOCH).days + 2) // _BLOCK_DAYS
    found: list[tuple[dt.time, dt.date, dt.datetime]] = []
    for block in range(first, last + 1):
        dues, rows = _block_of_instants(tz, ats, block)
        found += rows[bisect.bisect_left(dues, start) : bisect.bisect_left(dues, end)]
    return found


_EPOCH = dt.datetime(2000, 1, 3, tzinfo=UTC)
_BLOCK_DAYS = 7
_due_instant = due_instant.__wrapped__  # uncached: the blocks remember these themselves


# An hour's pass over every zone of the tz database asks for some 7,200 blocks (a zone and an
# engine's times, two blocks when a window's days reach into the next): room for twice that.
@functools.lru_cache(maxsize=1 << 14)
def _block_of_instants(
    tz: dt.tzinfo, ats: tuple[dt.time, ...], block: int
) -> tuple[list[dt.datetime], list[tuple[dt.time, dt.date, dt.datetime]]]:
    """The due instants of `ats` on the local dates of one block of days, in instant order, and
    the (time, date, instant) of each. For one time, date order is instant order: a later date's
    local time is never reached earlier."""
    begin = _EPOCH.date() + dt.timedelta(days=block * _BLOCK_DAYS)
    rows = [
        (_due_instant(tz, day, at), day, index, at)
        for day in (begin + dt.timedelta(days=i) for i in range(_BLOCK_DAYS))
        for index, at in enumerate(ats)
    ]
    rows.sort(key=lambda row: row[:3])
    return [row[0] for row in rows], [(at, day, due) for due, day, _, at in rows]


def suggest(text: str, limit: int = 25) -> list[str]:
    """Autocomplete: zone names containing every word typed, best matches first."""
    words = [w for w in re.split(r"[\s/_]+", text.strip().lower()) if w]
    offset = _parse_offset(text) if text.strip() else None
    found: list[str] = [_format_offset(offset)] if offset is not None else []
    names = zone_names()
    if not words:
        return (found + [n for n in names if "/" in n])[:limit]
    hits = [n for n in names if all(w in n.lower() for w in words)]
    hits.sort(key=lambda n: (not n.lower().split("/")[-1].startswith(words[-1]), "/" not in n, len(n), n))
    return (found + hits)[:limit]
