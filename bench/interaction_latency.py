"""Interaction latency: a training top-set modal submitted through the loopback Discord double →
the real bot (gateway mode, built as `python -m bot` builds it) → database write → response.

C clients in UTC get Monday's workout at 07:00 (the real training drop, on a virtual clock);
then N modal submissions (weight, reps) go in, cycling over clients and exercises, each
answered with an ephemeral "Logged …" while the workout message is edited behind it. The figure
is the double's `InteractionResult.response_time`: from the INTERACTION_CREATE it dispatched to
the bot's first callback request (what Discord's 3-second deadline is measured against).

PostgreSQL sits behind the loopback latency proxy (`_common.LatencyProxy`): `--db-latency-ms 0 5`
runs every pass once per value on the same bot and database (the proxy's delay is changed between
passes), so the difference between them is what a database 5 ms away costs. Per pass: p50/p90/p99,
every statement on every pool connection per submission (the answer's and the message edit's
behind it, BEGIN/COMMIT included), and the client→server bursts the proxy forwarded; the report
adds the round trips the answer waits for in sequence, estimated as (p50 at L − p50 at 0) / (the
measured round trip at L − at 0).

Target (issue 7): p99 ≤ 100 ms.

    .venv/bin/python bench/interaction_latency.py --concurrency 10 --db-latency-ms 0 5   # issue 11
    .venv/bin/python bench/interaction_latency.py
    .venv/bin/python bench/interaction_latency.py --submissions 200 --concurrency 1 4
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time
from typing import Any

import _common
from bot_harness import add_client, running_bot
from doubles.discord import DiscordDouble

from bot.config import Settings
from bot.core.clock import VirtualClock
from bot.engines.training import MODAL_ID

MONDAY = dt.date(2026, 5, 4)
BEGIN = dt.datetime(2026, 5, 4, 6, 0, tzinfo=dt.UTC)
FIRST_USER = 7_000_000


async def submit_all(
    double: DiscordDouble, users: list[int], submissions: int, concurrency: int, offset: int
) -> tuple[list[float], int, float]:
    """N submissions, `concurrency` users at a time; returns response times, failures, wall time."""
    times: list[float] = []
    failures = 0
    queue = list(range(offset, offset + submissions))

    async def user_loop() -> None:
        nonlocal failures
        while queue:
            i = queue.pop(0)
            uid = users[i % len(users)]
            index = (i // len(users)) % 3
            weight, reps = 60 + (i % 40) * 2.5, 1 + i % 10
            result = await double.submit_modal(
                uid,
                MODAL_ID.format(user_id=uid, day=MONDAY, index=index),
                {"weight": f"{weight:g}", "reps": str(reps)},
            )
            if result.response_time is None or "Logged" not in (result.content or ""):
                failures += 1
            else:
                times.append(result.response_time)

    began = time.perf_counter()
    await asyncio.gather(*(user_loop() for _ in range(concurrency)))
    return times, failures, time.perf_counter() - began


async def main(args: argparse.Namespace) -> None:
    _common.quiet_logs()
    _common.print_header("Interaction latency: training top-set modal submit → database → response")
    settings = Settings(_env_file=None, dispatcher_max_sleep_seconds=3600)  # type: ignore[call-arg]
    clock = VirtualClock(BEGIN)
    users = [FIRST_USER + i for i in range(args.clients)]
    results: list[dict[str, Any]] = []
    with _common.embedded_postgres() as server, _common.LatencyProxy(server.dsn()) as proxy:
        dsn = await _common.fresh_database(server, "bench_interactions")
        counter = _common.QueryCounter()
        pool = await _common.counting_pool(
            proxy.dsn(dsn),
            counter,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            command_timeout=settings.db_command_timeout,
        )
        round_trips: dict[float, float] = {}
        for latency in args.db_latency_ms:
            proxy.delay_ms = latency
            round_trips[latency] = await _common.calibrate_round_trip(proxy.dsn(dsn))
        proxy.delay_ms = 0
        double = DiscordDouble.with_defaults(latency=args.latency)
        try:
            async with double:
                with double.patch_discord():
                    for uid in users:
                        await add_client(
                            pool, double, uid, "UTC", MONDAY, BEGIN, schedule_days=[1, 2, 3, 4, 5, 6, 7]
                        )
                    async with running_bot(double, pool, clock, settings):
                        await clock.run_until(BEGIN + dt.timedelta(minutes=90))
                        workouts = sum(1 for uid in users if double.dms_to(uid))
                        print(
                            f"{workouts} workout DMs delivered at 07:00; {args.submissions} submissions "
                            f"per pass over {len(users)} clients × 3 exercises; double latency "
                            f"{args.latency * 1000:.0f} ms; measured database round trip (cached SELECT) "
                            + ", ".join(f"{ms:.2f} ms at +{lat:g}" for lat, ms in round_trips.items())
                            + "\n"
                        )
                        offset = 0
                        for latency in args.db_latency_ms:
                            proxy.delay_ms = latency
                            for concurrency in args.concurrency:
                                counter.clear()
                                wire_before = proxy.counts()
                                edits_before = sum(1 for r in double.requests if r.method == "PATCH")
                                times, failures, wall = await submit_all(
                                    double, users, args.submissions, concurrency, offset
                                )
                                offset += args.submissions
                                # Let the message edits queued behind the answers finish.
                                expected = edits_before + args.submissions - failures
                                drained = time.perf_counter()
                                await double.wait_for(
                                    lambda n=expected: (
                                        sum(1 for r in double.requests if r.method == "PATCH") >= n
                                    ),
                                    timeout=300,
                                )
                                backlog = time.perf_counter() - drained
                                await asyncio.sleep(0.2)
                                wire = _common.LatencyProxy.diff(proxy.counts(), wire_before)
                                n = max(len(times), 1)
                                results.append(
                                    {
                                        "latency": latency,
                                        "round_trip_ms": round_trips[latency],
                                        "concurrency": concurrency,
                                        "n": len(times),
                                        "failures": failures,
                                        "wall": wall,
                                        "p50": _common.percentile(times, 50),
                                        "p90": _common.percentile(times, 90),
                                        "p99": _common.percentile(times, 99),
                                        "max": max(times) if times else float("nan"),
                                        "mean": statistics.mean(times) if times else float("nan"),
                                        "statements": counter.total / n,
                                        "by_kind": {k: v / n for k, v in counter.by_kind.items()},
                                        "bursts": wire["client_bursts"] / n,
                                        "top": [(t, c / n) for t, c in counter.by_text.most_common(20)],
                                        "backlog": backlog,
                                    }
                                )
                                r = results[-1]
                                print(
                                    f"db +{latency:g} ms, concurrency {concurrency:>2}: {r['n']} answered, "
                                    f"{failures} failed, p50 {r['p50'] * 1000:.1f} ms, p99 "
                                    f"{r['p99'] * 1000:.1f} ms, max {r['max'] * 1000:.1f} ms, "
                                    f"{r['n'] / wall:.0f} submissions/s, "
                                    f"{r['statements']:.1f} statements and "
                                    f"{r['bursts']:.1f} client→server bursts per submission; message edits "
                                    f"caught up {backlog:.1f} s after the last answer",
                                    flush=True,
                                )
                    print(f"\n429s: {len(double.rate_limited)}; double violations: {len(double.violations)}")
                    for v in double.violations[:5]:
                        print("  ", v)
        finally:
            await pool.close()
    print()
    headers = [
        "db latency ms (measured RTT)",
        "concurrent users",
        "submissions",
        "failed",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "submissions/s",
        "statements/submission (stmt / BEGIN+COMMIT)",
        "client→server bursts/submission",
        "edit backlog after last answer s",
    ]
    rows = [
        [
            f"{r['latency']:g} ({r['round_trip_ms']:.2f})",
            r["concurrency"],
            r["n"],
            r["failures"],
            f"{r['p50'] * 1000:.1f}",
            f"{r['p90'] * 1000:.1f}",
            f"{r['p99'] * 1000:.1f}",
            f"{r['max'] * 1000:.1f}",
            f"{r['n'] / r['wall']:.0f}",
            f"{r['statements']:.1f} ({r['by_kind'].get('statement', 0):.1f} / "
            f"{r['by_kind'].get('txn', 0):.1f})",
            f"{r['bursts']:.1f}",
            f"{r['backlog']:.1f}",
        ]
        for r in results
    ]
    print(_common.markdown_table(headers, rows))
    print()
    if results:
        print("\nstatements per submission (the answer, the reachability check, the message edit behind it):")
        for text, per in results[-1]["top"]:
            if per >= 0.01:
                print(f"  {per:6.2f}  {text}")
    base = {r["concurrency"]: r for r in results if r["latency"] == 0}
    for r in results:
        zero = base.get(r["concurrency"])
        if zero is None or r["latency"] == 0:
            continue
        added = r["round_trip_ms"] - zero["round_trip_ms"]
        if added > 0:
            print(
                f"db +{r['latency']:g} ms, concurrency {r['concurrency']}: p50 {zero['p50'] * 1000:.1f} → "
                f"{r['p50'] * 1000:.1f} ms, i.e. about "
                f"{(r['p50'] - zero['p50']) * 1000 / added:.1f} round trips "
                f"of {added:.2f} ms each in sequence before the answer"
            )
    for r in results:
        verdict = "met" if r["p99"] <= 0.1 else "MISSED"
        print(
            f"target p99 ≤ 100 ms at db +{r['latency']:g} ms, concurrency {r['concurrency']}: {verdict} "
            f"({r['p99'] * 1000:.1f} ms)"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000, help="modal submissions per pass")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 10], help="users submitting at once, one pass each"
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the double adds to each REST call"
    )
    parser.add_argument(
        "--db-latency-ms",
        type=float,
        nargs="+",
        default=[0.0],
        help="delay the proxy adds to every client→server burst; one set of passes per value",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
