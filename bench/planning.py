"""Planning cost: the hourly planning of every engine at 1k, 10k and 100k active clients, measured
two ways (`--how`):

- `pass` (the default): the runtime's own `PlanningPass.tick` (`Runtime.planning`, built by
  `bot.core.runtime.Runtime` from the registry, as the bot runs it since commit 57f1483): every
  engine in one transaction and one INSERT, a constant number of statements;
- `engines`: every engine's `bot.core.planner.Planner.tick`, one after another (how the runtime
  planned before 57f1483, one loop per engine; the figure of RESULTS.md §8).

On three rosters:

- `all-zones`: round-robin over every zone of the tz database (the figure before 2026-12-01);
- `one-zone`: every client in America/New_York, so a whole day's work falls into a few hours;
- `skewed`: 80 % in three zones (America/New_York, Europe/London, Australia/Sydney, a third each),
  the other 20 % round-robin over every zone.

Every client has a meal and a cardio plan id and a training schedule, so every engine plans for
them. For each (roster, size) a fresh database is seeded with COPY, then a child interpreter (so
its memory is its own) runs a first tick of every engine at T0 and 24 hourly rounds after it
(each plans one hour), and finally a catch-up round after a day of downtime (26 hours at once).
Reported per hour, for all engines together (the sum of every engine's tick in that hour): wall
time, the part spent in Python rather than waiting on PostgreSQL, statements (asyncpg's query
logger on every pool connection, BEGIN/COMMIT included), jobs planned; per engine its own tick
p50/max; and the child's VmHWM (/proc/self/status; not ru_maxrss, which Linux carries over from
the parent across fork and exec).

`--engines checkin training` restricts the round to those engines (`--engines checkin` is the
single-engine figure of the first RESULTS.md table); with `--how pass` a pass over only those
engines' planners. Variant `case-join` runs the planning statement the bot had before commit
3ef8de4, swapped in for the child process only (per-engine ticks only: `--how engines`).

Targets (issue 7): ≤ 0.5 s per tick at 100k, a constant number of queries, RSS ≤ 200 MB.

    .venv/bin/python bench/planning.py --sizes 100000                     # the pass, 3 rosters
    .venv/bin/python bench/planning.py --sizes 100000 --how pass engines  # and the old per-engine ticks
    .venv/bin/python bench/planning.py --sizes 1000 10000 --rosters all-zones
    .venv/bin/python bench/planning.py --engines checkin --variants current case-join
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
from bot.core.clock import VirtualClock
from bot.core.planner import Planner, PlanningPass
from bot.core.runtime import Runtime
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


ROSTERS = ("all-zones", "one-zone", "skewed")
# asyncpg's type introspection, with JIT turned off around it (asyncpg does that on a server
# with jit on): three statements, once per connection and statement with unseen array types.
INTROSPECTION = ("WITH RECURSIVE typeinfo_tree", "SELECT current_setting('jit')", "SELECT set_config('jit'")
ONE_ZONE = "America/New_York"
SKEWED_ZONES = ("America/New_York", "Europe/London", "Australia/Sydney")


def roster_zone(roster: str, i: int, zones: list[str]) -> str:
    if roster == "one-zone":
        return ONE_ZONE
    if roster == "skewed" and i % 10 < 8:
        return SKEWED_ZONES[i % 3]
    return zones[i % len(zones)]


def client_records(count: int, plans: int = 0, roster: str = "all-zones") -> list[tuple[object, ...]]:
    """`count` active clients on `roster`, each with `plans` plan ids (meal, cardio) after the
    CLIENT_COLUMNS values."""
    zones = timezones.zone_names()
    schedules = ([1, 3, 5], [1, 2, 4, 5], [2, 4, 6], [1, 2, 3, 4, 5])
    return [
        (1_000_000 + i, f"c{i}", roster_zone(roster, i, zones), START_DATE, schedules[i % 4], None)
        + ("bench",) * plans
        for i in range(count)
    ]


# --- the measuring child --------------------------------------------------------------------


async def measure(
    dsn: str,
    engine_names: list[str],
    ticks: int,
    catchup: bool,
    variant: str,
    how: str = "engines",
    t0: dt.datetime = T0,
) -> dict[str, Any]:
    """Runs in the child: the rounds of ticks, their statements and this process's memory."""
    _common.quiet_logs()
    replacement = VARIANTS[variant]
    if replacement is not None:
        jobs_repo.PLAN_CLIENT_JOBS = replacement
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    engines = {e.name: e for e in build_registry(settings)}
    wanted = list(engines) if engine_names == ["all"] else engine_names
    missing = [n for n in wanted if n not in engines]
    if missing:
        raise SystemExit(f"no engine {missing}; the registry has {sorted(engines)}")
    interval = dt.timedelta(minutes=settings.planning_interval_minutes)
    horizon = interval + dt.timedelta(minutes=settings.planning_slack_minutes)
    planners = [Planner(engines[n].name, engines[n].actions, horizon, engines[n].applies) for n in wanted]
    counter = _common.QueryCounter()
    pool = await _common.counting_pool(dsn, counter, min_size=1, max_size=2)
    planning: PlanningPass | None = None
    if how == "pass":
        # The runtime's own pass, built by Runtime from the registry (nothing started: no loops,
        # no dispatcher; the transport is never used). A subset of engines: a pass over theirs.
        runtime = Runtime(
            pool, VirtualClock(t0), build_registry(settings), None,  # type: ignore[arg-type]
            settings, plan=False, dispatch=False, retain=False,
        )  # fmt: skip
        planning = runtime.planning
        if engine_names != ["all"]:
            planning = PlanningPass([runtime.planners[n] for n in wanted], settings.planning_inline_jobs)
    rss_before = _common.rss_mb()
    peak_before = _common.peak_rss_mb()

    async def one_round(now: dt.datetime) -> dict[str, Any]:
        counter.clear()
        per_engine: dict[str, dict[str, Any]] = {}
        if planning is not None:
            began = time.perf_counter()
            result = await planning.tick(pool, now)
            per_engine["pass"] = {
                "seconds": time.perf_counter() - began,
                "planned": result.planned,
                "batches": result.batches,
            }
        else:
            for planner in planners:
                began = time.perf_counter()
                result = await planner.tick(pool, now)
                per_engine[planner.name] = {"seconds": time.perf_counter() - began, "planned": result.planned}
        for _ in range(3):  # the query logger reports through call_soon
            await asyncio.sleep(0)
        # asyncpg's own type introspection (INTROSPECTION): not the bot's SQL, counted apart.
        introspection = sum(n for text, n in counter.by_text.items() if text.startswith(INTROSPECTION))
        return {
            "seconds": sum(e["seconds"] for e in per_engine.values()),
            "planned": sum(e["planned"] for e in per_engine.values()),
            "batches": sum(e.get("batches", 0) for e in per_engine.values()),
            "per_engine": per_engine,
            "queries": counter.total - introspection,
            "introspection": introspection,
            "texts": dict(counter.by_text),
            "db_seconds": sum(counter.seconds_by_text.values()),
            "by_kind": dict(counter.by_kind),
            "slowest": sorted(counter.seconds_by_text.items(), key=lambda kv: -kv[1])[:3],
            "rss_mb": _common.rss_mb(),
        }

    try:
        first = await one_round(t0)
        hourly = [await one_round(t0 + k * interval) for k in range(1, ticks + 1)]
        late = None
        if catchup:
            # Down for a day after the last round: the next one plans everything that fell due.
            late = await one_round(t0 + (ticks + 25) * interval)
    finally:
        await pool.close()
    return {
        "engines": ["pass"] if planning is not None else [p.name for p in planners],
        "planned_engines": [p.name for p in (planning.planners if planning is not None else planners)],
        "how": how,
        "first": first,
        "hourly": hourly,
        "catchup": late,
        "rss_before_mb": rss_before,
        "peak_before_mb": peak_before,
        "peak_rss_mb": _common.peak_rss_mb(),
    }


