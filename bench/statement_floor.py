"""The least a statement costs on this machine: how long the simulator would take if every one of
its statements were the cheapest there is.

The simulator's time follows its statements (§19, §27): each is a round trip from asyncio and
asyncpg to the embedded PostgreSQL on the other core and back. This measures that round trip with
nothing in it, through the pool the simulator uses (bot.db.pool.create_pool, the server without
durability as `python -m bot simulate` sets it):

- `SELECT $1::int` one after another on one connection: wall time, this process's CPU and the
  server backend's CPU (from /proc) per statement;
- the same from `--tasks` tasks at once, each on its own connection: how much the two cores
  overlap when there is always a statement in flight;
- a write in its own transaction (BEGIN, a one-row INSERT, COMMIT: three statements), the
  least a logged set or a delivered drop can be.

With the simulator's statement count (`--statements` a simulated client-day; the default, 33, is
what the server's own log counted for `simulate --days 7 --clients 300` on 2026-12-02: 67,107
prepared executions and 2,115 simple statements for 2,100 client-days, RESULTS.md §30) it prints
the floor of a simulated month for `--clients` clients: the time those statements would take if
each were the empty SELECT, before any engine, rendering or index work.

The server's CPU is its backends' (the connections measured): what the WAL writer flushes for
the writes is not in it, so the write rows' server figure is a lower bound.

    .venv/bin/python bench/statement_floor.py
    .venv/bin/python bench/statement_floor.py --statements 33 --clients 1000 --days 30
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

import _common

from bot.db.embedded import without_durability
from bot.db.pool import create_pool


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(pool, tasks: int, per_task: int, write: bool) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Wall µs per statement, and CPU µs per statement of this process and of the backends."""
    conns = [await pool.acquire() for _ in range(tasks)]
    try:
        pids = [await c.fetchval("SELECT pg_backend_pid()") for c in conns]
        for c in conns:  # warm: prepared, cached, the table's pages in memory
            await one(c, 0, write)

        async def run(conn) -> None:  # type: ignore[no-untyped-def]
            for i in range(per_task):
                await one(conn, i, write)

        server_before = sum(_common.tree_cpu_seconds(p) for p in pids)
        cpu_before, began = own_cpu(), time.perf_counter()
        await asyncio.gather(*(run(c) for c in conns))
        wall, cpu = time.perf_counter() - began, own_cpu() - cpu_before
        server = sum(_common.tree_cpu_seconds(p) for p in pids) - server_before
    finally:
        for c in conns:
            await pool.release(c)
    statements = tasks * per_task * (3 if write else 1)
    return {
        "wall_us": wall / statements * 1e6,
        "process_cpu_us": cpu / statements * 1e6,
        "server_cpu_us": server / statements * 1e6,
        "statements": statements,
    }


async def one(conn, i: int, write: bool) -> None:  # type: ignore[no-untyped-def]
    if not write:
        await conn.fetchval("SELECT $1::int", i)
        return
    async with conn.transaction():
        await conn.execute("INSERT INTO floor_writes (n) VALUES ($1)", i)


async def main_async(args: argparse.Namespace) -> None:
    with _common.embedded_postgres() as server:
        dsn = await _common.fresh_database(server, "statement_floor")
        pool = await create_pool(dsn, min_size=1, max_size=args.tasks + 1)
        try:
            async with pool.acquire() as conn:
                await without_durability(conn)
                await conn.execute("CREATE TABLE floor_writes (id bigserial PRIMARY KEY, n int NOT NULL)")
            rows = []
            for label, tasks, write in (
                ("SELECT $1, one connection", 1, False),
                (f"SELECT $1, {args.tasks} connections at once", args.tasks, False),
                ("BEGIN · INSERT · COMMIT, one connection", 1, True),
                (f"BEGIN · INSERT · COMMIT, {args.tasks} connections at once", args.tasks, True),
            ):
                best: dict[str, float] | None = None
                for _ in range(args.repeat):  # the least of a few: the floor, not the noise
                    found = await measure(pool, tasks, max(1, args.per_row // tasks), write)
                    if best is None or found["wall_us"] < best["wall_us"]:
                        best = found
                assert best is not None
                rows.append((label, best))
        finally:
            await pool.close()

    headers = ["statements", "wall µs a statement", "this process's CPU µs", "backends' CPU µs", "timed"]
    table = [
        (
            label,
            f"{r['wall_us']:.0f}",
            f"{r['process_cpu_us']:.0f}",
            f"{r['server_cpu_us']:.0f}",
            f"{int(r['statements']):,}",
        )
        for label, r in rows
    ]
    print(_common.markdown_table(headers, table))
    total = args.statements * args.clients * args.days
    sequential = rows[0][1]["wall_us"]
    overlapped = rows[1][1]["wall_us"]
    print()
    print(
        f"{args.days} days × {args.clients:,} clients × {args.statements} statements a client-day = "
        f"{total:,.0f} statements: {total * sequential / 1e6:.0f} s one after another, "
        f"{total * overlapped / 1e6:.0f} s with {args.tasks} always in flight, if every one were "
        f"`SELECT $1` (target for the whole simulation: 60 s)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--per-row", type=int, default=40_000, help="statements (events, in the write rows) timed per row"
    )
    parser.add_argument("--tasks", type=int, default=8, help="connections at once in the overlapped rows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--statements", type=float, default=33.0, help="the simulator's, per client-day")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    _common.quiet_logs()
    _common.print_header("The least a statement costs: the simulator's floor")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
