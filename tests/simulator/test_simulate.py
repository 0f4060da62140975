"""`python -m bot simulate`: the README's main job, run as a real process on embedded PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.domain import timezones
from bot.simulator.simulate import parse_down

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DISCORD_TOKEN")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "simulate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_simulate_with_roster_downtime_and_events(tmp_path: Path) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(
        "- {user_id: 1, display_name: kat, timezone: Asia/Kathmandu, start_date: 2026-03-26}\n"
        "- {user_id: 2, display_name: ny, timezone: America/New_York, start_date: 2026-03-26}\n"
        "- {user_id: 3, display_name: resting, timezone: Europe/London, start_date: 2026-03-26,"
        " paused: true}\n"
    )
    events = tmp_path / "events.jsonl"
    # New York is -04:00: the process is away from 05:00 to 09:00 local on Friday the 27th.
    proc = run_cli(
        "--days",
        "3",
        "--start",
        "2026-03-26",
        "--roster",
        str(roster),
        "--down",
        "2026-03-27T09:00/2026-03-27T13:00",
        "--events",
        str(events),
    )
    assert proc.returncode == 0, proc.stderr
    assert "Simulating 3 day(s) from 2026-03-26 for 3 clients in 3 zones" in proc.stdout
    assert "process down 2026-03-27 09:00" in proc.stdout
    assert "training: " in proc.stdout and "sessions delivered" in proc.stdout
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert lines and all(
        set(e) == {"engine", "action", "user_id", "local_date", "due_at", "finished_at", "status", "attempts"}
        for e in lines
    )
    assert not [e for e in lines if e["user_id"] == 3], "a paused client accrued jobs"
    keys = [(e["engine"], e["action"], e["user_id"], e["local_date"]) for e in lines]
    assert len(keys) == len(set(keys)), "a (client, action, local date) ran twice"
    ny_friday = {
        f"{e['engine']}.{e['action']}": e
        for e in lines
        if e["user_id"] == 2 and e["local_date"] == "2026-03-27"
    }
    # The 05:30 check-in (deadline 12:00) goes out late when the process returns at 09:00 local.
    assert ny_friday["checkin.drop"]["status"] == "sent"
    assert ny_friday["checkin.drop"]["finished_at"].startswith("2026-03-27T13:00")
    for event in lines:
        due = dt.datetime.fromisoformat(event["due_at"])
        finished = dt.datetime.fromisoformat(event["finished_at"])
        assert finished >= due, "never early"
        tz = timezones.parse_timezone({1: "Asia/Kathmandu", 2: "America/New_York"}[event["user_id"]])
        assert due.astimezone(tz).date().isoformat() == event["local_date"]


def test_bad_roster_names_every_problem_and_runs_nothing(tmp_path: Path) -> None:
    roster = tmp_path / "roster.json"
    roster.write_text(
        json.dumps(
            [
                {"user_id": 1, "timezone": "UTC", "start_date": "2026-13-01"},
                {"user_id": -4, "timezone": "UTC", "start_date": "2026-01-01", "schedule_days": "mon,funday"},
            ]
        )
    )
    proc = run_cli("--roster", str(roster))
    assert proc.returncode == 2
    assert "[0].start_date" in proc.stderr and "[1].user_id" in proc.stderr
    assert "[1].schedule_days" in proc.stderr and "funday" in proc.stderr
    assert "Simulating" not in proc.stdout


def test_roster_with_an_invalid_timezone_is_refused_by_name(tmp_path: Path) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text("- {user_id: 1, timezone: Mars/Base, start_date: 2026-01-01}\n")
    proc = run_cli("--roster", str(roster))
    assert proc.returncode == 2
    assert "[0].timezone" in proc.stderr and "Mars/Base" in proc.stderr


@pytest.mark.parametrize("text", ["yesterday/today", "2026-03-27T09:00/2026-03-27T08:00", "2026-03-27"])
def test_bad_down_interval_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="--down"):
        parse_down(text)


def test_the_demo_roster_trains_logs_misses_and_sets_prs() -> None:
    proc = run_cli("--days", "14", "--clients", "12", "--quiet")
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("training: "))
    numbers = [int(word) for word in line.replace(",", " ").split() if word.isdigit()]
    sessions, logged, missed, prs = numbers
    assert sessions > 20 and logged > missed > 0 and prs > 0, line
    behaviour = next(x for x in proc.stdout.splitlines() if x.startswith("clients: "))
    assert "bad inputs refused" in behaviour
    # The team: three coaches share the twelve, one client moves from Sam to Jo on day 8.
    team = {x.split(":")[0]: x for x in proc.stdout.splitlines() if x.startswith("Coach ")}
    assert set(team) == {"Coach Hana", "Coach Sam", "Coach Jo"}
    clients = {name: int(line.split(": ")[1].split()[0]) for name, line in team.items()}
    assert clients == {"Coach Hana": 4, "Coach Sam": 3, "Coach Jo": 5}, team
    assert "handover: client 10001 moves from Coach Sam to Coach Jo on Thursday 02 April" in proc.stdout
    # Weekly check-ins: sent, some with photos, some answered by the coach; bad photos refused.
    weekly = next(x for x in proc.stdout.splitlines() if x.startswith("weekly check-in: "))
    counted = {
        part.split(" ", 1)[1]: int(part.split(" ", 1)[0]) for part in weekly.split(": ", 1)[1].split(", ")
    }
    assert counted["submitted"] >= counted["with photos"] > 0 and counted["photos"] >= counted["with photos"]
    assert 0 < counted["answered by a coach"] <= counted["submitted"], weekly
    assert "weekly photos sent" in behaviour
    # --quiet prints the posts a coach reads (the weekly summary), not each check-in to review.
    assert "Weekly flag scan" in proc.stdout and "Weekly check-in to review" not in proc.stdout


def test_the_same_seed_gives_the_same_run() -> None:
    """What each simulated client does comes from its own generator (client, engine, day), not
    from one shared one that concurrent drops consume in whatever order they arrive."""
    first, second = (run_cli("--days", "3", "--clients", "10", "--seed", "7") for _ in range(2))
    assert first.returncode == second.returncode == 0, first.stderr
    assert sorted(first.stdout.splitlines()) == sorted(second.stdout.splitlines())
    assert "bad inputs refused" in first.stdout or "refused" in first.stdout
