"""The clock seam.

Nothing in the bot reads the wall clock except `WallClock`. Everything that waits for a moment
in time (a due job, the next planning tick) waits on an `Alarm` from the clock, so the same
planner and dispatcher run in production (wall time) and on a `VirtualClock` that jumps from one
due time to the next: a test or the simulator can run a week across twenty zones in seconds.
Only waits measured in real durations use the event loop's monotonic clock instead: request
pacing (`bot.discord_adapter.ratelimit`) and lease renewal (`Dispatcher._keep_claims`).

VirtualClock is a discrete-event clock. Long-running loops declare themselves *participants*;
time only moves when every participant is asleep on one of its alarms (so a dispatcher busy
with the database or Discord holds time still, exactly as it would hold up nothing in real
life). `run_until(t)` advances through the sleepers in order, never past `t`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import itertools
from collections.abc import Iterator
from typing import Protocol

UTC = dt.UTC


class Alarm(Protocol):
    async def sleep_until(self, when: dt.datetime) -> bool:
        """Sleep until `when`; return True if woken early by `ring()`."""
        ...

    def ring(self) -> None:
        """Wake the sleeper now (or make its next sleep return at once)."""
        ...


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def alarm(self) -> Alarm: ...

    def participant(self) -> contextlib.AbstractContextManager[None]: ...


class _WallAlarm:
    # Long sleeps are cut into slices so a wall-clock jump (NTP, suspended VM) is noticed.
    _SLICE_SECONDS = 60.0

    def __init__(self, clock: WallClock) -> None:
        self._clock = clock
        self._event = asyncio.Event()

    async def sleep_until(self, when: dt.datetime) -> bool:
        while True:
            remaining = (when - self._clock.now()).total_seconds()
            if self._event.is_set():
                self._event.clear()
                return True
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._event.wait(), timeout=min(remaining, self._SLICE_SECONDS))
            except TimeoutError:
                continue

    def ring(self) -> None:
        self._event.set()


class WallClock:
    """Production clock: the only object allowed to read the system time."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)

    def alarm(self) -> _WallAlarm:
        return _WallAlarm(self)

    @contextlib.contextmanager
    def participant(self) -> Iterator[None]:
        yield


class _VirtualAlarm:
    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._rung = False
        self._future: asyncio.Future[bool] | None = None

    async def sleep_until(self, when: dt.datetime) -> bool:
        if self._rung:
            self._rung = False
            return True
        if when <= self._clock.now():
            return False
        self._future = asyncio.get_running_loop().create_future()
        self._clock._add_sleeper(self, when)
        try:
            return await self._future
        finally:
            self._clock._remove_sleeper(self)
            self._future = None

    def ring(self) -> None:
        # Resolve synchronously so the clock stops counting us as asleep *now*; otherwise it
        # could jump ahead before we get to run.
        if self._future is not None and not self._future.done():
            self._clock._remove_sleeper(self)
            self._future.set_result(True)
        else:
            self._rung = True

    def _wake(self) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(False)


class VirtualClock:
    def __init__(self, start: dt.datetime, *, settle_timeout: float = 120.0) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs an aware start time")
        self._now = start.astimezone(UTC)
        self._sleepers: dict[_VirtualAlarm, dt.datetime] = {}
        self._heap: list[tuple[dt.datetime, int, _VirtualAlarm]] = []
        self._seq = itertools.count()
        self._participants = 0
        self._changed = asyncio.Event()
        self._settle_timeout = settle_timeout

    def now(self) -> dt.datetime:
        return self._now

    def alarm(self) -> _VirtualAlarm:
        return _VirtualAlarm(self)

    @contextlib.contextmanager
    def participant(self) -> Iterator[None]:
        self._participants += 1
        self._changed.set()
        try:
            yield
        finally:
            self._participants -= 1
            self._changed.set()

    def _add_sleeper(self, alarm: _VirtualAlarm, when: dt.datetime) -> None:
        self._sleepers[alarm] = when
        heapq.heappush(self._heap, (when, next(self._seq), alarm))
        self._changed.set()

    def _remove_sleeper(self, alarm: _VirtualAlarm) -> None:
        if self._sleepers.pop(alarm, None) is not None:
            self._changed.set()

    def _quiescent(self) -> bool:
        return len(self._sleepers) >= self._participants

    async def settle(self) -> None:
        """Wait (in real time) until every participant sleeps on the clock."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._settle_timeout
        # Let tasks that were just created (or just woken) run up to their first await: a
        # participant that has not entered `participant()` yet must not let time jump.
        for _ in range(3):
            await asyncio.sleep(0)
        while not self._quiescent():
            self._changed.clear()
            remaining = give_up - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"virtual clock: {self._participants - len(self._sleepers)} participant(s) "
                    f"still busy after {self._settle_timeout}s of real time"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)

    def _earliest(self) -> tuple[dt.datetime, _VirtualAlarm] | None:
        while self._heap:
            when, _, alarm = self._heap[0]
            if self._sleepers.get(alarm) == when:
                return when, alarm
            heapq.heappop(self._heap)  # stale entry: that alarm woke or re-slept
        return None

    async def run_until(self, end: dt.datetime) -> None:
        """Advance virtual time through every wake-up up to `end`, letting sleepers run."""
        while True:
            await self.settle()
            earliest = self._earliest()
            if earliest is None or earliest[0] > end:
                self._now = max(self._now, end)
                return
            self._now = max(self._now, earliest[0])
            while (item := self._earliest()) is not None and item[0] <= self._now:
                heapq.heappop(self._heap)
                alarm = item[1]
                self._sleepers.pop(alarm, None)
                alarm._wake()
            self._changed.set()
