"""Retention: finished jobs (and posted alerts) older than JOB_RETENTION_DAYS go, in batches, on
the runtime's clock; pending and running jobs, recent ones and the clients' history stay."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from helpers import runtime, utc

from bot.config import COMPLIANCE_WINDOW_DAYS, ConfigError, Settings, load_settings
from bot.core.clock import VirtualClock
from bot.domain.models import JobStatus
from bot.engines import flags
from bot.repo import jobs as jobs_repo
from bot.usecases import clients as clients_uc
from bot.usecases import self_service

ROOT = Path(__file__).resolve().parents[2]
NOW = utc(2026, 12, 1, 0, 10)
CUTOFF = NOW - dt.timedelta(days=90)
OLD = CUTOFF - dt.timedelta(minutes=1)
RECENT = CUTOFF + dt.timedelta(minutes=1)
FINISHED = [s for s in JobStatus if s not in (JobStatus.pending, JobStatus.running)]
_keys = itertools.count()


def retention_settings(**values: object) -> Settings:
    return Settings(_env_file=None, dispatcher_max_sleep_seconds=3600, **values)  # type: ignore[call-arg]


async def add_job(
    conn: asyncpg.Connection, status: str, finished_at: dt.datetime | None, *, due_at: dt.datetime = OLD
) -> int:
    """A job row as the dispatcher leaves it (each with its own key)."""
    return int(
        await conn.fetchval(
            "INSERT INTO jobs (engine, action, user_id, local_date, due_at, status, attempts, "
            "next_attempt_at, lease_until, started_at, finished_at, created_at, updated_at) "
            "VALUES ('t', $1, 42, ($2::timestamptz AT TIME ZONE 'UTC')::date, $2, $3, $4, $2, $5, $6, $7, "
            "$2, $2) RETURNING id",
            f"a{next(_keys)}",
            due_at,
            status,
            0 if status == "pending" else 1,
            due_at + dt.timedelta(minutes=2) if status == "running" else None,
            None if status == "pending" else due_at,
            finished_at,
        )
    )


async def add_alert(
    conn: asyncpg.Connection, job_id: int | None, posted_at: dt.datetime | None, kind: str = "dead"
) -> int:
    return int(
        await conn.fetchval(
            "INSERT INTO alerts (kind, job_id, user_id, message, created_at, posted_at) "
            "VALUES ($1, $2, 42, 'a drop could not be delivered', $3, $4) RETURNING id",
            kind,
            job_id,
            posted_at or OLD,
            posted_at,
        )
    )


async def job_ids(pool: asyncpg.Pool) -> set[int]:
    async with pool.acquire() as conn:
        return {r["id"] for r in await conn.fetch("SELECT id FROM jobs")}


async def alerts_by_id(pool: asyncpg.Pool) -> dict[int, int | None]:
    async with pool.acquire() as conn:
        return {r["id"]: r["job_id"] for r in await conn.fetch("SELECT id, job_id FROM alerts")}


async def add_client_history(conn: asyncpg.Connection, long_ago: dt.datetime) -> None:
    """A year-old check-in, drop, meal log, training session and log: the client's history."""
    day = long_ago.date()
    await conn.execute(
        "INSERT INTO checkins (user_id, date, timestamp, status) VALUES (42, $1, $2, 'logged')", day, long_ago
    )
    drop = await conn.fetchval(
        "INSERT INTO daily_drops (user_id, local_date, engine, content, deadline, delivered_at, closed_at, "
        "created_at) VALUES (42, $1, 'x', '{}', $2, $2, $2, $2) RETURNING id",
        day,
        long_ago,
    )
    await conn.execute(
        "INSERT INTO meal_logs (user_id, date, meal_index, meal_name, status, timestamp, drop_id) "
        "VALUES (42, $1, 0, 'breakfast', 'followed', $2, $3)",
        day,
        long_ago,
        drop,
    )
    session = await conn.fetchval(
        "INSERT INTO training_sessions (user_id, local_date, block_id, block_version, day_index, day_title, "
        "exercises, deadline, delivered_at, closed_at, created_at) "
        "VALUES (42, $1, 'b', 1, 0, 'Day 1', '[]', $2, $2, $2, $2) RETURNING id",
        day,
        long_ago,
    )
    await conn.execute(
        "INSERT INTO training_logs (user_id, timestamp, date, exercise_id, exercise_name, block_id, "
        "day_index, status, session_id) VALUES (42, $1, $2, 'squat', 'Squat', 'b', 0, 'missed', $3)",
        long_ago,
        day,
        session,
    )


