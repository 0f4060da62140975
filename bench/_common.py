"""Shared helpers for the benchmarks: an embedded PostgreSQL, a pool that counts every statement,
a loopback latency proxy in front of PostgreSQL (`LatencyProxy`, see the comment above
PROXY_FIELDS for what it models), a production clock shifted in time (`ShiftedClock`), bulk
client inserts, process memory (VmHWM, and PostgreSQL's processes), log-log fits, the machine and
the code state measured.

Importing this module puts the repository and `tests/` on sys.path, so the scripts can import
`bot` and the loopback Discord double (`discord_double`) when run as `python bench/NAME.py`.
"""

from __future__ import annotations

import asyncio
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
JOINED = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # when the benches' clients joined
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
    print(f"code: {code_state()}")
    print()
    import atexit

    atexit.register(lambda: print(f"\nload average at the end: {machine()['load']} ({machine()['date']})"))


def code_state() -> str:
    """The commit measured, and whether bot/, cogs/ and sql/ had uncommitted changes (others may be
    editing them while a benchmark runs): a short hash of that diff identifies the state."""
    import hashlib

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    diff = git("diff", "HEAD", "--", "bot", "cogs", "sql")
    if not diff:
        return f"{head} (bot/, cogs/, sql/ as committed)"
    files = len(git("diff", "HEAD", "--name-only", "--", "bot", "cogs", "sql").split())
    digest = hashlib.sha1(diff.encode()).hexdigest()[:10]
    return f"{head} + uncommitted changes to {files} file(s) in bot/, cogs/, sql/ (diff sha1 {digest})"


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


def _status_kb(field: str, pid: int | str = "self") -> int | None:
    """A `kB` field of /proc/PID/status (VmRSS, VmHWM, …), or None if unreadable."""
    with contextlib.suppress(OSError):
        match = re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
        if match:
            return int(match.group(1))
    return None


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size of a process (this one by default) now, in MB."""
    kb = _status_kb("VmRSS", pid)
    return kb / 1024 if kb is not None else float("nan")


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident set size of a process (this one by default), in MB: VmHWM from
    /proc/PID/status, the high-water mark of this process's own address space.

    Not `ru_maxrss`: Linux carries that across fork and exec (a child started by a 300 MB parent
    reports at least 300 MB), which made every child-process figure in this directory before
    2026-12-01 a figure of its parent too. Falls back to ru_maxrss only where /proc is missing."""
    kb = _status_kb("VmHWM", pid)
    if kb is not None:
        return kb / 1024
    if pid != "self":
        return float("nan")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_tree(root: int) -> list[int]:
    """`root` and every process descended from it (by PPid in /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            match = re.search(r"^PPid:\s+(\d+)", (entry / "status").read_text(), re.MULTILINE)
            if match:
                parents[int(entry.name)] = int(match.group(1))
    found, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def tree_memory_mb(root: int) -> tuple[float, float]:
    """(sum of RSS, sum of PSS) in MB over `root` and its descendants.

    RSS counts a shared page once per process that maps it (PostgreSQL's shared buffers are in
    every backend that touched them), so the RSS sum overstates; PSS divides each shared page
    between the processes that share it, so the PSS sum is what the tree really occupies."""
    rss = pss = 0
    for pid in process_tree(root):
        rss += _status_kb("VmRSS", pid) or 0
        with contextlib.suppress(OSError):
            match = re.search(
                r"^Pss:\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.MULTILINE
            )
            if match:
                pss += int(match.group(1))
    return rss / 1024, pss / 1024


def postmaster_pid(data_dir: Path | str) -> int:
    """The embedded server's postmaster, from the first line of its postmaster.pid."""
    return int((Path(data_dir) / "postmaster.pid").read_text().split()[0])


class TreeMemorySampler:
    """Samples the memory of `root` and its descendants in a thread; keeps the peaks. Used for
    PostgreSQL's processes, whose peak no single process reports.

    Kept cheap (it shares two cores with what it measures): the RSS sum from /proc/PID/statm
    every `interval` seconds; the process list (a walk of /proc) and the PSS sum (smaps_rollup)
    every `slow_every` samples."""

    def __init__(self, root: int, interval: float = 0.2, slow_every: int = 5) -> None:
        import threading

        self.root = root
        self.interval = interval
        self.slow_every = slow_every
        self.peak_rss = 0.0
        self.peak_pss = 0.0
        self.first: tuple[float, float] | None = None
        self.samples = 0
        self._pids: list[int] = []
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-memory", daemon=True)

    def _rss_mb(self) -> float:
        kb = 0
        for pid in self._pids:
            with contextlib.suppress(OSError, IndexError, ValueError):
                kb += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page_kb
        return kb / 1024

    def _sample(self, full: bool = False) -> None:
        if full or self.samples % self.slow_every == 0:
            self._pids = process_tree(self.root)
            rss, pss = tree_memory_mb(self.root)
            self.peak_pss = max(self.peak_pss, pss)
            if self.first is None:
                self.first = (rss, pss)
        else:
            rss = self._rss_mb()
        self.peak_rss = max(self.peak_rss, rss)
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> TreeMemorySampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(full=True)

    def as_dict(self) -> dict[str, float]:
        first = self.first or (float("nan"), float("nan"))
        return {
            "pg_rss_peak_mb": self.peak_rss,
            "pg_pss_peak_mb": self.peak_pss,
            "pg_rss_start_mb": first[0],
            "pg_pss_start_mb": first[1],
            "pg_samples": self.samples,
        }


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system, including reaped children) of `root` and its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / ticks


