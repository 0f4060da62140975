"""An action at each client's own local time (ActionSpec.time_field), planned like one at the
setting's: once per client and week on their weekday, at their time, across DST gaps and overlaps
and in odd offsets, never early, late after downtime only until the deadline, in a constant
number of statements however many times clients chose."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import asyncpg
import pytest
from helpers import add_clients, all_jobs, profile, runtime, utc

from bot.core.clock import VirtualClock
from bot.core.engine import ActionKind, ActionSpec, Engine, JobContext, Outcome
from bot.core.planner import Planner, PlanningPass
from bot.domain import timezones
from bot.domain.eligibility import IsWeekday
from bot.domain.models import ClientProfile
from bot.views.messages import OutgoingMessage

DEFAULT_AT = dt.time(9, 0)
DEADLINE_AT = dt.time(22, 0)


def review_engine(name: str = "r") -> Engine:
    """The weekly check-in's shape: a drop at the client's own time (review_at, else 09:00) on
    their weekday (review_weekday, else Sunday), due by 22:00 the next day; its close then."""

    async def drop(ctx: JobContext) -> Outcome:
        sent = await ctx.send_dm(OutgoingMessage(content=ctx.job.key))
        return Outcome.done(message_id=sent.message_id)

    async def close(ctx: JobContext) -> Outcome:
        return Outcome.done()

    specs = [
        ActionSpec(
            name, "drop", DEFAULT_AT, ActionKind.drop, DEADLINE_AT, deadline_days=1, time_field="review_at"
        ),
        ActionSpec(name, "close", DEADLINE_AT, ActionKind.mark, day_offset=1),
    ]
    return Engine(name, name, specs, {"drop": drop, "close": close}, applies=IsWeekday("review_weekday", 7))


def expected_drops(
    clients: list[ClientProfile], begin: dt.datetime, end: dt.datetime
) -> dict[tuple[int, dt.date], dt.datetime]:
    """From the time rules alone: each client's weekday in the window, at their own time."""
    found = {}
    for client in clients:
        tz = timezones.parse_timezone(client.timezone)
        at = client.review_at or DEFAULT_AT
        day = begin.date() - dt.timedelta(days=1)
        while day <= end.date() + dt.timedelta(days=1):
            if day.isoweekday() == (client.review_weekday or 7):
                due = timezones.due_instant(tz, day, at)
                if begin <= due < end:
                    found[(client.user_id, day)] = due
            day += dt.timedelta(days=1)
    return found


# London springs forward on Sunday 29 March (01:00-02:00 does not exist) and falls back on Sunday
# 25 October (01:00-02:00 comes twice); New York on Sunday 8 March (02:00-03:00 missing) and on
# Sunday 1 November (01:00-02:00 twice).
WINDOWS = {
    "spring": (utc(2026, 3, 2), utc(2026, 3, 31)),
    "autumn": (utc(2026, 10, 19), utc(2026, 11, 3)),
}
SPOT_CHECKS = {
    # (client, local date): the UTC instant it must fire at
    "spring": {
        (1, dt.date(2026, 3, 29)): utc(2026, 3, 29, 1, 0),  # 01:30 skipped: 02:00 BST, the gap's end
        (2, dt.date(2026, 3, 8)): utc(2026, 3, 8, 7, 0),  # 02:30 skipped: 03:00 EDT
        (3, dt.date(2026, 3, 29)): utc(2026, 3, 29, 8, 0),  # the setting, 09:00 BST
    },
    "autumn": {
        (1, dt.date(2026, 10, 25)): utc(2026, 10, 25, 0, 30),  # 01:30 twice: the first, BST
        (4, dt.date(2026, 11, 1)): utc(2026, 11, 1, 5, 30),  # 01:30 twice: the first, EDT
        (3, dt.date(2026, 10, 25)): utc(2026, 10, 25, 9, 0),  # 09:00 GMT
    },
}


@pytest.mark.parametrize("window", list(WINDOWS))
async def test_own_times_fire_once_a_week_at_their_local_time_across_dst(pool, settings, window) -> None:
    begin, end = WINDOWS[window]
    clients = [
        profile(1, "Europe/London", begin.date(), review_at=dt.time(1, 30)),
        profile(2, "America/New_York", begin.date(), review_at=dt.time(2, 30)),
        profile(3, "Europe/London", begin.date()),  # the setting
        profile(4, "America/New_York", begin.date(), review_at=dt.time(1, 30)),
        profile(5, "Asia/Kathmandu", begin.date(), review_at=dt.time(23, 45), review_weekday=3),
        profile(6, "-03:30", begin.date(), review_at=dt.time(6, 15), review_weekday=6),
        profile(7, "Pacific/Chatham", begin.date(), review_at=dt.time(0, 0), review_weekday=1),
        profile(8, "Europe/London", begin.date(), review_at=DEFAULT_AT),  # theirs = the setting's
    ]
    clock = VirtualClock(begin)
    await add_clients(pool, clients, begin)
    rt, transport = runtime(pool, clock, [review_engine()], settings)
    rt.start()
    await clock.run_until(end)
    await rt.stop()

    expected = expected_drops(clients, begin, end)
    drops = {
        (j.user_id, j.local_date): j for j in await all_jobs(pool) if j.action == "drop" and j.due_at < end
    }
    assert set(drops) == set(expected)
    for key, job in drops.items():
        assert job.due_at == expected[key], key
        assert job.status == "sent" and job.started_at == job.due_at, (key, job.status, job.started_at)
    for key, instant in SPOT_CHECKS[window].items():
        assert drops[key].due_at == instant, key
    # Exactly one message per check-in, and none before its local time.
    counts = Counter(m.message.content for m in transport.messages)
    assert sorted(counts.values()) == [1] * len(expected)
    assert all(m.at >= drops[(m.user_id, dt.date.fromisoformat(m.message.content.split(":")[2]))].due_at
               for m in transport.messages)  # fmt: skip
    # Every close at 22:00 local the next day, whatever time the check-in came.
    closes = [j for j in await all_jobs(pool) if j.action == "close"]
    for job in closes:
        client = next(c for c in clients if c.user_id == job.user_id)
        local = job.due_at.astimezone(timezones.parse_timezone(client.timezone))
        assert (local.date(), local.time()) == (job.local_date + dt.timedelta(days=1), DEADLINE_AT)


