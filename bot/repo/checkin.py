"""checkins: the check-in engine's answers, and how they count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

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


# At the close, from the closed drop `d` (see bot.repo.drops.CLOSE_AND_MISS): no check-in, or an
# unfinished one, is missed (its partial answers are kept).
MISS_FROM_CLOSED = """
INSERT INTO checkins AS c (user_id, date, timestamp, status)
SELECT d.user_id, d.local_date, $4, 'missed' FROM d
ON CONFLICT (user_id, date) DO UPDATE SET status = 'missed', timestamp = EXCLUDED.timestamp
 WHERE c.status = 'partial'
RETURNING 1
"""


async def miss_checkin(conn: asyncpg.Connection, user_id: int, day: dt.date, now: dt.datetime) -> bool:
    return await conn.fetchval(CHECKIN_MISSED, user_id, day, now) is not None


# How the check-in counts (see bot.core.engine.ComplianceSource): due 1 per delivered drop, done
# when complete.
OUTCOMES = """
SELECT d.user_id, d.local_date AS day, 'checkin' AS engine, 1 AS due,
       (SELECT count(*) FROM checkins c WHERE c.user_id = d.user_id
           AND c.date = d.local_date AND c.status = 'logged')::int AS done
  FROM daily_drops d
 WHERE d.engine = 'checkin' AND d.delivered_at IS NOT NULL
   AND d.local_date >= $1 AND d.local_date < $2 {only_clients}
"""
# Bodyweight as the client typed it, in the unit they typed it in (81.4 kg, 180 lb: no padding
# zeros, no plate rounding); rows without what was typed fall back to the stored kilos.
RECENT_LOGS = """
SELECT timestamp, date, 'checkin' AS engine, status,
       concat_ws(' · ',
                 'bodyweight ' || coalesce(trim_scale(weight_entered) || ' ' || unit_entered,
                                           trim_scale(round(bodyweight_kg, 1)) || ' kg'),
                 'sleep ' || trim_scale(sleep_hours) || ' h',
                 'readiness ' || readiness) AS detail
  FROM checkins WHERE user_id = $1
"""
DAY_STATUS = "SELECT status FROM checkins WHERE user_id = $1 AND date = $2"

BODY_SERIES = """
SELECT date, bodyweight_kg::float AS value FROM checkins
 WHERE user_id = $1 AND bodyweight_kg IS NOT NULL ORDER BY date
"""
READINESS_SERIES = """
SELECT date, readiness::float AS value FROM checkins
 WHERE user_id = $1 AND readiness IS NOT NULL ORDER BY date
"""


async def series(conn: asyncpg.Connection, user_id: int, what: str) -> list[tuple[dt.date, float]]:
    query = BODY_SERIES if what == "bodyweight" else READINESS_SERIES
    return [(r["date"], r["value"]) for r in await conn.fetch(query, user_id)]
