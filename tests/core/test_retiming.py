"""A coach moves a client's weekly check-in (its time or its day) with /client edit's use case,
which plans the client again: a check-in of this week that has not begun moves to the new time,
the job at the old time never fires, nothing comes early, a new time already past goes at once
while the check-in is still open, and no client gets two check-ins in seven days."""

from __future__ import annotations

import datetime as dt

from core.test_own_times import review_engine
from helpers import add_clients, all_jobs, profile, runtime, utc

from bot.core.clock import VirtualClock
from bot.core.engine import JobContext, Outcome
from bot.domain.models import Job
from bot.repo import jobs as jobs_repo
from bot.usecases import clients as clients_uc
from bot.usecases import coaching
from bot.views.messages import OutgoingMessage

USER = 50
LONDON = "Europe/London"  # BST in May: 09:00 local = 08:00 UTC
SUNDAY = dt.date(2026, 5, 10)


def engine_with_closes():  # type: ignore[no-untyped-def]
    """review_engine, whose drop makes sure its close exists, as the drop lifecycle does."""
    engine = review_engine()

    async def drop(ctx: JobContext) -> Outcome:
        sent = await ctx.send_dm(OutgoingMessage(content=ctx.job.key))
        async with ctx.pool.acquire() as conn:
            assert ctx.job.deadline is not None
            await jobs_repo.ensure(
                conn, ctx.job.engine, "close", USER, ctx.job.local_date, ctx.job.deadline, ctx.now()
            )
        return Outcome.done(message_id=sent.message_id)

    engine.handlers["drop"] = drop
    return engine


async def started(pool, settings, begin: dt.datetime, until: dt.datetime, **client: object):  # type: ignore[no-untyped-def]
    """The runtime from `begin`, run until `until`, for one London client since 27 April."""
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(USER, LONDON, dt.date(2026, 4, 27), **client)], begin)
    rt, transport = runtime(pool, clock, [engine_with_closes()], settings)
    rt.start()
    await clock.run_until(until)
    return clock, rt, transport


async def edit(pool, clock, rt, **given: str) -> None:  # type: ignore[no-untyped-def]
    await clients_uc.edit_client(
        pool, clock, user_id=USER, given=coaching.ClientInput(**given), registry=rt.registry,
        replan=rt.plan_client,
    )  # fmt: skip


async def drops(pool) -> list[Job]:  # type: ignore[no-untyped-def]
    return [j for j in await all_jobs(pool) if j.action == "drop"]


