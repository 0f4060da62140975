"""The /schedule preview line: local time and zone, UTC time, and the UTC date only when it is
not the local date."""

from __future__ import annotations

import datetime as dt

from bot.domain import timezones
from bot.usecases.schedule import PlannedRun
from bot.views.schedule import preview_line


def run(zone: str, day: dt.date, at: dt.time, label: str = "check-in closes") -> PlannedRun:
    """As schedule.preview builds it: the instant the planner would use, and its local time."""
    tz = timezones.parse_timezone(zone)
    due = timezones.due_instant(tz, day, at)
    return PlannedRun(due, due.astimezone(tz), label)


def test_the_utc_date_is_written_when_it_is_not_the_local_date() -> None:
    evening = run("America/Chicago", dt.date(2026, 3, 7), dt.time(22))
    assert preview_line(evening) == "`Sat 07 Mar 22:00 CST` · `04:00 UTC Sun 08 Mar` — check-in closes"
    morning = run("Asia/Kathmandu", dt.date(2026, 3, 8), dt.time(5, 30), "check-in")
    assert preview_line(morning) == "`Sun 08 Mar 05:30 UTC+05:45` · `23:45 UTC Sat 07 Mar` — check-in"


def test_the_same_day_in_utc_has_no_date_and_an_offset_zone_reads_as_utc_plus() -> None:
    noon = run("America/New_York", dt.date(2026, 3, 7), dt.time(12))
    assert preview_line(noon) == "`Sat 07 Mar 12:00 EST` · `17:00 UTC` — check-in closes"
    fixed = run("-03:00", dt.date(2026, 3, 7), dt.time(22))
    assert preview_line(fixed) == "`Sat 07 Mar 22:00 UTC-03:00` · `01:00 UTC Sun 08 Mar` — check-in closes"
