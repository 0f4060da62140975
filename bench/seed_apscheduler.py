"""The seed's design side by side with ours: APScheduler 3.x with one CronTrigger job per (client,
action) in the client's zone (in-memory job store), against our planner (`Planner.tick` of every
engine), on the same roster, in the same run.

Roster: N clients round-robin over every zone of the tz database, each with a meal and a cardio
plan and a training schedule. The (client, action) set is taken from our engine registry, so
both sides schedule the same thing (8 actions per client: check-in 05:30 and 12:00, meals and
cardio 06:00 and 22:00, training 07:00 and 22:00 on the client's training days).

Per size, each side runs in its own interpreter (peak RSS is its own) and reports:
- start-up: APScheduler reads the roster and adds every job (trigger + first fire time +
  sorted insert) and starts; ours creates the pool and runs every engine's first tick;
- memory: the process's peak (VmHWM from /proc/self/status, not ru_maxrss, which Linux carries
  over from the parent) plus PostgreSQL's: the embedded server's postmaster and every process
  under it, sampled every 100 ms while the child runs, the peak of the sum of their RSS (which
  counts shared buffers once per backend that touched them) and of their PSS (which does not);
  the "total" is the process's VmHWM plus PostgreSQL's peak RSS sum;
- an hour's scheduling work, over `--hours` consecutive hours: APScheduler's bookkeeping for the
  jobs that fell due (`_process_jobs` without executing: next fire time, re-sorted store) and,
  separately, finding an hour's runs from scratch (`get_next_fire_time` of every job); ours, the
  hourly tick of every engine (which writes the jobs to PostgreSQL).

Then its DST behaviour: for every zone of the roster and every DST transition of 2026, the local
dates around it, for the table's times plus custom 01:30 and 02:30 actions, APScheduler's fire
times (stepping `get_next_fire_time` as its scheduler does) against `bot.domain.timezones.
due_instants_between`: (client, action, local date) it skips, doubles, or fires at another
instant.

Needs APScheduler 3.x, which is not a project dependency:

    .venv/bin/pip install 'apscheduler<4'
    .venv/bin/python bench/seed_apscheduler.py
    .venv/bin/python bench/seed_apscheduler.py --sizes 1000 10000 --hours 3
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common
import asyncpg

from bot.config import Settings
from bot.core.engine import ActionKind
from bot.core.planner import Planner
from bot.domain import timezones
from bot.engines import build_registry, pauses
from bot.engines import training as training_engine

HERE = Path(__file__).resolve()
T0 = dt.datetime(2026, 5, 4, 0, 0, tzinfo=dt.UTC)  # a Monday
START_DATE = dt.date(2026, 1, 1)
YEAR = 2026
ISO_DAYS = {1: "mon", 2: "tue", 3: "wed", 4: "thu", 5: "fri", 6: "sat", 7: "sun"}
SCHEDULES = ([1, 3, 5], [1, 2, 4, 5], [2, 4, 6], [1, 2, 3, 4, 5])
CUSTOM_TIMES = (dt.time(1, 30), dt.time(2, 30))
INSTALL = ".venv/bin/pip install 'apscheduler<4'"


@dataclass(frozen=True)
class Action:
    name: str
    at: dt.time
    training_days_only: bool


def actions() -> list[Action]:
    """Our registry's per-client actions, as the seed would schedule them (a paused client's
    resume is event-driven in both designs and has no client in this roster)."""
    found = []
    for engine in build_registry(Settings(_env_file=None)):  # type: ignore[call-arg]
        for spec in engine.actions:
            if spec.kind == ActionKind.scan or engine.applies == pauses.PAUSE_ENDS_TODAY:
                continue
            found.append(Action(spec.name, spec.at, engine.applies == training_engine.TRAINING_DAYS))
    return found


def have_apscheduler() -> bool:
    try:
        import apscheduler
    except ImportError:
        return False
    return str(getattr(apscheduler, "__version__", "3")).startswith("3")


# --- children -------------------------------------------------------------------------------


async def _roster(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(
            await conn.fetch("SELECT user_id, timezone, schedule_days FROM client_profiles ORDER BY 1")
        )
    finally:
        await conn.close()


def _fire(user_id: int, action: str) -> None:
    """The job function (never run here: the scheduler stays paused)."""


def with_postgres_memory(pg_root: int, body: Any) -> dict[str, Any]:
    """Run `body()` while sampling PostgreSQL's processes; add their peaks to its result."""
    with _common.TreeMemorySampler(pg_root) as sampler:
        result = body()
    result.update(sampler.as_dict())
    result["peak_rss"] = _common.peak_rss_mb()
    result["total_mb"] = result["peak_rss"] + result["pg_rss_peak_mb"]
    return result


