"""What coaches and clients change about a client: validation lists every problem and writes
nothing; pauses end by themselves; a timezone change never doubles or skips a day."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import add_clients, all_jobs, message_engine, profile, runtime, utc

from bot.core.clock import VirtualClock
from bot.core.engine import ActionKind
from bot.domain import timezones
from bot.domain.errors import InputError
from bot.engines import pauses
from bot.repo import clients
from bot.usecases import coaching

NOW = utc(2026, 5, 4, 15)  # Monday 15:00 UTC


async def snapshot(pool) -> list[dict]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch("SELECT * FROM client_profiles ORDER BY user_id")]


async def test_onboarding_lists_every_problem_and_writes_nothing(pool) -> None:
    given = coaching.ClientInput(
        timezone="Mars/Base",
        start_date="2026-02-30",
        block_id="nope",
        schedule_days="mon,funday",
        unit="stone",
    )
    async with pool.acquire() as conn:
        with pytest.raises(InputError) as caught:
            await coaching.onboard(conn, user_id=1, display_name="Sam", given=given, now=NOW)
    problems = caught.value.problems
    assert len(problems) == 5, problems
    assert any(p.startswith("timezone:") and "Mars/Base" in p for p in problems)
    assert any(p.startswith("start date:") and "2026-02-30" in p for p in problems)
    assert any(p.startswith("block:") and "nope" in p for p in problems)
    assert any(p.startswith("schedule days:") and "funday" in p for p in problems)
    assert any(p.startswith("unit:") and "stone" in p for p in problems)
    assert await snapshot(pool) == []


async def test_start_date_in_the_clients_past_is_refused(pool) -> None:
    # 15:00 UTC on May 4 is already May 5 in Kiritimati (+14): May 4 is in the past there.
    given = coaching.ClientInput(timezone="Pacific/Kiritimati", start_date="2026-05-04")
    async with pool.acquire() as conn:
        with pytest.raises(InputError, match="in the past"):
            await coaching.onboard(conn, user_id=1, display_name="Kiri", given=given, now=NOW)
    assert await snapshot(pool) == []


async def test_onboarding_stores_canonical_values(pool) -> None:
    given = coaching.ClientInput(
        timezone="utc+5:45", start_date="2026-05-05", schedule_days="Tue, thu", unit="LB"
    )
    async with pool.acquire() as conn:
        made = await coaching.onboard(conn, user_id=9, display_name="Ana", given=given, now=NOW)
        stored = await clients.get(conn, 9)
    assert stored == made
    assert (made.timezone, made.schedule_days, str(made.unit), made.block_id) == (
        "+05:45",
        [2, 4],
        "lb",
        None,
    )
    async with pool.acquire() as conn:
        with pytest.raises(InputError, match="already a client"):
            await coaching.onboard(conn, user_id=9, display_name="Ana", given=given, now=NOW)


async def test_pause_validation_and_unknown_client(pool) -> None:
    await add_clients(pool, [profile(5, "Europe/London", dt.date(2026, 5, 1))], NOW)
    before = await snapshot(pool)
    async with pool.acquire() as conn:
        with pytest.raises(InputError, match="not after today"):
            await coaching.pause(conn, user_id=5, until="2026-05-04", reason=None, now=NOW)
        with pytest.raises(InputError, match="YYYY-MM-DD"):
            await coaching.pause(conn, user_id=5, until="next week", reason=None, now=NOW)
        with pytest.raises(InputError, match="not a client"):
            await coaching.pause(conn, user_id=6, until=None, reason=None, now=NOW)
        with pytest.raises(InputError, match="not paused"):
            await coaching.resume(conn, user_id=5, now=NOW)
        with pytest.raises(InputError, match="no block 'x'"):
            await coaching.reassign(conn, user_id=5, block_id="x", effective=None, day_index=0, now=NOW)
        with pytest.raises(InputError, match="in the past"):
            await coaching.reassign(
                conn, user_id=5, block_id="default", effective="2026-05-01", day_index=0, now=NOW
            )
    assert await snapshot(pool) == before


async def test_reassign_takes_effect_on_the_clients_tomorrow(pool) -> None:
    await add_clients(pool, [profile(5, "Asia/Tokyo", dt.date(2026, 5, 1), block_id="default")], NOW)
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO training_blocks VALUES ('steel_block_A', 1, 'Steel A', '{}', $1, NULL)", NOW
        )
        moved = await coaching.reassign(
            conn, user_id=5, block_id="steel_block_A", effective=None, day_index=2, now=NOW
        )
    # 15:00 UTC is already May 5 in Tokyo: tomorrow there is May 6.
    assert (moved.next_block_id, moved.next_block_from, moved.next_day_index) == (
        "steel_block_A",
        dt.date(2026, 5, 6),
        2,
    )


@pytest.mark.parametrize(
    ("old", "new", "now", "effective"),
    [
        # Moving west late in the evening: tomorrow in the old zone.
        ("Asia/Tokyo", "America/Los_Angeles", utc(2026, 5, 4, 12), dt.date(2026, 5, 5)),
        # Moving east: Tokyo is already in May 5 when New York is in May 4 → May 6.
        ("America/New_York", "Asia/Tokyo", utc(2026, 5, 4, 20), dt.date(2026, 5, 6)),
    ],
)
def test_timezone_change_starts_on_a_day_not_yet_begun_in_either_zone(
    old: str, new: str, now: dt.datetime, effective: dt.date
) -> None:
    assert coaching.timezone_effective_date(old, new, now) == effective
    new_tz = timezones.parse_timezone(new)
    assert timezones.due_instant(new_tz, effective, dt.time(0)) > now


@pytest.mark.parametrize(
    ("old", "new"), [("America/New_York", "Asia/Tokyo"), ("Asia/Tokyo", "America/New_York")]
)
async def test_timezone_change_never_doubles_or_skips_an_action(pool, settings, old: str, new: str) -> None:
    start = dt.date(2026, 5, 1)
    begin = utc(2026, 5, 3)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(77, old, start)], begin)
    actions = [
        ("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0)),
        ("close", dt.time(22, 0), ActionKind.mark, None),
    ]
    rt, _ = runtime(pool, clock, [message_engine("t", actions)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 23))  # 08:00 on May 5 in Tokyo, 19:00 May 4 in New York
    async with pool.acquire() as conn:
        _, effective = await coaching.change_timezone(conn, user_id=77, zone=new, now=clock.now())
    await rt.plan_client(77)
    await clock.run_until(utc(2026, 5, 10))
    await rt.stop()
    cutoff = utc(2026, 5, 9)
    jobs = [j for j in await all_jobs(pool) if j.due_at < cutoff]
    assert all(j.status == "sent" for j in jobs)
    ran = [(j.action, j.local_date, j.due_at) for j in jobs]
    # What should have run, computed from the rule: dates before `effective` in the old zone.
    expected = set()
    for offset in range(-1, 8):
        day = dt.date(2026, 5, 3) + dt.timedelta(days=offset)
        tz = timezones.parse_timezone(new if day >= effective else old)
        for action, at, _, _ in actions:
            due = timezones.due_instant(tz, day, at)
            if begin <= due < cutoff:
                expected.add((action, day, due))
    assert len(ran) == len(set(ran)), "an action ran twice"
    assert set(ran) == expected, sorted(set(ran) ^ expected)
    days = sorted({d for _, d, _ in ran})
    assert days == [days[0] + dt.timedelta(days=i) for i in range(len(days))], "a day was skipped"


async def test_a_pause_with_an_until_date_ends_by_itself_and_tells_the_client(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(88, "Europe/Berlin", dt.date(2026, 5, 1))], begin)
    prompt = [("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0))]
    rt, transport = runtime(pool, clock, [message_engine("t", prompt), pauses.build(settings)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 10))
    async with pool.acquire() as conn:
        await coaching.pause(conn, user_id=88, until="2026-05-07", reason="holiday", now=clock.now())
    await rt.plan_client(88)
    await clock.run_until(utc(2026, 5, 9))
    await rt.stop()
    received = [(m.at, m.message.as_text().splitlines()[0]) for m in transport.to_user(88)]
    prompts = [at.date() for at, text in received if text.startswith("t.prompt")]
    assert prompts == [dt.date(2026, 5, 4), dt.date(2026, 5, 7), dt.date(2026, 5, 8)]
    welcome = [at for at, text in received if "Welcome back" in text]
    # 05:00 in Berlin (+02:00) on the until-date, before that day's 05:30 prompt.
    assert welcome == [utc(2026, 5, 7, 3)]
    async with pool.acquire() as conn:
        after = await clients.get(conn, 88)
    assert after is not None and not after.paused and after.paused_until is None
    missed_days = [j.local_date for j in await all_jobs(pool) if j.engine == "t"]
    assert dt.date(2026, 5, 5) not in missed_days and dt.date(2026, 5, 6) not in missed_days


async def test_a_second_timezone_change_waits_for_the_first_and_an_invalid_zone_is_fixed_at_once(
    pool,
) -> None:
    await add_clients(pool, [profile(1, "America/Los_Angeles", dt.date(2026, 5, 1))], NOW)
    await add_clients(pool, [profile(2, "Mars/Base", dt.date(2026, 5, 1))], NOW)
    async with pool.acquire() as conn, conn.transaction():
        await coaching.change_timezone(conn, user_id=1, zone="Europe/London", now=NOW)
    before = await snapshot(pool)
    async with pool.acquire() as conn:
        with pytest.raises(InputError, match="takes effect on 2026-05-05"):
            async with conn.transaction():
                await coaching.change_timezone(conn, user_id=1, zone="Asia/Tokyo", now=NOW)
    assert await snapshot(pool) == before
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO job_cards (kind, user_id, dedupe_key, summary, opened_at) "
            "VALUES ('invalid_timezone', 2, 'invalid_timezone:2:Mars/Base', 'bad zone', $1)",
            NOW,
        )
        fixed, effective = await coaching.change_timezone(conn, user_id=2, zone="UTC", now=NOW)
        card = await conn.fetchval("SELECT status FROM job_cards WHERE user_id = 2")
    assert (fixed.timezone, fixed.previous_timezone, fixed.timezone_effective_from) == ("UTC", None, None)
    assert effective == dt.date(2026, 5, 4) and card == "resolved"
    assert coaching.client_today(fixed, NOW) == dt.date(2026, 5, 4)


async def test_planning_one_client_waits_for_a_tick_in_progress(pool) -> None:
    """A client added while a tick is planning must not fall between the tick and plan_client."""
    import asyncio

    from helpers import message_engine

    from bot.core.planner import Planner

    prompt = [("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0))]
    planner = Planner("t", message_engine("t", prompt).actions, dt.timedelta(hours=2))
    await planner.tick(pool, utc(2026, 5, 4, 1))  # watermark 03:00
    async with pool.acquire() as tick_conn:
        tx = tick_conn.transaction()
        await tx.start()
        # A tick in progress: it holds the watermark and has not seen the new client.
        await tick_conn.fetchval(
            "SELECT planned_until FROM planner_watermarks WHERE planner = 't' FOR UPDATE"
        )
        await add_clients(pool, [profile(42, "UTC", dt.date(2026, 5, 4))], utc(2026, 5, 4, 4))
        waiting = asyncio.create_task(planner.plan_client(pool, 42, utc(2026, 5, 4, 4)))
        await asyncio.sleep(0.2)
        assert not waiting.done(), "plan_client must wait for the tick"
        await tick_conn.execute(
            "UPDATE planner_watermarks SET planned_until = $1 WHERE planner = 't'", utc(2026, 5, 4, 6)
        )
        await tx.commit()
    result = await waiting
    assert result.planned == 1  # the 05:30 prompt, inside the window the tick just claimed
    [job] = await all_jobs(pool)
    assert (job.user_id, job.due_at) == (42, utc(2026, 5, 4, 5, 30))
