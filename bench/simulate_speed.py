"""Simulator speed: wall time of `python -m bot simulate --days 30 --clients 1000 --quiet` as a
subprocess (embedded PostgreSQL start-up included), its CPU time and peak RSS, and the jobs it
got through per second of wall time. A run that outlives `--timeout` is interrupted (SIGINT, so
the simulator stops its PostgreSQL) and reported as such.

Then, unless `--breakdown-days 0`, a short simulation in this process with every pool
connection's statements counted, to show where the database round trips go (client actions of
the simulated roster included).

Target (issue 7): ≤ 60 s wall.

    .venv/bin/python bench/simulate_speed.py
    .venv/bin/python bench/simulate_speed.py --days 7 --clients 200 --repeat 3
    .venv/bin/python bench/simulate_speed.py --days 7 --clients 300 --profile   # where the time goes
    .venv/bin/python bench/simulate_speed.py --days 1 --clients 10 --breakdown-days 10 \
        --breakdown-clients 500 --compare-edits     # the simulator with an indexed edit_message
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import pstats
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common


@dataclass
class Run:
    wall: float
    cpu: float
    peak_rss: float
    finished: bool
    jobs: int = 0
    dms: int = 0
    summary: str = ""


class _PeakWatcher:
    """The simulator's VmHWM, read from /proc/PID/status every 0.2 s while it runs (VmHWM only
    grows, so the last read before it exits is its peak to within 0.2 s). Not RUSAGE_CHILDREN's
    ru_maxrss: that is the largest of every child this process ever waited for, and Linux carries
    a parent's high-water mark into the child across fork and exec."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        import threading

        self.proc = proc
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self.proc.poll() is None and not self._stop.is_set():
            value = _common.peak_rss_mb(self.proc.pid)
            if value == value:  # not NaN (the process may be gone)
                self.peak_mb = max(self.peak_mb, value)
            self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_once(days: int, clients: int, profile: Path | None, timeout: float) -> Run:
    """One simulator run in a fresh interpreter."""
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "bot", "simulate", "--days", str(days), "--clients", str(clients), "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=_common.ROOT
    )
    peak = _PeakWatcher(proc)
    finished = True
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        finished = False
        proc.send_signal(signal.SIGINT)  # KeyboardInterrupt: the simulator's finally stops its server
        try:
            stdout, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak.stop()
    run = Run(wall, cpu, peak.peak_mb, finished)
    if not finished:
        return run
    if proc.returncode != 0:
        raise SystemExit(f"simulator failed ({proc.returncode}):\n{stderr[-3000:]}")
    delivered = re.search(r"(\d+) DMs delivered", stdout)
    run.dms = int(delivered.group(1)) if delivered else 0
    run.jobs = sum(int(m.group(1)) for m in re.finditer(r"^\S+\s+\S+\s+(\d+)$", stdout, re.MULTILINE))
    run.summary = stdout.strip().split("Summary:", 1)[-1]
    return run


@dataclass
class Breakdown:
    wall: float
    jobs: int
    by_kind: dict[str, int]
    top: list[tuple[str, int]]


@contextlib.contextmanager
def indexed_edits() -> Iterator[None]:
    """`RecordingTransport.edit_message` looking the message up in a dict instead of scanning every
    message sent so far (the change RESULTS.md proposes), for this process only."""
    from bot.core.delivery import PermanentDeliveryError
    from bot.simulator.transport import MemoryTransport as RecordingTransport

    original = RecordingTransport.edit_message

    async def edit_message(self: Any, channel_id: int, message_id: int, message: Any) -> None:
        index: dict[tuple[int, int], Any] = self.__dict__.setdefault("_bench_index", {})
        for record in self.messages[len(index) :]:
            index[(record.channel_id, record.message_id)] = record
        record = index.get((channel_id, message_id))
        if record is None:
            raise PermanentDeliveryError(f"unknown message {message_id}")
        record.edits.append(message)

    RecordingTransport.edit_message = edit_message  # type: ignore[method-assign]
    try:
        yield
    finally:
        RecordingTransport.edit_message = original  # type: ignore[method-assign]


