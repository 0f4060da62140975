"""The dispatcher's group commit: final outcomes that finish together are recorded in one
statement.

Every job ends with its outcome written on its row, fenced by its attempt and worker. One
statement each was the largest single share of the bot's statements (a sixth of the simulator's,
one of the three a drop costs). Here a job's outcome joins a batch: the first starts a writer,
which lets the jobs finishing in the same turn of the event loop join, writes them in one
statement, then writes whatever arrived while that statement was on its way, until none is left.
Nothing waits on purpose: with one job finishing at a time a batch is that one job and costs what
it did before.

Exactly once does not change: each job's own task waits for its outcome to be written before it
counts as done, and a job whose outcome was never written (the process died, the batch failed) is
retried when its lease runs out, as when its single statement failed. A failed statement fails
every job of its batch that way (a lost connection, a statement timeout), not only one.
"""

from __future__ import annotations

import asyncio

import asyncpg

from bot.core.clock import Clock
from bot.repo import jobs as jobs_repo

Outcome = jobs_repo.Outcome


class OutcomeWriter:
    def __init__(self, pool: asyncpg.Pool, clock: Clock) -> None:
        self.pool = pool
        self.clock = clock
        self._waiting: list[tuple[Outcome, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # statements written (tests read these)
        self.written = 0

    async def record(self, outcome: Outcome) -> bool:
        """Record one final outcome; False if this worker no longer held the job."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((outcome, done))
        if self._writer is None or self._writer.done():  # (done: cancelled before it began)
            self._writer = asyncio.create_task(self._write_all())
        # Shielded: a job cancelled while its outcome is on its way (a shutdown past its grace)
        # leaves the batch to finish for the others.
        return await asyncio.shield(done)

    async def drained(self, grace_seconds: float) -> None:
        """Wait (at most `grace_seconds`) until every outcome handed over is written: at
        shutdown, before the jobs still running are released, so none released is one whose
        outcome was on its way."""
        if self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer}, timeout=grace_seconds)

    async def _write_all(self) -> None:
        try:
            await asyncio.sleep(0)  # the outcomes of jobs finishing in this turn of the loop
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._write(batch)
        except asyncio.CancelledError:  # the loop is closing: nobody is left to write them
            for _, done in self._waiting:
                done.cancel()
            self._waiting = []
            raise
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[Outcome, asyncio.Future[bool]]]) -> None:
        try:
            async with self.pool.acquire() as conn:
                held = await jobs_repo.finish_many(conn, [o for o, _ in batch], self.clock.now())
        except Exception as exc:  # each job's task hears it, as it heard its own statement fail
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        except asyncio.CancelledError:
            for _, done in batch:
                done.cancel()
            raise
        self.batches += 1
        self.written += len(batch)
        for outcome, done in batch:
            if not done.done():
                done.set_result((outcome.job.id, outcome.job.attempts) in held)
