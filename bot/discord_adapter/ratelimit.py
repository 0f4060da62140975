"""Token-bucket pacing for Discord requests.

Pacing is about Discord's real request rate, so it measures real elapsed time with the event
loop's monotonic clock, not the scheduling Clock: on a virtual clock time stands still while a
dispatcher works, and the bucket must still let requests through at the configured rate.
"""

from __future__ import annotations

import asyncio


class TokenBucket:
    def __init__(self, rate_per_second: float, burst: float | None = None) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate_per_second
        self.capacity = burst if burst is not None else max(1.0, rate_per_second / 5)
        self._tokens = self.capacity
        self._updated: float | None = None
        self._lock = asyncio.Lock()
        self.waited_seconds = 0.0

    async def acquire(self) -> None:
        async with self._lock:  # FIFO: senders go out in the order they asked
            loop = asyncio.get_running_loop()
            now = loop.time()
            if self._updated is not None:
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate
                self.waited_seconds += wait
                await asyncio.sleep(wait)
                self._tokens = 1.0
                self._updated = loop.time()
            self._tokens -= 1
