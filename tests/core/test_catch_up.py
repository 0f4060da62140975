"""After downtime the planning pass catches up chunk by chunk, each committed with its watermark:
the same jobs as one window, no transaction longer than CATCH_UP_CHUNK of schedule, and a chunk
that fails keeps what came before it."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from helpers import add_clients, message_engine, profile, utc

from bot.core.engine import ActionKind
from bot.core.planner import CATCH_UP_CHUNK, Planner, PlanningPass, PlanResult
from bot.repo import jobs as jobs_repo

ACTIONS = [
    ("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0)),
    ("close", dt.time(12, 0), ActionKind.mark, None),
]
ZONES = ["UTC", "Asia/Kathmandu", "America/New_York", "Pacific/Chatham", "-03:30"]
BEGIN = utc(2026, 5, 4)
HORIZON = dt.timedelta(hours=2)
BACK = BEGIN + dt.timedelta(days=3)  # three days down


async def planned(pool, engine: str) -> set[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT action, user_id, local_date, due_at, deadline FROM jobs WHERE engine = $1", engine
        )
    return {tuple(r) for r in rows}


async def watermark(pool, engine: str) -> dt.datetime:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT planned_until FROM planner_watermarks WHERE planner = $1", engine)


async def set_up(pool):  # type: ignore[no-untyped-def]
    """The pass over engine "a", and engine "b" planned the same window in one transaction."""
    await add_clients(pool, [profile(10 + i, ZONES[i % len(ZONES)], BEGIN.date()) for i in range(10)], BEGIN)
    engines = {name: message_engine(name, ACTIONS) for name in ("a", "b")}
    planners = {name: Planner(name, e.actions, HORIZON) for name, e in engines.items()}
    pass_ = PlanningPass([planners["a"]], inline_jobs=10_000)
    await pass_.tick(pool, BEGIN)
    await planners["b"].tick(pool, BEGIN)
    await planners["b"].tick(pool, BACK)  # the reference: one window, one statement
    return pass_


async def test_a_catch_up_plans_the_same_jobs_in_chunks_and_wakes_the_dispatcher_for_each(pool) -> None:
    pass_ = await set_up(pool)
    chunks: list[PlanResult] = []
    result = await pass_.tick(pool, BACK, chunks.append)
    window = BACK + HORIZON - (BEGIN + HORIZON)
    assert len(chunks) == math.ceil(window / CATCH_UP_CHUNK)
    assert result.planned == sum(c.planned for c in chunks) == len(await planned(pool, "b"))
    assert await planned(pool, "a") == await planned(pool, "b")
    assert result.earliest == min(c.earliest for c in chunks if c.earliest is not None)
    assert await watermark(pool, "a") == BACK + HORIZON
    # Steady again: the next hour is one chunk.
    chunks.clear()
    await pass_.tick(pool, BACK + dt.timedelta(hours=1), chunks.append)
    assert len(chunks) <= 1


async def test_a_failing_chunk_keeps_the_chunks_before_it_and_the_next_pass_goes_on(
    pool, monkeypatch
) -> None:
    pass_ = await set_up(pool)
    real = jobs_repo.plan_all_client_jobs
    calls = 0

    async def third_fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:
            raise TimeoutError("canceling statement due to statement timeout")
        return await real(*args, **kwargs)

    monkeypatch.setattr(jobs_repo, "plan_all_client_jobs", third_fails)
    with pytest.raises(TimeoutError):
        await pass_.tick(pool, BACK)
    kept = BEGIN + HORIZON + 2 * CATCH_UP_CHUNK
    assert await watermark(pool, "a") == kept
    assert await planned(pool, "a") == {job for job in await planned(pool, "b") if job[3] < kept}
    monkeypatch.setattr(jobs_repo, "plan_all_client_jobs", real)
    await pass_.tick(pool, BACK)
    assert await planned(pool, "a") == await planned(pool, "b")
