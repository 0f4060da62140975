"""daily_drops and the logs of the check-in, meals and cardio engines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.domain.models import DailyDrop

GET = "SELECT * FROM daily_drops WHERE user_id = $1 AND local_date = $2 AND engine = $3"
LOCK = GET + " FOR UPDATE"
CREATE = """
INSERT INTO daily_drops (user_id, local_date, engine, content, deadline, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, local_date, engine) DO NOTHING
RETURNING *
"""
SET_MESSAGES = "UPDATE daily_drops SET messages = $2 WHERE id = $1"
MARK_DELIVERED = "UPDATE daily_drops SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL"
CLOSE = "UPDATE daily_drops SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL"


async def get(
    conn: asyncpg.Connection, user_id: int, day: dt.date, engine: str, *, lock: bool = False
) -> DailyDrop | None:
    row = await conn.fetchrow(LOCK if lock else GET, user_id, day, engine)
    return None if row is None else DailyDrop.from_row(row)


async def create(
    conn: asyncpg.Connection,
    user_id: int,
    day: dt.date,
    engine: str,
    content: dict[str, Any],
    deadline: dt.datetime,
    now: dt.datetime,
) -> DailyDrop:
    row = await conn.fetchrow(CREATE, user_id, day, engine, content, deadline, now)
    if row is None:
        existing = await get(conn, user_id, day, engine)
        assert existing is not None
        return existing
    return DailyDrop.from_row(row)


async def set_messages(conn: asyncpg.Connection, drop_id: int, messages: list[dict[str, int]]) -> None:
    await conn.execute(SET_MESSAGES, drop_id, messages)


async def mark_delivered(conn: asyncpg.Connection, drop_id: int, now: dt.datetime) -> None:
    await conn.execute(MARK_DELIVERED, drop_id, now)


async def close(conn: asyncpg.Connection, drop_id: int, now: dt.datetime) -> None:
    await conn.execute(CLOSE, drop_id, now)


# --- check-ins ----------------------------------------------------------------------------------
CHECKIN = "SELECT * FROM checkins WHERE user_id = $1 AND date = $2"

# Fill in what this step brings (the other step's fields are kept); complete → logged + readiness.
CHECKIN_UPSERT = """
INSERT INTO checkins AS c (user_id, date, timestamp, status, bodyweight_kg, weight_entered, unit_entered,
                           sleep_hours, energy, mood, stress, soreness, note)
