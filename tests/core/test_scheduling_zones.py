"""Two weeks across twenty-odd zones on the virtual clock: every expected (client, action,
local date) is dispatched exactly once, at its local time, never early; paused and not-yet-
started clients get nothing and accrue nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from helpers import add_clients, all_jobs, message_engine, profile, runtime, utc

from bot.core.clock import VirtualClock
from bot.core.engine import ActionKind
from bot.domain import timezones

ZONES = [
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "Pacific/Kiritimati",  # +14:00
    "Pacific/Pago_Pago",  # −11:00
    "America/Sao_Paulo",
    "Africa/Cairo",
    "Asia/Tehran",
    "Australia/Adelaide",
    "America/Santiago",
    "Pacific/Easter",
    "Europe/Moscow",
    "+05:45",
    "-03:30",
    "UTC",
]

ACTIONS = [
    ("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0)),
    ("workout", dt.time(7, 0), ActionKind.drop, dt.time(22, 0)),
    ("close", dt.time(22, 0), ActionKind.mark, None),
]

# Two fortnights: the first holds New York's and St John's spring-forward (Mar 8), the second
# London's (Mar 29), and Lord Howe's and Chatham's fall-back (Apr 5); the third holds Easter
# Island's September change, when 22:00 does not exist.
WINDOWS = [dt.date(2026, 3, 2), dt.date(2026, 3, 26), dt.date(2026, 8, 30)]


@pytest.mark.parametrize("first_day", WINDOWS, ids=str)
async def test_every_action_exactly_once_never_early(pool, settings, first_day: dt.date) -> None:
    begin = dt.datetime.combine(first_day, dt.time(0), tzinfo=dt.UTC)
    end = begin + dt.timedelta(days=14)
    clock = VirtualClock(begin)
    active = [profile(1000 + i, zone, first_day - dt.timedelta(days=1)) for i, zone in enumerate(ZONES)]
    paused = profile(1, "Europe/London", first_day, paused=True)
    not_started = profile(2, "Asia/Tokyo", first_day + dt.timedelta(days=30))
    await add_clients(pool, [*active, paused, not_started], begin)

    rt, transport = runtime(pool, clock, [message_engine("t", ACTIONS)], settings)
    rt.start()
    await clock.run_until(end)
    await rt.stop()

    jobs = await all_jobs(pool)
    assert not [j for j in jobs if j.user_id in (1, 2)], "paused / not started clients accrued jobs"

    # What should have happened, computed independently from the time rules.
    expected: dict[tuple[int, str, dt.date], dt.datetime] = {}
    for client in active:
        tz = timezones.parse_timezone(client.timezone)
        for action, at, _, _ in ACTIONS:
            for offset in range(-1, 16):
                day = first_day + dt.timedelta(days=offset)
                due = timezones.due_instant(tz, day, at)
                if begin <= due < end:
                    expected[(client.user_id, action, day)] = due

    finished = {(j.user_id, j.action, j.local_date): j for j in jobs if j.due_at < end}
    assert set(finished) == set(expected)
    for key, job in finished.items():
        assert job.status == "sent", (key, job.status, job.last_error)
        assert job.due_at == expected[key]
        assert job.attempts == 1
        assert job.started_at == job.due_at, f"{key} ran at {job.started_at}, due {job.due_at}"

    # Each drop reached its client exactly once, at the due instant, not before the local time.
    # (run_until(end) also runs what is due exactly at `end`, e.g. 05:30 in Kolkata = 00:00 UTC.)
    counts = Counter(m.message.content for m in transport.messages)
    assert all(n == 1 for n in counts.values())
    in_window = [m for m in transport.messages if m.at < end]
    drops = {k: v for k, v in expected.items() if k[1] != "close"}
    assert len(in_window) == len(drops)
    for sent in in_window:
        user_id = sent.user_id
        assert user_id is not None
        client = next(c for c in active if c.user_id == user_id)
        tz = timezones.parse_timezone(client.timezone)
        action, day = sent.message.content.split(":")[0].split(".")[1], sent.message.content.split(":")[2]
        local = sent.at.astimezone(tz)
        wall = dict((a, at) for a, at, _, _ in ACTIONS)[action]
        assert local.date().isoformat() == day or wall >= dt.time(22, 0)
        assert (local.date(), local.time()) >= (dt.date.fromisoformat(day), wall)


async def test_gap_time_fires_at_the_end_of_the_gap(pool, settings) -> None:
    """22:00 does not exist on Easter Island on 2026-09-05: the mark fires once at 23:00 local."""
    day = dt.date(2026, 9, 5)
    tz = timezones.parse_timezone("Pacific/Easter")
    begin = utc(2026, 9, 5)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(7, "Pacific/Easter", day)], begin)
    rt, _ = runtime(
        pool, clock, [message_engine("t", [("close", dt.time(22), ActionKind.mark, None)])], settings
    )
    rt.start()
    await clock.run_until(begin + dt.timedelta(days=2))
    await rt.stop()
    jobs = [j for j in await all_jobs(pool) if j.local_date == day]
    assert len(jobs) == 1
    local = jobs[0].started_at.astimezone(tz)  # type: ignore[union-attr]
    assert (local.hour, local.minute) == (23, 0)