async def breakdown(days: int, clients: int) -> Breakdown:
    """The simulator in this process with every pool connection counted: statements per job.
    (The simulator's `create_pool` is swapped for a counting one for the run, then restored.)"""
    import bot.simulator.simulate as sim

    counter = _common.QueryCounter()

    async def counting_create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10, **_: Any) -> Any:
        return await _common.counting_pool(dsn, counter, min_size=min_size, max_size=max_size)

    original = sim.create_pool
    sim.create_pool = counting_create_pool
    lines: list[str] = []
    try:
        began = time.perf_counter()
        options = sim.SimulationOptions(days=days, clients=clients, verbose=False)
        report = await sim.simulate(options, lines.append)
        wall = time.perf_counter() - began
    finally:
        sim.create_pool = original
    jobs = sum(report.jobs_by_status.values())
    return Breakdown(wall, jobs, dict(counter.by_kind), counter.by_text.most_common(15))


def main(args: argparse.Namespace) -> None:
    _common.print_header("Simulator speed")
    shown = f"python -m bot simulate --days {args.days} --clients {args.clients} --quiet"
    runs = []
    for number in range(args.repeat):
        profile = Path(tempfile.mkdtemp(prefix="regiment-sim-prof-")) / "sim.prof" if args.profile else None
        run = run_once(args.days, args.clients, profile, args.timeout)
        runs.append(run)
        if not run.finished:
            print(f"run {number + 1}: not finished after {args.timeout:.0f} s (interrupted)")
            continue
        print(
            f"run {number + 1}: {run.wall:.1f} s wall, {run.cpu:.1f} s CPU (the simulator process; "
            f"PostgreSQL's own CPU not included), {run.jobs:,} jobs, {run.dms:,} DMs, "
            f"{run.jobs / run.wall:.0f} jobs/s"
        )
        if profile is not None:
            print(f"\nprofile ({profile}), top functions by cumulative time:")
            stats = pstats.Stats(str(profile))
            stats.sort_stats("cumulative").print_stats(25)
            stats.sort_stats("tottime").print_stats(15)
    done = [r for r in runs if r.finished]
    if done:
        print(f"\nsimulator summary:{done[-1].summary}\n")
    wall = statistics.median(r.wall for r in runs)
    print(
        _common.markdown_table(
            ["command", "runs (finished)", "wall s (median)", "CPU s", "VmHWM MB", "jobs", "jobs/s"],
            [
                [
                    f"`{shown}`",
                    f"{len(runs)} ({len(done)})",
                    f"{wall:.1f}" if done else f"> {args.timeout:.0f}",
                    f"{statistics.median(r.cpu for r in runs):.1f}",
                    f"{max(r.peak_rss for r in runs):.0f}",
                    f"{done[-1].jobs:,}" if done else "-",
                    f"{done[-1].jobs / done[-1].wall:.0f}" if done else "-",
                ]
            ],
        )
    )
    verdict = "met" if done and wall <= 60 else "MISSED"
    shown_wall = f"{wall:.1f} s" if done else f"> {args.timeout:.0f} s, not finished"
    print(f"\ntarget ≤ 60 s wall: {verdict} ({shown_wall})")
    if args.breakdown_days and args.breakdown_clients:
        _common.quiet_logs()
        found = asyncio.run(breakdown(args.breakdown_days, args.breakdown_clients))
        jobs = max(found.jobs, 1)
        total = sum(found.by_kind.values())
        print(
            f"\nwhere the database round trips go (in-process run, --days {args.breakdown_days} --clients "
            f"{args.breakdown_clients}: {found.wall:.1f} s, {jobs:,} jobs, {jobs / found.wall:.0f} jobs/s, "
            f"{total:,} statements = {total / jobs:.1f} per job; by kind "
            + ", ".join(f"{k} {v / jobs:.1f}" for k, v in sorted(found.by_kind.items()))
            + "):"
        )
        for text, count in found.top:
            print(f"  {count / jobs:6.2f}/job  {text}")
        if args.compare_edits:
            with indexed_edits():
                indexed = asyncio.run(breakdown(args.breakdown_days, args.breakdown_clients))
            print(
                f"\nsame run with RecordingTransport.edit_message indexed by message id: "
                f"{indexed.wall:.1f} s ({indexed.jobs:,} jobs, {indexed.jobs / indexed.wall:.0f} jobs/s) "
                f"against {found.wall:.1f} s"
            )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=480.0, help="seconds before a run is interrupted")
    parser.add_argument(
        "--profile", action="store_true", help="run under cProfile and print the top functions"
    )
    parser.add_argument(
        "--breakdown-days",
        type=int,
        default=3,
        help="days of an in-process run counting statements (0: skip)",
    )
    parser.add_argument("--breakdown-clients", type=int, default=200)
    parser.add_argument(
        "--compare-edits",
        action="store_true",
        help="repeat the in-process run with RecordingTransport.edit_message indexed (proposed fix)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