async def test_after_downtime_an_own_time_goes_late_until_its_deadline_then_expires(pool, settings) -> None:
    sunday = dt.date(2026, 5, 10)
    utc_client = profile(10, "UTC", sunday, review_at=dt.time(18, 0))  # due Sun 18:00 UTC
    tokyo = profile(11, "Asia/Tokyo", sunday, review_at=dt.time(18, 0))  # Sun 09:00 UTC, closes Mon 13:00 UTC
    setting = profile(12, "UTC", sunday)  # Sun 09:00 UTC
    begin = utc(2026, 5, 10, 0)
    clock = VirtualClock(begin)
    await add_clients(pool, [utc_client, tokyo, setting], begin)
    engine = review_engine()
    rt, transport = runtime(pool, clock, [engine], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 10, 8))  # the process goes down before any is due
    await rt.stop()
    await clock.run_until(utc(2026, 5, 11, 14))  # back on Monday 14:00 UTC
    rt2, _ = runtime(pool, clock, [engine], settings, transport)
    rt2.start()
    await clock.run_until(utc(2026, 5, 12, 0))
    await rt2.stop()

    drops = {j.user_id: j for j in await all_jobs(pool) if j.action == "drop"}
    assert drops[10].due_at == utc(2026, 5, 10, 18) and drops[10].status == "sent"
    assert drops[10].started_at == utc(2026, 5, 11, 14), "late, as soon as it is back"
    assert drops[11].due_at == utc(2026, 5, 10, 9) and drops[11].status == "expired"
    assert drops[12].due_at == utc(2026, 5, 10, 9) and drops[12].status == "sent"
    assert sorted(m.user_id for m in transport.messages) == [10, 12]
    closes = {j.user_id: j.status for j in await all_jobs(pool) if j.action == "close"}
    assert closes == {10: "sent", 11: "sent", 12: "sent"}


async def test_an_own_time_after_a_same_day_deadline_is_never_planned(pool, settings) -> None:
    """With the deadline the same day, a client's time at or after it has nothing to send."""

    async def drop(ctx: JobContext) -> Outcome:
        return Outcome.done()

    spec = ActionSpec("s", "drop", dt.time(9), ActionKind.drop, dt.time(12), time_field="review_at")
    engine = Engine("s", "s", [spec], {"drop": drop})
    begin = utc(2026, 5, 10)
    clock = VirtualClock(begin)
    await add_clients(
        pool,
        [profile(20, "UTC", begin.date(), review_at=dt.time(13, 0)), profile(21, "UTC", begin.date())],
        begin,
    )
    rt, _ = runtime(pool, clock, [engine], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 11))
    await rt.stop()
    assert [(j.user_id, j.due_at) for j in await all_jobs(pool)] == [(21, utc(2026, 5, 10, 9))]


async def _statements_of_a_tick(dsn: str, clients: list[ClientProfile], now: dt.datetime) -> tuple[int, int]:
    """(statements, jobs planned) of one planning pass over `clients`, on a fresh schedule."""
    texts: list[str] = []
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)  # one connection: one logger
    try:
        await add_clients(pool, clients, now - dt.timedelta(hours=1))
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM jobs; DELETE FROM planner_watermarks")
            conn.add_query_logger(lambda record: texts.append(record.query))
        engine = review_engine()
        planner = Planner(engine.name, engine.actions, dt.timedelta(hours=2), engine.applies)
        planning = PlanningPass([planner], inline_jobs=10_000)
        await planning.tick(pool, now - dt.timedelta(hours=2))  # the first: plans nothing, sets the mark
        texts.clear()
        result = await planning.tick(pool, now)
        return len(texts), result.planned
    finally:
        await pool.close()


async def test_the_planning_pass_costs_the_same_statements_however_many_own_times(database_dsn) -> None:
    """Issue 11: the statements of a tick do not grow with clients or with the times they chose."""
    now = utc(2026, 5, 10, 6)  # a Sunday: the tick plans [06:00, 08:00) UTC
    few = [profile(30 + i, "UTC", dt.date(2026, 5, 1), review_at=dt.time(6, 30)) for i in range(3)]
    many = [
        profile(100 + i, "UTC", dt.date(2026, 5, 1), review_at=dt.time(6 + i % 2, i % 60)) for i in range(300)
    ]
    statements_few, planned_few = await _statements_of_a_tick(database_dsn, few, now)
    statements_many, planned_many = await _statements_of_a_tick(database_dsn, few + many, now)
    assert (planned_few, planned_many) == (3, 303)
    assert statements_many == statements_few
