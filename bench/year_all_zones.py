"""A simulated year over every IANA zone: one client per canonical zone (489 with this machine's
tzdata: the names with a region, without the Etc/, SystemV/ and old country aliases), with the
demo roster's mix of blocks, plans, schedules, units, pauses and late starts, through
`python -m bot simulate --roster … --quiet` (the real planner, dispatcher and engines).

Prints the wall time, the CPU time of the simulator and its embedded PostgreSQL (children of
this script), the jobs by status from the summary, and the time per simulated day.

Target (issue 11): a year in ≤ 10 min.

    .venv/bin/python bench/year_all_zones.py                 # 365 days from 2026-01-01
    .venv/bin/python bench/year_all_zones.py --days 30       # a month, to extrapolate
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
import zoneinfo
from pathlib import Path

import _common

from bot.simulator.roster_file import demo_roster

ALIASES = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")


def every_zone() -> list[str]:
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(ALIASES))


def write_roster(path: Path, start: dt.date, seed: int) -> int:
    zones = every_zone()
    entries = [
        {**entry.model_dump(mode="json"), "timezone": zone}
        for entry, zone in zip(demo_roster(len(zones), start, seed), zones, strict=True)
    ]
    path.write_text(json.dumps(entries), encoding="utf-8")
    return len(entries)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 1, 1))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    roster = Path(tempfile.mkdtemp(prefix="year-roster-")) / "every_zone.json"
    clients = write_roster(roster, args.start, args.seed)
    command = [
        sys.executable, "-m", "bot", "simulate", "--roster", str(roster), "--days", str(args.days),
        "--start", args.start.isoformat(), "--quiet",
    ]  # fmt: skip
    _common.print_header("A simulated year over every IANA zone")
    print(f"{clients} clients, one per zone; {args.days} days from {args.start}")
    print("runs:", " ".join(command[1:]))
    began = time.perf_counter()
    done = subprocess.run(command, cwd=_common.ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - began
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        print(done.stderr[-2000:])
        raise SystemExit(f"simulate exited {done.returncode}")
    summary = done.stdout[done.stdout.find("Summary:") :]
    print(summary)
    print(
        f"wall {wall:.1f} s · CPU of the simulator and its PostgreSQL {used.ru_utime:.1f} s user, "
        f"{used.ru_stime:.1f} s sys · {wall / args.days:.2f} s per simulated day · "
        f"a year at this pace {wall / args.days * 365 / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
