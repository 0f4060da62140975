"""The pause history: /pause and /resume write it (from the client's local today, with who and
why), the compliance outcomes mark every day it covers, and 010 migrates the clients paused
before it existed."""

from __future__ import annotations

import datetime as dt
import shutil

import asyncpg
from helpers import add_clients, profile, utc

from bot.db.migrations import SQL_DIR, migrate
from bot.domain.compliance import PAUSED, DayOutcome, paused_day
from bot.repo import clients
from bot.repo import compliance as compliance_repo
from bot.usecases import coaching

MONDAY = dt.date(2026, 5, 4)
COACH, OTHER_COACH = 900, 901


async def periods(conn: asyncpg.Connection) -> list[tuple[object, ...]]:
    rows = await conn.fetch("SELECT * FROM pause_periods ORDER BY id")
    return [
        (r["user_id"], r["paused_from"], r["paused_until"], r["reason"], r["paused_by"], r["resumed_by"])
        for r in rows
    ]


async def test_pause_extend_and_resume_write_one_period_from_the_clients_today(pool) -> None:
    # 15:00 UTC on Monday is already Tuesday in Kiritimati (+14): her pause starts on Tuesday.
    now = utc(2026, 5, 4, 15)
    await add_clients(pool, [profile(1, "Pacific/Kiritimati", MONDAY), profile(2, "UTC", MONDAY)], now)
    async with pool.acquire() as conn:
        await coaching.pause(conn, user_id=1, until="2026-05-20", reason="holiday", now=now, by=COACH)
        await coaching.pause(conn, user_id=2, until=None, reason=None, now=now, by=COACH)
        assert await periods(conn) == [
            (1, dt.date(2026, 5, 5), dt.date(2026, 5, 20), "holiday", COACH, None),
            (2, MONDAY, None, None, COACH, None),
        ]
        # Extended the next day: the same period, with its new end and reason.
        later = now + dt.timedelta(days=1)
        await coaching.pause(conn, user_id=1, until=None, reason="longer holiday", now=later, by=OTHER_COACH)
        # Resumed by hand on Thursday: Thursday is active again.
        thursday = utc(2026, 5, 7, 9)
        await coaching.resume(conn, user_id=2, now=thursday, by=OTHER_COACH)
        assert await periods(conn) == [
            (1, dt.date(2026, 5, 5), None, "longer holiday", OTHER_COACH, None),
            (2, MONDAY, dt.date(2026, 5, 7), None, COACH, OTHER_COACH),
        ]
        # Paused again and resumed the same day: on record, but it covers no day.
        await coaching.pause(conn, user_id=2, until=None, reason="sick", now=thursday, by=COACH)
        await coaching.resume(conn, user_id=2, now=thursday + dt.timedelta(hours=2), by=COACH)
        assert (await periods(conn))[-1] == (
            2,
            dt.date(2026, 5, 7),
            dt.date(2026, 5, 7),
            "sick",
            COACH,
            COACH,
        )
        assert await clients.pause_periods(conn, [1, 2], MONDAY, dt.date(2026, 6, 1)) == {
            1: [(dt.date(2026, 5, 5), None)],
            2: [(MONDAY, dt.date(2026, 5, 7))],
        }


async def test_a_pause_that_ends_by_itself_keeps_its_period(pool) -> None:
    now = utc(2026, 5, 4, 15)
    await add_clients(pool, [profile(1, "UTC", MONDAY)], now)
    async with pool.acquire() as conn:
        await coaching.pause(conn, user_id=1, until="2026-05-08", reason=None, now=now, by=COACH)
        assert await clients.end_pause(conn, 1, dt.date(2026, 5, 8), utc(2026, 5, 8, 5))
        assert await periods(conn) == [(1, MONDAY, dt.date(2026, 5, 8), None, COACH, None)]
        # Paused again later: a second period, the first one untouched.
        await coaching.pause(conn, user_id=1, until=None, reason=None, now=utc(2026, 5, 11, 9), by=COACH)
        assert len(await periods(conn)) == 2