# --- a production clock, shifted ----------------------------------------------------------


class ShiftedClock:
    """The bot's `WallClock` (its alarms: real time passes, long sleeps are sliced) reading a
    shifted time: it starts at `start` and runs at real speed. `jump_to` moves it forward at
    once (as if the machine had been suspended) and rings every alarm it handed out, so the
    dispatcher and the planner loops look at the new time now instead of within their next
    slice. Lets a benchmark start just before 05:30 somewhere and deliver in real time."""

    def __init__(self, start: dt.datetime) -> None:
        import weakref

        from bot.core.clock import WallClock

        self._wall = WallClock()
        self._offset = start - self._wall.now()
        self._alarms: Any = weakref.WeakSet()

    def now(self) -> dt.datetime:
        return self._wall.now() + self._offset

    def alarm(self) -> Any:
        from bot.core.clock import WallClock

        alarm = WallClock.alarm(self)  # type: ignore[arg-type]  # production's alarm, on our now()
        self._alarms.add(alarm)
        return alarm

    @contextlib.contextmanager
    def participant(self) -> Iterator[None]:
        yield

    def jump_to(self, when: dt.datetime) -> None:
        self._offset += when - self.now()
        for alarm in list(self._alarms):
            alarm.ring()

    def monotonic_at(self, when: dt.datetime) -> float:
        """`time.monotonic()` at the instant this clock reads `when` (if it is not moved)."""
        import time

        return time.monotonic() + (when - self.now()).total_seconds()


async def calibrate_round_trip(dsn: str, n: int = 200) -> float:
    """Mean milliseconds of one cached `SELECT $1` on a warm connection to `dsn`."""
    import time

    conn = await asyncpg.connect(dsn)
    try:
        await conn.fetchval("SELECT $1::int", 0)
        began = time.perf_counter()
        for i in range(n):
            await conn.fetchval("SELECT $1::int", i)
        return (time.perf_counter() - began) / n * 1000
    finally:
        await conn.close()


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
    command_timeout: float = 30.0,
    asyncpg_reset: bool = False,
) -> asyncpg.Pool:
    """The bot's own pool (`bot.db.pool.create_pool`, whatever it configures) whose every
    connection also reports its statements to `counter`.

    The logger is attached by wrapping `asyncpg.create_pool` for the duration of the call and
    chaining our step after whatever `init` the bot passes, so it does not depend on how
    bot/db/pool.py names its helpers. `asyncpg_reset=True` builds the pool as the bot did before
    commit 0481bec instead: same statement cache, asyncpg's default reset query on every release."""

    real_create_pool = asyncpg.create_pool

    def chained(init: Any) -> Any:
        async def both(conn: asyncpg.Connection) -> None:
            if init is not None:
                await init(conn)
            conn.add_query_logger(counter)

        return both

    if asyncpg_reset:
        pool = await real_create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            command_timeout=command_timeout,
            statement_cache_size=100,
            init=chained(getattr(bot_pool, "_init_connection", None)),
        )
        assert pool is not None
        return pool

    def wrapped(*args: Any, init: Any = None, **kwargs: Any) -> Any:
        return real_create_pool(*args, init=chained(init), **kwargs)

    asyncpg.create_pool = wrapped  # type: ignore[assignment]  # read by bot_pool.create_pool
    try:
        return await bot_pool.create_pool(
            dsn, min_size=min_size, max_size=max_size, command_timeout=command_timeout
        )
    finally:
        asyncpg.create_pool = real_create_pool  # type: ignore[assignment]


