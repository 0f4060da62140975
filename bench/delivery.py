"""Delivery rate: N DMs due at the same instant, sent by the real dispatcher through discord.py to
the loopback Discord double with Discord's global limit (50 requests/s) and 50 ms of latency.

Set-up per run: N clients in one zone (UTC), each with the DM channel cached on their row (as
onboarding leaves them); one planning tick puts N drops due at 05:30:00. Then a plain
`discord.Client`, logged in over REST against the double (what a dispatch-only worker does), is
wrapped in `bot.discord_adapter.transport.DiscordTransport`, and `bot.core.dispatcher.Dispatcher.dispatch_due`
runs on a clock frozen at the due instant until every job is done. Every statement on every pool
connection is counted (asyncpg query logger, attached in the pool's connection init).

Reported: DMs/s sustained (first to last successful send as the double saw them), 429s, and
database round trips per delivered job, split into the bot's statements, BEGIN/COMMIT and the
reset query asyncpg's pool sends on every release. Targets (issue 7): ≥ 45 DMs/s, 0 × 429,
≤ 2 round trips per job.

The `bench` engine is a one-DM drop (embed and one button, like a prompt) that measures the
dispatcher and transport alone; `checkin` and `training` run the bot's real drop handlers. Two
what-if runs of the bench engine, configured inside this process only: `before 0481bec` (the
pool's default reset query on every release and a send burst of rate/5, as the bot had before
that commit) and `claim batch 200` (CLAIM_BATCH_SIZE=200: fewer pauses between claim batches).

    .venv/bin/python bench/delivery.py                    # 10k at 40/s and 48/s, plus the extras
    .venv/bin/python bench/delivery.py --count 1000 --rates 48 --extra-count 0 --what-if-count 0
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import time
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


async def one_run(server: Any, run: Run) -> dict[str, Any]:
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
        dsn,
        counter,
        min_size=settings.dispatch_concurrency + 4,
        max_size=settings.dispatch_concurrency + 4,
        asyncpg_reset=run.before_0481bec,
    )
    double = DiscordDouble.with_defaults(global_rate_limit=50, latency=0.05)
    try:
        async with double:
            with double.patch_discord():
                return await _dispatch(double, pool, counter, settings, registry, engine, due, run)
    finally:
        await pool.close()


async def _dispatch(
    double: DiscordDouble,
    pool: asyncpg.Pool,
    counter: _common.QueryCounter,
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
        requests_before = len(double.requests)
        limited_before = len(double.rate_limited)
        began = time.perf_counter()
        ran = await dispatcher.dispatch_due()
        wall = time.perf_counter() - began
        for _ in range(5):
            await asyncio.sleep(0)
    finally:
        counter.enabled = False
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
    _common.print_header("Delivery: DMs due at one instant, real dispatcher → discord.py → double")
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    print(
        f"double: global_rate_limit=50/s, latency=50 ms · dispatcher: claim_batch_size="
        f"{defaults.claim_batch_size}, dispatch_concurrency={defaults.dispatch_concurrency}, "
        f"SEND_RATE_PER_SECOND default {defaults.send_rate_per_second:g}\n"
    )
    results = []
    with _common.embedded_postgres() as server:
        for run in plan_runs(args):
            result = await one_run(server, run)
            results.append(result)
            per_job = result["round_trips"] / max(result["delivered"], 1)
            print(
                f"{run.label:<32} n={run.count:>6,} rate={run.rate:g}/s: {result['delivered']:,} sent in "
                f"{result['wall']:.1f} s → {result['dms_per_s']:.1f} DMs/s (steady "
                f"{result['steady_per_s']:.1f}), {result['limited']} × 429, {per_job:.2f} round trips/job "
                f"{result['by_kind']}",
                flush=True,
            )
            if result["violations"]:
                print("  double violations:", result["violations"][:5])
            if result["statuses"].keys() - {"sent"}:
                print("  drop job statuses:", result["statuses"])
    print()
    print_report(results)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="DMs due at the same instant")
    parser.add_argument("--rates", type=float, nargs="+", default=[40.0, 48.0], help="SEND_RATE_PER_SECOND")
    parser.add_argument(
        "--extra-count", type=int, default=500, help="DMs for each real engine's drops (0: skip them)"
    )
    parser.add_argument("--extra-engines", nargs="*", default=["checkin", "training"])
    parser.add_argument(
        "--what-if-count",
        type=int,
        default=1000,
        help="DMs for each what-if run (the bot before 0481bec; claim batches of 200; 0: skip)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
