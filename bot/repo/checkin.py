"""checkins: the check-in engine's answers, and how they count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

CHECKIN = "SELECT * FROM checkins WHERE user_id = $1 AND date = $2"

# At the deadline: no check-in, or an unfinished one, is missed (its partial answers are kept).
CHECKIN_MISSED = """
INSERT INTO checkins AS c (user_id, date, timestamp, status) VALUES ($1, $2, $3, 'missed')
ON CONFLICT (user_id, date) DO UPDATE SET status = 'missed', timestamp = EXCLUDED.timestamp
 WHERE c.status = 'partial'
RETURNING id
"""


_COMPLETE_WITH = ("bodyweight_kg", "sleep_hours", "energy", "mood", "stress", "soreness")


def _complete(value: str) -> str:
    """SQL: every answer of a complete check-in is there (`value` spells a column's value)."""
    return " AND ".join(f"{value.format(col)} IS NOT NULL" for col in _COMPLETE_WITH)


def _readiness(value: str) -> str:
    v = value.format
    return f"round(({v('energy')} + {v('mood')} + (6 - {v('stress')}) + (6 - {v('soreness')})) / 4.0, 2)"


_MERGED = "COALESCE(EXCLUDED.{0}, c.{0})"
# One step of a check-in in one statement, written only while the day's drop is open (see
# bot.repo.drops.LOG_ON_OPEN: `ok` is the open drop, $4 the time): the step's answers go in, the
# other step's are kept, and a complete check-in is `logged` with its readiness.
CHECKIN_ON_OPEN = f"""
INSERT INTO checkins AS c (user_id, date, timestamp, status, bodyweight_kg, weight_entered, unit_entered,
                           sleep_hours, energy, mood, stress, soreness, note, readiness)
SELECT ok.user_id, ok.local_date, $4,
       CASE WHEN {_complete("v.{0}")} THEN 'logged' ELSE 'partial' END,
       v.bodyweight_kg, v.weight_entered, v.unit_entered, v.sleep_hours, v.energy, v.mood, v.stress,
       v.soreness, v.note, CASE WHEN {_complete("v.{0}")} THEN {_readiness("v.{0}")} END
  FROM ok, (SELECT $5::numeric AS bodyweight_kg, $6::numeric AS weight_entered, $7::text AS unit_entered,
                   $8::numeric AS sleep_hours, $9::smallint AS energy, $10::smallint AS mood,
                   $11::smallint AS stress, $12::smallint AS soreness, $13::text AS note) v
ON CONFLICT (user_id, date) DO UPDATE SET
    timestamp = EXCLUDED.timestamp,
    bodyweight_kg = {_MERGED.format("bodyweight_kg")},
    weight_entered = {_MERGED.format("weight_entered")},
    unit_entered = {_MERGED.format("unit_entered")},
    sleep_hours = {_MERGED.format("sleep_hours")},
    energy = {_MERGED.format("energy")},
    mood = {_MERGED.format("mood")},
    stress = {_MERGED.format("stress")},
    soreness = {_MERGED.format("soreness")},
    note = CASE WHEN $14 THEN EXCLUDED.note ELSE c.note END,
    status = CASE WHEN {_complete(_MERGED)} THEN 'logged' ELSE 'partial' END,
    readiness = CASE WHEN {_complete(_MERGED)} THEN {_readiness(_MERGED)} END
RETURNING *
"""


def checkin_args(values: dict[str, Any]) -> tuple[Any, ...]:
    """CHECKIN_ON_OPEN's own parameters ($5 on) for one step's parsed answers."""
    return (
        values.get("bodyweight_kg"), values.get("weight_entered"), values.get("unit_entered"),
        values.get("sleep_hours"), values.get("energy"), values.get("mood"), values.get("stress"),
        values.get("soreness"), values.get("note"), "note" in values,
    )  # fmt: skip


async def checkin(conn: asyncpg.Connection, user_id: int, day: dt.date) -> asyncpg.Record | None:
    return await conn.fetchrow(CHECKIN, user_id, day)


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
