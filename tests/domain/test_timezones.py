"""The time rules, as properties over every zone in the tz database and random dates."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import utc
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import timezones

ZONES = timezones.zone_names()
ACTION_TIMES = [dt.time(5, 30), dt.time(6, 0), dt.time(7, 0), dt.time(12, 0), dt.time(22, 0)]
ONE_SECOND = dt.timedelta(seconds=1)

zones = st.sampled_from(ZONES)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2037, 12, 31))
times = st.sampled_from(ACTION_TIMES) | st.times().map(lambda t: t.replace(microsecond=0))


def wall(instant: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def occurrences(tz: dt.tzinfo, target: dt.datetime) -> list[dt.datetime]:
    """Every UTC instant whose local wall reading is `target`, found by trying each offset the
    zone uses within two days of it (independent of the module's own search)."""
    offsets = set()
    for hours in range(-48, 49, 1):
        probe = (target - dt.timedelta(hours=hours)).replace(tzinfo=dt.UTC)
        offset = probe.astimezone(tz).utcoffset()
        assert offset is not None
        offsets.add(offset)
    found = []
    for offset in offsets:
        candidate = (target - offset).replace(tzinfo=dt.UTC)
        if wall(candidate, tz) == target:
            found.append(candidate)
    return sorted(found)


@settings(max_examples=600, deadline=None)
@given(zone=zones, day=dates, at=times)
def test_due_instant_is_the_local_time_or_the_end_of_its_gap(zone: str, day: dt.date, at: dt.time) -> None:
    tz = timezones.parse_timezone(zone)
    target = dt.datetime.combine(day, at)
    due = timezones.due_instant(tz, day, at)
    assert due.tzinfo is not None and due.utcoffset() == dt.timedelta(0)
    assert wall(due, tz) >= target, "fired before the local time"
    exists = occurrences(tz, target)
    if exists:
        assert due == exists[0], "a repeated local time fires at its first occurrence"
    else:
        # A DST gap: the first instant after it, i.e. the moment the clocks jump past target.
        assert wall(due - ONE_SECOND, tz) < target


@settings(max_examples=300, deadline=None)
@given(zone=zones, start_day=dates, days=st.integers(min_value=1, max_value=40), at=times)
def test_one_instant_per_local_date_over_any_window(
    zone: str, start_day: dt.date, days: int, at: dt.time
) -> None:
    tz = timezones.parse_timezone(zone)
    start = dt.datetime.combine(start_day, dt.time(0), tzinfo=dt.UTC)
    end = start + dt.timedelta(days=days)
    found = list(timezones.due_instants_between(tz, at, start, end))
    local_dates = [d for d, _ in found]
    instants = [i for _, i in found]
    assert len(set(local_dates)) == len(local_dates), "a local date fired twice"
    assert instants == sorted(instants) and all(start <= i < end for i in instants)
    # Nothing missing: every local date whose instant lies in the window is there.
    day = start.astimezone(tz).date() - dt.timedelta(days=2)
    expected = []
    while day <= end.astimezone(tz).date() + dt.timedelta(days=2):
        due = timezones.due_instant(tz, day, at)
        if start <= due < end:
            expected.append(day)
        day += dt.timedelta(days=1)
    assert local_dates == expected


def _brute_force(
    tz: dt.tzinfo, at: dt.time, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.date, dt.datetime]]:
    """Every local date from two days before the window to two after it, kept if its instant lies
    inside: what due_instants_between must find, by the slowest way there is."""
    day = start.astimezone(tz).date() - dt.timedelta(days=2)
    found = []
    while day <= end.astimezone(tz).date() + dt.timedelta(days=2):
        due = timezones.due_instant(tz, day, at)
        if start <= due < end:
            found.append((day, due))
        day += dt.timedelta(days=1)
    return found


