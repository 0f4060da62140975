"""The dispatcher's guarantees: crash recovery, concurrent workers, downtime, retries, failures."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import asyncpg
from doubles.recording import RecordingTransport
from helpers import add_clients, all_jobs, message_engine, profile, runtime, utc

from bot.core.clock import VirtualClock
from bot.core.delivery import RecipientUnreachable, TransientDeliveryError
from bot.core.dispatcher import Dispatcher
from bot.core.engine import ActionKind, EngineRegistry, JobContext
from bot.core.planner import Planner
from bot.db.pool import create_pool
from bot.repo import jobs as jobs_repo

PROMPT = [("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0))]
DAY = dt.date(2026, 5, 4)  # a Monday, no DST change anywhere in these zones


async def test_crashed_dispatcher_claims_are_reclaimed_and_nothing_is_sent_twice(pool, settings) -> None:
    begin = utc(2026, 5, 4, 5, 0)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(100 + i, "UTC", DAY) for i in range(6)], begin)
    hang = asyncio.Event()
    sent_before_crash: list[int] = []

    async def send_then_hang(ctx: JobContext) -> None:
        # Crash window: the DM went out but the outcome was never recorded.
        sent_before_crash.append(ctx.job.id)
        await hang.wait()

    engine = message_engine("t", PROMPT, on_run=lambda ctx: None)
    planner = Planner("t", engine.actions, dt.timedelta(hours=2))
    await planner.tick(pool, clock.now())

    # No nonce deduplication: the rescuer must find the DMs the doomed worker sent by itself.
    transport = RecordingTransport(clock, nonce_window=None)
    registry = EngineRegistry([engine])
    doomed = Dispatcher(pool, clock, registry, transport, settings, worker_id="doomed")
    original = engine.handlers["prompt"]

    async def crashing(ctx: JobContext):  # type: ignore[no-untyped-def]
        await original(ctx)
        await send_then_hang(ctx)

    engine.handlers["prompt"] = crashing
    await clock.run_until(utc(2026, 5, 4, 5, 30))
    task = asyncio.create_task(doomed.dispatch_due())
    for _ in range(200):
        if len(sent_before_crash) == 6:
            break
        await asyncio.sleep(0.01)
    task.cancel()  # the worker dies holding six claims
    assert len(sent_before_crash) == 6
    assert all(j.status == "running" for j in await all_jobs(pool))

    engine.handlers["prompt"] = original
    rescuer = Dispatcher(pool, clock, registry, transport, settings, worker_id="rescuer")
    assert await rescuer.dispatch_due() == 0  # leases still held: nothing to take yet
    clock._now += dt.timedelta(seconds=settings.lease_seconds)
    assert await rescuer.dispatch_due() == 6
    jobs = await all_jobs(pool)
    assert [j.status for j in jobs] == ["sent"] * 6
    assert all(j.attempts == 2 and j.claimed_by == "rescuer" for j in jobs)
    # The rescuer read each DM channel back, found the message by its reference, and sent
    # nothing: the recipient sees one message each.
    assert sorted(m.user_id for m in transport.messages) == [100 + i for i in range(6)]


async def test_two_dispatchers_run_every_job_exactly_once(pool, database_dsn, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    zones = ["UTC", "Asia/Kathmandu", "America/New_York", "Europe/Berlin", "Pacific/Chatham"]
    await add_clients(pool, [profile(200 + i, zones[i % 5], DAY) for i in range(40)], begin)
    engine = message_engine("t", [*PROMPT, ("close", dt.time(12), ActionKind.mark, None)])
    other_pool = await create_pool(database_dsn, max_size=8)
    try:
        first, transport = runtime(pool, clock, [engine], settings, worker_id="a")
        second, _ = runtime(other_pool, clock, [engine], settings, transport, worker_id="b", plan=False)
        counting = _AttemptCounter(transport)
        first.dispatcher.transport = counting
        second.dispatcher.transport = counting
        first.start()
        second.start()
        await clock.run_until(begin + dt.timedelta(days=3))
        await first.stop()
        await second.stop()
    finally:
        await other_pool.close()
    jobs = await all_jobs(pool)
    assert len(jobs) == 40 * 2 * 3
    assert all(j.status == "sent" and j.attempts == 1 for j in jobs)
    assert len(counting.calls) == 40 * 3  # one send per prompt job: no job ran twice
    assert len(set(counting.calls)) == len(counting.calls)


class _AttemptCounter:
    """Counts every send attempt by nonce, before any deduplication."""

    def __init__(self, inner: RecordingTransport) -> None:
        self.inner = inner
        self.calls: list[str] = []

    async def send_dm(self, user_id, channel_id, message, *, nonce):  # type: ignore[no-untyped-def]
        self.calls.append(nonce)
        await asyncio.sleep(0.001)  # let the other worker interleave
        return await self.inner.send_dm(user_id, channel_id, message, nonce=nonce)

    async def edit_message(self, channel_id, message_id, message):  # type: ignore[no-untyped-def]
        return await self.inner.edit_message(channel_id, message_id, message)

    async def post_channel(self, channel_id, message, *, nonce=None):  # type: ignore[no-untyped-def]
        return await self.inner.post_channel(channel_id, message, nonce=nonce)

    async def recent_dm(self, user_id, channel_id, since):  # type: ignore[no-untyped-def]
        return await self.inner.recent_dm(user_id, channel_id, since)

    async def recent_posts(self, channel_id, since):  # type: ignore[no-untyped-def]
        return await self.inner.recent_posts(channel_id, since)


async def test_downtime_sends_late_until_deadline_expires_after_and_always_marks(pool, settings) -> None:
    # Kathmandu is +05:45: 05:00 local = 23:15 UTC the day before; 09:00 local = 03:15 UTC.
    tz_day = DAY
    begin = utc(2026, 5, 3, 12)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(300, "Asia/Kathmandu", tz_day)], begin)
    actions = [
        ("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0)),
        ("early", dt.time(6, 0), ActionKind.drop, dt.time(8, 0)),
        ("close", dt.time(7, 0), ActionKind.mark, None),
    ]
    engine = message_engine("t", actions)
    rt, transport = runtime(pool, clock, [engine], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 3, 23, 15))  # 05:00 local: the process goes down
    await rt.stop()
    await clock.run_until(utc(2026, 5, 4, 3, 15))  # 09:00 local: back up
    rt2, _ = runtime(pool, clock, [engine], settings, transport)
    rt2.start()
    await clock.run_until(utc(2026, 5, 4, 12))
    await rt2.stop()

    jobs = {j.action: j for j in await all_jobs(pool) if j.local_date == tz_day}
    assert jobs["prompt"].status == "sent"
    assert jobs["prompt"].started_at == utc(2026, 5, 4, 3, 15)
    assert jobs["early"].status == "expired"
    assert jobs["close"].status == "sent"
    assert jobs["close"].started_at == utc(2026, 5, 4, 3, 15)
    assert [m.message.content.split(":")[0] for m in transport.to_user(300)] == ["t.prompt"]


async def test_two_transient_failures_then_success(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(400, "UTC", DAY)], begin)
    rt, transport = runtime(pool, clock, [message_engine("t", PROMPT)], settings)
    transport.fail_next(400, TransientDeliveryError("503 Service Unavailable"), times=2)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 12))
    await rt.stop()
    [job] = await all_jobs(pool)
    assert job.status == "sent" and job.attempts == 3
    times = [at for user, at in transport.attempts if user == 400]
    assert len(times) == 3
    assert all(b - a >= dt.timedelta(minutes=5) for a, b in itertools.pairwise(times))
    assert len(transport.to_user(400)) == 1


async def test_four_failures_make_a_dead_job_with_one_alert(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(401, "UTC", DAY)], begin)
    rt, transport = runtime(pool, clock, [message_engine("t", PROMPT)], settings)
    transport.fail_next(401, TransientDeliveryError("502 Bad Gateway"), times=10)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 12))
    await rt.stop()
    [job] = await all_jobs(pool)
    assert job.status == "dead" and job.attempts == 4
    assert "502" in (job.last_error or "")
    async with pool.acquire() as conn:
        alerts = await conn.fetch("SELECT * FROM alerts")
    assert len(alerts) == 1 and alerts[0]["job_id"] == job.id
    assert len([u for u, _ in transport.attempts if u == 401]) == 4


async def test_retries_never_run_past_the_deadline(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(402, "UTC", DAY)], begin)
    tight = [("prompt", dt.time(5, 30), ActionKind.drop, dt.time(5, 45))]
    rt, transport = runtime(pool, clock, [message_engine("t", tight)], settings)
    transport.fail_next(402, TransientDeliveryError("timeout"), times=10)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 12))
    await rt.stop()
    [job] = await all_jobs(pool)
    # 05:30 fails, 05:35 fails, next would be 05:45 (the deadline): give up, never past it.
    assert job.status == "dead" and job.attempts == 2
    assert all(at < utc(2026, 5, 4, 5, 45) for _, at in transport.attempts)


async def test_unreachable_client_is_not_retried_and_gets_one_card(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(403, "UTC", DAY)], begin)
    two_drops = [*PROMPT, ("meals", dt.time(5, 30), ActionKind.drop, dt.time(22, 0))]
    rt, transport = runtime(pool, clock, [message_engine("t", two_drops)], settings)
    transport.fail_next(403, RecipientUnreachable("50007 Cannot send messages to this user"), times=2)
    rt.start()
    await clock.run_until(utc(2026, 5, 6, 12))
    await rt.stop()
    jobs = await all_jobs(pool)
    first_day = [j for j in jobs if j.local_date == DAY]
    assert sorted(j.status for j in first_day) == ["failed", "failed"]
    assert all(j.attempts == 1 for j in first_day)
    later = [j for j in jobs if j.local_date > DAY]
    assert later and all(
        j.status == "skipped" and (j.result or {}).get("reason") == "unreachable" for j in later
    )
    assert len(transport.attempts) == 2
    async with pool.acquire() as conn:
        cards = await conn.fetch("SELECT * FROM job_cards WHERE kind = 'unreachable'")
        reachable = await conn.fetchval("SELECT reachable FROM client_profiles WHERE user_id = 403")
    assert len(cards) == 1 and cards[0]["user_id"] == 403
    assert reachable is False


async def test_invalid_timezone_skips_the_client_and_raises_one_card(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(500, "Mars/Olympus_Mons", DAY), profile(501, "UTC", DAY)], begin)
    rt, transport = runtime(pool, clock, [message_engine("t", PROMPT), message_engine("u", PROMPT)], settings)
    rt.start()
    await clock.run_until(begin + dt.timedelta(days=3))
    await rt.stop()
    assert not [j for j in await all_jobs(pool) if j.user_id == 500]
    assert len(transport.to_user(501)) == 6
    async with pool.acquire() as conn:
        cards = await conn.fetch("SELECT * FROM job_cards")
    assert [(c["kind"], c["user_id"]) for c in cards] == [("invalid_timezone", 500)]
    assert "Mars/Olympus_Mons" in cards[0]["summary"]


async def test_paused_at_dispatch_time_is_skipped_silently(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(600, "UTC", DAY)], begin)
    rt, transport = runtime(pool, clock, [message_engine("t", PROMPT)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 5))  # planned by now
    async with pool.acquire() as conn:
        await conn.execute("UPDATE client_profiles SET paused = true WHERE user_id = 600")
    await clock.run_until(utc(2026, 5, 4, 12))
    await rt.stop()
    [job] = await all_jobs(pool)
    assert job.status == "skipped" and job.result == {"reason": "paused"}
    assert transport.messages == []


async def test_doubled_and_late_ticks_plan_nothing_twice(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    await add_clients(pool, [profile(700 + i, "Asia/Kolkata", DAY) for i in range(5)], begin)
    planner = Planner("t", message_engine("t", PROMPT).actions, dt.timedelta(hours=2))
    first = await planner.tick(pool, utc(2026, 5, 3, 23, 0))
    again = await planner.tick(pool, utc(2026, 5, 3, 23, 0))
    late = await planner.tick(pool, utc(2026, 5, 4, 2, 0))
    assert first.planned == 5 and again.planned == 0 and late.planned == 0
    assert len(await all_jobs(pool)) == 5


async def test_a_paused_clients_late_drop_is_skipped_not_expired(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(800, "UTC", DAY, paused=True, paused_until=dt.date(2026, 5, 5))], begin)
    # Planned as if before the pause, then run after the deadline (the process was down).
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO jobs (engine, action, user_id, local_date, due_at, deadline, next_attempt_at, "
            "created_at, updated_at) VALUES ('t', 'prompt', 800, $1, $2, $3, $2, $2, $2)",
            DAY, utc(2026, 5, 4, 5, 30), utc(2026, 5, 4, 12),
        )  # fmt: skip
    clock._now = utc(2026, 5, 4, 13)
    rt, transport = runtime(pool, clock, [message_engine("t", PROMPT)], settings)
    assert await rt.dispatcher.dispatch_due() == 1
    [job] = await all_jobs(pool)
    assert job.status == "skipped" and job.result == {"reason": "paused"}
    assert transport.messages == []


async def test_a_job_whose_workers_keep_dying_is_given_up_with_one_alert(pool, settings) -> None:
    begin = utc(2026, 5, 4, 6)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(801, "UTC", DAY)], begin)
    async with pool.acquire() as conn:
        # Claimed four times already, by workers that died before recording anything.
        await conn.execute(
            "INSERT INTO jobs (engine, action, user_id, local_date, due_at, deadline, next_attempt_at, "
            "status, attempts, lease_until, claimed_by, created_at, updated_at) "
            "VALUES ('t', 'mark', 801, $1, $2, NULL, $2, 'running', 4, $2, 'gone', $2, $2)",
            DAY, utc(2026, 5, 4, 5),
        )  # fmt: skip
    rt, _ = runtime(
        pool, clock, [message_engine("t", [("mark", dt.time(5), ActionKind.mark, None)])], settings
    )
    assert await rt.dispatcher.dispatch_due() == 1
    [job] = await all_jobs(pool)
    assert job.status == "dead" and job.attempts == 5
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM alerts WHERE job_id = $1", job.id) == 1


async def test_claims_taken_while_stopping_are_handed_back_at_once(pool, settings) -> None:
    begin = utc(2026, 5, 4, 6)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(802 + i, "UTC", DAY) for i in range(3)], begin)
    planner = Planner("t", message_engine("t", PROMPT).actions, dt.timedelta(hours=2))
    await planner.tick(pool, utc(2026, 5, 4, 5))
    dispatcher = Dispatcher(
        pool, clock, EngineRegistry([message_engine("t", PROMPT)]), RecordingTransport(clock), settings
    )
    original_claim = jobs_repo.claim

    async def claim_then_sigterm(*args, **kwargs):  # type: ignore[no-untyped-def]
        claimed = await original_claim(*args, **kwargs)
        dispatcher.stop()  # SIGTERM lands while the claim query is in flight
        return claimed

    jobs_repo.claim = claim_then_sigterm  # type: ignore[assignment]
    try:
        assert await dispatcher.dispatch_due() == 0
    finally:
        jobs_repo.claim = original_claim  # type: ignore[assignment]
    jobs = await all_jobs(pool)
    assert [(j.status, j.attempts, j.claimed_by) for j in jobs] == [("pending", 0, None)] * 3


async def test_the_lease_renewal_outlives_an_error_it_did_not_expect(pool, settings, monkeypatch) -> None:
    """A deadlock (or anything not a lost database) in one renewal used to end the heartbeat for
    the rest of the cycle, and a slow send could then outlive its lease."""
    begin = utc(2026, 5, 4, 5, 30)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(450, "UTC", DAY)], begin)
    settings = settings.model_copy(update={"lease_seconds": 6})  # renewed every 2 s of real time
    release = asyncio.Event()
    engine = message_engine("t", PROMPT)
    sends = engine.handlers["prompt"]

    async def slow(ctx: JobContext):  # type: ignore[no-untyped-def]
        await release.wait()
        return await sends(ctx)

    engine.handlers["prompt"] = slow
    await Planner("t", engine.actions, dt.timedelta(hours=2)).tick(pool, utc(2026, 5, 4, 4))
    real = jobs_repo.renew
    renewals: list[str] = []

    async def renew(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not renewals:
            renewals.append("deadlock")
            raise asyncpg.DeadlockDetectedError("deadlock detected")
        renewals.append("renewed")
        return await real(*args, **kwargs)

    monkeypatch.setattr(jobs_repo, "renew", renew)
    rt, _ = runtime(pool, clock, [engine], settings, plan=False)
    rt.start()
    for _ in range(100):
        if "renewed" in renewals:
            break
        await asyncio.sleep(0.1)
    release.set()
    await rt.stop()
    assert renewals[:2] == ["deadlock", "renewed"]
    [job] = await all_jobs(pool)
    assert job.status == "sent" and job.attempts == 1