# --- the parent -----------------------------------------------------------------------------


async def seed(server: Any, size: int, roster: str) -> str:
    dsn = await _common.fresh_database(server, f"bench_plan_{roster.replace('-', '_')}_{size}")
    conn = await asyncpg.connect(dsn)
    try:
        plans = await _common.plan_columns(conn)
        columns = [*_common.CLIENT_COLUMNS, *plans]
        await _common.copy_clients(conn, client_records(size, len(plans), roster), columns)
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


def summarize(
    size: int, roster: str, engines: str, variant: str, data: dict[str, Any], how: str = "engines"
) -> dict[str, Any]:
    hourly = data["hourly"]
    times = [h["seconds"] for h in hourly]
    queries = [h["queries"] for h in hourly]
    planned = [h["planned"] for h in hourly]
    late = data["catchup"]
    worst = max(range(len(times)), key=times.__getitem__)
    per_engine = {
        name: {
            "p50": statistics.median(h["per_engine"][name]["seconds"] for h in hourly),
            "max": max(h["per_engine"][name]["seconds"] for h in hourly),
            "planned_max": max(h["per_engine"][name]["planned"] for h in hourly),
        }
        for name in data["engines"]
    }
    return {
        "size": size,
        "roster": roster,
        "engines": engines,
        "engine_names": data["planned_engines"],
        "how": how,
        "variant": variant,
        "label": f"{roster}, {engines}, "
        + ("one PlanningPass.tick" if how == "pass" else "Planner.tick per engine")
        + ("" if variant == "current" else f" ({variant})"),
        "p50": statistics.median(times),
        "python_p50": statistics.median(h["seconds"] - h["db_seconds"] for h in hourly),
        "max": max(times),
        "worst_hour": worst + 1,
        "worst_planned": planned[worst],
        "worst_engine_tick": max(e["max"] for e in per_engine.values()),
        "per_engine": per_engine,
        "queries_min": min(queries),
        "queries_max": max(queries),
        "planned_total": sum(planned) + data["first"]["planned"] + (late["planned"] if late else 0),
        # Batches: a zone's due action each, whose jobs the dispatcher's claims make (not here).
        "batches_total": sum(h["batches"] for h in [data["first"], *hourly, *([late] if late else [])]),
        "worst_batches": hourly[worst]["batches"],
        "catchup_batches": late["batches"] if late else None,
        "planned_mean": statistics.mean(planned),
        "planned_max": max(planned),
        "first_s": data["first"]["seconds"],
        "first_planned": data["first"]["planned"],
        "catchup_s": late["seconds"] if late else None,
        "catchup_planned": late["planned"] if late else None,
        "peak_rss": data["peak_rss_mb"],
        "rss_growth": data["peak_rss_mb"] - data["peak_before_mb"],
        "slowest": hourly[worst]["slowest"],
        "by_kind": hourly[0]["by_kind"],
        "by_kind_worst": hourly[worst]["by_kind"],
        "queries_hist": dict(sorted(_count(queries).items())),
        "introspection": sum(h["introspection"] for h in [data["first"], *hourly]),
        "texts_worst": hourly[worst]["texts"],
    }