# --- database latency: a loopback TCP proxy -------------------------------------------------
#
# What it models: PostgreSQL on another machine, `delay` milliseconds away in the client→server
# direction. Every chunk the proxy reads from a client connection (one `recv`: in practice one
# burst of protocol messages that asyncpg wrote at once — a Bind/Execute/Sync, a Parse/Describe/
# Sync, a simple-query BEGIN) is forwarded to PostgreSQL `delay` ms after it arrived; chunks keep
# their order and do not queue behind one another's delay (a pure propagation delay, no
# bandwidth limit). Server→client bytes pass at once. So every request/response exchange (a
# "round trip") gains `delay` ms: the proxy adds one network RTT of `delay` ms per round trip,
# the way a database in the same region (1–5 ms) or across regions (20+ ms) costs. A statement
# that needs two exchanges (the first run of a statement on a connection: prepare, then execute)
# pays twice, as it would on a real network; connection set-up pays once per startup/auth packet.
# Not modelled: bandwidth, jitter, packet loss, TLS, server→client delay (put the whole RTT on
# one side: the sum is what a request/response waits for).
#
# It runs in its own process (spawned, asyncio, on 127.0.0.1) so its CPU does not sit in the
# bot's event loop; counters are shared memory: connections, client→server chunks ("bursts")
# and bytes, server→client chunks and bytes, and the delay actually applied (mean, µs).

PROXY_FIELDS = (
    "connections",
    "client_bursts",
    "client_bytes",
    "server_bursts",
    "server_bytes",
    "applied_delay_us_sum",
    "delayed_bursts",
)


def _upstream_of(dsn: str) -> tuple[str, Any]:
    """Where a DSN's server listens: ("unix", socket path) or ("tcp", (host, port)), loopback only."""
    import ipaddress
    import urllib.parse

    parsed = urllib.parse.urlsplit(dsn)
    query = urllib.parse.parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or "localhost"])[0]
    port = int(query.get("port", [parsed.port or 5432])[0])
    if host.startswith("/"):
        return "unix", f"{host}/.s.PGSQL.{port}"
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the latency proxy forwards to loopback servers only, not {host!r}")
    return "tcp", (host, port)


