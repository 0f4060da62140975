"""The virtual clock and supervised loops."""

from __future__ import annotations

import asyncio
import datetime as dt

from helpers import utc

from bot.core.clock import VirtualClock
from bot.core.loops import PeriodicTask, next_boundary


async def test_sleepers_wake_in_order_at_their_virtual_times() -> None:
    clock = VirtualClock(utc(2026, 1, 1))
    woke: list[tuple[str, dt.datetime]] = []

    async def sleeper(name: str, when: dt.datetime) -> None:
        with clock.participant():
            await clock.alarm().sleep_until(when)
            woke.append((name, clock.now()))
            await clock.alarm().sleep_until(when + dt.timedelta(days=365))

    tasks = [
        asyncio.create_task(sleeper("b", utc(2026, 1, 3))),
        asyncio.create_task(sleeper("a", utc(2026, 1, 2))),
    ]
    await clock.run_until(utc(2026, 1, 5))
    assert woke == [("a", utc(2026, 1, 2)), ("b", utc(2026, 1, 3))]
    assert clock.now() == utc(2026, 1, 5)
    for t in tasks:
        t.cancel()


async def test_ring_wakes_early_and_time_waits_for_busy_participants() -> None:
    clock = VirtualClock(utc(2026, 1, 1))
    alarm = clock.alarm()
    events: list[tuple[bool, dt.datetime]] = []

    async def worker() -> None:
        with clock.participant():
            early = await alarm.sleep_until(utc(2026, 1, 10))
            await asyncio.sleep(0.05)  # busy in real time: the clock must not move meanwhile
            events.append((early, clock.now()))

    task = asyncio.create_task(worker())
    await clock.settle()
    alarm.ring()
    await clock.run_until(utc(2026, 1, 20))
    await task
    assert events == [(True, utc(2026, 1, 1))]


async def test_periodic_task_is_aligned_survives_failures_and_stops() -> None:
    clock = VirtualClock(utc(2026, 1, 1, 0, 17))
    runs: list[dt.datetime] = []

    async def body() -> None:
        runs.append(clock.now())
        if len(runs) == 2:
            raise RuntimeError("a bad tick")

    loop = PeriodicTask("test", clock, dt.timedelta(hours=1), body)
    loop.start()
    await clock.run_until(utc(2026, 1, 1, 4, 0))
    await loop.stop()
    assert runs[0] == utc(2026, 1, 1, 0, 17)
    assert runs[1:] == [utc(2026, 1, 1, h) for h in (1, 2, 3, 4)]
    assert loop.failures == 1


def test_next_boundary_is_strictly_after_now() -> None:
    hour = dt.timedelta(hours=1)
    assert next_boundary(utc(2026, 1, 1, 5, 0), hour) == utc(2026, 1, 1, 6, 0)
    assert next_boundary(utc(2026, 1, 1, 5, 59), hour) == utc(2026, 1, 1, 6, 0)
    assert next_boundary(utc(2026, 1, 1, 23, 30), hour) == utc(2026, 1, 2, 0, 0)


async def test_a_supervised_task_that_dies_is_restarted_after_a_backoff() -> None:
    from bot.core.loops import Supervised

    starts: list[float] = []
    loop = asyncio.get_running_loop()
    restarted = asyncio.Event()

    async def flaky() -> None:
        starts.append(loop.time())
        if len(starts) == 1:
            raise RuntimeError("died")
        restarted.set()
        await asyncio.sleep(3600)

    supervised = Supervised("flaky", flaky)
    supervised.start()
    await asyncio.wait_for(restarted.wait(), timeout=5)
    assert supervised.restarts == 1
    assert starts[1] - starts[0] >= 0.95  # one second of backoff, not a spin
    await supervised.wait_stopped(0.1)
