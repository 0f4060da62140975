"""The jobs table in steady state after a year, and what it costs the planner, the dispatcher's
claim and the retention loop.

With `JOB_RETENTION_DAYS=90` the table never holds more than 90 days of finished jobs plus what is
pending. This script builds that state directly: N active clients (round-robin over every zone,
each with a meal and a cardio plan and a training schedule, as in bench/planning.py) and 91 days
of finished jobs up to two days before T0, eight a client-day (check-in, meals and cardio with
their closes, the evening flag check, and a workout with its close every other day), shaped as the
planner writes them. Then, on the same database, before and after the history is in:

- the runtime's hourly planning pass over 24 hours from T0 (p50 and max per hour);
- the dispatcher's claim (`claim_batch_size` due jobs at T0 + 12 h), each claim handed back;
- table and index size (`pg_total_relation_size`) and rows;

and, with the history, the retention batches as the runtime deletes them a day later (the same
statement and batch size), each timed: a batch is one short transaction, so its time is the
longest any row lock is held.

    .venv/bin/python bench/jobs_at_a_year.py                   # 10,000 clients: 7.3 M finished jobs
    .venv/bin/python bench/jobs_at_a_year.py --clients 2000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time

import _common
import asyncpg
from planning import T0, client_records

from bot.config import Settings
from bot.core.clock import VirtualClock
from bot.core.runtime import Runtime
from bot.db.pool import create_pool
from bot.engines import build_registry
from bot.repo import jobs as jobs_repo

HISTORY_DAYS = 91
# (engine, action, local due time, every other day): eight a client-day on average.
HISTORY = [
    ("checkin", "drop", "05:30", False),
    ("checkin", "close", "12:00", False),
    ("meals", "drop", "06:00", False),
    ("meals", "close", "22:00", False),
    ("cardio", "drop", "06:00", False),
    ("cardio", "close", "22:00", False),
    ("flags", "escalate", "22:30", False),
    ("training", "drop", "07:00", True),
    ("training", "close", "22:00", True),
]
FILL = """
INSERT INTO jobs (engine, action, user_id, local_date, due_at, status, attempts, next_attempt_at,
                  created_at, started_at, finished_at, updated_at, result)
SELECT a.engine, a.action, c.user_id, $1::date, t.due, 'sent', 1, t.due, t.due - interval '1 hour',
       t.due, t.due + interval '2 seconds', t.due + interval '2 seconds', '{"drop_id": 1}'::jsonb
  FROM client_profiles c
 CROSS JOIN unnest($2::text[], $3::text[], $4::time[], $5::bool[]) AS a(engine, action, at, alternate)
 LEFT JOIN known_zones k ON k.name = c.timezone  -- a zone newer than the server's tzdata: UTC
 CROSS JOIN LATERAL (SELECT ($1::date + a.at) AT TIME ZONE coalesce(k.name, 'UTC') AS due) t
 WHERE NOT a.alternate OR (c.user_id + ($1::date - date '2000-01-01')) % 2 = 0
"""
SIZE = """
SELECT pg_total_relation_size('jobs') AS total, pg_relation_size('jobs') AS heap,
       (SELECT count(*) FROM jobs) AS rows