def _proxy_main(upstream: tuple[str, Any], delay_ms: Any, counts: Any, pipe: Any) -> None:
    """The proxy process: serve 127.0.0.1 on a free port, send the port down `pipe`, run forever."""
    import asyncio
    from collections import deque

    async def serve() -> None:
        loop = asyncio.get_running_loop()

        class ServerSide(asyncio.Protocol):
            def __init__(self, client: asyncio.Transport) -> None:
                self.client = client

            def data_received(self, data: bytes) -> None:
                counts[3] += 1
                counts[4] += len(data)
                self.client.write(data)

            def connection_lost(self, exc: Exception | None) -> None:
                self.client.close()

        class ClientSide(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                assert isinstance(transport, asyncio.Transport)
                counts[0] += 1
                self.transport = transport
                self.server: asyncio.Transport | None = None
                self.pending: deque[tuple[float, float, bytes]] = deque()
                self.timer: asyncio.TimerHandle | None = None
                self.closing = False
                transport.pause_reading()
                self.connecting = loop.create_task(self.connect())

            async def connect(self) -> None:
                try:
                    if upstream[0] == "unix":
                        server, _ = await loop.create_unix_connection(
                            lambda: ServerSide(self.transport), upstream[1]
                        )
                    else:
                        server, _ = await loop.create_connection(
                            lambda: ServerSide(self.transport), *upstream[1]
                        )
                except OSError:
                    self.transport.close()
                    return
                assert isinstance(server, asyncio.Transport)
                self.server = server
                self.transport.resume_reading()

            def data_received(self, data: bytes) -> None:
                counts[1] += 1
                counts[2] += len(data)
                now = loop.time()
                delay = delay_ms.value / 1000
                if delay <= 0 and not self.pending:
                    assert self.server is not None
                    self.server.write(data)
                    return
                self.pending.append((now + max(delay, 0.0), now, data))
                if self.timer is None:
                    self.timer = loop.call_at(self.pending[0][0], self.flush)

            def flush(self) -> None:
                self.timer = None
                now = loop.time()
                while self.pending and self.pending[0][0] <= now:
                    _, arrived, data = self.pending.popleft()
                    counts[5] += int((now - arrived) * 1_000_000)
                    counts[6] += 1
                    if self.server is not None:
                        self.server.write(data)
                if self.pending:
                    self.timer = loop.call_at(self.pending[0][0], self.flush)
                elif self.closing and self.server is not None:
                    self.server.close()

            def connection_lost(self, exc: Exception | None) -> None:
                # Forward what is still in flight (asyncpg's Terminate), then close upstream.
                self.closing = True
                if not self.pending and self.server is not None:
                    self.server.close()

        server = await loop.create_server(ClientSide, "127.0.0.1", 0)
        pipe.send(server.sockets[0].getsockname()[1])
        pipe.close()
        await asyncio.Event().wait()

    asyncio.run(serve())


class LatencyProxy:
    """A loopback TCP proxy in front of one PostgreSQL server that delays client→server chunks.

    `with LatencyProxy(server_dsn, delay_ms=5) as proxy: pool_dsn = proxy.dsn(any_dsn_of_that_server)`.
    `delay_ms` can be changed while it runs (it is read for every chunk). See the comment above
    PROXY_FIELDS for exactly what it models."""

    def __init__(self, server_dsn: str, delay_ms: float = 0.0) -> None:
        import multiprocessing

        self._ctx = multiprocessing.get_context("spawn")
        self._upstream = _upstream_of(server_dsn)
        self._delay = self._ctx.RawValue("d", float(delay_ms))
        self._counts = self._ctx.RawArray("q", len(PROXY_FIELDS))
        self._process: Any = None
        self.port = 0

    @property
    def delay_ms(self) -> float:
        return float(self._delay.value)

    @delay_ms.setter
    def delay_ms(self, value: float) -> None:
        self._delay.value = float(value)

    def start(self) -> LatencyProxy:
        receive, send = self._ctx.Pipe(duplex=False)
        self._process = self._ctx.Process(
            target=_proxy_main,
            args=(self._upstream, self._delay, self._counts, send),
            name="bench-latency-proxy",
            daemon=True,
        )
        self._process.start()
        send.close()
        if not receive.poll(60):
            self.stop()
            raise RuntimeError("the latency proxy did not start within 60 s")
        self.port = int(receive.recv())
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()  # our own child, by its handle
            self._process.join(10)
            self._process = None

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def dsn(self, server_dsn: str) -> str:
        """`server_dsn` (same server, any database) routed through the proxy, without TLS."""
        import urllib.parse

        parsed = urllib.parse.urlsplit(server_dsn)
        user = urllib.parse.quote(parsed.username or "postgres")
        password = f":{urllib.parse.quote(parsed.password)}" if parsed.password else ""
        database = parsed.path.lstrip("/") or "postgres"
        return f"postgresql://{user}{password}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def counts(self) -> dict[str, int]:
        return dict(zip(PROXY_FIELDS, list(self._counts), strict=True))

    @staticmethod
    def diff(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
        return {k: after[k] - before.get(k, 0) for k in after}

    @staticmethod
    def mean_delay_ms(counts: dict[str, int]) -> float:
        n = counts.get("delayed_bursts", 0)
        return counts.get("applied_delay_us_sum", 0) / n / 1000 if n else 0.0


async def check_query_counter(server_dsn: str, proxy: LatencyProxy) -> dict[str, Any]:
    """Does the query logger see what goes over the wire? On one warm pooled connection through
    the proxy: a `conn.transaction()` with one (cached) statement, and one statement run for the
    first time on that connection. Returns the logger's counts and the proxy's client bursts."""
    counter = QueryCounter()
    pool = await counting_pool(proxy.dsn(server_dsn), counter, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT $1::int", 1)  # warm: prepared and cached
        await asyncio.sleep(0.05)
        results: dict[str, Any] = {}
        for name, body in (
            ("transaction with one cached statement", "txn"),
            ("a statement's first run on this connection", "first"),
            ("the same statement again", "again"),
        ):
            counter.clear()
            before = proxy.counts()
            async with pool.acquire() as conn:
                if body == "txn":
                    async with conn.transaction():
                        await conn.fetchval("SELECT $1::int", 2)
                else:
                    await conn.fetchval("SELECT $1::int + 1", 3)
            await asyncio.sleep(0.05)  # the logger reports through call_soon; the proxy counts async
            wire = LatencyProxy.diff(proxy.counts(), before)
            results[name] = {"logged": dict(counter.by_kind), "client_bursts": wire["client_bursts"]}
        return results
    finally:
        await pool.close()


async def copy_clients(
    conn: asyncpg.Connection,
    records: Sequence[tuple[object, ...]],
    columns: Sequence[str] = CLIENT_COLUMNS,
) -> None:
    """Bulk-insert client rows (values in `columns` order) with COPY, as clients who joined long
    before the benches' virtual clocks (a batch takes only clients there were when it was planned;
    the column's default is the wall clock's now)."""
    records = [(*r, JOINED) for r in records]
    columns = [*columns, "created_at"]
    await conn.copy_records_to_table("client_profiles", records=records, columns=columns)
    await conn.execute("ANALYZE client_profiles")


async def plan_columns(conn: asyncpg.Connection) -> list[str]:
    """The optional per-client plan columns this schema has (meal and cardio plans came with
    migration 004): engines filter on them, so seeded clients get one to be planned for."""
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'client_profiles' "
        "AND column_name IN ('meal_plan_id', 'cardio_plan_id') ORDER BY column_name"
    )
    return [r["column_name"] for r in rows]