def aps_child(dsn: str, hours: int) -> dict[str, Any]:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # no per-job INFO lines
    base_rss = _common.rss_mb()
    began = time.perf_counter()
    roster = asyncio.run(_roster(dsn))
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    todo = actions()
    for row in roster:
        tz = timezones.parse_timezone(row["timezone"])
        days = ",".join(ISO_DAYS[d] for d in row["schedule_days"])
        for action in todo:
            trigger = CronTrigger(
                day_of_week=days if action.training_days_only else "*",
                hour=action.at.hour,
                minute=action.at.minute,
                timezone=tz,
            )
            scheduler.add_job(
                _fire,
                trigger,
                args=(row["user_id"], action.name),
                id=f"{action.name}:{row['user_id']}",
                # What add_job computes from the wall clock, computed from T0 instead.
                next_run_time=trigger.get_next_fire_time(None, T0),
            )
    scheduler.start(paused=True)
    startup = time.perf_counter() - began
    store = scheduler._lookup_jobstore("default")
    job_count = len(store.get_all_jobs())

    # The scheduler's bookkeeping for an hour of due jobs (BaseScheduler._process_jobs, minus
    # handing them to an executor): run times, the next fire time, the re-sorted store.
    per_hour: list[float] = []
    due_counts: list[int] = []
    for hour in range(1, hours + 1):
        # Everything due in [T0 + hour - 1 h, T0 + hour): the hour our tick of the same index plans.
        now = T0 + dt.timedelta(hours=hour) - dt.timedelta(microseconds=1)
        tick = time.perf_counter()
        due = store.get_due_jobs(now)
        for job in due:
            run_times = job._get_run_times(now)
            job._modify(next_run_time=job.trigger.get_next_fire_time(run_times[-1], now))
            store.update_job(job)
        per_hour.append(time.perf_counter() - tick)
        due_counts.append(len(due))

    # Finding one hour's runs from scratch, as our planner does: every job's next fire time.
    start = T0 + dt.timedelta(hours=hours + 1)
    scan = time.perf_counter()
    found = 0
    for job in store.get_all_jobs():
        nxt = job.trigger.get_next_fire_time(None, start)
        if nxt is not None and nxt < start + dt.timedelta(hours=1):
            found += 1
    scan_seconds = time.perf_counter() - scan
    scheduler.shutdown(wait=False)
    return {
        "startup": startup,
        "jobs": job_count,
        "hour_seconds": per_hour,
        "hour_runs": due_counts,
        "scan_seconds": scan_seconds,
        "scan_found": found,
        "base_rss": base_rss,
        "peak_rss": _common.peak_rss_mb(),
    }


async def ours_child(dsn: str, hours: int, variant: str) -> dict[str, Any]:
    _common.quiet_logs()
    if variant != "current":
        from planning import VARIANTS

        from bot.repo import jobs as jobs_repo

        jobs_repo.PLAN_CLIENT_JOBS = VARIANTS[variant]
    base_rss = _common.rss_mb()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    interval = dt.timedelta(minutes=settings.planning_interval_minutes)
    horizon = interval + dt.timedelta(minutes=settings.planning_slack_minutes)
    counter = _common.QueryCounter()
    began = time.perf_counter()
    pool = await _common.counting_pool(dsn, counter, min_size=1, max_size=settings.db_pool_max)
    try:
        planners = [Planner(e.name, e.actions, horizon, e.applies) for e in build_registry(settings)]
        first = 0
        for planner in planners:
            # Start-up at T0 - 2 h: plans [T0 - 2 h, T0); the tick at T0 + (hour - 2) h then plans
            # [T0 + hour - 1 h, T0 + hour), the same hour APScheduler's `hour` processes.
            first += (await planner.tick(pool, T0 - 2 * interval)).planned
        startup = time.perf_counter() - began
        per_hour: list[float] = []
        planned: list[int] = []
        statements: list[int] = []
        for hour in range(1, hours + 1):
            counter.clear()
            tick = time.perf_counter()
            count = 0
            for planner in planners:
                count += (await planner.tick(pool, T0 + (hour - 2) * interval)).planned
            per_hour.append(time.perf_counter() - tick)
            planned.append(count)
            await asyncio.sleep(0)
            statements.append(counter.total)
    finally:
        await pool.close()
    return {
        "startup": startup,
        "first_planned": first,
        "engines": len(planners),
        "hour_seconds": per_hour,
        "hour_runs": planned,
        "statements": statements,
        "base_rss": base_rss,
        "peak_rss": _common.peak_rss_mb(),
    }