HISTORY_TABLES = ("checkins", "daily_drops", "meal_logs", "training_sessions", "training_logs")


async def history_counts(pool: asyncpg.Pool) -> dict[str, int]:
    async with pool.acquire() as conn:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in HISTORY_TABLES}


@pytest.mark.parametrize("batch", [1, 2, 7, 5000])
async def test_old_finished_jobs_go_and_recent_pending_and_running_ones_stay(pool, batch: int) -> None:
    async with pool.acquire() as conn:
        doomed = set()
        kept = set()
        for status in FINISHED:
            doomed |= {await add_job(conn, status, OLD - dt.timedelta(days=n)) for n in range(3)}
            kept.add(await add_job(conn, status, RECENT))
            kept.add(await add_job(conn, status, CUTOFF))  # exactly the cutoff: kept
        # A year old and never finished: still work to do, whatever its age.
        kept.add(await add_job(conn, "pending", None, due_at=OLD - dt.timedelta(days=300)))
        kept.add(await add_job(conn, "running", None, due_at=OLD - dt.timedelta(days=300)))
        # Not written by the bot today, but a job that is not finished stays even if it has an
        # old finished_at (a re-opened job): status decides, not the timestamp.
        kept.add(await add_job(conn, "pending", OLD))
        kept.add(await add_job(conn, "running", OLD))
        await add_client_history(conn, NOW - dt.timedelta(days=365))
    history_before = await history_counts(pool)

    clock = VirtualClock(NOW)
    # Enough batches for everything at batch size 1 (15 doomed jobs): this test is about the
    # WHERE clause; the cap has its own test.
    rt, _ = runtime(
        pool, clock, [], retention_settings(retention_batch_size=batch, retention_max_batches_per_run=100)
    )
    result = await rt.retention_pass()

    assert len(doomed) == 3 * len(FINISHED)
    assert result.cutoff == CUTOFF
    assert (result.jobs, result.capped) == (len(doomed), False)
    assert await job_ids(pool) == kept
    assert await history_counts(pool) == history_before
    again = await rt.retention_pass()
    assert (again.jobs, again.alerts) == (0, 0)
    assert await job_ids(pool) == kept


async def test_alerts_let_go_of_deleted_jobs_and_posted_ones_go_by_their_own_age(pool) -> None:
    async with pool.acquire() as conn:
        old_job = await add_job(conn, "dead", OLD)
        other_old_job = await add_job(conn, "dead", OLD)
        recent_job = await add_job(conn, "dead", RECENT)
        posted_long_ago = await add_alert(conn, old_job, OLD - dt.timedelta(days=1))
        posted_lately = await add_alert(conn, other_old_job, RECENT)  # the channel was set up late
        never_posted = await add_alert(conn, other_old_job, None, kind="unreachable")
        of_recent_job = await add_alert(conn, recent_job, RECENT)
        jobless_old = await add_alert(conn, None, OLD)
        jobless_unposted = await add_alert(conn, None, None)

    rt, _ = runtime(pool, VirtualClock(NOW), [], retention_settings(retention_batch_size=1))
    result = await rt.retention_pass()

    # The foreign key never blocks a delete: alerts of deleted jobs keep their text, not the job.
    assert (result.jobs, result.alerts) == (2, 2)
    assert await job_ids(pool) == {recent_job}
    assert await alerts_by_id(pool) == {
        posted_lately: None,
        never_posted: None,  # still to be posted to the coaches
        of_recent_job: recent_job,
        jobless_unposted: None,
    }
    assert posted_long_ago not in await alerts_by_id(pool) and jobless_old not in await alerts_by_id(pool)


