"""Planning cost: one engine's hourly tick (`bot.core.planner.Planner.tick`) at 1k, 10k and 100k active
clients spread over every zone of the tz database.

For each size a fresh database is seeded with COPY, then a child interpreter (so its peak RSS is
its own) runs a first tick at T0 and 24 hourly ticks after it (the steady state: each plans one
hour), and finally a catch-up tick after a day of downtime (plans 26 hours at once). Reported:
wall time per tick (and the part spent in Python rather than waiting on PostgreSQL), statements
per tick (counted with asyncpg's query logger on every pool connection), jobs planned, the
process's peak RSS, and log-log growth exponents over the sizes.

Variant `case-join` runs the same ticks with the planning statement the bot had before commit
3ef8de4 (a join PostgreSQL could only run as a nested loop), swapped in for the child process
only; `bot/` is not touched.

Targets (issue 7): ≤ 0.5 s per tick at 100k, a constant number of queries, RSS ≤ 200 MB.

    .venv/bin/python bench/planning.py                     # 1k, 10k, 100k; checkin and training
    .venv/bin/python bench/planning.py --variants current case-join   # before/after 3ef8de4
    .venv/bin/python bench/planning.py --sizes 1000 10000 --engines training
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import _common
import asyncpg

from bot.config import Settings
from bot.core.planner import Planner
from bot.domain import timezones
from bot.engines import build_registry
from bot.repo import jobs as jobs_repo

T0 = dt.datetime(2026, 5, 4, 0, 0, tzinfo=dt.UTC)  # a Monday, 00:00 UTC
START_DATE = dt.date(2026, 1, 1)
HERE = Path(__file__).resolve()

# bot.repo.jobs.PLAN_CLIENT_JOBS as it was before commit 3ef8de4, kept to measure the difference:
# it joins on `z.tz = CASE … z.local_date … END`, an expression over both sides, which PostgreSQL
# can only evaluate as a nested-loop filter (every due zone-row × every client). The current
# statement splits it into two equi-joins that PostgreSQL hash-joins. Same rows planned.
CASE_JOIN_PLAN = """
WITH z AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::date[], $5::timestamptz[], $6::timestamptz[])
        AS z(tz, action, local_date, due_at, deadline)
), ins AS (
    INSERT INTO jobs (engine, action, user_id, local_date, due_at, deadline, next_attempt_at,
                      created_at, updated_at)
    SELECT $1, z.action, c.user_id, z.local_date, z.due_at, z.deadline, z.due_at, $7, $7
      FROM z
      JOIN client_profiles c
        ON z.tz = CASE WHEN c.timezone_effective_from IS NOT NULL
                             AND c.previous_timezone IS NOT NULL
                             AND z.local_date < c.timezone_effective_from
                       THEN c.previous_timezone ELSE c.timezone END
     WHERE c.start_date <= z.local_date
       AND NOT (c.paused AND (c.paused_until IS NULL OR z.local_date < c.paused_until))
       AND ($8::bigint IS NULL OR c.user_id = $8)
       AND {client_filter}
    ON CONFLICT DO NOTHING
    RETURNING due_at
)
SELECT count(*) AS planned, min(due_at) AS earliest FROM ins
"""
VARIANTS = {"current": None, "case-join": CASE_JOIN_PLAN}


def client_records(count: int, plans: int = 0) -> list[tuple[object, ...]]:
    """`count` active clients round-robin over every zone name, each with `plans` plan ids
    (meal, cardio) after the CLIENT_COLUMNS values."""
    zones = timezones.zone_names()
    schedules = ([1, 3, 5], [1, 2, 4, 5], [2, 4, 6], [1, 2, 3, 4, 5])
    return [
        (1_000_000 + i, f"c{i}", zones[i % len(zones)], START_DATE, schedules[i % 4], None)
        + ("bench",) * plans
        for i in range(count)
    ]


# --- the measuring child --------------------------------------------------------------------


async def measure(dsn: str, engine_name: str, ticks: int, catchup: bool, variant: str) -> dict[str, Any]:
    """Runs in the child: the ticks, their statements and this process's memory."""
    _common.quiet_logs()
    replacement = VARIANTS[variant]
    if replacement is not None:
        jobs_repo.PLAN_CLIENT_JOBS = replacement
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    engines = {e.name: e for e in build_registry(settings)}
    if engine_name not in engines:
        raise SystemExit(f"no engine {engine_name!r}; the registry has {sorted(engines)}")
    engine = engines[engine_name]
    interval = dt.timedelta(minutes=settings.planning_interval_minutes)
    horizon = interval + dt.timedelta(minutes=settings.planning_slack_minutes)
    planner = Planner(engine.name, engine.actions, horizon, engine.applies)
    counter = _common.QueryCounter()
    pool = await _common.counting_pool(dsn, counter, min_size=1, max_size=2)
    rss_before = _common.rss_mb()
    peak_before = _common.peak_rss_mb()

    async def one(now: dt.datetime) -> dict[str, Any]:
        counter.clear()
        began = time.perf_counter()
        result = await planner.tick(pool, now)
        seconds = time.perf_counter() - began
        for _ in range(3):  # the query logger reports through call_soon
            await asyncio.sleep(0)
        return {
            "seconds": seconds,
            "planned": result.planned,
            "queries": counter.total,
            "db_seconds": sum(counter.seconds_by_text.values()),
            "by_kind": dict(counter.by_kind),
            "slowest": sorted(counter.seconds_by_text.items(), key=lambda kv: -kv[1])[:3],
        }

    try:
        first = await one(T0)
        hourly = [await one(T0 + k * interval) for k in range(1, ticks + 1)]
        late = None
        if catchup:
            # Down for a day after the last tick: the next one plans everything that fell due.
            late = await one(T0 + (ticks + 25) * interval)
    finally:
        await pool.close()
    return {
        "first": first,
        "hourly": hourly,
        "catchup": late,
        "rss_before_mb": rss_before,
        "peak_before_mb": peak_before,
        "peak_rss_mb": _common.peak_rss_mb(),
    }