# --- DST ------------------------------------------------------------------------------------


def transition_days(tz: dt.tzinfo) -> list[dt.date]:
    """Local dates of `tz` in YEAR on which its UTC offset changes."""
    found = []
    day = dt.datetime(YEAR, 1, 1, tzinfo=dt.UTC)
    previous = day.astimezone(tz).utcoffset()
    while day.year == YEAR:
        nxt = day + dt.timedelta(hours=6)
        offset = nxt.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(nxt.astimezone(tz).date())
            previous = offset
        day = nxt
    return sorted(set(found))


def aps_fires(tz: dt.tzinfo, at: dt.time, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """APScheduler's fire times in [start, end), stepped the way its scheduler steps them."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger(hour=at.hour, minute=at.minute, timezone=tz)
    fires = []
    when = trigger.get_next_fire_time(None, start)
    while when is not None and when < end:
        fires.append(when.astimezone(dt.UTC))
        when = trigger.get_next_fire_time(when, when)
    return fires


@dataclass(frozen=True)
class Anomaly:
    zone: str
    at: dt.time
    local_date: dt.date
    kind: str  # skipped, doubled, shifted
    aps: tuple[str, ...]
    ours: str


def dst_compare(zones: list[str], times: list[dt.time]) -> tuple[list[Anomaly], int]:
    """Every (zone, time, local date) around each 2026 transition where APScheduler differs."""
    anomalies: list[Anomaly] = []
    checked = 0
    for zone in zones:
        tz = timezones.parse_timezone(zone)
        for day in transition_days(tz):
            dates = [day + dt.timedelta(days=k) for k in (-1, 0, 1)]
            start = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(0), tzinfo=dt.UTC)
            end = dt.datetime.combine(day + dt.timedelta(days=3), dt.time(0), tzinfo=dt.UTC)
            for at in times:
                ours = {d: due for d, due in timezones.due_instants_between(tz, at, start, end)}
                theirs: dict[dt.date, list[dt.datetime]] = {}
                for fire in aps_fires(tz, at, start, end):
                    theirs.setdefault(fire.astimezone(tz).date(), []).append(fire)
                for d in dates:
                    checked += 1
                    got = theirs.get(d, [])
                    kind = None
                    if not got:
                        kind = "skipped"
                    elif len(got) > 1:
                        kind = "doubled"
                    elif got[0] != ours.get(d):
                        kind = "shifted"
                    if kind:
                        anomalies.append(
                            Anomaly(
                                zone,
                                at,
                                d,
                                kind,
                                tuple(f"{g:%H:%M}Z = {g.astimezone(tz):%H:%M%z}" for g in got),
                                f"{ours[d]:%H:%M}Z = {ours[d].astimezone(tz):%H:%M%z}" if d in ours else "-",
                            )
                        )
    return anomalies, checked


# --- the parent -----------------------------------------------------------------------------


async def seed(server: Any, size: int) -> str:
    dsn = await _common.fresh_database(server, f"bench_seed_{size}")
    conn = await asyncpg.connect(dsn)
    try:
        plans = await _common.plan_columns(conn)
        zones = timezones.zone_names()
        records = [
            (2_000_000 + i, f"c{i}", zones[i % len(zones)], START_DATE, SCHEDULES[i % 4], None)
            + ("bench",) * len(plans)
            for i in range(size)
        ]
        await _common.copy_clients(conn, records, [*_common.CLIENT_COLUMNS, *plans])
    finally:
        await conn.close()
    return dsn


def side_by_side(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    with _common.embedded_postgres() as server:
        for size in args.sizes:
            dsn = asyncio.run(seed(server, size))
            pg_root = str(_common.postmaster_pid(server.data_dir))
            row: dict[str, Any] = {"size": size}
            for variant in args.ours:
                ours = _common.run_child(HERE, ["ours", dsn, str(args.hours), variant, pg_root], timeout=3600)
                asyncio.run(_clear_jobs(dsn))
                row[variant] = ours
                print(
                    f"ours ({variant:<9}) n={size:>7,}: start-up {ours['startup']:.2f} s, hour p50 "
                    f"{statistics.median(ours['hour_seconds']):.3f} s (max {max(ours['hour_seconds']):.3f}), "
                    f"{statistics.mean(ours['hour_runs']):,.0f} runs/hour, "
                    f"VmHWM {ours['peak_rss']:.0f} MB + PostgreSQL RSS {ours['pg_rss_peak_mb']:.0f} MB "
                    f"(PSS {ours['pg_pss_peak_mb']:.0f})",
                    flush=True,
                )
            aps = _common.run_child(HERE, ["aps", dsn, str(args.hours), "-", pg_root], timeout=3600)
            row["aps"] = aps
            print(
                f"APScheduler      n={size:>7,}: {aps['jobs']:,} jobs, start-up {aps['startup']:.2f} s, "
                f"hour p50 "
                f"{statistics.median(aps['hour_seconds']):.3f} s (max {max(aps['hour_seconds']):.3f}), "
                f"{statistics.mean(aps['hour_runs']):,.0f} runs/hour, scan {aps['scan_seconds']:.2f} s, "
                f"VmHWM {aps['peak_rss']:.0f} MB + PostgreSQL RSS {aps['pg_rss_peak_mb']:.0f} MB "
                f"(PSS {aps['pg_pss_peak_mb']:.0f})",
                flush=True,
            )
            rows.append(row)
    return rows


async def _clear_jobs(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("TRUNCATE jobs, planner_watermarks, job_cards CASCADE")
    finally:
        await conn.close()


def print_side_by_side(rows: list[dict[str, Any]], variants: list[str]) -> None:
    headers = [
        "clients",
        "ours",
        "APS jobs",
        "start-up s (APS / ours / ratio)",
        "process VmHWM MB (APS / ours)",
        "PostgreSQL peak RSS sum MB, PSS in brackets (APS / ours)",
        "process + PostgreSQL MB (APS / ours / ratio)",
        "hour's work s, p50 (APS bookkeeping / ours tick / ratio)",
        "APS: find an hour's runs by scan s",
        "runs/hour (APS / ours)",
    ]
    table = []
    for r in rows:
        aps = r["aps"]
        aps_hour = statistics.median(aps["hour_seconds"])
        for variant in variants:
            ours = r[variant]
            our_hour = statistics.median(ours["hour_seconds"])
            table.append(
                [
                    f"{r['size']:,}",
                    variant,
                    f"{aps['jobs']:,}",
                    f"{aps['startup']:.2f} / {ours['startup']:.2f} / {aps['startup'] / ours['startup']:.1f}×",
                    f"{aps['peak_rss']:.0f} / {ours['peak_rss']:.0f}",
                    f"{aps['pg_rss_peak_mb']:.0f} ({aps['pg_pss_peak_mb']:.0f}) / "
                    f"{ours['pg_rss_peak_mb']:.0f} ({ours['pg_pss_peak_mb']:.0f})",
                    f"{aps['total_mb']:.0f} / {ours['total_mb']:.0f} / "
                    f"{aps['total_mb'] / ours['total_mb']:.1f}×",
                    f"{aps_hour:.3f} / {our_hour:.3f} / {aps_hour / our_hour:.2f}×",
                    f"{aps['scan_seconds']:.2f}",
                    f"{statistics.mean(aps['hour_runs']):,.0f} / {statistics.mean(ours['hour_runs']):,.0f}",
                ]
            )
    print(_common.markdown_table(headers, table))
    if len(rows) > 1:
        sizes = [r["size"] for r in rows]
        for side in ["aps", *variants]:
            label = "APScheduler" if side == "aps" else f"ours ({side})"
            startup = _common.loglog_slope(sizes, [r[side]["startup"] for r in rows])
            rss = _common.loglog_slope(sizes, [r[side]["total_mb"] - r[side]["base_rss"] for r in rows])
            hour = _common.loglog_slope(sizes, [statistics.median(r[side]["hour_seconds"]) for r in rows])
            print(
                f"growth exponents {label}: start-up {startup:.2f}, "
                "process + PostgreSQL memory above the bare interpreter "
                f"{rss:.2f}, hour's work {hour:.2f}"
            )
    statements = sorted({s for r in rows for v in variants for s in r[v]["statements"]})
    print("our statements per hour (all engines):", statements)


def _show(instants: list[dt.datetime], tz: dt.tzinfo) -> str:
    return ", ".join(f"{x:%H:%M}Z ({x.astimezone(tz):%H:%M %Z})" for x in instants) or "none"


def print_dst(largest: int) -> None:
    zones = timezones.zone_names()
    table_times = sorted({a.at for a in actions()})
    times = table_times + list(CUSTOM_TIMES)
    began = time.perf_counter()
    anomalies, checked = dst_compare(zones, times)
    seconds = time.perf_counter() - began
    print(
        f"\nDST: {checked:,} (zone, time, local date) triples around every {YEAR} transition of "
        f"{len(zones)} zones, times {', '.join(f'{t:%H:%M}' for t in times)} ({seconds:.0f} s)"
    )
    # Client-weighted: on the roster of `largest` clients, each zone has this many clients, and each
    # time this many actions (training only on the client's training days).
    schedules_in: dict[str, list[list[int]]] = {}
    for i in range(largest):
        schedules_in.setdefault(zones[i % len(zones)], []).append(SCHEDULES[i % 4])
    todo = actions()
    weighted: Counter[tuple[str, str]] = Counter()
    for a in anomalies:
        if a.at in CUSTOM_TIMES:
            weighted[(a.kind, "custom")] += len(schedules_in.get(a.zone, []))
            continue
        for days in schedules_in.get(a.zone, []):
            weighted[(a.kind, "table")] += sum(
                1
                for action in todo
                if action.at == a.at and (not action.training_days_only or a.local_date.isoweekday() in days)
            )
    kinds = Counter((a.kind, "custom" if a.at in CUSTOM_TIMES else "table") for a in anomalies)
    headers = [
        "APScheduler vs ours",
        "table times: (zone, time, date)",
        "custom 01:30/02:30: (zone, time, date)",
    ]
    rows = [
        [kind, kinds[(kind, "table")], kinds[(kind, "custom")]] for kind in ("skipped", "doubled", "shifted")
    ]
    print(_common.markdown_table(headers, rows))
    table = {k: weighted[(k, "table")] for k in ("doubled", "skipped", "shifted")}
    custom = {k: weighted[(k, "custom")] for k in ("doubled", "skipped", "shifted")}
    print(
        f"on the {largest:,}-client roster, (client, action, local date) where APScheduler differs: "
        f"table actions {table}; a custom 01:30 or 02:30 action for every client {custom}. "
        "Ours: each exactly once, at the local time or at the first instant after a gap."
    )
    named = [
        ("America/New_York", dt.time(2, 30), dt.date(2026, 3, 8)),
        ("America/New_York", dt.time(1, 30), dt.date(2026, 11, 1)),
        ("Pacific/Easter", dt.time(22, 0), dt.date(2026, 9, 5)),
    ]
    print("\nthe named cases:")
    for zone, at, day in named:
        tz = timezones.parse_timezone(zone)
        start = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
        end = start + dt.timedelta(days=3)
        theirs = [f for f in aps_fires(tz, at, start, end) if f.astimezone(tz).date() == day]
        ours = [d for local, d in timezones.due_instants_between(tz, at, start, end) if local == day]
        print(f"  {zone} {at:%H:%M} on {day}: APScheduler {_show(theirs, tz)}; ours {_show(ours, tz)}")
    examples = [a for a in anomalies if a.at not in CUSTOM_TIMES][:12]
    if examples:
        print("\nfirst table-time differences (zone, time, local date: APScheduler | ours):")
        for a in examples:
            print(f"  {a.zone} {a.at:%H:%M} {a.local_date} {a.kind}: {', '.join(a.aps) or 'none'} | {a.ours}")


def main(args: argparse.Namespace) -> int:
    _common.quiet_logs()
    _common.print_header("The seed's design (APScheduler, one CronTrigger per client and action) vs ours")
    if not have_apscheduler():
        print("APScheduler 3.x is not installed (it is not a project dependency). Install it with:")
        print(f"  {INSTALL}")
        return 2
    import apscheduler

    todo = actions()
    print(
        f"APScheduler {apscheduler.__version__}, MemoryJobStore; {len(todo)} actions per client: "
        + ", ".join(
            f"{a.name} {a.at:%H:%M}{' (training days)' if a.training_days_only else ''}" for a in todo
        )
        + f"; {args.hours} hours measured from {T0:%Y-%m-%d %H:%M} UTC\n"
    )
    if not args.skip_side_by_side:
        rows = side_by_side(args)
        print()
        print_side_by_side(rows, args.ours)
    print_dst(max(args.sizes))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--hours", type=int, default=6, help="consecutive hours of scheduling work to time")
    parser.add_argument("--skip-side-by-side", action="store_true", help="only the DST comparison")
    parser.add_argument(
        "--ours",
        nargs="+",
        default=["current"],
        choices=["current", "case-join"],
        help="our planner as it is, or with the planning statement before commit 3ef8de4 (case-join)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        side, dsn, hours, variant, pg_root = sys.argv[2:7]
        if side == "aps":
            outcome = with_postgres_memory(int(pg_root), lambda: aps_child(dsn, int(hours)))
        else:
            outcome = with_postgres_memory(
                int(pg_root), lambda: asyncio.run(ours_child(dsn, int(hours), variant))
            )
        print(json.dumps(outcome))
    else:
        sys.exit(main(parse_args()))
