"""/schedule history says how far back it reaches (JOB_RETENTION_DAYS), and what it lists agrees
with what the retention pass keeps."""

from __future__ import annotations

import datetime as dt

from helpers import add_clients, profile, runtime, utc

from bot.config import Settings
from bot.core.clock import VirtualClock
from bot.usecases import reports as reports_uc

KIM = 7302
NOW = utc(2026, 12, 1, 15)


async def add_finished_job(pool, action: str, finished_at: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO jobs (engine, action, user_id, local_date, due_at, status, attempts, "
            "next_attempt_at, finished_at, created_at, updated_at) "
            "VALUES ('t', $1, $2, $3, $4, 'sent', 1, $4, $4, $4, $4)",
            action,
            KIM,
            finished_at.date(),
            finished_at,
        )


async def test_history_names_its_reach_and_lists_what_retention_keeps(pool) -> None:
    clock = VirtualClock(NOW)
    await add_clients(pool, [profile(KIM, "UTC", dt.date(2026, 1, 1))], NOW)
    await add_finished_job(pool, "long_ago", NOW - dt.timedelta(days=91))
    await add_finished_job(pool, "lately", NOW - dt.timedelta(days=10))

    before = await reports_uc.schedule_history(pool, clock, user_id=KIM, day=None, retention_days=90)
    assert [j["action"] for j in before.jobs] == ["lately", "long_ago"]  # not deleted yet

    settings = Settings(_env_file=None, job_retention_days=90)  # type: ignore[call-arg]
    rt, _ = runtime(pool, clock, [], settings)
    assert (await rt.retention_pass()).jobs == 1

    after = await reports_uc.schedule_history(pool, clock, user_id=KIM, day=None, retention_days=90)
    assert [j["action"] for j in after.jobs] == ["lately"]
    assert after.reach == "Jobs are kept for 90 days (since Wednesday 02 September)."
    assert after.kept_since == dt.date(2026, 9, 2)

    longer = await reports_uc.schedule_history(
        pool, clock, user_id=None, day="2026-11-21", retention_days=365
    )
    assert longer.reach == "Jobs are kept for 365 days (since Monday 01 December 2025)."  # not today
    assert [j["action"] for j in longer.jobs] == ["lately"]
