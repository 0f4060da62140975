"""Planning in batches (bot.repo.batches): a zone too big for one pass is planned as one row per due
action and turned into jobs by the claim. The same jobs as planning them one by one, exactly once
with two dispatchers, on time, and nothing twice where a client's key is already taken."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from doubles.recording import RecordingTransport
from helpers import add_clients, all_jobs, message_engine, profile, runtime, utc

from bot.config import Settings
from bot.core.clock import VirtualClock
from bot.core.engine import ActionKind, ActionSpec, EngineRegistry
from bot.core.planner import PlanningPass, batch_rules, own_times, split_for_batches
from bot.core.runtime import Runtime
from bot.db.pool import create_pool
from bot.domain.errors import InputError
from bot.engines import build_registry
from bot.repo import batches
from bot.repo import jobs as jobs_repo
from bot.usecases import clients as clients_uc
from bot.usecases import erasure as erasure_uc
from bot.usecases import schedule, self_service

BEGIN = utc(2026, 5, 3)  # a Sunday
# London springs forward at 01:00 UTC on the 29th, Chatham falls back on 4 April at 14:00 UTC, and
# New York is on summer time already: a week whose local days of 23 and 25 hours the batches'
# due times must match the planner's on.
DST_WEEK = utc(2026, 3, 29)
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Europe/London"]
PROMPT = [("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0))]
LEASE = dt.timedelta(minutes=2)


def roster(count: int, begin: dt.datetime = BEGIN) -> list:  # type: ignore[type-arg]
    """Clients in five zones, ids out of order, with every condition the planner checks: paused
    until a date, not started yet, mid-change of zone, their own check-in time and weekday, plans
    or none, other training days."""
    ids = random.Random(11).sample(range(1_000, 10**12), count)
    found = []
    for i, user_id in enumerate(ids):
        extra: dict[str, object] = {
            "meal_plan_id": "m" if i % 2 == 0 else None,
            "cardio_plan_id": "c" if i % 3 == 0 else None,
            "block_id": "b" if i % 2 == 1 else None,
        }
        start = begin.date()
        match i % 7:
            case 0:
                extra |= {"paused": True, "paused_until": begin.date() + dt.timedelta(days=3)}
            case 1:
                start += dt.timedelta(days=2)
            case 2:
                extra |= {
                    "previous_timezone": ZONES[i % 5],
                    "timezone_effective_from": begin.date() + dt.timedelta(days=2),
                }
            case 3:
                extra |= {"review_at": dt.time(10, 15), "review_weekday": 3}  # after the setting's 09:00
            case 4:
                extra |= {"schedule_days": [2, 4, 6], "review_weekday": 1}
        zone = "Asia/Tokyo" if i % 7 == 2 else ZONES[i % 5]
        found.append(profile(user_id, zone, start, **extra))
    return found


def real_engines(  # type: ignore[no-untyped-def]
    settings: Settings, pool, inline_jobs: int, begin: dt.datetime = BEGIN
) -> Runtime:
    tuned = settings.model_copy(update={"planning_inline_jobs": inline_jobs})
    return Runtime(
        pool, VirtualClock(begin), build_registry(tuned), RecordingTransport(VirtualClock(begin)), tuned,
        plan=False, dispatch=False, retain=False,
    )  # fmt: skip


async def planned(pool) -> set[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT engine, action, user_id, local_date, due_at, deadline FROM jobs")
    return {tuple(r) for r in rows}


async def a_week_of_passes(
    rt: Runtime, *, hourly: bool, claim_as_due: bool = False, begin: dt.datetime = BEGIN
) -> int:
    """Every hour of a week, or its first hour and then its last (6 days 23 hours down: a catch-up);
    with `claim_as_due`, each pass followed by the claims of the batches due by then, as the
    dispatcher makes them (a client's own time planned after a batch of the setting's time fell
    due must find the batch passed them by, not their key taken)."""
    batched = 0
    for hour in range(0, 24 * 7) if hourly else (0, 24 * 7 - 1):
        now = begin + dt.timedelta(hours=hour)
        if claim_as_due:  # what fell due since the last pass, claimed before this one plans more
            await claim_every_batch(rt, step=7, now=now)
        result = await rt.planning.tick(rt.pool, now)
        batched += result.batches
    return batched


async def claim_every_batch(rt: Runtime, step: int, now: dt.datetime | None = None) -> int:
    """Claim everything the batches due by `now` (default: everything) hold, `step` jobs a claim;
    how many claims made jobs."""
    rules, times = batch_rules(list(rt.registry))
    later = now or BEGIN + dt.timedelta(days=30)  # past every test's week (May's and March's)
    claims = 0
    async with rt.pool.acquire() as conn:
        while True:
            claimed, left = await batches.claim(conn, rules, times, later, LEASE, step, "w")
            assert len(claimed) <= step
            claims += bool(claimed)
            if left is None or left > later:
                return claims


def test_a_zone_that_would_take_the_pass_past_its_budget_is_batched_whole() -> None:
    t = [utc(2026, 5, 4, h) for h in range(4)]
    rows = [
        ("a", "Big", "x", None, t[1], None, None),
        ("a", "Small", "x", None, t[0], None, None),
        ("a", "Big", "y", None, t[2], None, None),
        ("w", "Big", "review", None, t[2], None, dt.time(7, 15)),  # a client's own time
        ("a", "Later", "x", None, t[3], None, None),
    ]
    sizes = {"Big": 400, "Small": 300, "Later": 200}

    def batchable(row: tuple[object, ...]) -> bool:
        return row[6] is None

    inline, batched = split_for_batches(rows, sizes, 600, batchable)
    # Small (300) fits first; Big (2 × 400) would pass 600 and goes whole; Later (200) still fits.
    assert batched == [rows[0], rows[2]]
    assert inline == [rows[1], rows[3], rows[4]]
    assert split_for_batches(rows, sizes, 1_300, batchable) == (rows, [])
    assert split_for_batches(rows, sizes, 0, batchable) == ([rows[3]], [r for r in rows if r[6] is None])


@pytest.mark.parametrize("begin", [BEGIN, DST_WEEK], ids=["may", "dst-week"])
@pytest.mark.parametrize("hourly", [True, False], ids=["hourly", "after-downtime"])
async def test_batches_make_the_same_jobs_as_planning_each_client(
    pool, settings, hourly: bool, begin: dt.datetime
) -> None:
    clients = roster(140, begin)
    await add_clients(pool, clients, begin - dt.timedelta(days=1))
    one_by_one = real_engines(settings, pool, inline_jobs=1_000_000, begin=begin)
    await a_week_of_passes(one_by_one, hourly=True, begin=begin)
    expected = await planned(pool)
    assert len(expected) > 500
    if begin == DST_WEEK:  # the week does hold a zone's check-ins on both sides of a change of offset
        chatham = {p.user_id for p in clients if p.timezone == "Pacific/Chatham"}
        offsets = {
            due.astimezone(ZoneInfo("Pacific/Chatham")).utcoffset()
            for engine, action, user_id, _, due, _ in expected
            if (engine, action) == ("checkin", "drop") and user_id in chatham
        }
        assert len(offsets) == 2
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM jobs; DELETE FROM planner_watermarks")

    in_batches = real_engines(settings, pool, inline_jobs=0, begin=begin)
    assert await a_week_of_passes(in_batches, hourly=hourly, claim_as_due=hourly, begin=begin) > 0
    if not hourly:
        assert await planned(pool) < expected  # only clients' own times were planned one by one
    claims = await claim_every_batch(in_batches, step=7)
    assert await planned(pool) == expected
    if not hourly:
        assert claims > len(expected) // 7 // 2  # a claim's worth at a time, not a zone at once
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM job_batches") == 0
    claimed = [job for job in await all_jobs(pool) if job.status == "running"]
    assert claimed and all(job.attempts == 1 and job.claimed_by == "w" for job in claimed)


async def test_a_batch_passes_over_a_client_whose_job_is_already_planned(pool, settings) -> None:
    clients = [profile(300 + i, "UTC", BEGIN.date()) for i in range(12)]
    await add_clients(pool, clients, BEGIN)
    engine = message_engine("t", PROMPT)
    rt, _ = runtime(pool, VirtualClock(BEGIN), [engine], settings, plan=False, dispatch=False)
    rt.planning = PlanningPass(list(rt.planners.values()), inline_jobs=0)
    await rt.planning.tick(pool, utc(2026, 5, 4, 4))
    await rt.planning.tick(pool, utc(2026, 5, 4, 5))
    assert await all_jobs(pool) == []
    # The first six already have theirs (planned on their own, say after a change).
    async with pool.acquire() as conn:
        for user_id in range(300, 306):
            await conn.execute(
                "INSERT INTO jobs (engine, action, user_id, local_date, due_at, next_attempt_at,"
                " created_at, updated_at) VALUES ('t', 'prompt', $1, '2026-05-04', $2, $2, $2, $2)",
                user_id, utc(2026, 5, 4, 5, 30),
            )  # fmt: skip
        rules = {"t": engine.applies}
        claimed, left = await batches.claim(conn, rules, [], utc(2026, 5, 4, 5, 30), LEASE, 3, "w")
        # Two steps of three found only clients with a job; the third claims 306–308.
        assert [job.user_id for job, _ in claimed] == [306, 307, 308] and left == utc(2026, 5, 4, 5, 30)
        claimed, left = await batches.claim(conn, rules, [], utc(2026, 5, 4, 5, 30), LEASE, 5, "w")
        assert [job.user_id for job, _ in claimed] == [309, 310, 311] and left is None
        assert (await batches.claim(conn, rules, [], utc(2026, 5, 4, 5, 30), LEASE, 5, "w")) == ([], None)
    jobs = await all_jobs(pool)
    assert sorted(job.user_id for job in jobs) == list(range(300, 312))


async def test_a_batch_is_not_claimed_before_it_is_due(pool, settings) -> None:
    await add_clients(pool, [profile(400, "UTC", BEGIN.date())], BEGIN)
    engine = message_engine("t", PROMPT)
    rt, _ = runtime(pool, VirtualClock(BEGIN), [engine], settings, plan=False, dispatch=False)
    rt.planning = PlanningPass(list(rt.planners.values()), inline_jobs=0)
    await rt.planning.tick(pool, utc(2026, 5, 4, 3))  # the first: [03:00, 05:00), nothing due
    result = await rt.planning.tick(pool, utc(2026, 5, 4, 4))
    assert (result.planned, result.batches, result.earliest) == (0, 1, utc(2026, 5, 4, 5, 30))
    async with pool.acquire() as conn:
        early = await batches.claim(conn, {"t": engine.applies}, [], utc(2026, 5, 4, 5, 29), LEASE, 5, "w")
        assert early == ([], utc(2026, 5, 4, 5, 30))
        assert await batches.earliest(conn, ["t"]) == utc(2026, 5, 4, 5, 30)
        assert await batches.earliest(conn, ["other"]) is None  # another process's engine


async def test_two_dispatchers_send_a_batched_zone_exactly_once_and_on_time(
    pool, database_dsn, settings
) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(500 + i, ZONES[i % 2], begin.date()) for i in range(60)], begin)
    engine = message_engine("t", [*PROMPT, ("close", dt.time(12), ActionKind.mark, None)])
    tuned = settings.model_copy(update={"planning_inline_jobs": 0, "claim_batch_size": 4})
    other_pool = await create_pool(database_dsn, max_size=8)
    try:
        first, transport = runtime(pool, clock, [engine], tuned, worker_id="a")
        second, _ = runtime(other_pool, clock, [engine], tuned, transport, worker_id="b", plan=False)
        first.start()
        second.start()
        await clock.run_until(begin + dt.timedelta(days=2))
        await first.stop()
        await second.stop()
    finally:
        await other_pool.close()
    jobs = await all_jobs(pool)
    assert len(jobs) == 60 * 2 * 2
    assert all(j.status == "sent" and j.attempts == 1 for j in jobs)
    assert {j.claimed_by for j in jobs} == {"a", "b"}
    sends = [(m.user_id, m.at.date()) for m in transport.messages]
    assert len(sends) == len(set(sends)) == 60 * 2  # a prompt a client a day, none twice
    prompts = {(j.user_id, j.local_date): j.due_at for j in jobs if j.action == "prompt"}
    assert len(prompts) == 120
    # Sent at their time: the dispatcher woke for the batch, not at the next pass or a minute late.
    lateness = [(j.started_at - j.due_at).total_seconds() for j in jobs if j.action == "prompt"]
    assert max(lateness) < 1.0
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM job_batches") == 0


async def test_the_wake_up_names_the_earliest_batch(pool) -> None:
    async with pool.acquire() as conn:
        assert await jobs_repo.next_wakeup(conn, ["t"]) == (None, None)
        await batches.add(conn, [("t", "UTC", "prompt", BEGIN.date(), BEGIN, None, None)], BEGIN)
        assert await jobs_repo.next_wakeup(conn, ["t"]) == (None, BEGIN)
        assert await jobs_repo.next_wakeup(conn, ["u"]) == (None, None)


def test_registry_engines_are_what_the_dispatcher_knows(settings) -> None:  # type: ignore[no-untyped-def]
    registry: EngineRegistry = build_registry(settings)
    weekly = [own for engine in registry for own in own_times(engine.name, engine.actions)]
    assert [(own.engine, own.field) for own in weekly] == [("weekly", "review_at")]


async def test_a_client_card_lists_the_runs_still_in_a_batch(pool, settings) -> None:
    await add_clients(pool, [profile(700 + i, "UTC", BEGIN.date()) for i in range(3)], BEGIN)
    engine = message_engine("t", PROMPT)
    rt, _ = runtime(pool, VirtualClock(BEGIN), [engine], settings, plan=False, dispatch=False)
    rt.planning = PlanningPass(list(rt.planners.values()), inline_jobs=0)
    await rt.planning.tick(pool, utc(2026, 5, 4, 3))
    await rt.planning.tick(pool, utc(2026, 5, 4, 4))
    due = utc(2026, 5, 4, 5, 30)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE client_profiles SET paused = true WHERE user_id = 702")
        runs = await clients_uc.next_runs(conn, rt.registry, 701)
        assert [(j.engine, j.action, j.due_at) for j in runs] == [("t", "prompt", due)]
        assert await clients_uc.next_runs(conn, rt.registry, 702) == []  # paused: the batch passes them by
        claimed, _ = await batches.claim(conn, {"t": engine.applies}, [], due, LEASE, 1, "w")
        assert [job.user_id for job, _ in claimed] == [700]
        assert await clients_uc.next_runs(conn, rt.registry, 700) == []  # theirs is running now
        assert len(await clients_uc.next_runs(conn, rt.registry, 701)) == 1


async def test_a_dispatcher_started_after_a_batch_fell_due_sends_it_at_once(pool, settings) -> None:
    """A restart: the batch was planned by a process before this one and is due already."""
    await add_clients(pool, [profile(800 + i, "UTC", BEGIN.date()) for i in range(5)], BEGIN)
    engine = message_engine("t", PROMPT)
    tuned = settings.model_copy(update={"planning_inline_jobs": 0})
    planning, _ = runtime(pool, VirtualClock(BEGIN), [engine], tuned, plan=False, dispatch=False)
    await planning.planning.tick(pool, utc(2026, 5, 4, 3))
    await planning.planning.tick(pool, utc(2026, 5, 4, 4))
    restart = utc(2026, 5, 4, 5, 40)
    clock = VirtualClock(restart)
    rt, transport = runtime(pool, clock, [engine], tuned, plan=False)
    rt.start()
    await clock.run_until(restart + dt.timedelta(minutes=5))
    await rt.stop()
    assert sorted(m.user_id for m in transport.messages) == list(range(800, 805))
    assert {m.at for m in transport.messages} == {restart}  # not a second, or a sleep, later


async def test_a_batch_goes_out_in_due_order_with_the_jobs_around_it(pool, settings) -> None:
    """After downtime: London's batch (due 04:30 UTC) before UTC's jobs (05:30), as if it were
    its jobs; the review found the jobs first, whatever their time."""
    london = [profile(900 + i, "Europe/London", BEGIN.date()) for i in range(6)]
    utc_zone = [profile(990 + i, "UTC", BEGIN.date()) for i in range(2)]
    await add_clients(pool, [*london, *utc_zone], BEGIN)
    engine = message_engine("t", PROMPT)
    tuned = settings.model_copy(
        update={"planning_inline_jobs": 2, "claim_batch_size": 2, "dispatch_concurrency": 1}
    )
    planning, _ = runtime(pool, VirtualClock(BEGIN), [engine], tuned, plan=False, dispatch=False)
    await planning.planning.tick(pool, utc(2026, 5, 4, 2))
    await planning.planning.tick(pool, utc(2026, 5, 4, 4))
    async with pool.acquire() as conn:
        assert await batches.waiting(conn) == 1  # London's; UTC's two are jobs
    clock = VirtualClock(utc(2026, 5, 4, 6))
    rt, transport = runtime(pool, clock, [engine], tuned, plan=False)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 6, 5))
    await rt.stop()
    assert [m.user_id for m in transport.messages] == [*range(900, 906), 990, 991]


async def batch_of(pool, settings, users: list[int]) -> Runtime:  # type: ignore[no-untyped-def]
    """UTC clients `users`, and their 05:30 prompt planned as a batch (by 04:00)."""
    await add_clients(pool, [profile(u, "UTC", BEGIN.date()) for u in users], BEGIN)
    engine = message_engine("t", PROMPT)
    rt, _ = runtime(pool, VirtualClock(BEGIN), [engine], settings, plan=False, dispatch=False)
    rt.planning = PlanningPass(list(rt.planners.values()), inline_jobs=0)
    await rt.planning.tick(pool, utc(2026, 5, 4, 3))
    await rt.planning.tick(pool, utc(2026, 5, 4, 4))
    return rt


async def test_a_batch_takes_the_clients_there_were_when_it_fell_due(pool, settings) -> None:
    rt = await batch_of(pool, settings, [1000, 1002])
    # Joined at 05:00, after the pass that planned the batch and before it fell due, and not
    # planned on their own (the pass of a catch-up still going, say): the batch takes them.
    await add_clients(pool, [profile(1003, "UTC", BEGIN.date())], utc(2026, 5, 4, 5))
    # Joined at 05:45, the batch due since 05:30: the pass would not have planned them, nor does
    # planning them on their own from now (plan_client), so neither does the batch.
    await add_clients(pool, [profile(1001, "UTC", BEGIN.date())], utc(2026, 5, 4, 5, 45))
    await rt.clock.run_until(utc(2026, 5, 4, 5, 45))
    assert await rt.plan_client(1001) == 0
    rules, times = batch_rules(list(rt.registry))
    async with pool.acquire() as conn:
        claimed, left = await batches.claim(conn, rules, times, utc(2026, 5, 4, 5, 50), LEASE, 10, "w")
    assert [job.user_id for job, _ in claimed] == [1000, 1002, 1003] and left is None


async def test_today_lists_the_drops_still_in_a_batch(pool, settings) -> None:
    rt = await batch_of(pool, settings, [1100])
    shown = await self_service.today(pool, rt.registry, VirtualClock(utc(2026, 5, 4, 5)), 1100)
    assert [(job.engine, job.action, job.due_at) for job in shown.jobs] == [
        ("t", "prompt", utc(2026, 5, 4, 5, 30))
    ]


async def test_an_erasure_waits_for_a_claim_under_way_and_leaves_no_job(pool, settings) -> None:
    rt = await batch_of(pool, settings, [1200, 1201, 1202, 1203])
    rules, times = batch_rules(list(rt.registry))
    due = utc(2026, 5, 4, 5, 30)
    claiming = await pool.acquire()
    try:
        under_way = claiming.transaction()
        await under_way.start()
        claimed, _ = await batches.claim(claiming, rules, times, due, LEASE, 2, "w")
        assert [job.user_id for job, _ in claimed] == [1200, 1201]
        erasing = asyncio.create_task(
            erasure_uc.delete_client(
                pool, RecordingTransport(rt.clock), rt.clock, user_id=1203, typed_name="1203"
            )
        )
        await asyncio.sleep(0.3)
        assert not erasing.done()  # it waits for the claim under way
        await under_way.commit()
        await asyncio.wait_for(erasing, 5)
        claimed, left = await batches.claim(claiming, rules, times, due, LEASE, 10, "w")
        assert [job.user_id for job, _ in claimed] == [1202] and left is None
    finally:
        await pool.release(claiming)
    assert sorted(job.user_id for job in await all_jobs(pool)) == [1200, 1201, 1202]


async def test_a_trigger_before_the_batch_takes_the_clients_run_and_the_batch_passes_them_by(
    pool, settings, monkeypatch
) -> None:
    rt = await batch_of(pool, settings, [1300, 1301, 1302])
    registry = EngineRegistry([dataclasses.replace(rt.registry.get("t"), triggerable=("prompt",))])
    async with pool.acquire() as conn:
        sent = await schedule.trigger(
            conn,
            registry,
            user_id=1300,
            action="t.prompt",
            force=False,
            requested_by=9,
            now=utc(2026, 5, 4, 5),
        )
        assert sent.local_date == dt.date(2026, 5, 4)
        # 1301's run is made by a claim between the trigger's read and its insert: read again,
        # it went out already.
        rules, times = batch_rules(list(rt.registry))
        real = jobs_repo.runs_of
        calls = 0

        async def stale_once(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            if calls == 1:
                claimed, _ = await batches.claim(conn, rules, times, utc(2026, 5, 4, 5, 30), LEASE, 1, "w")
                assert [job.user_id for job, _ in claimed] == [1301]
                return []
            return await real(*args, **kwargs)

        monkeypatch.setattr(jobs_repo, "runs_of", stale_once)
        with pytest.raises(InputError, match="already went out"):
            await schedule.trigger(
                conn, registry, user_id=1301, action="t.prompt", force=False, requested_by=9,
                now=utc(2026, 5, 4, 5, 30),
            )  # fmt: skip
        monkeypatch.setattr(jobs_repo, "runs_of", real)
        claimed, left = await batches.claim(conn, rules, times, utc(2026, 5, 4, 5, 30), LEASE, 10, "w")
        assert [job.user_id for job, _ in claimed] == [1302] and left is None
    runs = sorted((job.user_id, job.seq, job.manual) for job in await all_jobs(pool))
    assert runs == [(1300, 0, True), (1301, 0, False), (1302, 0, False)]  # one run each


async def test_a_batch_that_cannot_be_claimed_does_not_hold_up_the_jobs_after_it(
    pool, settings, monkeypatch
) -> None:
    london = [profile(1400 + i, "Europe/London", BEGIN.date()) for i in range(6)]
    await add_clients(pool, [*london, profile(1490, "UTC", BEGIN.date())], BEGIN)
    engine = message_engine("t", PROMPT)
    tuned = settings.model_copy(update={"planning_inline_jobs": 1})
    planning, _ = runtime(pool, VirtualClock(BEGIN), [engine], tuned, plan=False, dispatch=False)
    await planning.planning.tick(pool, utc(2026, 5, 4, 2))
    await planning.planning.tick(pool, utc(2026, 5, 4, 4))

    async def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a rule this process cannot run")

    monkeypatch.setattr(batches, "claim", broken)
    clock = VirtualClock(utc(2026, 5, 4, 6))
    rt, transport = runtime(pool, clock, [engine], tuned, plan=False)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 6, 5))
    await rt.stop()
    assert [m.user_id for m in transport.messages] == [1490]  # London's batch waits, logged
    async with pool.acquire() as conn:
        assert await batches.waiting(conn) == 1


async def test_a_batch_at_the_setting_time_keeps_it_when_the_setting_changes(pool, settings) -> None:
    """A batch of clients' own times is the setting's time when it was planned (09:00): a process
    whose setting is now 10:00 still takes the clients who set none, and those who set 09:00."""
    spec = ActionSpec("w", "drop", dt.time(9), ActionKind.drop, dt.time(22), time_field="review_at")
    engine = dataclasses.replace(
        message_engine("w", [("drop", dt.time(9), ActionKind.drop, None)]), actions=[spec]
    )
    await add_clients(
        pool,
        [
            profile(1500, "UTC", BEGIN.date()),
            profile(1501, "UTC", BEGIN.date(), review_at=dt.time(9)),
            profile(1502, "UTC", BEGIN.date(), review_at=dt.time(10)),
        ],
        BEGIN,
    )
    rt, _ = runtime(pool, VirtualClock(BEGIN), [engine], settings, plan=False, dispatch=False)
    rt.planning = PlanningPass(list(rt.planners.values()), inline_jobs=0)
    await rt.planning.tick(pool, utc(2026, 5, 4, 7))
    await rt.planning.tick(pool, utc(2026, 5, 4, 8))  # plans [09:00, 10:00): the 09:00 batch
    later = [jobs_repo.OwnTime("w", "drop", "review_at", dt.time(10))]  # REVIEW_AT=10:00 now
    async with pool.acquire() as conn:
        claimed, _ = await batches.claim(
            conn, {"w": engine.applies}, later, utc(2026, 5, 4, 9), LEASE, 10, "w"
        )
    assert [job.user_id for job, _ in claimed] == [1500, 1501]


async def test_a_claim_mid_cycle_finds_a_batch_another_process_planned(pool, settings) -> None:
    engine = message_engine("t", PROMPT)
    clock = VirtualClock(utc(2026, 5, 4, 5, 29))
    await add_clients(pool, [profile(1600 + i, "UTC", BEGIN.date()) for i in range(3)], BEGIN)
    rt, _ = runtime(pool, clock, [engine], settings, plan=False, dispatch=False)
    await rt.dispatcher._next_wakeup()  # the loop's look at a wake-up: no batch yet
    other, _ = runtime(pool, VirtualClock(BEGIN), [engine], settings, plan=False, dispatch=False)
    other.planning = PlanningPass(list(other.planners.values()), inline_jobs=0)
    await other.planning.tick(pool, utc(2026, 5, 4, 3))
    await other.planning.tick(pool, utc(2026, 5, 4, 4))  # another process: the 05:30 batch
    await clock.run_until(utc(2026, 5, 4, 5, 30))  # a minute on, in the same cycle
    assert await rt.dispatcher.dispatch_due() == 3


async def test_a_trigger_that_loses_its_pending_run_to_a_claim_does_not_add_a_second(
    pool, settings, monkeypatch
) -> None:
    engine = dataclasses.replace(message_engine("t", PROMPT), triggerable=("prompt",))
    await add_clients(pool, [profile(1700, "UTC", BEGIN.date())], BEGIN)
    rt, _ = runtime(pool, VirtualClock(BEGIN), [engine], settings, plan=False, dispatch=False)
    await rt.planning.tick(pool, utc(2026, 5, 4, 3))
    await rt.planning.tick(pool, utc(2026, 5, 4, 4))  # 1700's 05:30 prompt, a pending job
    real = jobs_repo.move_up

    async def claimed_first(conn, job_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        await jobs_repo.claim(conn, utc(2026, 5, 4, 5, 30), LEASE, 1, "w")  # a dispatcher wins
        return await real(conn, job_id, *args, **kwargs)

    monkeypatch.setattr(jobs_repo, "move_up", claimed_first)
    async with pool.acquire() as conn:
        with pytest.raises(InputError, match="already went out"):
            await schedule.trigger(
                conn, rt.registry, user_id=1700, action="t.prompt", force=False, requested_by=9,
                now=utc(2026, 5, 4, 5, 30),
            )  # fmt: skip
    assert [(job.seq, job.status) for job in await all_jobs(pool)] == [(0, "running")]


async def test_a_trigger_that_another_coachs_run_beats_is_refused(pool, settings, monkeypatch) -> None:
    rt = await batch_of(pool, settings, [1800])
    registry = EngineRegistry([dataclasses.replace(rt.registry.get("t"), triggerable=("prompt",))])
    real = jobs_repo.runs_of
    calls = 0

    async def another_coach_first(conn, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:  # the other coach's /trigger commits between this one's read and write
            await jobs_repo.add_manual(
                conn, "t", "prompt", 1800, dt.date(2026, 5, 4), 0, utc(2026, 5, 4, 5), None, 8
            )
            return []
        return await real(conn, *args, **kwargs)

    monkeypatch.setattr(jobs_repo, "runs_of", another_coach_first)
    async with pool.acquire() as conn:
        with pytest.raises(InputError, match="Another coach has just sent"):
            await schedule.trigger(
                conn, registry, user_id=1800, action="t.prompt", force=False, requested_by=9,
                now=utc(2026, 5, 4, 5),
            )  # fmt: skip
    assert [(job.seq, job.requested_by) for job in await all_jobs(pool)] == [(0, 8)]
