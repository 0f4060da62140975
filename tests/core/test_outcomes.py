"""The dispatcher's group commit: outcomes that finish together are one statement, each still
fenced by its own attempt and worker, and a failed write is each job's failure."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import pytest
from doubles.recording import RecordingTransport
from helpers import add_clients, all_jobs, message_engine, profile, runtime, statement_logging_pool, utc

from bot.core.clock import VirtualClock
from bot.core.dispatcher import Dispatcher
from bot.core.engine import ActionKind, EngineRegistry
from bot.core.outcomes import OutcomeWriter
from bot.core.planner import Planner
from bot.db.pool import create_pool
from bot.domain.models import JobStatus
from bot.repo import jobs as jobs_repo

PROMPT = [("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0))]
DAY = dt.date(2026, 5, 4)
NOW = utc(2026, 5, 4, 5, 30)


async def claimed(pool, count: int) -> list:  # type: ignore[no-untyped-def]
    await add_clients(pool, [profile(300 + i, "UTC", DAY) for i in range(count)], NOW)
    await Planner("t", message_engine("t", PROMPT).actions, dt.timedelta(hours=2)).tick(
        pool, utc(2026, 5, 4, 4)
    )
    async with pool.acquire() as conn:
        return [job for job, _ in await jobs_repo.claim(conn, NOW, dt.timedelta(minutes=2), count, "w")]


async def test_outcomes_finishing_together_are_one_statement_each_fenced(pool) -> None:
    jobs = await claimed(pool, 5)
    async with pool.acquire() as conn:  # the last job's lease ran out and another worker took it
        await conn.execute(
            "UPDATE jobs SET claimed_by = 'other', attempts = attempts + 1 WHERE id = $1", jobs[-1].id
        )
    writer = OutcomeWriter(pool, VirtualClock(NOW))
    held = await asyncio.gather(
        *(writer.record(jobs_repo.Outcome(job, JobStatus.sent, {"n": i}, None)) for i, job in enumerate(jobs))
    )
    assert held == [True, True, True, True, False]
    assert (writer.batches, writer.written) == (1, 5)
    by_id = {j.id: j for j in await all_jobs(pool)}
    assert [by_id[j.id].status for j in jobs] == ["sent"] * 4 + ["running"]
    assert [by_id[j.id].result for j in jobs[:4]] == [{"n": i} for i in range(4)]
    assert by_id[jobs[0].id].finished_at == NOW


async def test_a_failed_write_fails_each_job_of_the_batch_and_the_next_one_writes(pool, monkeypatch) -> None:
    jobs = await claimed(pool, 3)
    writer = OutcomeWriter(pool, VirtualClock(NOW))
    real = jobs_repo.finish_many

    async def lost(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    monkeypatch.setattr(jobs_repo, "finish_many", lost)
    failed = await asyncio.gather(
        *(writer.record(jobs_repo.Outcome(job, JobStatus.sent, None, None)) for job in jobs[:2]),
        return_exceptions=True,
    )
    assert all(isinstance(f, asyncpg.ConnectionDoesNotExistError) for f in failed)
    monkeypatch.setattr(jobs_repo, "finish_many", real)
    assert await writer.record(jobs_repo.Outcome(jobs[2], JobStatus.skipped, {"reason": "paused"}, None))
    statuses = {j.id: j.status for j in await all_jobs(pool)}
    assert [statuses[j.id] for j in jobs] == ["running", "running", "skipped"]


async def test_a_burst_records_its_outcomes_in_fewer_statements_than_jobs(database_dsn, settings) -> None:
    logged, texts = await statement_logging_pool(database_dsn)
    try:
        begin = utc(2026, 5, 4, 5)
        clock = VirtualClock(begin)
        users = [400 + i for i in range(40)]
        await add_clients(logged, [profile(u, "UTC", DAY) for u in users], begin)
        rt, transport = runtime(logged, clock, [message_engine("t", PROMPT)], settings)
        rt.start()
        await clock.run_until(utc(2026, 5, 4, 6))
        await rt.stop()
        sent = [j for j in await all_jobs(logged) if j.status == JobStatus.sent]
        assert sorted(j.user_id for j in sent) == users
        assert sorted(m.user_id for m in transport.messages) == users
        writes = [t for t in texts if t == jobs_repo.FINISH_MANY]
        assert 1 <= len(writes) < len(users) / 2
        assert rt.dispatcher.outcomes.written == len(users)
    finally:
        await logged.close()


@pytest.mark.parametrize("cancel_first", [True, False])
async def test_a_job_cancelled_while_its_outcome_is_written_leaves_the_batch_to_finish(
    pool, cancel_first
) -> None:
    jobs = await claimed(pool, 2)
    writer = OutcomeWriter(pool, VirtualClock(NOW))
    tasks = [
        asyncio.create_task(writer.record(jobs_repo.Outcome(j, JobStatus.sent, None, None))) for j in jobs
    ]
    await asyncio.sleep(0)
    tasks[0 if cancel_first else 1].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert sum(isinstance(r, asyncio.CancelledError) for r in results) == 1
    assert [j.status for j in await all_jobs(pool)] == ["sent", "sent"]


async def test_a_stale_attempt_in_the_same_batch_is_told_it_lost_the_job(pool) -> None:
    [job] = await claimed(pool, 1)
    async with pool.acquire() as conn:  # its lease ran out and the same worker claimed it again
        await conn.execute("UPDATE jobs SET attempts = 2 WHERE id = $1", job.id)
    again = job.model_copy(update={"attempts": 2})
    writer = OutcomeWriter(pool, VirtualClock(NOW))
    held = await asyncio.gather(
        writer.record(jobs_repo.Outcome(job, JobStatus.sent, None, None)),
        writer.record(jobs_repo.Outcome(again, JobStatus.sent, None, None)),
    )
    assert held == [False, True]


async def test_a_batch_locks_its_rows_in_id_order_so_a_lease_renewal_cannot_deadlock_it(
    pool, database_dsn
) -> None:
    low, high = await claimed(pool, 2)
    renewal = await asyncpg.connect(database_dsn)
    # The plan a large table gets (an index probe per outcome, in the batch's order), not the
    # sequential scan of this small one, which would take the rows in id order by chance.
    writing = await create_pool(database_dsn, min_size=1, max_size=1)
    async with writing.acquire() as conn:  # session settings: the pool keeps them (no reset)
        await conn.execute("SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off")
        # The running jobs' lease index, which such a plan walks, then meets the higher id first.
        await conn.execute("UPDATE jobs SET lease_until = $2 WHERE id = $1", high.id, NOW)
    later = NOW + dt.timedelta(minutes=10)
    try:
        async with renewal.transaction():  # the heartbeat holds the lower row …
            await renewal.execute("UPDATE jobs SET lease_until = $2 WHERE id = $1", low.id, later)
            writer = OutcomeWriter(writing, VirtualClock(NOW))
            batch = asyncio.gather(  # … while a batch finishing in the other order waits for it
                writer.record(jobs_repo.Outcome(high, JobStatus.sent, None, None)),
                writer.record(jobs_repo.Outcome(low, JobStatus.sent, None, None)),
            )
            await asyncio.sleep(0.3)
            # and then wants the higher one: a batch holding it now would be a deadlock
            await asyncio.wait_for(
                renewal.execute("UPDATE jobs SET lease_until = $2 WHERE id = $1", high.id, later), timeout=10
            )
        assert await asyncio.wait_for(batch, timeout=10) == [True, True]
    finally:
        await renewal.close()
        await writing.close()


async def test_shutdown_writes_the_outcomes_on_their_way_before_it_releases_the_rest(
    pool, settings, monkeypatch
) -> None:
    """A job whose DM went out and whose outcome is being written when the grace ends is not
    handed back as unfinished: the release would make it pending again, to be sent again."""
    [job] = await claimed(pool, 1)
    real = jobs_repo.finish_many

    async def slow(conn, outcomes, now):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.3)
        return await real(conn, outcomes, now)

    monkeypatch.setattr(jobs_repo, "finish_many", slow)
    clock = VirtualClock(NOW)
    dispatcher = Dispatcher(
        pool, clock, EngineRegistry([]), RecordingTransport(clock), settings, worker_id="w"
    )
    on_its_way = asyncio.create_task(
        dispatcher.outcomes.record(jobs_repo.Outcome(job, JobStatus.sent, None, None))
    )
    dispatcher._in_flight[job.id] = on_its_way  # as _run_guarded registers a running job
    await asyncio.sleep(0.05)
    await dispatcher.drain(grace_seconds=0)
    [row] = await all_jobs(pool)
    assert (row.status, row.attempts) == ("sent", 1)
