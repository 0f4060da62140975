"""Supervised periodic work on the injected clock.

discord.ext.tasks loops cannot be driven by a virtual clock (they call utcnow() and
asyncio.sleep), end for good on any exception they do not expect, and never catch up missed
runs. Our loop runs on the Clock, catches and logs every failure of an iteration, and is
restarted by its supervisor if the task itself ever ends unexpectedly. Missed runs need no
catch-up because the work is watermark-based.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

from loguru import logger

from bot.core.clock import Clock


def next_boundary(now: dt.datetime, interval: dt.timedelta) -> dt.datetime:
    """The next instant after `now` aligned to `interval` since midnight of `now`'s day (UTC from
    our clocks): for an hourly interval, the top of the next hour."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = (now - midnight) // interval + 1
    return midnight + steps * interval


class Supervised:
    """Keeps a long-lived coroutine running: restarted, and logged, if it ever ends with an error."""

    def __init__(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self._factory = factory
        self.restarts = 0
        self.task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> asyncio.Task[None]:
        self._stopping = False
        self.task = asyncio.ensure_future(self._factory())
        self.task.add_done_callback(self._on_done)
        return self.task

    def _on_done(self, task: asyncio.Task[None]) -> None:
        if self._stopping or task.cancelled() or task.exception() is None:
            return
        self.restarts += 1
        # Back off (1 s, 2 s, … 60 s) so a loop that dies at once cannot spin.
        delay = min(60.0, 2.0 ** min(self.restarts - 1, 6))
        logger.bind(loop=self.name).opt(exception=task.exception()).error(
            "ended unexpectedly; restarting in {:.0f}s", delay
        )
        asyncio.get_running_loop().call_later(delay, self._restart)

    def _restart(self) -> None:
        if not self._stopping:
            self.start()

    async def wait_stopped(self, grace_seconds: float = 30.0) -> None:
        self._stopping = True
        if self.task is not None and not self.task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self.task), timeout=grace_seconds)
            except TimeoutError:
                self.task.cancel()


class PeriodicTask:
    def __init__(
        self,
        name: str,
        clock: Clock,
        interval: dt.timedelta,
        body: Callable[[], Awaitable[object]],
        *,
        run_at_start: bool = True,
    ) -> None:
        self.name = name
        self.clock = clock
        self.interval = interval
        self.body = body
        self.run_at_start = run_at_start
        self.failures = 0
        self.last_success: dt.datetime | None = None
        self._alarm = clock.alarm()
        self._stopping = False
        self._supervised = Supervised(name, self.run)

    async def run_once(self) -> bool:
        try:
            await self.body()
        except Exception:
            self.failures += 1
            logger.bind(loop=self.name).exception("iteration failed; the loop carries on")
            return False
        self.last_success = self.clock.now()
        return True

    async def run(self) -> None:
        with self.clock.participant():
            if self.run_at_start and not self._stopping:
                await self.run_once()
            # After a crash-restart, plan again at once (watermarks make that harmless).
            self.run_at_start = True
            while not self._stopping:
                await self._alarm.sleep_until(next_boundary(self.clock.now(), self.interval))
                if self._stopping:
                    break
                await self.run_once()

    @property
    def restarts(self) -> int:
        return self._supervised.restarts

    def start(self) -> asyncio.Task[None]:
        self._stopping = False
        return self._supervised.start()

    async def stop(self) -> None:
        self._stopping = True
        self._alarm.ring()
        await self._supervised.wait_stopped()