@settings(max_examples=500, deadline=None)
@given(
    zone=zones,
    start_day=dates,
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    length=st.sampled_from([1, 59, 60, 61, 120, 6 * 60, 26 * 60, 3 * 24 * 60]),
    at=times,
)
def test_windows_that_start_at_any_minute_find_what_a_day_by_day_search_finds(
    zone: str, start_day: dt.date, minute: int, length: int, at: dt.time
) -> None:
    """The planner's windows start wherever the last pass stopped (an hour, a catch-up of six, a
    client's change at any minute): the remembered blocks must give exactly the day-by-day answer,
    also across the end of a block and over a DST change."""
    tz = timezones.parse_timezone(zone)
    start = dt.datetime.combine(start_day, dt.time(0), tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
    end = start + dt.timedelta(minutes=length)
    assert list(timezones.due_instants_between(tz, at, start, end)) == _brute_force(tz, at, start, end)


def test_samoa_skipping_a_day_fires_both_dates_at_the_jump() -> None:
    """Samoa skipped 30 December 2011: midnight of the 30th falls due at the jump, which is also
    midnight of the 31st. Both dates are due once, at the same instant, the 30th first."""
    tz = timezones.parse_timezone("Pacific/Apia")
    start, end = utc(2011, 12, 29, 0, 0), utc(2011, 12, 31, 0, 0)
    found = list(timezones.due_instants_between(tz, dt.time(0), start, end))
    assert found == _brute_force(tz, dt.time(0), start, end)
    jump = utc(2011, 12, 30, 10, 0)  # 23:59:59 on the 29th at UTC-10, then 00:00 on the 31st at +14
    assert [(d, due) for d, due in found if due == jump] == [
        (dt.date(2011, 12, 30), jump),
        (dt.date(2011, 12, 31), jump),
    ]


@settings(max_examples=200, deadline=None)
@given(zone=zones, start_day=dates, at=times)
def test_windows_split_anywhere_give_the_same_instants(zone: str, start_day: dt.date, at: dt.time) -> None:
    """Hourly ticks each plan [t, t+1h): the union over ticks equals one plan over the day."""
    tz = timezones.parse_timezone(zone)
    start = dt.datetime.combine(start_day, dt.time(0), tzinfo=dt.UTC)
    whole = list(timezones.due_instants_between(tz, at, start, start + dt.timedelta(days=3)))
    pieces = []
    for hour in range(72):
        lo = start + dt.timedelta(hours=hour)
        pieces.extend(timezones.due_instants_between(tz, at, lo, lo + dt.timedelta(hours=1)))
    assert pieces == whole


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_utc"),
    [
        # Spring forward in New York: 02:30 does not exist; the clocks jump at 07:00 UTC.
        ("America/New_York", dt.date(2026, 3, 8), dt.time(2, 30), utc(2026, 3, 8, 7, 0)),
        # Fall back in New York: 01:30 happens twice; the first is 05:30 UTC (EDT).
        ("America/New_York", dt.date(2026, 11, 1), dt.time(1, 30), utc(2026, 11, 1, 5, 30)),
        # Easter Island's September change: 22:00 does not exist; 23:00 local (-05:00) is 04:00 UTC.
        ("Pacific/Easter", dt.date(2026, 9, 5), dt.time(22, 0), utc(2026, 9, 6, 4, 0)),
        # Samoa skipped 2011-12-30 entirely: its 07:00 fires at the first instant of the 31st.
        ("Pacific/Apia", dt.date(2011, 12, 30), dt.time(7, 0), utc(2011, 12, 30, 10, 0)),
        # Lord Howe moves by 30 minutes: 02:15 falls in its October gap (02:00 → 02:30).
        ("Australia/Lord_Howe", dt.date(2026, 10, 4), dt.time(2, 15), utc(2026, 10, 3, 15, 30)),
        # St John's is −03:30 in winter and −02:30 in summer.
        ("America/St_Johns", dt.date(2026, 1, 5), dt.time(7, 0), utc(2026, 1, 5, 10, 30)),
        ("America/St_Johns", dt.date(2026, 7, 6), dt.time(7, 0), utc(2026, 7, 6, 9, 30)),
        ("+05:45", dt.date(2026, 7, 6), dt.time(6, 0), utc(2026, 7, 6, 0, 15)),
        ("UTC+5:45", dt.date(2026, 7, 6), dt.time(6, 0), utc(2026, 7, 6, 0, 15)),
        ("-03:30", dt.date(2026, 7, 6), dt.time(6, 0), utc(2026, 7, 6, 9, 30)),
        ("Pacific/Kiritimati", dt.date(2026, 1, 1), dt.time(5, 30), utc(2025, 12, 31, 15, 30)),
    ],
)
def test_known_instants(zone: str, day: dt.date, at: dt.time, expected_utc: dt.datetime) -> None:
    tz = timezones.parse_timezone(zone)
    assert timezones.due_instant(tz, day, at) == expected_utc


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("America/Chicago", "America/Chicago"),
        ("  europe/london ", "Europe/London"),
        ("+05:30", "+05:30"),
        ("+0530", "+05:30"),
        ("-3", "-03:00"),
        ("UTC+5:45", "+05:45"),
        ("utc-03:00", "-03:00"),
        ("GMT+1", "+01:00"),
        ("+14:00", "+14:00"),
        ("UTC", "UTC"),
    ],
)
def test_accepted_spellings(text: str, canonical: str) -> None:
    assert timezones.canonical_name(text) == canonical
    assert timezones.is_valid(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Mars/Olympus_Mons",
        "EST5EDT7",
        "+25:00",
        "+05:75",
        "+14:30",
        "UTC+",
        "Factory",
        "localtime",
        "../../etc/passwd",
        "America/Chicago; DROP TABLE jobs",
        "05:30",
        "CST",
    ],
)
def test_everything_else_is_a_typed_error(text: str) -> None:
    with pytest.raises(timezones.InvalidTimezone) as caught:
        timezones.parse_timezone(text)
    assert "IANA name" in str(caught.value)
    assert not timezones.is_valid(text)


def test_suggest_finds_cities_and_offsets() -> None:
    assert timezones.suggest("kathm") == ["Asia/Kathmandu"]
    assert timezones.suggest("new york")[0] == "America/New_York"
    assert timezones.suggest("+5:45")[0] == "+05:45"
    assert len(timezones.suggest("")) == 25