async def test_a_run_stops_at_its_cap_and_the_next_run_carries_on(pool) -> None:
    async with pool.acquire() as conn:
        for n in range(10):
            await add_job(conn, "sent", OLD - dt.timedelta(hours=n))
        newest_old = await add_job(conn, "sent", OLD)
    settings = retention_settings(retention_batch_size=2, retention_max_batches_per_run=3)
    rt, _ = runtime(pool, VirtualClock(NOW), [], settings)

    first = await rt.retention_pass()
    assert (first.jobs, first.capped) == (6, True)
    remaining = await job_ids(pool)
    assert len(remaining) == 5 and newest_old in remaining  # oldest first
    second = await rt.retention_pass()
    assert (second.jobs, second.capped) == (5, False)
    assert await job_ids(pool) == set()


async def test_a_row_another_transaction_holds_is_skipped_not_waited_for(pool) -> None:
    async with pool.acquire() as conn:
        held = await add_job(conn, "sent", OLD)
        others = {await add_job(conn, "expired", OLD) for _ in range(4)}
    rt, _ = runtime(pool, VirtualClock(NOW), [], retention_settings(retention_batch_size=2))
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("SELECT id FROM jobs WHERE id = $1 FOR UPDATE", held)
        result = await asyncio.wait_for(rt.retention_pass(), timeout=10)
        assert result.jobs == len(others)
        assert await job_ids(pool) == {held}
    assert (await rt.retention_pass()).jobs == 1
    assert await job_ids(pool) == set()


async def test_the_loop_runs_on_its_interval_on_the_runtime_clock(pool) -> None:
    start = utc(2026, 12, 1, 0, 10)
    cutoff = start - dt.timedelta(days=90)
    async with pool.acquire() as conn:
        at_start = await add_job(conn, "sent", cutoff - dt.timedelta(minutes=1))
        at_half_past = await add_job(conn, "sent", cutoff + dt.timedelta(minutes=10))  # old from 00:20
        at_one = await add_job(conn, "sent", cutoff + dt.timedelta(minutes=25))  # old from 00:35
        kept = await add_job(conn, "sent", cutoff + dt.timedelta(hours=2))
    clock = VirtualClock(start)
    settings = retention_settings(retention_interval_minutes=30)
    rt, _ = runtime(pool, clock, [], settings, plan=False, dispatch=False)
    rt.start()
    try:
        await clock.run_until(start)  # the loop's first run, at start
        assert await job_ids(pool) == {at_half_past, at_one, kept}
        assert at_start not in await job_ids(pool)
        await clock.run_until(utc(2026, 12, 1, 0, 29))  # old since 00:20, but no run until 00:30
        assert await job_ids(pool) == {at_half_past, at_one, kept}
        await clock.run_until(utc(2026, 12, 1, 0, 30))
        assert await job_ids(pool) == {at_one, kept}
        await clock.run_until(utc(2026, 12, 1, 0, 59))
        assert await job_ids(pool) == {at_one, kept}
        await clock.run_until(utc(2026, 12, 1, 1, 0))
        assert await job_ids(pool) == {kept}
        assert rt.retention_loop.last_success == utc(2026, 12, 1, 1, 0)
        assert rt.retention_loop.failures == 0
    finally:
        await rt.stop()
    assert rt.retention_loop._supervised.task is not None and rt.retention_loop._supervised.task.done()
    await clock.run_until(utc(2026, 12, 1, 4, 0))  # stopped with the runtime: no further runs
    assert rt.retention_loop.last_success == utc(2026, 12, 1, 1, 0)


async def test_retention_can_be_left_out_of_a_runtime(pool) -> None:
    async with pool.acquire() as conn:
        old = await add_job(conn, "sent", OLD)
    clock = VirtualClock(NOW)
    rt, _ = runtime(pool, clock, [], retention_settings(), plan=False, dispatch=False, retain=False)
    rt.start()
    await clock.run_until(NOW + dt.timedelta(hours=3))
    await rt.stop()
    assert await job_ids(pool) == {old}


