"""What a zone planned in batches costs the dispatcher: the claims that turn a batch into jobs.

A zone past PLANNING_INLINE_JOBS is planned as one row per due action (bot/repo/batches.py), so
the hourly pass stays small; the jobs are made by the claims instead, a claim's worth at a time.
This measures those claims against claims of jobs planned one by one, on the same roster: N
clients in one zone (America/New_York, as bench/planning.py's one-zone roster), the runtime's own
pass at default settings (batches) and with PLANNING_INLINE_JOBS past the roster (jobs), then the
05:30 check-in's claims, `claim_batch_size` (50) a claim, until nothing of it is left, through the
loopback proxy adding `--db-latency-ms` to every round trip. Per variant: the pass of the hour
that plans 05:30, every claim's wall time (p50 / p99 / max; first and last hundred, to show the
cursor deep in the zone costs what it did at the start), jobs a second the claims alone could
make, and the statements of a claim.

    .venv/bin/python bench/batch_claims.py --clients 100000 --db-latency-ms 5
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time
from typing import Any

import _common
from planning import ONE_ZONE, T0, seed

from bot.config import Settings
from bot.core.clock import VirtualClock
from bot.core.planner import batch_rules
from bot.core.runtime import Runtime
from bot.db import pool as bot_pool
from bot.domain import timezones
from bot.engines import build_registry
from bot.repo import batches
from bot.repo import jobs as jobs_repo


async def one_variant(dsn: str, inline_jobs: int | None, counter: _common.QueryCounter) -> dict[str, Any]:
    overrides = {} if inline_jobs is None else {"planning_inline_jobs": inline_jobs}
    settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    registry = build_registry(settings)
    checkin = next(e for e in registry if e.name == "checkin")
    prompt = next(s for s in checkin.actions if s.action == "drop")
    due = timezones.due_instant(timezones.parse_timezone(ONE_ZONE), T0.date(), prompt.at)
    pool = await _common.counting_pool(dsn, counter, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await conn.execute("TRUNCATE jobs, job_batches, planner_watermarks, job_cards CASCADE")
        runtime = Runtime(
            pool, VirtualClock(T0), registry, None,  # type: ignore[arg-type]
            settings, plan=False, dispatch=False, retain=False,
        )  # fmt: skip
        pass_s = 0.0
        hour = due.replace(minute=0) - dt.timedelta(hours=3)
        await runtime.planning.tick(pool, hour)  # the first pass: sets the watermarks
        for _ in range(3):  # the hours up to the one that plans 05:30
            hour += dt.timedelta(hours=1)
            began = time.perf_counter()
            await runtime.planning.tick(pool, hour)
            pass_s = max(pass_s, time.perf_counter() - began)
        rules, times = batch_rules(list(registry))
        lease = dt.timedelta(seconds=settings.lease_seconds)
        limit = settings.claim_batch_size
        claims: list[float] = []
        jobs = made = 0
        counter.clear()
        async with pool.acquire() as conn:
            while True:
                began = time.perf_counter()
                claimed = await jobs_repo.claim(conn, due, lease, limit, "bench")
                room = limit - len(claimed)
                if room:
                    more, _ = await batches.claim(conn, rules, times, due, lease, room, "bench")
                    claimed += more
                if not claimed:
                    break
                claims.append(time.perf_counter() - began)
                made += len(claimed)
                jobs += sum(1 for job, _ in claimed if job.engine == "checkin" and job.action == "drop")
        statements = counter.total
    finally:
        await pool.close()
    return {"pass_s": pass_s, "claims": claims, "jobs": jobs, "made": made, "statements": statements}


def report(label: str, r: dict[str, Any]) -> None:
    c = sorted(r["claims"])
    ms = [x * 1000 for x in r["claims"]]
    print(
        f"  {label:<22} slowest pass of the hours up to 05:30 {r['pass_s']:.3f} s; {len(c):,} claims made "
        f"{r['jobs']:,} check-in drops (and what else was due by then): claim p50 "
        f"{statistics.median(ms):.1f} ms, p99 "
        f"{_common.percentile(ms, 99):.1f}, max {max(ms):.1f}; first 100 p50 "
        f"{statistics.median(ms[:100]):.1f}, last 100 p50 {statistics.median(ms[-100:]):.1f}; "
        f"{r['statements'] / len(c):.1f} statements a claim; the claims alone "
        f"{r['made'] / sum(c):,.0f} jobs/s ({r['made']:,} jobs in all)"
    )


async def main(args: argparse.Namespace) -> None:
    _common.quiet_logs()
    _common.print_header("Batch claims: a zone planned in batches, turned into jobs by the claims")
    with _common.embedded_postgres() as server, _common.LatencyProxy(server.dsn()) as proxy:
        dsn = await seed(server, args.clients, "one-zone")
        warm = await bot_pool.create_pool(dsn, min_size=1, max_size=1)
        await warm.execute("ANALYZE")
        await warm.close()
        proxy.delay_ms = args.db_latency_ms
        round_trip = await _common.calibrate_round_trip(proxy.dsn(dsn))
        print(f"{args.clients:,} clients in {ONE_ZONE}; db round trip through the proxy {round_trip:.1f} ms")
        counter = _common.QueryCounter()
        batched = await one_variant(proxy.dsn(dsn), None, counter)
        report("batches (default)", batched)
        inline = await one_variant(proxy.dsn(dsn), 10_000_000, counter)
        report("jobs planned one by one", inline)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--db-latency-ms", type=float, default=5.0)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