async def skipped_on(pool, day: dt.date) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Action -> the date of the check-in that made it skip, for the jobs of `day`."""
    jobs = [j for j in await all_jobs(pool) if j.local_date == day]
    assert all(j.status == "skipped" and j.started_at is None for j in jobs), jobs
    assert all(j.result and j.result["reason"] == "one check-in a week" for j in jobs), jobs
    return {j.action: j.result["had_one_on"] for j in jobs if j.result}


def sent_at(transport) -> list[tuple[dt.datetime, str]]:  # type: ignore[no-untyped-def]
    return [(m.at, m.message.content.split(":")[2]) for m in transport.to_user(USER)]


async def test_a_later_time_moves_this_weeks_check_in_and_the_old_time_never_fires(pool, settings) -> None:
    clock, rt, transport = await started(pool, settings, utc(2026, 5, 10, 5), utc(2026, 5, 10, 7, 30))
    [planned] = [j for j in await drops(pool) if j.local_date == SUNDAY]
    assert (planned.status, planned.due_at) == ("pending", utc(2026, 5, 10, 8)), "09:00 is planned"

    await edit(pool, clock, rt, review_time="11:30")
    await clock.run_until(utc(2026, 5, 11, 23))
    await rt.stop()

    [moved] = [j for j in await drops(pool) if j.local_date == SUNDAY]
    assert moved.due_at == utc(2026, 5, 10, 10, 30) and moved.started_at == moved.due_at
    assert sent_at(transport) == [(utc(2026, 5, 10, 10, 30), "2026-05-10")], "once, at 11:30, not at 09:00"


async def test_a_time_already_past_while_the_check_in_is_open_goes_at_once(pool, settings) -> None:
    # 08:30 local, the 09:00 check-in planned; the coach moves it to 07:00.
    clock, rt, transport = await started(pool, settings, utc(2026, 5, 10, 5), utc(2026, 5, 10, 7, 30))
    await edit(pool, clock, rt, review_time="07:00")
    await clock.run_until(utc(2026, 5, 11, 23))
    await rt.stop()
    [moved] = [j for j in await drops(pool) if j.local_date == SUNDAY]
    assert moved.due_at == utc(2026, 5, 10, 6), "due at the new time"
    assert moved.started_at == utc(2026, 5, 10, 7, 30), "late, never early: at once"
    assert sent_at(transport) == [(utc(2026, 5, 10, 7, 30), "2026-05-10")]


async def test_a_time_moved_back_before_its_old_time_was_even_planned_is_not_lost(pool, settings) -> None:
    # 06:30 local; their check-in is at 11:00 (not planned yet); the coach moves it to 06:00.
    clock, rt, transport = await started(
        pool, settings, utc(2026, 5, 10, 0), utc(2026, 5, 10, 5, 30), review_at=dt.time(11, 0)
    )
    assert not [j for j in await drops(pool) if j.local_date == SUNDAY]
    await edit(pool, clock, rt, review_time="06:00")
    await clock.run_until(utc(2026, 5, 11, 23))
    await rt.stop()
    assert sent_at(transport) == [(utc(2026, 5, 10, 5, 30), "2026-05-10")]


async def test_a_check_in_delivered_this_week_never_comes_again_whatever_moves(pool, settings) -> None:
    # Sunday's check-in went out at 09:00; at 10:00 the coach moves its time, and on Monday at
    # 21:15, its close planned for 22:00, its day.
    clock, rt, transport = await started(pool, settings, utc(2026, 5, 2), utc(2026, 5, 10, 9))
    assert [day for _, day in sent_at(transport)] == ["2026-05-03", "2026-05-10"]
    await edit(pool, clock, rt, review_time="12:00")
    await clock.run_until(utc(2026, 5, 11, 20, 15))
    assert [j.status for j in await all_jobs(pool) if j.action == "close" and j.local_date == SUNDAY] == [
        "pending"
    ]
    await edit(pool, clock, rt, review_day="3")  # Wednesday: 13 May is 3 days after this one
    await clock.run_until(utc(2026, 5, 21))
    await rt.stop()

    assert sent_at(transport) == [
        (utc(2026, 5, 3, 8), "2026-05-03"),
        (utc(2026, 5, 10, 8), "2026-05-10"),
        (utc(2026, 5, 20, 11), "2026-05-20"),  # the next Wednesday, at 12:00 local
    ]
    # Wednesday 13 May is recorded as skipped, and says why.
    assert await skipped_on(pool, dt.date(2026, 5, 13)) == {"drop": "2026-05-10", "close": "2026-05-10"}
    # Sunday's check-in still closed on Monday 22:00 local, though Sunday is no longer the day.
    closes = {j.local_date: j for j in await all_jobs(pool) if j.action == "close"}
    assert closes[SUNDAY].status == "sent" and closes[SUNDAY].started_at == utc(2026, 5, 11, 21)


async def test_moving_the_day_before_the_check_in_moves_it_and_drops_the_old_days_jobs(
    pool, settings
) -> None:
    clock, rt, transport = await started(pool, settings, utc(2026, 5, 2), utc(2026, 5, 10, 7, 30))
    assert [j.status for j in await drops(pool) if j.local_date == SUNDAY] == ["pending"]
    await edit(pool, clock, rt, review_day="wednesday")
    await clock.run_until(utc(2026, 5, 15))
    await rt.stop()
    assert not [j for j in await all_jobs(pool) if j.local_date == SUNDAY], "Sunday's drop and close went"
    assert sent_at(transport) == [(utc(2026, 5, 3, 8), "2026-05-03"), (utc(2026, 5, 13, 8), "2026-05-13")]


async def test_moving_the_day_earlier_keeps_seven_days_between_check_ins(pool, settings) -> None:
    # Wednesday's check-in went out on 6 May; on Tuesday 12 May the coach moves the day to Monday:
    # Monday 11 May is still open, but five days after Wednesday's; the next is Monday 18 May.
    clock, rt, transport = await started(
        pool, settings, utc(2026, 5, 5), utc(2026, 5, 12, 9), review_weekday=3
    )
    assert [day for _, day in sent_at(transport)] == ["2026-05-06"]
    await edit(pool, clock, rt, review_day="1")
    await clock.run_until(utc(2026, 5, 19))
    await rt.stop()
    assert [day for _, day in sent_at(transport)] == ["2026-05-06", "2026-05-18"]
    assert await skipped_on(pool, dt.date(2026, 5, 11)) == {"drop": "2026-05-06", "close": "2026-05-06"}
    assert not [j for j in await all_jobs(pool) if j.local_date == dt.date(2026, 5, 13)]


async def test_a_tick_that_planned_the_new_day_before_the_replan_is_undone_by_it(pool, settings) -> None:
    # Sunday's check-in went out; the coach's change to Wednesday is committed, and a tick plans
    # Wednesday's 09:00 before the edit's replan runs (here: much later, Wednesday 08:30).
    clock, rt, transport = await started(pool, settings, utc(2026, 5, 9), utc(2026, 5, 10, 9))
    async with pool.acquire() as conn:
        await conn.execute("UPDATE client_profiles SET review_weekday = 3 WHERE user_id = $1", USER)
    await clock.run_until(utc(2026, 5, 13, 7, 30))
    [wednesday] = [j for j in await drops(pool) if j.local_date == dt.date(2026, 5, 13)]
    assert wednesday.status == "pending"
    await rt.plan_client(USER)
    await clock.run_until(utc(2026, 5, 14))
    await rt.stop()
    assert [day for _, day in sent_at(transport)] == ["2026-05-10"]
    assert await skipped_on(pool, dt.date(2026, 5, 13)) == {"drop": "2026-05-10", "close": "2026-05-10"}


async def test_a_day_moved_while_a_catch_up_is_between_its_chunks_still_keeps_seven_days(
    pool, settings
) -> None:
    """The pass catches up in chunks, each committed: between two of them the watermark lies in
    the past. A change made then still records the new day as skipped when it is within seven
    days of the check-in already sent; the chunks after it plan from the changed row."""
    clock, rt, transport = await started(pool, settings, utc(2026, 5, 2), utc(2026, 5, 11, 19))
    await rt.stop()
    assert [day for _, day in sent_at(transport)] == ["2026-05-03", "2026-05-10"]
    async with pool.acquire() as conn:  # a catch-up has planned up to Sunday noon so far
        await conn.execute("UPDATE planner_watermarks SET planned_until = $1", utc(2026, 5, 10, 11))
    await edit(pool, clock, rt, review_day="3")  # Wednesday 13 May: 3 days after Sunday's
    assert await skipped_on(pool, dt.date(2026, 5, 13)) == {"drop": "2026-05-10", "close": "2026-05-10"}
    again, transport = runtime(pool, clock, [engine_with_closes()], settings)
    again.start()
    await clock.run_until(utc(2026, 5, 21))
    await again.stop()
    assert [day for _, day in sent_at(transport)] == ["2026-05-20"]
