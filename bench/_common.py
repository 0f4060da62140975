"""Shared helpers for the benchmarks: an embedded PostgreSQL, a pool that counts every statement,
bulk client inserts, process memory, log-log fits and the machine description.

Importing this module puts the repository and `tests/` on sys.path, so the scripts can import
`bot` and the loopback Discord double (`discord_double`) when run as `python bench/NAME.py`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "tests", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import asyncpg  # noqa: E402  (after the path set-up on purpose)

from bot.db import pool as bot_pool  # noqa: E402
from bot.db.embedded import EmbeddedPostgres  # noqa: E402
from bot.db.migrations import migrate  # noqa: E402
from bot.logs import setup_logging  # noqa: E402

# Columns the benchmarks fill with COPY; everything else keeps its default.
CLIENT_COLUMNS = (
    "user_id",
    "display_name",
    "timezone",
    "start_date",
    "schedule_days",
    "dm_channel_id",
)


def quiet_logs() -> None:
    """The bot's loguru set-up at WARNING, on stderr, so figures on stdout stay readable."""
    setup_logging("WARNING", "text", stream=sys.stderr)


def reproduce_line() -> str:
    """The exact command that reproduces this run, from the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = script.relative_to(ROOT)
    except ValueError:
        shown = script
    return shlex.join([".venv/bin/python", str(shown), *sys.argv[1:]])


def print_header(title: str) -> None:
    print(f"# {title}")
    print(f"command: {reproduce_line()}")
    print(f"machine: {machine_summary()}")
    print()


def machine_summary() -> str:
    info = machine()
    return (
        f"{info['date']} · {info['nproc']} cores · {info['memory_gb']:.1f} GB · {info['cpu']} · "
        f"Python {info['python']} · load average {info['load']}"
    )


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with contextlib.suppress(OSError):
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        memory_kb = int(match.group(1)) if match else 0
    load = "?"
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return {
        "load": load,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory_gb": memory_kb / 1024 / 1024,
        "cpu": cpu,
        "python": platform.python_version(),
    }


# --- memory ---------------------------------------------------------------------------------


def rss_mb() -> float:
    """Resident set size of this process now, in MB."""
    with contextlib.suppress(OSError):
        match = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
        if match:
            return int(match.group(1)) / 1024
    return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in kB on Linux), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- statistics -----------------------------------------------------------------------------


def loglog_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log(y) against log(x): the growth exponent (1 = linear)."""
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(points) < 2:
        return float("nan")
    try:
        return statistics.linear_regression([x for x, _ in points], [y for _, y in points]).slope
    except statistics.StatisticsError:  # every x the same
        return float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Percentile by linear interpolation (statistics.quantiles, inclusive), q in [0, 100]."""
    if not values:
        return float("nan")
    if len(values) == 1 or q <= 0:
        return float(min(values))
    if q >= 100:
        return float(max(values))
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# --- child processes ------------------------------------------------------------------------


def run_child(script: Path, args: Sequence[str], *, timeout: float | None = None) -> dict[str, Any]:
    """Run `script --child ARGS` in a fresh interpreter (so its peak RSS is its own) and return
    the JSON object it prints on its last line of stdout."""
    proc = subprocess.run(
        [sys.executable, str(script), "--child", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {script.name} {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- database -------------------------------------------------------------------------------


@contextlib.contextmanager
def embedded_postgres() -> Iterator[EmbeddedPostgres]:
    """A throw-away embedded server in a temporary directory (deleted on exit)."""
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="regiment-bench-")), delete_on_stop=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def fresh_database(server: EmbeddedPostgres, name: str) -> str:
    """Create (or re-create) database `name`, apply the migrations, return its DSN."""
    admin = await asyncpg.connect(server.dsn())
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    dsn = server.dsn(name)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return dsn


_RESET = re.compile(r"^\s*(SELECT pg_advisory_unlock_all|RESET ALL|CLOSE ALL|UNLISTEN)", re.IGNORECASE)


class QueryCounter:
    """An asyncpg query logger: counts every statement sent on the connections it is attached to.

    Categories: `statement` (the bot's own SQL), `txn` (BEGIN/COMMIT/ROLLBACK issued by
    `conn.transaction()`) and `reset` (the query asyncpg's pool runs on every release). Each is
    one round trip to the server (the first run of a statement adds a prepare, not counted)."""

    def __init__(self) -> None:
        self.by_kind: Counter[str] = Counter()
        self.by_text: Counter[str] = Counter()
        self.seconds_by_text: dict[str, float] = {}
        self.enabled = True

    def __call__(self, record: Any) -> None:
        if not self.enabled:
            return
        text = " ".join(str(record.query).split())
        upper = text.upper()
        if _RESET.match(text):
            kind = "reset"
        elif upper in {"BEGIN;", "BEGIN", "COMMIT;", "COMMIT", "ROLLBACK;", "ROLLBACK"} or upper.startswith(
            ("BEGIN ISOLATION", "SAVEPOINT", "RELEASE SAVEPOINT")
        ):
            kind = "txn"
        else:
            kind = "statement"
        self.by_kind[kind] += 1
        self.by_text[text[:90]] += 1
        self.seconds_by_text[text[:90]] = self.seconds_by_text.get(text[:90], 0.0) + record.elapsed

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def snapshot(self) -> Counter[str]:
        return Counter(self.by_kind)

    def clear(self) -> None:
        self.by_kind.clear()
        self.by_text.clear()
        self.seconds_by_text.clear()


async def counting_pool(
    dsn: str,
    counter: QueryCounter,
    *,
    min_size: int = 1,
    max_size: int = 10,
    asyncpg_reset: bool = False,
) -> asyncpg.Pool:
    """The bot's own pool (`bot.db.pool.create_pool`, whatever it configures) whose every
    connection also reports its statements to `counter`.

    `asyncpg_reset=True` builds the pool as the bot did before commit 0481bec instead: same
    connection init and statement cache, with asyncpg's default reset query on every release."""

    original = bot_pool._init_connection

    async def init(conn: asyncpg.Connection) -> None:
        await original(conn)
        conn.add_query_logger(counter)

    if asyncpg_reset:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            command_timeout=30.0,
            statement_cache_size=100,
            init=init,
        )
        assert pool is not None
        return pool
    bot_pool._init_connection = init  # read by create_pool when it builds the pool, restored below
    try:
        return await bot_pool.create_pool(dsn, min_size=min_size, max_size=max_size)
    finally:
        bot_pool._init_connection = original


async def copy_clients(
    conn: asyncpg.Connection,
    records: Sequence[tuple[object, ...]],
    columns: Sequence[str] = CLIENT_COLUMNS,
) -> None:
    """Bulk-insert client rows (values in `columns` order) with COPY."""
    await conn.copy_records_to_table("client_profiles", records=records, columns=list(columns))
    await conn.execute("ANALYZE client_profiles")


async def plan_columns(conn: asyncpg.Connection) -> list[str]:
    """The optional per-client plan columns this schema has (meal and cardio plans came with
    migration 004): engines filter on them, so seeded clients get one to be planned for."""
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'client_profiles' "
        "AND column_name IN ('meal_plan_id', 'cardio_plan_id') ORDER BY column_name"
    )
    return [r["column_name"] for r in rows]
