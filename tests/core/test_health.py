"""/healthz and /metrics over real HTTP, fed by a real runtime on the virtual clock."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
from helpers import add_clients, message_engine, profile, runtime, utc
from pg_proxy import CuttableProxy

from bot.core.clock import VirtualClock
from bot.core.delivery import TransientDeliveryError
from bot.core.engine import ActionKind
from bot.core.health import Health
from bot.db.pool import create_pool

PROMPT = [("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0))]


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, await resp.text()


async def test_health_follows_gateway_and_dispatcher_and_metrics_count_outcomes(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(
        pool, [profile(1, "UTC", dt.date(2026, 5, 1)), profile(2, "UTC", dt.date(2026, 5, 1))], begin
    )
    rt, transport = runtime(pool, clock, [message_engine("t", PROMPT)], settings)
    transport.fail_next(2, TransientDeliveryError("503"), times=1)
    connected = {"value": True}
    health = Health(
        pool,
        clock,
        lambda: rt if rt.dispatcher.stats.last_cycle_at else None,
        lambda: connected["value"],
        stale_after=dt.timedelta(minutes=2),
    )
    port = await health.start(0, host="127.0.0.1")
    try:
        assert (await get(port, "/healthz"))[0] == 503  # the scheduler has not run yet
        rt.start()
        await clock.run_until(utc(2026, 5, 4, 5, 30))
        status, text = await get(port, "/healthz")
        assert (status, text) == (200, "ok\n")
        connected["value"] = False
        status, text = await get(port, "/healthz")
        assert status == 503 and "gateway" in text
        connected["value"] = True

        status, metrics = await get(port, "/metrics")
        assert status == 200
        assert 'regiment_jobs{status="sent"} 1' in metrics
        assert 'regiment_jobs{status="pending"} 1' in metrics  # client 2 waits for its retry
        assert "regiment_retry_queue_depth 1" in metrics
        assert "regiment_job_batches 0" in metrics  # the zone fits in the pass: no batch
        assert 'regiment_outcomes_total{status="sent"} 1' in metrics
        assert 'regiment_delivery_lateness_seconds{quantile="0.5"} 0.000' in metrics
        assert "regiment_last_planning_tick_age_seconds" in metrics

        # Time passes while the dispatcher is stopped: its last cycle grows stale.
        await rt.stop()
        await clock.run_until(utc(2026, 5, 4, 5, 40))
        status, text = await get(port, "/healthz")
        assert status == 503 and "dispatcher" in text
    finally:
        await health.stop()
        await rt.stop()


async def timed_get(port: int, path: str) -> tuple[int, str, float]:
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, text = await get(port, path)
    return status, text, loop.time() - started


async def test_healthz_names_an_unreachable_database_without_hanging_and_recovers(
    database_dsn, settings
) -> None:
    """The pool reaches PostgreSQL through a proxy the test cuts. A partition (nothing answers: a
    pooled connection's query hangs, then a new connection's start-up hangs) and a refusal (the
    server is gone) both make /healthz 503 within its timeout, /metrics still answers, and both
    are 200 again once the database is back, on the same Health and pool."""
    clock = VirtualClock(utc(2026, 5, 4))
    async with CuttableProxy(database_dsn) as proxy:
        pool = await create_pool(proxy.dsn(database_dsn), min_size=1, max_size=2)
        rt, _ = runtime(pool, clock, [message_engine("t", PROMPT)], settings)
        rt.dispatcher.stats.last_cycle_at = clock.now()  # as if it dispatched: only the database counts
        health = Health(
            pool,
            clock,
            lambda: rt,
            lambda: True,
            stale_after=dt.timedelta(minutes=2),
            db_timeout=0.5,
        )
        port = await health.start(0, host="127.0.0.1")
        try:
            assert (await get(port, "/healthz")) == (200, "ok\n")
            status, metrics = await get(port, "/metrics")
            assert status == 200 and "regiment_database_up 1" in metrics and "regiment_jobs" in metrics

            proxy.blackhole()
            for _ in range(3):  # the pooled connection, then new connections that never start up
                status, text, took = await timed_get(port, "/healthz")
                assert (status, text) == (503, "unhealthy: database unreachable (no answer within 0.5 s)\n")
                assert took < 1.5, took
            status, metrics, took = await timed_get(port, "/metrics")
            assert status == 200 and took < 1.5, took
            assert "regiment_database_up 0" in metrics and "regiment_jobs" not in metrics
            assert "regiment_outcomes_total" in metrics  # the process's own counters are still there

            await proxy.restore()
            assert (await get(port, "/healthz")) == (200, "ok\n")

            proxy.cut()
            status, text, took = await timed_get(port, "/healthz")
            assert status == 503 and text.startswith("unhealthy: database unreachable (") and took < 1.5
            status, metrics = await get(port, "/metrics")
            assert status == 200 and "regiment_database_up 0" in metrics

            await proxy.restore()
            assert (await get(port, "/healthz")) == (200, "ok\n")
            status, metrics = await get(port, "/metrics")
            assert status == 200 and "regiment_database_up 1" in metrics and "regiment_jobs" in metrics
        finally:
            await health.stop()
            await pool.close()
