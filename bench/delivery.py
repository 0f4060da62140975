"""Delivery rate: drops due at one instant, sent by the real dispatcher through discord.py to the
loopback Discord double with Discord's global limit (50 requests/s) and 50 ms of latency, with
PostgreSQL behind a loopback proxy that can add a delay per round trip (`--db-latency-ms`).

Mode `real` (the default; issue 11): the bot as `python -m bot` builds it (gateway mode, the real
engine registry, `Runtime` started by the scheduler cog, `DiscordTransport`, the pool at the
default DB_POOL_MIN/DB_POOL_MAX), on production's `WallClock` shifted to 05:29:50 local on a
Monday in one zone. N clients are onboarded with the real use case (`coaching.onboard`: zone,
start date, training days mon/wed/fri, the example block steel_block_A imported as
`/training import` would) and their DM channel cached, as onboarding leaves them. The runtime's
first planning tick plans the day; the check-in burst (05:30 local) is delivered in real time,
then the clock jumps to 06:59:50 and the training burst (07:00) is. Per burst: DMs/s, 429s,
duplicates (the double's records: one client and drop posted twice), lost (planned minus
delivered), lateness, and every statement on every pool connection per delivered drop
(BEGIN/COMMIT included; see `_common.check_query_counter`, printed at the start) next to the
client→server bursts the proxy forwarded.

Mode `bench`: the dispatcher and transport alone, on a frozen virtual clock (`Dispatcher.
dispatch_due` called directly), with a one-DM `bench` engine; `--extra-engines` run real drop
handlers the same way; two what-if runs (`before 0481bec`: asyncpg's reset query on release and a
send burst of rate/5; `claim batch 200`). Pools are the default DB_POOL_MIN/DB_POOL_MAX here too
(before 2026-12-01 they were dispatch_concurrency + 4 = 24 connections, which production never has).

Targets: ≥ 45 DMs/s, 0 × 429 (issue 7); ≤ 4 round trips per delivered drop in mode real (issue 11;
mode bench still reports issue 7's ≤ 2 per job, for its no-op handlers).

    .venv/bin/python bench/delivery.py --clients 2000 --db-latency-ms 0 5     # issue 11 headline
    .venv/bin/python bench/delivery.py --clients 200                          # a quick check
    .venv/bin/python bench/delivery.py --mode bench --count 1000 --rates 48 --what-if-count 0
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import _common
import asyncpg
import discord
from doubles.discord import DiscordDouble

from bot.config import Settings
from bot.core.clock import VirtualClock
from bot.core.dispatcher import Dispatcher
from bot.core.engine import ActionKind, ActionSpec, Engine, EngineRegistry, JobContext, Outcome
from bot.core.planner import Planner
from bot.db import pool as bot_pool
from bot.discord_adapter.ratelimit import TokenBucket
from bot.discord_adapter.transport import DiscordTransport
from bot.engines import build_registry
from bot.views.messages import Button, Embed, OutgoingMessage

TOKEN = "bench-token.not-a-real-one"
DAY = dt.date(2026, 5, 4)  # a Monday
SEND_PATH = re.compile(r"^/channels/\d+/messages$")


def bench_engine() -> Engine:
    """A drop at 05:30 local (useful until 12:00) that sends one prompt-like DM and nothing else."""

    async def drop(ctx: JobContext) -> Outcome:
        assert ctx.client is not None
        message = OutgoingMessage(
            embeds=(
                Embed(title="Good morning", description=f"Your check-in for {ctx.job.local_date:%A %d %B}."),
            ),
            rows=((Button("Check in", f"rg:bench:{ctx.client.user_id}:{ctx.job.local_date:%Y%m%d}"),),),
        )
        sent = await ctx.send_dm(message)
        return Outcome.done(message_id=sent.message_id)

    spec = ActionSpec("bench", "drop", dt.time(5, 30), ActionKind.drop, dt.time(12, 0))
    return Engine("bench", "bench", [spec], {"drop": drop})


@dataclass
class Run:
    engine: str
    count: int
    rate: float
    before_0481bec: bool = False  # asyncpg's reset query on release, send burst rate / 5
    batch: int | None = None  # CLAIM_BATCH_SIZE; None: the setting's default

    @property
    def label(self) -> str:
        changes = []
        if self.before_0481bec:
            changes.append("before 0481bec")
        if self.batch is not None:
            changes.append(f"claim batch {self.batch}")
        return self.engine + (f" ({', '.join(changes)})" if changes else "")


async def one_run(server: Any, proxy: _common.LatencyProxy, run: Run) -> dict[str, Any]:
    """Seed, plan, dispatch; return the figures of this run."""
    overrides: dict[str, Any] = {"send_rate_per_second": run.rate}
    if run.batch is not None:
        overrides["claim_batch_size"] = run.batch
    settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    if run.engine == "bench":
        engine = bench_engine()
    else:
        engine = next(e for e in build_registry(settings) if e.name == run.engine)
    registry = EngineRegistry([engine])
    drop = next(s for s in engine.actions if s.kind == ActionKind.drop)
    due = dt.datetime.combine(DAY, drop.at, tzinfo=dt.UTC)

    dsn = await _common.fresh_database(server, f"bench_delivery_{run.engine}_{run.count}")
    counter = _common.QueryCounter()
    pool = await _common.counting_pool(
        proxy.dsn(dsn),
        counter,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        command_timeout=settings.db_command_timeout,
        asyncpg_reset=run.before_0481bec,
    )
    double = DiscordDouble.with_defaults(global_rate_limit=50, latency=0.05)
    try:
        async with double:
            with double.patch_discord():
                return await _dispatch(double, pool, counter, proxy, settings, registry, engine, due, run)
    finally:
        await pool.close()


async def _dispatch(
    double: DiscordDouble,
    pool: asyncpg.Pool,
    counter: _common.QueryCounter,
    proxy: _common.LatencyProxy,
    settings: Settings,
    registry: EngineRegistry,
    engine: Engine,
    due: dt.datetime,
    run: Run,
) -> dict[str, Any]:
    first_user = 5_000_000
    records = [
        (first_user + i, f"c{i}", "UTC", DAY, [1, 2, 3, 4, 5, 6, 7], double.dm_channel_id(first_user + i))
        for i in range(run.count)
    ]
    async with pool.acquire() as conn:
        await _common.copy_clients(conn, records)
    horizon = dt.timedelta(minutes=settings.planning_interval_minutes + settings.planning_slack_minutes)
    planned = await Planner(engine.name, engine.actions, horizon).tick(pool, due - dt.timedelta(minutes=30))
    assert planned.planned == run.count, f"planned {planned.planned}, expected {run.count}"

    client = discord.Client(intents=discord.Intents.none())
    await client.login(TOKEN)
    try:
        transport = DiscordTransport(
            client, send_rate=settings.send_rate_per_second, dm_open_rate=settings.dm_open_rate_per_second
        )
        if run.before_0481bec:
            transport.sends = TokenBucket(settings.send_rate_per_second)  # burst rate / 5
        dispatcher = Dispatcher(pool, VirtualClock(due), registry, transport, settings, worker_id="bench")
        await asyncio.sleep(0.2)
        counter.clear()
        wire_before = proxy.counts()
        requests_before = len(double.requests)
        limited_before = len(double.rate_limited)
        began = time.perf_counter()
        ran = await dispatcher.dispatch_due()
        wall = time.perf_counter() - began
        for _ in range(5):
            await asyncio.sleep(0)
    finally:
        counter.enabled = False
        wire = _common.LatencyProxy.diff(proxy.counts(), wire_before)
        await client.close()

    sends = sorted(
        r.time
        for r in double.requests[requests_before:]
        if r.method == "POST" and SEND_PATH.match(r.path) and r.status == 200
    )
    drop = next(s for s in engine.actions if s.kind == ActionKind.drop)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT status, count(*) FROM jobs WHERE engine = $1 AND action = $2 GROUP BY 1",
            engine.name,
            drop.action,
        )
    statuses = {r["status"]: r["count"] for r in rows}
    delivered = statuses.get("sent", 0)
    span = sends[-1] - sends[0] if len(sends) > 1 else float("nan")
    # Steady state: the middle 80 % of sends (leaves out the start-up burst and the tail).
    lo, hi = len(sends) // 10, len(sends) * 9 // 10
    steady = (hi - lo) / (sends[hi] - sends[lo]) if hi > lo and sends[hi] > sends[lo] else float("nan")
    per_second = _per_second(sends)
    limited = double.rate_limited[limited_before:]
    return {
        "label": run.label,
        "engine": run.engine,
        "count": run.count,
        "rate": run.rate,
        "burst": transport.sends.capacity,
        "ran": ran,
        "delivered": delivered,
        "statuses": statuses,
        "sends": len(sends),
        "wall": wall,
        "dms_per_s": (len(sends) - 1) / span if len(sends) > 1 else float("nan"),
        "steady_per_s": steady,
        "max_in_a_second": max(per_second) if per_second else 0,
        "limited": len(limited),
        "limited_first_second": sum(1 for hit in limited if sends and hit.time - sends[0] < 1.0),
        "round_trips": counter.total,
        "client_bursts": wire["client_bursts"],
        "db_latency_ms": proxy.delay_ms,
        "by_kind": dict(counter.by_kind),
        "top": counter.by_text.most_common(14),
        "violations": list(double.violations),
    }


def _per_second(times: list[float]) -> list[int]:
    """Sends per whole second since the first (the double's arrival times)."""
    if not times:
        return []
    buckets: dict[int, int] = {}
    for t in times:
        key = int(t - times[0])
        buckets[key] = buckets.get(key, 0) + 1
    last = max(buckets)
    return [buckets.get(k, 0) for k in range(last)]  # the last, partial second left out


# --- mode "real": the whole bot, the real registry, two bursts ------------------------------

NONCE = re.compile(r"^rg(\d+)\.(\d+)$")
BLOCK_FILE = _common.ROOT / "examples" / "steel_block_A.yaml"
FIRST_REAL_USER = 6_000_000


async def onboard_clients(
    pool: asyncpg.Pool, double: DiscordDouble, count: int, zone: str, now: dt.datetime
) -> str:
    """Import the example block and onboard `count` clients the way /client add does (the
    use case's validation and insert), each with their DM channel already cached. Returns how."""
    from bot.domain.blocks import parse_block
    from bot.repo import blocks as blocks_repo

    block = parse_block(BLOCK_FILE.read_text(), BLOCK_FILE.name)
    async with pool.acquire() as conn, conn.transaction():
        await blocks_repo.store(conn, block, now, None)
    try:
        from bot.usecases import coaching

        given = coaching.ClientInput(
            timezone=zone, start_date=DAY.isoformat(), block_id=block.id, schedule_days="mon,wed,fri"
        )

        async def one(conn: asyncpg.Connection, uid: int) -> None:
            await coaching.onboard(
                conn,
                user_id=uid,
                display_name=f"client{uid}",
                given=given,
                now=now,
                dm_channel_id=double.dm_channel_id(uid),
            )

        how = "bot.usecases.coaching.onboard (the /client add use case)"
    except (ImportError, AttributeError, TypeError):  # the use case moved: the repository's upsert
        from bot.domain.models import ClientProfile
        from bot.repo import clients as clients_repo

        async def one(conn: asyncpg.Connection, uid: int) -> None:
            profile = ClientProfile(  # type: ignore[call-arg]
                user_id=uid, display_name=f"client{uid}", timezone=zone, start_date=DAY,
                schedule_days=[1, 3, 5], block_id=block.id, dm_channel_id=double.dm_channel_id(uid),
            )  # fmt: skip
            await clients_repo.upsert(conn, profile, now)

        how = "bot.repo.clients.upsert (fallback)"
    for i in range(count):
        uid = FIRST_REAL_USER + i
        double.user(uid)
        async with pool.acquire() as conn, conn.transaction():
            await one(conn, uid)
    return how


async def _job_statuses(pool: asyncpg.Pool, engine: str, action: str) -> dict[str, int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT status, count(*) AS n FROM jobs WHERE engine = $1 AND action = $2 AND local_date = $3 "
            "GROUP BY 1",
            engine,
            action,
            DAY,
        )
    return {str(r["status"]): int(r["n"]) for r in rows}


async def measure_burst(
    *,
    label: str,
    engine: str,
    due: dt.datetime,
    clock: _common.ShiftedClock,
    double: DiscordDouble,
    counter: _common.QueryCounter,
    proxy: _common.LatencyProxy,
    watch: asyncpg.Pool,
    users: set[int],
    pg_root: int,
    give_up_after: float,
) -> dict[str, Any]:
    """Wait for `due`, then until every drop job of `engine` for DAY is finished; measure."""
    lead = (due - clock.now()).total_seconds() - 1.0
    if lead > 0:
        await asyncio.sleep(lead)
    counter.clear()
    wire_before = proxy.counts()
    requests_before, messages_before = len(double.requests), len(double.messages)
    limited_before = len(double.rate_limited)
    cpu_before, pg_cpu_before = time.process_time(), _common.tree_cpu_seconds(pg_root)
    due_mono = clock.monotonic_at(due)
    lags: list[float] = []

    async def watch_loop() -> None:
        """Event-loop lag: how late a 50 ms sleep wakes (what an interaction would wait behind)."""
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(0.05)
            lags.append(time.perf_counter() - asked - 0.05)

    lag_task = asyncio.create_task(watch_loop())
    began = time.perf_counter()
    finished = False
    while time.perf_counter() - began < give_up_after:
        await asyncio.sleep(0.5)
        if clock.now() < due:
            continue
        statuses = await _job_statuses(watch, engine, "drop")
        if statuses and not statuses.keys() & {"pending", "running"}:
            finished = True
            break
    await asyncio.sleep(1.0)  # the last outcomes' statements, the logger's call_soon reports
    lag_task.cancel()
    counter.enabled = False
    wall = time.perf_counter() - began
    cpu = time.process_time() - cpu_before
    pg_cpu = _common.tree_cpu_seconds(pg_root) - pg_cpu_before
    wire = _common.LatencyProxy.diff(proxy.counts(), wire_before)
    statuses = await _job_statuses(watch, engine, "drop")
    counter_snapshot = {
        "by_kind": dict(counter.by_kind),
        "total": counter.total,
        "top": counter.by_text.most_common(40),
        "db_seconds": sum(counter.seconds_by_text.values()),
        "slowest": sorted(counter.seconds_by_text.items(), key=lambda kv: -kv[1])[:8],
    }
    counter.enabled = True

    sends = sorted(
        r.time
        for r in double.requests[requests_before:]
        if r.method == "POST" and SEND_PATH.match(r.path) and r.status == 200
    )
    new_rest = [m for m in double.messages[messages_before:] if m.via == "rest"]
    created = [m for m in new_rest if m.user_id in users]
    job_ids = {int(m_.group(1)) for m in created if isinstance(m.nonce, str) and (m_ := NONCE.match(m.nonce))}
    async with watch.acquire() as conn:
        rows = await conn.fetch(
            "SELECT id, engine, action, user_id, local_date FROM jobs WHERE id = ANY($1::bigint[])",
            list(job_ids),
        )
    jobs = {r["id"]: (r["engine"], r["action"], r["user_id"], r["local_date"]) for r in rows}
    per_part: Counter[tuple[Any, ...]] = Counter()
    drops_seen: set[tuple[Any, ...]] = set()
    other = 0
    lateness: list[float] = []
    for m in created:
        found = NONCE.match(m.nonce) if isinstance(m.nonce, str) else None
        job = jobs.get(int(found.group(1))) if found else None
        if job is None or job[0] != engine or job[1] != "drop" or job[2] != m.user_id:
            other += 1
            continue
        per_part[(*job, int(found.group(2)))] += 1  # type: ignore[union-attr]
        drops_seen.add(job)
        lateness.append(m.created - due_mono)
    lateness.sort()
    duplicates = sum(n - 1 for n in per_part.values() if n > 1)
    planned = sum(statuses.values())
    delivered = len(drops_seen)
    limited = double.rate_limited[limited_before:]
    lo, hi = len(sends) // 10, len(sends) * 9 // 10
    steady = (hi - lo) / (sends[hi] - sends[lo]) if hi > lo and sends[hi] > sends[lo] else float("nan")
    return {
        "label": label,
        "engine": engine,
        "finished": finished,
        "wall": wall,
        "planned": planned,
        "statuses": statuses,
        "delivered": delivered,
        "lost": planned - delivered,
        "duplicates": duplicates,
        "messages": len(created),
        "other_messages": other,
        "parts_per_drop": len(per_part) / max(delivered, 1),
        "sends": len(sends),
        "nonce_replays": len(sends) - len(new_rest),
        "dms_per_s": (len(sends) - 1) / (sends[-1] - sends[0]) if len(sends) > 1 else float("nan"),
        "steady_per_s": steady,
        "max_in_a_second": max(_per_second(sends), default=0),
        "limited": len(limited),
        "late_p50": _common.percentile(lateness, 50),
        "late_p99": _common.percentile(lateness, 99),
        "late_max": lateness[-1] if lateness else float("nan"),
        "loop_lag_p99": _common.percentile(lags, 99),
        "loop_lag_max": max(lags, default=float("nan")),
        "cpu_s": cpu,
        "pg_cpu_s": pg_cpu,
        "wire": wire,
        **counter_snapshot,
    }


async def real_run(
    server: Any, proxy: _common.LatencyProxy, args: argparse.Namespace, latency_ms: float
) -> dict[str, Any]:
    from bot_harness import running_bot

    from bot.domain import timezones

    overrides: dict[str, Any] = {}
    if args.rate is not None:
        overrides["send_rate_per_second"] = args.rate
    if args.inline_jobs is not None:
        overrides["planning_inline_jobs"] = args.inline_jobs
    settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    registry = build_registry(settings)
    tz = timezones.parse_timezone(args.zone)
    specs = {
        e.name: next(s for s in e.actions if s.kind == ActionKind.drop)
        for e in registry
        if e.name in ("checkin", "training")
    }
    bursts = [(name, timezones.due_instant(tz, DAY, specs[name].at)) for name in ("checkin", "training")]
    start = bursts[0][1] - dt.timedelta(seconds=10)
    clock = _common.ShiftedClock(start)
    proxy.delay_ms = latency_ms
    dsn = await _common.fresh_database(server, f"bench_real_{args.clients}_{int(latency_ms * 10)}")
    watch = await bot_pool.create_pool(dsn, min_size=1, max_size=2)  # direct, uncounted: set-up and polling
    pg_root = _common.postmaster_pid(server.data_dir)
    double = DiscordDouble.with_defaults(global_rate_limit=50, latency=0.05)
    users = {FIRST_REAL_USER + i for i in range(args.clients)}
    results: dict[str, Any] = {"latency_ms": latency_ms, "rate": settings.send_rate_per_second}
    try:
        async with double:
            with double.patch_discord():
                began = time.perf_counter()
                results["onboarding"] = await onboard_clients(
                    watch, double, args.clients, args.zone, clock.now()
                )
                results["onboard_s"] = time.perf_counter() - began
                results["round_trip_ms"] = await _common.calibrate_round_trip(proxy.dsn(dsn))
                counter = _common.QueryCounter()
                pool = await _common.counting_pool(
                    proxy.dsn(dsn),
                    counter,
                    min_size=settings.db_pool_min,
                    max_size=settings.db_pool_max,
                    command_timeout=settings.db_command_timeout,
                )
                try:
                    async with running_bot(double, pool, clock, settings) as bot:
                        results["phases"] = []
                        for engine, due in bursts:
                            if (due - clock.now()).total_seconds() > 30:
                                clock.jump_to(due - dt.timedelta(seconds=10))
                            phase = await measure_burst(
                                label=f"{engine} {specs[engine].at:%H:%M}",
                                engine=engine,
                                due=due,
                                clock=clock,
                                double=double,
                                counter=counter,
                                proxy=proxy,
                                watch=watch,
                                users=users,
                                pg_root=pg_root,
                                give_up_after=args.burst_timeout,
                            )
                            results["phases"].append(phase)
                            print(_phase_line(phase, latency_ms, settings.send_rate_per_second), flush=True)
                        runtime = bot.runtime
                        results["dispatcher"] = (
                            dict(runtime.dispatcher.stats.by_status) if runtime is not None else {}
                        )
                finally:
                    await pool.close()
                results["violations"] = list(double.violations)
    finally:
        await watch.close()
    results["vm_hwm_mb"] = _common.peak_rss_mb()
    return results


def _phase_line(r: dict[str, Any], latency: float, rate: float) -> str:
    n = max(r["delivered"], 1)
    return (
        f"{r['label']:<14} db +{latency:g} ms, SEND_RATE {rate:g}: "
        f"{r['delivered']:,}/{r['planned']:,} delivered "
        f"in {r['wall']:.1f} s → {r['dms_per_s']:.1f} DMs/s (steady {r['steady_per_s']:.1f}), "
        f"{r['limited']} × 429, {r['duplicates']} duplicates, {r['lost']} lost, last DM "
        f"+{r['late_max']:.1f} s; {r['total'] / n:.1f} statements/drop {r['by_kind']}, "
        f"{r['wire']['client_bursts'] / n:.1f} client→server bursts/drop"
        + ("" if r["finished"] else " — NOT FINISHED within the timeout")
    )


def print_real_report(runs: list[dict[str, Any]]) -> None:
    headers = [
        "burst",
        "db latency ms (measured RTT)",
        "SEND_RATE",
        "planned",
        "delivered",
        "lost",
        "duplicates",
        "429s",
        "DMs/s first→last (steady 10–90 %)",
        "max sends in 1 s",
        "last DM after due s (p50)",
        "statements/drop (stmt / BEGIN+COMMIT / reset)",
        "client→server bursts/drop",
        "DB time/drop ms",
        "bot CPU ms/drop",
        "PostgreSQL CPU ms/drop",
    ]
    rows = []
    for run in runs:
        for r in run["phases"]:
            n = max(r["delivered"], 1)
            kinds = r["by_kind"]
            rows.append(
                [
                    r["label"],
                    f"{run['latency_ms']:g} ({run['round_trip_ms']:.2f})",
                    f"{run['rate']:g}",
                    f"{r['planned']:,}",
                    f"{r['delivered']:,}",
                    r["lost"],
                    r["duplicates"],
                    r["limited"],
                    f"{r['dms_per_s']:.1f} ({r['steady_per_s']:.1f})",
                    r["max_in_a_second"],
                    f"{r['late_max']:.1f} ({r['late_p50']:.1f})",
                    f"{r['total'] / n:.1f} ("
                    + " / ".join(f"{kinds.get(k, 0) / n:.1f}" for k in ("statement", "txn", "reset"))
                    + ")",
                    f"{r['wire']['client_bursts'] / n:.1f}",
                    f"{r['db_seconds'] / n * 1000:.1f}",
                    f"{r['cpu_s'] / n * 1000:.1f}",
                    f"{r['pg_cpu_s'] / n * 1000:.1f}",
                ]
            )
    print(_common.markdown_table(headers, rows))
    for run in runs:
        print(
            f"\ndb +{run['latency_ms']:g} ms: onboarding {run['onboarding']} took {run['onboard_s']:.1f} s; "
            f"process VmHWM {run['vm_hwm_mb']:.0f} MB (bot, double and harness in one process); "
            f"dispatcher outcomes {run['dispatcher']}; double violations {len(run['violations'])}"
        )
        for v in run["violations"][:5]:
            print("   ", v)
        for r in run["phases"]:
            n = max(r["delivered"], 1)
            print(
                f"  {r['label']}: job statuses {r['statuses']}; "
                f"{r['parts_per_drop']:.2f} message(s) per drop; "
                f"{r['nonce_replays']} sends answered by nonce (no new message); proxy applied "
                f"{_common.LatencyProxy.mean_delay_ms(r['wire']):.2f} ms per burst on average; event-loop "
                f"lag p99 {r['loop_lag_p99'] * 1000:.1f} ms, max {r['loop_lag_max'] * 1000:.1f} ms; "
                f"DB time (sum of statement times) {r['db_seconds']:.1f} s over {r['wall']:.1f} s"
            )
            print("  slowest statements (total s):")
            for text, seconds in r["slowest"]:
                print(f"    {seconds:7.2f}  {text}")
            print(f"  statements per {r['label']} drop (count / delivered drop, text):")
            for text, count in r["top"]:
                if count / n >= 0.005:
                    print(f"    {count / n:6.2f}  {text}")
    for run in runs:
        for r in run["phases"]:
            per = r["total"] / max(r["delivered"], 1)
            print(
                f"targets, {r['label']} at db +{run['latency_ms']:g} ms, SEND_RATE={run['rate']:g}: "
                "≥ 45 DMs/s "
                f"{'met' if r['dms_per_s'] >= 45 else 'MISSED'} ({r['dms_per_s']:.1f}); 0 × 429 "
                f"{'met' if r['limited'] == 0 else 'MISSED'} ({r['limited']}); ≤ 4 round trips/drop "
                f"(issue 11) {'met' if per <= 4 else 'MISSED'} ({per:.1f}); 0 duplicates "
                f"{'met' if r['duplicates'] == 0 else 'MISSED'}; "
                f"0 lost {'met' if r['lost'] == 0 else 'MISSED'}"
            )


def plan_runs(args: argparse.Namespace) -> list[Run]:
    fast = max(args.rates)
    runs = [Run("bench", args.count, rate) for rate in args.rates]
    if args.extra_count:
        runs += [Run(name, args.extra_count, fast) for name in args.extra_engines]
    if args.what_if_count:
        runs.append(Run("bench", args.what_if_count, fast, before_0481bec=True))
        runs.append(Run("bench", args.what_if_count, fast, batch=200))
    return runs


def print_report(results: list[dict[str, Any]]) -> None:
    headers = [
        "engine (variant)",
        "DMs",
        "SEND_RATE (burst)",
        "wall s",
        "DMs/s (first→last)",
        "DMs/s steady (10–90 %)",
        "max sends in 1 s",
        "429s (in the first second)",
        "DB round trips/job",
        "of which statements / BEGIN+COMMIT / pool reset",
    ]
    rows = []
    for r in results:
        n = max(r["delivered"], 1)
        kinds = r["by_kind"]
        rows.append(
            [
                r["label"],
                f"{r['delivered']:,}",
                f"{r['rate']:g} ({r['burst']:g})",
                f"{r['wall']:.1f}",
                f"{r['dms_per_s']:.1f}",
                f"{r['steady_per_s']:.1f}",
                r["max_in_a_second"],
                f"{r['limited']} ({r['limited_first_second']})",
                f"{r['round_trips'] / n:.2f}",
                " / ".join(f"{kinds.get(k, 0) / n:.2f}" for k in ("statement", "txn", "reset")),
            ]
        )
    print(_common.markdown_table(headers, rows))
    first = next((r for r in results if r["label"] == "bench"), None)
    if first is not None:
        print(f"\nstatements in the bench run at {first['rate']:g}/s (count, text):")
        for text, count in first["top"]:
            print(f"  {count:>7,}  {text}")
    for r in results:
        if r["engine"] != "bench":
            print(f"\nstatements per {r['engine']} drop (count / delivered, text):")
            for text, count in r["top"]:
                print(f"  {count / max(r['delivered'], 1):6.2f}  {text}")
    print()
    for r in results:
        if r["engine"] != "bench":
            continue
        per_job = r["round_trips"] / max(r["delivered"], 1)
        print(
            f"targets, {r['label']} at SEND_RATE={r['rate']:g}: ≥ 45 DMs/s "
            f"{'met' if r['dms_per_s'] >= 45 else 'MISSED'} ({r['dms_per_s']:.1f}); 0 × 429 "
            f"{'met' if r['limited'] == 0 else 'MISSED'} ({r['limited']}); ≤ 2 round trips/job "
            f"{'met' if per_job <= 2 else 'MISSED'} ({per_job:.2f})"
        )


async def main(args: argparse.Namespace) -> None:
    _common.quiet_logs()
    _common.print_header(
        "Delivery: drops due at one instant, real dispatcher → discord.py → double"
        + (" (the whole bot, the real engines)" if args.mode == "real" else " (the dispatcher alone)")
    )
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    print(
        f"double: global_rate_limit=50/s, latency=50 ms · dispatcher: claim_batch_size="
        f"{defaults.claim_batch_size}, dispatch_concurrency={defaults.dispatch_concurrency}, "
        f"SEND_RATE_PER_SECOND default {defaults.send_rate_per_second:g}, pool DB_POOL_MIN/MAX "
        f"{defaults.db_pool_min}/{defaults.db_pool_max} · db latency (proxy) {args.db_latency_ms} ms\n"
    )
    with _common.embedded_postgres() as server, _common.LatencyProxy(server.dsn()) as proxy:
        check = await _common.check_query_counter(server.dsn(), proxy)
        print("query logger vs the wire (one warm pooled connection through the proxy):")
        for name, seen in check.items():
            print(f"  {name}: logger {seen['logged']}, client→server bursts {seen['client_bursts']}")
        print()
        if args.mode == "real":
            runs = []
            for latency in args.db_latency_ms:
                runs.append(await real_run(server, proxy, args, latency))
            print()
            print_real_report(runs)
            return
        results = []
        for latency in args.db_latency_ms:
            proxy.delay_ms = latency
            for run in plan_runs(args):
                result = await one_run(server, proxy, run)
                results.append(result)
                per_job = result["round_trips"] / max(result["delivered"], 1)
                print(
                    f"{run.label:<32} db +{latency:g} ms n={run.count:>6,} rate={run.rate:g}/s: "
                    f"{result['delivered']:,} sent in {result['wall']:.1f} s → "
                    f"{result['dms_per_s']:.1f} DMs/s "
                    f"(steady {result['steady_per_s']:.1f}), {result['limited']} × 429, {per_job:.2f} "
                    f"statements/job {result['by_kind']}, "
                    f"{result['client_bursts'] / max(result['delivered'], 1):.2f} client→server bursts/job",
                    flush=True,
                )
                if result["violations"]:
                    print("  double violations:", result["violations"][:5])
                if result["statuses"].keys() - {"sent"}:
                    print("  drop job statuses:", result["statuses"])
    print()
    print_report(results)
    print(f"\nprocess VmHWM {_common.peak_rss_mb():.0f} MB")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["real", "bench"], default="real")
    parser.add_argument(
        "--db-latency-ms",
        type=float,
        nargs="+",
        default=[0.0],
        help="delay the proxy adds to every client→server burst (one run per value; headline: 5)",
    )
    real = parser.add_argument_group("mode real")
    real.add_argument("--clients", type=int, default=2000, help="clients in the zone: DMs per burst")
    real.add_argument("--zone", default="America/Chicago")
    real.add_argument(
        "--rate", type=float, default=None, help="SEND_RATE_PER_SECOND (default: the setting's)"
    )
    real.add_argument(
        "--inline-jobs",
        type=int,
        default=None,
        help="PLANNING_INLINE_JOBS (default: the setting's; 0: every zone planned as batches, "
        "its jobs made by the claims, as a zone of 100,000 clients would be)",
    )
    real.add_argument("--burst-timeout", type=float, default=480.0, help="seconds to wait for one burst")
    bench = parser.add_argument_group("mode bench")
    bench.add_argument("--count", type=int, default=10_000, help="DMs due at the same instant")
    bench.add_argument("--rates", type=float, nargs="+", default=[40.0, 48.0], help="SEND_RATE_PER_SECOND")
    bench.add_argument(
        "--extra-count", type=int, default=500, help="DMs for each real engine's drops (0: skip them)"
    )
    bench.add_argument("--extra-engines", nargs="*", default=["checkin", "training"])
    bench.add_argument(
        "--what-if-count",
        type=int,
        default=1000,
        help="DMs for each what-if run (the bot before 0481bec; claim batches of 200; 0: skip)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
