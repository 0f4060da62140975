"""/healthz and /metrics (Prometheus text format) on HEALTH_PORT.

/healthz is 200 while the process does its job: the database answers, it is connected to the
gateway (a dispatch-only worker has none) and its dispatcher finished a cycle recently; 503
otherwise, with the reasons. The database is asked `SELECT 1` through the bot's own pool, bounded
by `db_timeout` (a pool acquire or a query to a server that does not answer would otherwise hang
for the connect or command timeout); requests arriving while a probe is under way share it. So
/healthz answers within `db_timeout` even during an outage, and is 200 again as soon as the
pool can reconnect: nothing needs a restart.

/metrics always answers: while the database is unreachable its gauges (jobs by status, retry
queue depth, unreachable clients) are left out, `regiment_database_up` is 0, and the process's
own counters are still reported."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from aiohttp import web

from bot.core.clock import Clock
from bot.core.runtime import Runtime
from bot.db.pool import ping
from bot.repo import batches, clients
from bot.repo import jobs as jobs_repo

T = TypeVar("T")

# What a pool acquire or a query raises when the server is gone (or restarting), or the pool is
# closed (a timeout is handled apart): /metrics leaves the database's gauges out on these.
_DB_ERRORS = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError, OSError)


class Health:
    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        runtime: Callable[[], Runtime | None],
        gateway_connected: Callable[[], bool | None],
        *,
        stale_after: dt.timedelta,
        db_timeout: float = 2.0,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.runtime = runtime
        self.gateway_connected = gateway_connected
        self.stale_after = stale_after
        self.db_timeout = db_timeout
        self._probe: asyncio.Task[str | None] | None = None
        self._runner: web.AppRunner | None = None

    async def database_problem(self) -> str | None:
        """None if the database answers `SELECT 1` within `db_timeout`, else why not. Concurrent
        callers share one probe; each waits at most `db_timeout` for it."""
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._select_one())
        try:
            return await asyncio.wait_for(asyncio.shield(self._probe), timeout=self.db_timeout)
        except TimeoutError:
            return self._no_answer()

    def _no_answer(self) -> str:
        return f"database unreachable (no answer within {self.db_timeout:g} s)"

    async def _select_one(self) -> str | None:
        try:
            await self._bounded(ping)
        except TimeoutError:
            return self._no_answer()
        except Exception as exc:  # whatever keeps SELECT 1 from answering: the database is not usable
            return f"database unreachable ({type(exc).__name__})"
        return None

    async def _bounded(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """`work` on a pooled connection, acquire and all within `db_timeout` (TimeoutError
        otherwise). A connection that does not answer in time is terminated before it goes back
        to the pool: it is of no further use, and a plain release would wait on a cancel request
        that cannot get through either."""
        conn = await self.pool.acquire(timeout=self.db_timeout)
        try:
            async with asyncio.timeout(self.db_timeout):
                return await work(conn)
        except TimeoutError:
            conn.terminate()
            raise
        finally:
            await self.pool.release(conn)

    async def problems(self) -> list[str]:
        found = []
        database = await self.database_problem()
        if database is not None:
            found.append(database)
        if self.gateway_connected() is False:
            found.append("not connected to the Discord gateway")
        runtime = self.runtime()
        if runtime is None:
            found.append("scheduler not running")
        else:
            last = runtime.dispatcher.stats.last_cycle_at
            if last is None or self.clock.now() - last > self.stale_after:
                found.append("dispatcher has not run recently")
        return found

    async def healthz(self, request: web.Request) -> web.Response:
        problems = await self.problems()
        if problems:
            return web.Response(status=503, text="unhealthy: " + "; ".join(problems) + "\n")
        return web.Response(text="ok\n")

    async def metrics(self, request: web.Request) -> web.Response:
        lines = []
        gauges = await self._database_gauges()
        lines += [
            "# HELP regiment_database_up Whether the database answered this scrape (1) or not (0).",
            "# TYPE regiment_database_up gauge",
            f"regiment_database_up {0 if gauges is None else 1}",
        ]
        if gauges is not None:
            by_status, retry_depth, unreachable, waiting_batches = gauges
            lines += ["# HELP regiment_jobs Jobs in the jobs table by status.", "# TYPE regiment_jobs gauge"]
            lines += [f'regiment_jobs{{status="{status}"}} {n}' for status, n in by_status.items()]
            lines += [
                "# HELP regiment_retry_queue_depth Pending jobs waiting for a retry.",
                "# TYPE regiment_retry_queue_depth gauge",
            ]
            lines.append(f"regiment_retry_queue_depth {retry_depth}")
            lines += [
                "# HELP regiment_job_batches Zones' due actions planned as one row each, not yet"
                " turned into jobs by the claims.",
                "# TYPE regiment_job_batches gauge",
                f"regiment_job_batches {waiting_batches}",
            ]
            lines += [
                "# TYPE regiment_unreachable_clients gauge",
                f"regiment_unreachable_clients {unreachable}",
            ]
        runtime = self.runtime()
        if runtime is not None:
            stats = runtime.dispatcher.stats
            now = self.clock.now()
            ticks = [loop.last_success for loop in runtime.plan_loops if loop.last_success is not None]
            if ticks:
                lines += [
                    "# HELP regiment_last_planning_tick_age_seconds Age of the stalest planner tick.",
                    "# TYPE regiment_last_planning_tick_age_seconds gauge",
                    f"regiment_last_planning_tick_age_seconds {(now - min(ticks)).total_seconds():.0f}",
                ]
            lines += [
                "# HELP regiment_outcomes_total Job outcomes recorded by this process.",
                "# TYPE regiment_outcomes_total counter",
            ]
            lines += [
                f'regiment_outcomes_total{{status="{s}"}} {n}' for s, n in sorted(stats.by_status.items())
            ]
            lines += [
                "# HELP regiment_failures_total Failed deliveries by reason.",
                "# TYPE regiment_failures_total counter",
            ]
            lines += [
                f'regiment_failures_total{{reason="{r}"}} {n}' for r, n in sorted(stats.failures.items())
            ]
            lines += [
                "# HELP regiment_delivery_lateness_seconds Seconds between due time and delivery.",
                "# TYPE regiment_delivery_lateness_seconds summary",
            ]
            for q, value in stats.lateness_quantiles().items():
                lines.append(f'regiment_delivery_lateness_seconds{{quantile="{q}"}} {value:.3f}')
            lines.append(f"regiment_delivery_lateness_seconds_count {len(stats.lateness)}")
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")

    async def _database_gauges(self) -> tuple[dict[str, int], int, int, int] | None:
        """The database's gauges, or None if it does not answer (quickly): a scrape must not hang."""
        if await self.database_problem() is not None:
            return None

        async def read(conn: asyncpg.Connection) -> tuple[dict[str, int], int, int, int]:
            by_status = await jobs_repo.count_by_status(conn)
            return (
                by_status,
                await jobs_repo.retry_depth(conn),
                await clients.count_unreachable(conn),
                await batches.waiting(conn),
            )

        try:
            return await self._bounded(read)
        except (TimeoutError, *_DB_ERRORS):
            return None

    async def start(self, port: int, host: str = "0.0.0.0") -> int:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        return sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        if self._probe is not None and not self._probe.done():
            self._probe.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
