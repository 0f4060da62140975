"""The zones the planner reads: a loose index scan over client_profiles, checked against the plain
reading of the same rows."""

from __future__ import annotations

import datetime as dt
import random

from helpers import add_clients, profile, utc

from bot.repo import jobs as jobs_repo

ZONES = ["UTC", "Asia/Kathmandu", "America/New_York", "+05:45", "Mars/Base", "Europe/London", "-03:30"]
NOW = utc(2026, 5, 4)


def expected(profiles, fields):  # type: ignore[no-untyped-def]
    found: dict[str, dict[str, set[dt.time]]] = {}
    for p in profiles:
        for zone in (p.timezone, p.previous_timezone):
            if zone is None:
                continue
            times = found.setdefault(zone, {})
            for field in fields:
                if getattr(p, field) is not None:
                    times.setdefault(field, set()).add(getattr(p, field))
    return found


async def test_the_zones_and_own_times_read_are_every_clients_and_only_theirs(pool) -> None:
    rng = random.Random(7)
    profiles = []
    for user_id in range(1, 301):
        extra: dict[str, object] = {}
        if rng.random() < 0.1:
            extra |= {"previous_timezone": rng.choice(ZONES), "timezone_effective_from": dt.date(2026, 5, 6)}
        if rng.random() < 0.2:
            extra["review_at"] = dt.time(rng.choice([7, 9, 18]), rng.choice([0, 30]))
        profiles.append(profile(user_id, rng.choice(ZONES[:-1]), dt.date(2026, 5, 1), **extra))
    await add_clients(pool, profiles, NOW)
    async with pool.acquire() as conn:
        everyone = await jobs_repo.distinct_zones(conn, None, ["review_at"])
        no_fields = await jobs_repo.distinct_zones(conn, None)
        one = await jobs_repo.distinct_zones(conn, 5, ["review_at"])
    assert everyone == expected(profiles, ["review_at"])
    assert "-03:30" in everyone  # only ever a previous zone
    assert no_fields == expected(profiles, [])
    assert one == expected([profiles[4]], ["review_at"])


async def test_no_clients_no_zones(pool) -> None:
    async with pool.acquire() as conn:
        assert await jobs_repo.distinct_zones(conn, None, ["review_at"]) == {}
        assert await jobs_repo.distinct_zones(conn, 1) == {}
