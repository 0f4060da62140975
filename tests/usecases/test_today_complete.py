"""/today knows which engines' day is fully logged, so a drop that was only delivered reads "sent"
and one whose every item is logged reads "done" (bot.views.render.today_card's `complete`)."""

from __future__ import annotations

import datetime as dt
import json

from helpers import add_clients, profile

from bot.usecases import self_service

ANA = 7101
MONDAY = dt.date(2026, 5, 4)  # the clock fixture: Monday 15:00 UTC


async def deliver(pool, engine: str, at: dt.datetime) -> int:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return await conn.fetchval(
            "INSERT INTO daily_drops (user_id, local_date, engine, content, deadline, delivered_at, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            ANA,
            MONDAY,
            engine,
            json.dumps({}),
            at + dt.timedelta(hours=12),
            at,
        )


async def test_today_knows_the_engines_whose_day_is_fully_logged(pool, clock, registry) -> None:
    await add_clients(pool, [profile(ANA, "UTC", MONDAY)], clock.now())
    before = await self_service.today(pool, registry, clock, ANA)
    assert before.complete == frozenset()  # nothing delivered: nothing done

    morning = clock.now().replace(hour=6)
    await deliver(pool, "checkin", morning)
    await deliver(pool, "cardio", morning)  # delivered, never logged
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO checkins (user_id, date, timestamp, status) VALUES ($1, $2, $3, 'logged')",
            ANA,
            MONDAY,
            morning,
        )
    found = await self_service.today(pool, registry, clock, ANA)
    assert found.complete == frozenset({"checkin"})
