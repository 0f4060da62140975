"""/healthz and /metrics over real HTTP, fed by a real runtime on the virtual clock."""

from __future__ import annotations

import datetime as dt

import aiohttp
from helpers import add_clients, message_engine, profile, runtime, utc

from bot.core.clock import VirtualClock
from bot.core.delivery import TransientDeliveryError
from bot.core.engine import ActionKind
from bot.core.health import Health

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