"""


async def seed(server: object, clients: int) -> str:
    dsn = await _common.fresh_database(server, f"bench_year_{clients}")  # type: ignore[arg-type]
    conn = await asyncpg.connect(dsn)
    try:
        plans = await _common.plan_columns(conn)
        await _common.copy_clients(
            conn, client_records(clients, len(plans)), [*_common.CLIENT_COLUMNS, *plans]
        )
    finally:
        await conn.close()
    return dsn


async def fill_history(dsn: str) -> float:
    conn = await asyncpg.connect(dsn)
    began = time.perf_counter()
    try:
        columns = list(zip(*HISTORY, strict=True))
        at = [dt.time.fromisoformat(t) for t in columns[2]]
        await conn.execute("CREATE TEMP TABLE known_zones AS SELECT name FROM pg_timezone_names")
        for back in range(HISTORY_DAYS + 1, 1, -1):  # to two days before T0: what T0 plans is apart
            day = (T0 - dt.timedelta(days=back)).date()
            await conn.execute(FILL, day, list(columns[0]), list(columns[1]), at, list(columns[3]))
        await conn.execute("VACUUM ANALYZE jobs")
    finally:
        await conn.close()
    return time.perf_counter() - began


async def measure(dsn: str, settings: Settings, label: str) -> dict[str, float]:
    pool = await create_pool(dsn, min_size=1, max_size=4)
    try:
        runtime = Runtime(
            pool, VirtualClock(T0), build_registry(settings), None,  # type: ignore[arg-type]
            settings, plan=False, dispatch=False, retain=False,
        )  # fmt: skip
        hours = []
        planned = 0
        for k in range(25):
            began = time.perf_counter()
            result = await runtime.planning.tick(pool, T0 + dt.timedelta(hours=k))
            if k:  # the first tick sets the watermarks
                hours.append(time.perf_counter() - began)
                planned += result.planned
        lease = dt.timedelta(seconds=settings.lease_seconds)
        claims = []
        async with pool.acquire() as conn:
            for _ in range(5):
                began = time.perf_counter()
                batch = await jobs_repo.claim(
                    conn, T0 + dt.timedelta(hours=12), lease, settings.claim_batch_size, "bench"
                )
                claims.append(time.perf_counter() - began)
                await jobs_repo.release(conn, [job.id for job, _ in batch], "bench", T0)
            size = await conn.fetchrow(SIZE)
            await conn.execute("DELETE FROM jobs WHERE status = 'pending'")  # the next pass plans anew
            await conn.execute("DELETE FROM planner_watermarks")
    finally:
        await pool.close()
    figures = {
        "plan_p50": statistics.median(hours),
        "plan_max": max(hours),
        "planned": planned,
        "claimed": len(batch),
        "claim_p50": statistics.median(claims),
        "claim_max": max(claims),
        "total_mb": size["total"] / 2**20,
        "heap_mb": size["heap"] / 2**20,
        "rows": size["rows"],
    }
    print(
        f"{label:<22} planning p50 {figures['plan_p50'] * 1000:6.0f} ms, "
        f"max {figures['plan_max'] * 1000:6.0f} ms ({planned:,} jobs in 24 h); "
        f"claim of {figures['claimed']} p50 {figures['claim_p50'] * 1000:.1f} ms, "
        f"max {figures['claim_max'] * 1000:.1f} ms; jobs table {figures['total_mb']:,.0f} MB "
        f"({figures['heap_mb']:,.0f} MB heap) for {figures['rows']:,} rows",
        flush=True,
    )
    return figures


async def retention(dsn: str, settings: Settings) -> None:
    """The batches the runtime's retention pass runs a day after T0 (two days of history are past
    the cutoff), timed one by one."""
    cutoff = T0 + dt.timedelta(days=1) - dt.timedelta(days=settings.job_retention_days)
    conn = await asyncpg.connect(dsn)
    batches: list[float] = []
    deleted = 0
    try:
        while True:
            began = time.perf_counter()
            gone = await jobs_repo.delete_finished_before(conn, cutoff, settings.retention_batch_size)
            batches.append(time.perf_counter() - began)
            deleted += gone
            if gone < settings.retention_batch_size:
                break
    finally:
        await conn.close()
    print(
        f"retention a day later: {deleted:,} finished jobs in {len(batches)} batches of "
        f"{settings.retention_batch_size:,} (cap {settings.retention_max_batches_per_run} a run), "
        f"{sum(batches):.2f} s in all; a batch p50 {statistics.median(batches) * 1000:.0f} ms, "
        f"max {max(batches) * 1000:.0f} ms"
    )


async def main(args: argparse.Namespace) -> None:
    _common.quiet_logs()
    _common.print_header("The jobs table after a year (90 days retained) and what it costs")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with _common.embedded_postgres() as server:
        dsn = await seed(server, args.clients)
        print(
            f"{args.clients:,} clients; T0 {T0:%Y-%m-%d %H:%M} UTC; "
            f"JOB_RETENTION_DAYS {settings.job_retention_days}"
        )
        await measure(dsn, settings, "empty table")
        took = await fill_history(dsn)
        print(f"history: {HISTORY_DAYS} days of finished jobs written in {took:.0f} s")
        await measure(dsn, settings, f"{HISTORY_DAYS} days of history")
        await retention(dsn, settings)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    asyncio.run(main(parser.parse_args()))