# An engine's counting statement: one check-in due on Wednesday, not done.
WEDNESDAY_CHECKIN = """
SELECT * FROM (SELECT 1::bigint AS user_id, '2026-05-06'::date AS day, 'checkin' AS engine, 1 AS due,
                      0 AS done) s
 WHERE day >= $1 AND day < $2 {only_clients}
"""


async def test_outcomes_mark_every_paused_day_in_the_window_and_only_those(pool) -> None:
    now = utc(2026, 5, 4, 15)
    await add_clients(pool, [profile(1, "UTC", MONDAY), profile(2, "UTC", MONDAY)], now)
    async with pool.acquire() as conn:
        await coaching.pause(conn, user_id=1, until=None, reason=None, now=utc(2026, 5, 6, 13), by=COACH)
        await coaching.resume(conn, user_id=1, now=utc(2026, 5, 8, 9), by=COACH)  # Wed, Thu paused
        await coaching.pause(conn, user_id=2, until=None, reason=None, now=utc(2026, 5, 9, 9), by=COACH)
        everyone = await compliance_repo.outcomes(conn, [], MONDAY, dt.date(2026, 5, 11))
        assert everyone == {}, "no engine counts: nothing to leave out either"
        found = await compliance_repo.outcomes(conn, [WEDNESDAY_CHECKIN], MONDAY, dt.date(2026, 5, 11))
        only = await compliance_repo.outcomes(
            conn, [WEDNESDAY_CHECKIN], dt.date(2026, 5, 7), dt.date(2026, 5, 10), [2]
        )
    assert sorted(found[1], key=lambda o: (o.day, o.engine)) == [
        DayOutcome(dt.date(2026, 5, 6), "checkin", 1, 0),
        paused_day(dt.date(2026, 5, 6)),
        paused_day(dt.date(2026, 5, 7)),
    ]
    # An open pause reaches the end of the window, and no further.
    assert found[2] == [paused_day(dt.date(2026, 5, 9)), paused_day(dt.date(2026, 5, 10))]
    assert only == {2: [paused_day(dt.date(2026, 5, 9))]}
    assert all(o.paused and o.engine == PAUSED and o.due == 0 for o in found[2])


async def test_010_migrates_the_clients_paused_before_it(empty_database_dsn, tmp_path) -> None:
    before = tmp_path / "sql"
    before.mkdir()
    for path in sorted(SQL_DIR.glob("*.sql")):
        if path.name < "010":
            shutil.copy(path, before / path.name)
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        await migrate(conn, before)
        now = utc(2026, 5, 20, 12)
        await add_clients_on(conn, now)
        await conn.execute(
            "INSERT INTO daily_drops (user_id, local_date, engine, content, deadline, delivered_at,"
            " created_at) VALUES (1, '2026-05-11', 'checkin', '{}', $1, $1, $1),"
            " (1, '2026-05-12', 'checkin', '{}', $1, NULL, $1)",
            now,
        )
        await migrate(conn)
        rows = await conn.fetch(
            "SELECT user_id, paused_from, paused_until, reason, paused_by FROM pause_periods ORDER BY user_id"
        )
    finally:
        await conn.close()
    assert [tuple(r.values()) for r in rows] == [
        (1, dt.date(2026, 5, 12), dt.date(2026, 6, 1), "holiday", None),  # the day after her last drop
        (2, dt.date(2026, 5, 18), None, None, None),  # never sent anything: from her start date
    ]


async def add_clients_on(conn: asyncpg.Connection, now: dt.datetime) -> None:
    """As the profiles were before 010 (raw rows: the repo writes the columns of today)."""
    await conn.execute(
        "INSERT INTO client_profiles (user_id, timezone, start_date, paused, paused_until, pause_reason,"
        " created_at, updated_at) VALUES"
        " (1, 'UTC', '2026-05-04', true, '2026-06-01', 'holiday', $1, $1),"
        " (2, 'UTC', '2026-05-18', true, NULL, NULL, $1, $1),"
        " (3, 'UTC', '2026-05-04', false, NULL, NULL, $1, $1)",
        now,
    )