def _count(values: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for v in values:
        found[v] = found.get(v, 0) + 1
    return found


def print_report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    headers = [
        "roster, engines, how",
        "clients",
        "hour p50 ms (all engines)",
        "hour max ms (jobs in it)",
        "of which Python ms (p50)",
        "worst single engine tick ms",
        "statements/hour (asyncpg introspection apart)",
        "jobs/hour (mean)",
        "first round ms (jobs)",
        "catch-up round s (jobs)",
        "VmHWM MB",
        "growth in rounds MB",
    ]
    rows = []
    for r in results:
        same = r["queries_min"] == r["queries_max"]
        rows.append(
            [
                r["label"],
                f"{r['size']:,}",
                f"{r['p50'] * 1000:.1f}",
                f"{r['max'] * 1000:.1f} ({r['worst_planned']:,})",
                f"{r['python_p50'] * 1000:.1f}",
                f"{r['worst_engine_tick'] * 1000:.1f}",
                f"{r['queries_min']}" if same else f"{r['queries_min']}–{r['queries_max']}",
                f"{r['planned_mean']:,.0f}",
                f"{r['first_s'] * 1000:.0f} ({r['first_planned']:,})",
                f"{r['catchup_s']:.2f} ({r['catchup_planned']:,})" if r["catchup_s"] is not None else "-",
                f"{r['peak_rss']:.0f}",
                f"{r['rss_growth']:.1f}",
            ]
        )
    print(_common.markdown_table(headers, rows))
    print()
    print("per engine (its own tick over the hourly rounds):")
    engine_rows = []
    for r in results:
        for name, e in r["per_engine"].items():
            engine_rows.append(
                [
                    r["label"],
                    f"{r['size']:,}",
                    name,
                    f"{e['p50'] * 1000:.1f}",
                    f"{e['max'] * 1000:.1f}",
                    f"{e['planned_max']:,}",
                ]
            )
    print(
        _common.markdown_table(
            [
                "roster, engines, how",
                "clients",
                "tick",
                "tick p50 ms",
                "tick max ms",
                "most jobs in one tick",
            ],
            engine_rows,
        )
    )
    print()
    for r in results:
        print(
            f"statements per hourly round ({r['label']}, {r['size']:,}): how many hours had n statements "
            f"{r['queries_hist']}; by kind in the first hour {r['by_kind']}, in the slowest "
            f"{r['by_kind_worst']}; asyncpg type introspection {r['introspection']} in all the rounds"
        )
        if r["how"] == "pass":
            for text, n in r["texts_worst"].items():
                print(f"    {n} × {text}")
    for label in dict.fromkeys(r["label"] for r in results):
        mine = [r for r in results if r["label"] == label]
        top = mine[-1]
        print(f"slowest statements in the slowest hour ({label}, {top['size']:,}, hour {top['worst_hour']}):")
        for text, seconds in top["slowest"]:
            print(f"    {seconds * 1000:8.1f} ms  {text}")
        if len(mine) < 2:
            continue
        sizes = [r["size"] for r in mine]
        print(
            f"  growth exponents (log-log slope over {', '.join(f'{s:,}' for s in sizes)}): "
            f"hour p50 {_common.loglog_slope(sizes, [r['p50'] for r in mine]):.2f}, "
            f"hour max {_common.loglog_slope(sizes, [r['max'] for r in mine]):.2f}, "
            f"catch-up {_common.loglog_slope(sizes, [r['catchup_s'] or 0 for r in mine]):.2f}, "
            f"VmHWM {_common.loglog_slope(sizes, [r['peak_rss'] for r in mine]):.2f}"
        )
    groups: dict[tuple[int, str, str], dict[str, int]] = {}
    for r in results:
        key = r["variant"] if r["how"] == "engines" else "pass"
        groups.setdefault((r["size"], r["roster"], r["engines"]), {})[key] = r["planned_total"]
    batched = {(r["size"], r["roster"], r["engines"]) for r in results if r["batches_total"]}
    for (size, roster, engines), totals in groups.items():
        if (size, roster, engines) in batched:
            print(
                f"jobs planned ({roster}, {engines}, {size:,}): {totals}; not compared, the pass planned "
                "batches, whose jobs the claims make (tests/core/test_batches.py checks they are the same)"
            )
        elif len(totals) > 1:
            same = len(set(totals.values())) == 1
            print(
                f"same jobs planned by every variant and the pass ({roster}, {engines}, {size:,}): "
                f"{'yes' if same else 'NO'} {totals}"
            )
    for r in (r for r in results if r["size"] == max(args.sizes)):
        # The pass: BEGIN, lock watermarks, zones, the zones' sizes, custom plans, the jobs'
        # INSERT, the batches' INSERT, move watermarks, COMMIT, and one statement per weekly-scan
        # instant in the window (at most 1 in an hour's window): 10.
        bound = 10 if r["how"] == "pass" else 8 * len(r["engine_names"])
        what = "whatever the size" + ("" if r["how"] == "pass" else ", 8 per engine")
        met = r["max"] <= 0.5 and r["peak_rss"] <= 200 and r["queries_max"] <= bound
        print(
            f"target at {r['size']:,} ({r['label']}): ≤ 0.5 s per hour for all engines together, at most "
            f"{bound} statements ({what}), VmHWM ≤ 200 MB → "
            f"{'met' if met else 'MISSED'} (worst hour {r['max']:.3f} s, worst "
            f"single engine tick {r['worst_engine_tick']:.3f} s, "
            f"{r['queries_min']}–{r['queries_max']} statements, "
            f"{r['peak_rss']:.0f} MB)"
        )


async def main(args: argparse.Namespace) -> None:
    _common.quiet_logs()
    _common.print_header("Planning: every engine's hourly planning, per hour (" + ", ".join(args.how) + ")")
    print(
        f"Rosters {', '.join(args.rosters)} ({len(timezones.zone_names())} zones in the tz database); T0 = "
        f"{args.start.isoformat()}; {args.ticks} hourly rounds after the first; then one catch-up round "
        "after 24 h down.\n"
    )
    engines = " ".join(args.engines)
    # The old statement (case-join) only exists in the per-engine planner: not with the pass.
    runs = [(h, v) for h in args.how for v in args.variants if h == "engines" or v == "current"]
    if not runs:
        raise SystemExit("nothing to run: variant case-join needs --how engines")
    results: list[dict[str, Any]] = []
    with _common.embedded_postgres() as server:
        for roster in args.rosters:
            for size in args.sizes:
                began = time.perf_counter()
                dsn = await seed(server, size, roster)
                print(f"seeded {size:,} clients ({roster}) with COPY in {time.perf_counter() - began:.2f} s")
                for how, variant in runs:
                    await reset_jobs(dsn)
                    child_args = [
                        dsn,
                        ",".join(args.engines),
                        str(args.ticks),
                        "1" if args.catchup else "0",
                        variant,
                        how,
                        args.start.isoformat(),
                    ]
                    data = _common.run_child(HERE, child_args, timeout=3600)
                    row = summarize(size, roster, engines, variant, data, how)
                    results.append(row)
                    print(
                        f"  {row['label']:<48} n={size:>7,}: hour p50 {row['p50'] * 1000:7.1f} ms, max "
                        f"{row['max'] * 1000:7.1f} ms ({row['worst_planned']:,} jobs, "
                        f"{row['worst_batches']:,} batches), "
                        f"{row['queries_min']}–{row['queries_max']} statements/hour; catch-up "
                        f"{row['catchup_s'] or 0:.2f} s for {row['catchup_planned'] or 0:,} jobs and "
                        f"{row['catchup_batches'] or 0:,} batches; VmHWM "
                        f"{row['peak_rss']:.0f} MB",
                        flush=True,
                    )
    print()
    print_report(results, args)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--rosters", nargs="+", default=list(ROSTERS), choices=ROSTERS)
    parser.add_argument(
        "--engines", nargs="+", default=["all"], help="engine names ticked each hour, or `all` (the registry)"
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        default=["current"],
        choices=sorted(VARIANTS),
        help="the planning statement: the bot's, or the one before commit 3ef8de4 (case-join)",
    )
    parser.add_argument(
        "--how",
        nargs="+",
        default=["pass"],
        choices=("pass", "engines"),
        help="pass: the runtime's one PlanningPass.tick for all engines (the bot since 57f1483); "
        "engines: every engine's Planner.tick one after another (before)",
    )
    parser.add_argument("--ticks", type=int, default=24, help="hourly rounds after the first")
    parser.add_argument(
        "--start",
        type=lambda text: dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC),
        default=T0,
        help="T0, UTC (default 2026-05-04T00:00, a Monday; 2026-05-03T12:00 puts the weekly flag "
        "scan, Sunday 22:00 UTC, in the rounds)",
    )
    parser.add_argument("--no-catchup", dest="catchup", action="store_false")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        dsn, engines, ticks, catchup, variant, how, start = sys.argv[2:9]
        t0 = dt.datetime.fromisoformat(start)
        outcome = asyncio.run(measure(dsn, engines.split(","), int(ticks), catchup == "1", variant, how, t0))
        print(json.dumps(outcome, default=str))
    else:
        asyncio.run(main(parse_args(sys.argv[1:])))