def test_the_settings_default_to_ninety_days_hourly_in_batches() -> None:
    settings = load_settings(_env_file=None)
    assert (
        settings.job_retention_days,
        settings.retention_batch_size,
        settings.retention_interval_minutes,
    ) == (90, 5000, 60)
    assert settings.retention_max_batches_per_run >= 1


@pytest.mark.parametrize("days", ["89", "30", "0", "-5"])
def test_a_retention_shorter_than_the_compliance_window_is_refused(monkeypatch, days: str) -> None:
    monkeypatch.setenv("JOB_RETENTION_DAYS", days)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    text = str(caught.value)
    assert "JOB_RETENTION_DAYS" in text
    assert "must be at least 90 (days): the longest compliance window is 90 days" in text
    monkeypatch.setenv("JOB_RETENTION_DAYS", "90")
    assert load_settings(_env_file=None).job_retention_days == 90
    monkeypatch.setenv("JOB_RETENTION_DAYS", "400")
    assert load_settings(_env_file=None).job_retention_days == 400


def test_bad_batch_and_interval_settings_are_refused(monkeypatch) -> None:
    monkeypatch.setenv("RETENTION_BATCH_SIZE", "0")
    monkeypatch.setenv("RETENTION_INTERVAL_MINUTES", "0")
    monkeypatch.setenv("RETENTION_MAX_BATCHES_PER_RUN", "0")
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    for field in ("RETENTION_BATCH_SIZE", "RETENTION_INTERVAL_MINUTES", "RETENTION_MAX_BATCHES_PER_RUN"):
        assert field in str(caught.value)


def test_the_bot_does_not_start_with_a_short_retention(tmp_path) -> None:
    # A real process, from a directory without a .env: the configuration is refused before
    # anything else (no database, no Discord), with the message and exit status 2.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(JOB_RETENTION_DAYS="30", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "invalid configuration" in proc.stderr
    assert "JOB_RETENTION_DAYS: Value error, must be at least 90 (days)" in proc.stderr
    assert "runtime started" not in proc.stdout + proc.stderr


def test_the_compliance_window_covers_every_window_the_bot_looks_back_over() -> None:
    # The setting's floor is the longest of them; a longer window added later must raise it.
    assert COMPLIANCE_WINDOW_DAYS == max(
        clients_uc.OVERVIEW_DAYS, self_service.STATS_DAYS, flags.HISTORY_DAYS
    )


def test_the_finished_statuses_are_every_status_but_pending_and_running() -> None:
    assert set(jobs_repo.FINISHED_STATUSES) == set(map(str, FINISHED))
    for status in jobs_repo.FINISHED_STATUSES:
        assert f"'{status}'" in jobs_repo.DELETE_FINISHED_BEFORE
    for status in ("pending", "running"):
        assert status not in jobs_repo.DELETE_FINISHED_BEFORE


async def test_the_delete_uses_indexes_in_the_generic_plan(pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO jobs (engine, action, user_id, local_date, due_at, status, attempts, "
            "next_attempt_at, finished_at, created_at, updated_at) "
            "SELECT 't', 'bulk', g, $1::date, $1, CASE WHEN g % 10 = 0 THEN 'pending' ELSE 'sent' END, "
            "1, $1, CASE WHEN g % 10 = 0 THEN NULL ELSE $1 + g * interval '1 minute' END, $1, $1 "
            "FROM generate_series(1, 20000) g",
            CUTOFF - dt.timedelta(minutes=100),  # as in steady state: the last hour or so is due
        )
        await conn.execute("ANALYZE jobs")
        # The whole statement, as asyncpg runs it after a few executions: one generic plan.
        await conn.execute(f"PREPARE purge(timestamptz, bigint) AS {jobs_repo.DELETE_FINISHED_BEFORE}")
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        cutoff = CUTOFF.isoformat()
        plan = "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN EXECUTE purge('{cutoff}', 5000)"))
    assert "Index Scan using jobs_finished on jobs" in plan, plan  # finding the batch
    assert "Index Scan using jobs_pkey on jobs" in plan, plan  # deleting it
    assert "Seq Scan on jobs" not in plan, plan
