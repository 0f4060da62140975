"""The scheduling runtime: one planner loop per engine, a dispatcher and the retention pass, on
one clock.

Production (the scheduler cog), the simulator and the tests all build this same object; only
the clock and the transport differ.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from loguru import logger

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.delivery import Transport
from bot.core.dispatcher import Dispatcher
from bot.core.engine import EngineRegistry
from bot.core.loops import PeriodicTask
from bot.core.planner import Planner, PlanningPass, PlanResult
from bot.repo import jobs as jobs_repo


@dataclass(frozen=True)
class RetentionResult:
    cutoff: dt.datetime  # rows that finished (alerts: were posted) before this went
    jobs: int
    alerts: int
    capped: bool  # the per-run cap was reached: more is left for the next run


class Runtime:
    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        registry: EngineRegistry,
        transport: Transport,
        settings: Settings,
        *,
        plan: bool = True,
        dispatch: bool = True,
        worker_id: str | None = None,
        retain: bool = True,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.registry = registry
        self.settings = settings
        interval = dt.timedelta(minutes=settings.planning_interval_minutes)
        horizon = interval + dt.timedelta(minutes=settings.planning_slack_minutes)
        self.planners = {e.name: Planner(e.name, e.actions, horizon, e.applies) for e in registry}
        self.dispatcher = Dispatcher(pool, clock, registry, transport, settings, worker_id=worker_id)
        # One planning pass an hour for every engine (one transaction, a constant number of
        # statements); the per-engine planners stay for planning one client and for tests.
        self.planning = PlanningPass(list(self.planners.values()), settings.planning_inline_jobs)
        self.plan_loops = [PeriodicTask("plan", clock, interval, self._plan_all)]
        self.retention_loop = PeriodicTask(
            "retention", clock, dt.timedelta(minutes=settings.retention_interval_minutes), self.retention_pass
        )
        self._plan = plan
        self._dispatch = dispatch
        self._retain = retain
        self._retention_stopping = False
        self._dispatch_task: PeriodicTask | None = None
        self._running = False

    async def _plan_all(self) -> None:
        await self.planning.tick(
            self.pool,
            self.clock.now(),
            lambda chunk: self.dispatcher.notify(chunk.earliest, chunk.earliest_batch),
        )

    async def plan_tick(self, engine: str) -> PlanResult:
        result = await self.planners[engine].tick(self.pool, self.clock.now())
        self.dispatcher.notify(result.earliest)
        return result

    async def plan_client(self, user_id: int) -> int:
        """Plan one client's already-planned window (onboarding, resume, zone change)."""
        planned = 0
        for planner in self.planners.values():
            result = await planner.plan_client(self.pool, user_id, self.clock.now())
            planned += result.planned
            self.dispatcher.notify(result.earliest)
        return planned

    async def retention_pass(self) -> RetentionResult:
        """Delete finished jobs, and posted alerts, older than JOB_RETENTION_DAYS: batch after
        batch, each its own short transaction, yielding between them, until none is left or the
        per-run cap is reached (the rest waits for the next run)."""
        cutoff = self.clock.now() - dt.timedelta(days=self.settings.job_retention_days)
        jobs, jobs_capped = await self._purge(jobs_repo.delete_finished_before, cutoff)
        alerts, alerts_capped = await self._purge(jobs_repo.delete_posted_alerts_before, cutoff)
        result = RetentionResult(cutoff, jobs, alerts, jobs_capped or alerts_capped)
        if jobs or alerts:
            logger.bind(loop="retention").info(
                "deleted {} finished job(s) and {} posted alert(s) from before {}{}",
                jobs, alerts, cutoff.isoformat(), " (per-run cap reached)" if result.capped else "",
            )  # fmt: skip
        return result

    async def _purge(
        self,
        delete: Callable[[asyncpg.Connection, dt.datetime, int], Awaitable[int]],
        cutoff: dt.datetime,
    ) -> tuple[int, bool]:
        size = self.settings.retention_batch_size
        total = 0
        for _ in range(self.settings.retention_max_batches_per_run):
            if self._retention_stopping:
                return total, False
            async with self.pool.acquire() as conn:
                deleted = await delete(conn, cutoff, size)
            total += deleted
            if deleted < size:
                return total, False
            await asyncio.sleep(0)  # let the dispatcher and the planners in between batches
        return total, True

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        if self._plan:
            for loop in self.plan_loops:
                loop.start()
        if self._retain:
            self._retention_stopping = False
            self.retention_loop.start()
        if self._dispatch:
            from bot.core.loops import Supervised

            self._dispatch_supervisor = Supervised(
                f"dispatch:{self.dispatcher.worker_id}", self.dispatcher.run
            )
            self._dispatch_supervisor.start()
        logger.info(
            "runtime started: {} engine(s) planned in one pass{}, dispatcher {}, retention {}",
            len(self.planners) if self._plan else 0,
            "" if self._plan else " (planning off)",
            self.dispatcher.worker_id if self._dispatch else "off",
            f"{self.settings.job_retention_days} days" if self._retain else "off",
        )

    async def stop(self, grace: float | None = None) -> None:
        """Stop planning, let in-flight jobs finish or hand them back, within `grace` seconds."""
        if not self._running:
            return
        self._running = False
        for loop in self.plan_loops:
            await loop.stop()
        if self._retain:
            self._retention_stopping = True  # a pass under way ends after its current batch
            await self.retention_loop.stop()
        if self._dispatch:
            await self.dispatcher.drain(grace if grace is not None else self.settings.shutdown_grace_seconds)
            await self._dispatch_supervisor.wait_stopped()
