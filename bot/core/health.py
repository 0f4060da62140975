"""/healthz and /metrics (Prometheus text format) on HEALTH_PORT.

/healthz is 200 while the process does its job: connected to the gateway (a dispatch-only worker
has none) and its dispatcher finished a cycle recently; 503 otherwise, with the reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import asyncpg
from aiohttp import web

from bot.core.clock import Clock
from bot.core.runtime import Runtime
from bot.repo import clients
from bot.repo import jobs as jobs_repo


class Health:
    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        runtime: Callable[[], Runtime | None],
        gateway_connected: Callable[[], bool | None],
        *,
        stale_after: dt.timedelta,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.runtime = runtime
        self.gateway_connected = gateway_connected
        self.stale_after = stale_after
        self._runner: web.AppRunner | None = None

    def problems(self) -> list[str]:
        found = []
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
        problems = self.problems()
        if problems:
            return web.Response(status=503, text="unhealthy: " + "; ".join(problems) + "\n")
        return web.Response(text="ok\n")

    async def metrics(self, request: web.Request) -> web.Response:
        lines = []
        async with self.pool.acquire() as conn:
            by_status = await jobs_repo.count_by_status(conn)
            retry_depth = await jobs_repo.retry_depth(conn)
            unreachable = await clients.count_unreachable(conn)
        lines += ["# HELP regiment_jobs Jobs in the jobs table by status.", "# TYPE regiment_jobs gauge"]
        lines += [f'regiment_jobs{{status="{status}"}} {n}' for status, n in by_status.items()]
        lines += [
            "# HELP regiment_retry_queue_depth Pending jobs waiting for a retry.",
            "# TYPE regiment_retry_queue_depth gauge",
        ]
        lines.append(f"regiment_retry_queue_depth {retry_depth}")
        lines += ["# TYPE regiment_unreachable_clients gauge", f"regiment_unreachable_clients {unreachable}"]
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
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