VALUES ($1, $2, $3, 'partial', $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (user_id, date) DO UPDATE SET
    timestamp = EXCLUDED.timestamp,
    bodyweight_kg = COALESCE(EXCLUDED.bodyweight_kg, c.bodyweight_kg),
    weight_entered = COALESCE(EXCLUDED.weight_entered, c.weight_entered),
    unit_entered = COALESCE(EXCLUDED.unit_entered, c.unit_entered),
    sleep_hours = COALESCE(EXCLUDED.sleep_hours, c.sleep_hours),
    energy = COALESCE(EXCLUDED.energy, c.energy),
    mood = COALESCE(EXCLUDED.mood, c.mood),
    stress = COALESCE(EXCLUDED.stress, c.stress),
    soreness = COALESCE(EXCLUDED.soreness, c.soreness),
    note = CASE WHEN $13 THEN EXCLUDED.note ELSE c.note END
RETURNING *
"""
CHECKIN_COMPLETE = """
UPDATE checkins SET status = 'logged',
       readiness = round((energy + mood + (6 - stress) + (6 - soreness)) / 4.0, 2)
 WHERE id = $1 AND bodyweight_kg IS NOT NULL AND sleep_hours IS NOT NULL AND energy IS NOT NULL
   AND mood IS NOT NULL AND stress IS NOT NULL AND soreness IS NOT NULL
RETURNING *
"""
# At the deadline: no check-in, or an unfinished one, is missed (its partial answers are kept).
CHECKIN_MISSED = """
INSERT INTO checkins AS c (user_id, date, timestamp, status) VALUES ($1, $2, $3, 'missed')
ON CONFLICT (user_id, date) DO UPDATE SET status = 'missed', timestamp = EXCLUDED.timestamp
 WHERE c.status = 'partial'
RETURNING id
"""


async def checkin(conn: asyncpg.Connection, user_id: int, day: dt.date) -> asyncpg.Record | None:
    return await conn.fetchrow(CHECKIN, user_id, day)


async def upsert_checkin(
    conn: asyncpg.Connection, user_id: int, day: dt.date, now: dt.datetime, values: dict[str, Any]
) -> asyncpg.Record:
    row = await conn.fetchrow(
        CHECKIN_UPSERT, user_id, day, now,
        values.get("bodyweight_kg"), values.get("weight_entered"), values.get("unit_entered"),
        values.get("sleep_hours"), values.get("energy"), values.get("mood"), values.get("stress"),
        values.get("soreness"), values.get("note"), "note" in values,
    )  # fmt: skip
    completed = await conn.fetchrow(CHECKIN_COMPLETE, row["id"])
    return completed or row


async def miss_checkin(conn: asyncpg.Connection, user_id: int, day: dt.date, now: dt.datetime) -> bool:
    return await conn.fetchval(CHECKIN_MISSED, user_id, day, now) is not None


# --- meals --------------------------------------------------------------------------------------
MEAL_ANSWER = """
INSERT INTO meal_logs (user_id, date, meal_index, meal_name, status, note, timestamp, drop_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (user_id, date, meal_index) DO UPDATE
   SET status = EXCLUDED.status, note = EXCLUDED.note, timestamp = EXCLUDED.timestamp
"""
MEALS_OF = "SELECT * FROM meal_logs WHERE drop_id = $1 ORDER BY meal_index"
MEALS_MISSED = """
INSERT INTO meal_logs (user_id, date, meal_index, meal_name, status, timestamp, drop_id)
SELECT d.user_id, d.local_date, (m.ordinality - 1)::smallint, m.meal->>'name', 'missed', $2, d.id
  FROM daily_drops d, jsonb_array_elements(d.content->'meals') WITH ORDINALITY AS m(meal, ordinality)
 WHERE d.id = $1
ON CONFLICT (user_id, date, meal_index) DO NOTHING
"""


async def answer_meal(
    conn: asyncpg.Connection,
    drop: DailyDrop,
    index: int,
    name: str,
    status: str,
    note: str | None,
    now: dt.datetime,
) -> None:
    await conn.execute(MEAL_ANSWER, drop.user_id, drop.local_date, index, name, status, note, now, drop.id)


async def meals_of(conn: asyncpg.Connection, drop_id: int) -> dict[int, asyncpg.Record]:
    return {r["meal_index"]: r for r in await conn.fetch(MEALS_OF, drop_id)}


async def miss_meals(conn: asyncpg.Connection, drop_id: int, now: dt.datetime) -> int:
    return int((await conn.execute(MEALS_MISSED, drop_id, now)).split()[-1])


# --- cardio -------------------------------------------------------------------------------------
CARDIO_LOG = """
INSERT INTO cardio_logs (user_id, date, kind, minutes, steps, avg_hr, status, timestamp, drop_id)
VALUES ($1, $2, $3, $4, $5, $6, 'logged', $7, $8)
ON CONFLICT (user_id, date) DO UPDATE
   SET minutes = EXCLUDED.minutes, steps = EXCLUDED.steps, avg_hr = EXCLUDED.avg_hr,
       status = 'logged', timestamp = EXCLUDED.timestamp
RETURNING *
"""
CARDIO_OF = "SELECT * FROM cardio_logs WHERE drop_id = $1"
CARDIO_MISSED = """
INSERT INTO cardio_logs (user_id, date, kind, status, timestamp, drop_id)
SELECT user_id, local_date, content->'session'->>'kind', 'missed', $2, id FROM daily_drops WHERE id = $1
ON CONFLICT (user_id, date) DO NOTHING
"""


async def log_cardio(
    conn: asyncpg.Connection,
    drop: DailyDrop,
    minutes: int | None,
    steps: int | None,
    avg_hr: int | None,
    now: dt.datetime,
) -> asyncpg.Record:
    kind = drop.content["session"]["kind"]
    return await conn.fetchrow(
        CARDIO_LOG, drop.user_id, drop.local_date, kind, minutes, steps, avg_hr, now, drop.id
    )


async def cardio_of(conn: asyncpg.Connection, drop_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(CARDIO_OF, drop_id)


async def miss_cardio(conn: asyncpg.Connection, drop_id: int, now: dt.datetime) -> int:
    return int((await conn.execute(CARDIO_MISSED, drop_id, now)).split()[-1])


# What a client has done on one local date, per engine: for /today and /history.
DAY_STATUS = """
SELECT
  (SELECT status FROM checkins WHERE user_id = $1 AND date = $2) AS checkin,
  (SELECT jsonb_array_length(content->'meals') FROM daily_drops
    WHERE user_id = $1 AND local_date = $2 AND engine = 'meals' AND delivered_at IS NOT NULL) AS meals_due,
  (SELECT count(*) FILTER (WHERE status <> 'missed') FROM meal_logs
    WHERE user_id = $1 AND date = $2) AS meals_done,
  (SELECT status FROM cardio_logs WHERE user_id = $1 AND date = $2) AS cardio,
  (SELECT content->'session'->>'kind' FROM daily_drops
    WHERE user_id = $1 AND local_date = $2 AND engine = 'cardio' AND delivered_at IS NOT NULL) AS cardio_due,
  (SELECT jsonb_array_length(exercises) FROM training_sessions
    WHERE user_id = $1 AND local_date = $2 AND delivered_at IS NOT NULL) AS training_due,
  (SELECT count(*) FILTER (WHERE status = 'logged') FROM training_logs WHERE user_id = $1 AND date = $2)
    AS training_done
"""

BODY_SERIES = """
SELECT date, bodyweight_kg::float AS value FROM checkins
 WHERE user_id = $1 AND bodyweight_kg IS NOT NULL ORDER BY date
"""
READINESS_SERIES = """
SELECT date, readiness::float AS value FROM checkins
 WHERE user_id = $1 AND readiness IS NOT NULL ORDER BY date
"""


async def day_status(conn: asyncpg.Connection, user_id: int, day: dt.date) -> asyncpg.Record:
    return await conn.fetchrow(DAY_STATUS, user_id, day)


async def series(conn: asyncpg.Connection, user_id: int, what: str) -> list[tuple[dt.date, float]]:
    query = BODY_SERIES if what == "bodyweight" else READINESS_SERIES
    return [(r["date"], r["value"]) for r in await conn.fetch(query, user_id)]