# --- the parent -----------------------------------------------------------------------------


async def seed(server: Any, size: int) -> str:
    dsn = await _common.fresh_database(server, f"bench_plan_{size}")
    conn = await asyncpg.connect(dsn)
    try:
        plans = await _common.plan_columns(conn)
        columns = [*_common.CLIENT_COLUMNS, *plans]
        await _common.copy_clients(conn, client_records(size, len(plans)), columns)
    finally:
        await conn.close()
    return dsn


async def reset_jobs(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("TRUNCATE jobs, planner_watermarks, job_cards CASCADE")
        await conn.execute("VACUUM ANALYZE jobs")
    finally:
        await conn.close()


def summarize(size: int, engine: str, variant: str, data: dict[str, Any]) -> dict[str, Any]:
    hourly = data["hourly"]
    times = [h["seconds"] for h in hourly]
    queries = [h["queries"] for h in hourly]
    planned = [h["planned"] for h in hourly]
    late = data["catchup"]
    return {
        "size": size,
        "engine": engine,
        "variant": variant,
        "label": engine if variant == "current" else f"{engine} ({variant})",
        "p50": statistics.median(times),
        "python_p50": statistics.median(h["seconds"] - h["db_seconds"] for h in hourly),
        "max": max(times),
        "queries_min": min(queries),
        "queries_max": max(queries),
        "planned_total": sum(planned) + data["first"]["planned"] + (late["planned"] if late else 0),
        "planned_mean": statistics.mean(planned),
        "planned_max": max(planned),
        "first_s": data["first"]["seconds"],
        "first_planned": data["first"]["planned"],
        "catchup_s": late["seconds"] if late else None,
        "catchup_planned": late["planned"] if late else None,
        "peak_rss": data["peak_rss_mb"],
        "rss_growth": data["peak_rss_mb"] - data["peak_before_mb"],
        "slowest": hourly[max(range(len(times)), key=times.__getitem__)]["slowest"],
        "by_kind": hourly[0]["by_kind"],
    }


def print_report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    headers = [
        "engine",
        "clients",
        "tick p50 ms",
        "tick max ms",
        "of which Python ms (p50)",
        "statements/tick",
        "jobs/tick (mean, max)",
        "first tick ms (jobs)",
        "catch-up tick s (jobs)",
        "peak RSS MB",
        "RSS growth in ticks MB",
    ]
    rows = []
    for r in results:
        same = r["queries_min"] == r["queries_max"]
        rows.append(
            [
                r["label"],
                f"{r['size']:,}",
                f"{r['p50'] * 1000:.1f}",
                f"{r['max'] * 1000:.1f}",
                f"{r['python_p50'] * 1000:.1f}",
                f"{r['queries_min']}" if same else f"{r['queries_min']}–{r['queries_max']}",
                f"{r['planned_mean']:,.0f}, {r['planned_max']:,}",
                f"{r['first_s'] * 1000:.0f} ({r['first_planned']:,})",
                f"{r['catchup_s']:.2f} ({r['catchup_planned']:,})" if r["catchup_s"] is not None else "-",
                f"{r['peak_rss']:.0f}",
                f"{r['rss_growth']:.1f}",
            ]
        )
    print(_common.markdown_table(headers, rows))
    print()
    print("statements per hourly tick by kind:", results[0]["by_kind"] if results else {})
    for label in dict.fromkeys(r["label"] for r in results):
        mine = [r for r in results if r["label"] == label]
        if len(mine) < 2:
            continue
        sizes = [r["size"] for r in mine]
        print(
            f"growth exponents ({label}, log-log slope over {', '.join(f'{s:,}' for s in sizes)}): "
            f"tick p50 {_common.loglog_slope(sizes, [r['p50'] for r in mine]):.2f}, "
            f"tick max {_common.loglog_slope(sizes, [r['max'] for r in mine]):.2f}, "
            f"catch-up {_common.loglog_slope(sizes, [r['catchup_s'] or 0 for r in mine]):.2f}, "
            f"peak RSS {_common.loglog_slope(sizes, [r['peak_rss'] for r in mine]):.2f}"
        )
        top = mine[-1]
        print(f"  slowest statements in the slowest tick at {top['size']:,}:")
        for text, seconds in top["slowest"]:
            print(f"    {seconds * 1000:8.1f} ms  {text}")
    for size in args.sizes:
        for engine in args.engines:
            totals = {
                r["variant"]: r["planned_total"]
                for r in results
                if r["size"] == size and r["engine"] == engine
            }
            if len(totals) > 1:
                same = len(set(totals.values())) == 1
                print(
                    f"same jobs planned by every variant ({engine}, {size:,}): "
                    f"{'yes' if same else 'NO'} {totals}"
                )
    for r in (r for r in results if r["size"] == max(args.sizes)):
        met = r["max"] <= 0.5 and r["peak_rss"] <= 200 and r["queries_min"] == r["queries_max"]
        print(
            f"target at {r['size']:,} ({r['label']}): ≤ 0.5 s/tick, constant statements, RSS ≤ 200 MB → "
            f"{'met' if met else 'MISSED'} (max {r['max']:.3f} s, {r['queries_min']}–{r['queries_max']} "
            f"statements, {r['peak_rss']:.0f} MB)"
        )


async def main(args: argparse.Namespace) -> None:
    _common.quiet_logs()
    _common.print_header("Planning: one engine's hourly tick")
    print(
        f"Clients round-robin over {len(timezones.zone_names())} zones; T0 = {T0.isoformat()}; "
        f"{args.ticks} hourly ticks after the first; then one catch-up tick after 24 h down.\n"
    )
    results: list[dict[str, Any]] = []
    with _common.embedded_postgres() as server:
        for size in args.sizes:
            began = time.perf_counter()
            dsn = await seed(server, size)
            print(f"seeded {size:,} clients with COPY in {time.perf_counter() - began:.2f} s")
            for variant in args.variants:
                for engine in args.engines:
                    await reset_jobs(dsn)
                    child_args = [dsn, engine, str(args.ticks), "1" if args.catchup else "0", variant]
                    data = _common.run_child(HERE, child_args, timeout=3600)
                    row = summarize(size, engine, variant, data)
                    results.append(row)
                    print(
                        f"  {row['label']:<21} n={size:>7,}: tick p50 {row['p50'] * 1000:7.1f} ms, max "
                        f"{row['max'] * 1000:7.1f} ms, {row['queries_min']}–{row['queries_max']} statements, "
                        f"≤ {row['planned_max']:,} jobs/tick; catch-up {row['catchup_s'] or 0:.2f} s for "
                        f"{row['catchup_planned'] or 0:,} jobs; peak RSS {row['peak_rss']:.0f} MB",
                        flush=True,
                    )
    print()
    print_report(results, args)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--engines", nargs="+", default=["checkin", "training"], help="engine names")
    parser.add_argument(
        "--variants",
        nargs="+",
        default=["current"],
        choices=sorted(VARIANTS),
        help="the planning statement: the bot's, or the one before commit 3ef8de4 (case-join)",
    )
    parser.add_argument("--ticks", type=int, default=24, help="hourly ticks after the first")
    parser.add_argument("--no-catchup", dest="catchup", action="store_false")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        dsn, engine, ticks, catchup, variant = sys.argv[2:7]
        outcome = asyncio.run(measure(dsn, engine, int(ticks), catchup == "1", variant))
        print(json.dumps(outcome, default=str))
    else:
        asyncio.run(main(parse_args(sys.argv[1:])))
