"""meal_logs: the meals engine's answers, and how they count."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.domain.models import DailyDrop

MEAL_ANSWER = """
INSERT INTO meal_logs (user_id, date, meal_index, meal_name, status, note, timestamp, drop_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (user_id, date, meal_index) DO UPDATE
   SET status = EXCLUDED.status, note = EXCLUDED.note, timestamp = EXCLUDED.timestamp
"""
# A meal's answer, written only while the drop is open (see bot.repo.drops.LOG_ON_OPEN):
# $5 the meal's index, $6 followed / off_plan, $7 the note.
ANSWER_ON_OPEN = """
INSERT INTO meal_logs (user_id, date, meal_index, meal_name, status, note, timestamp, drop_id)
SELECT ok.user_id, ok.local_date, $5::int, ok.content->'meals'->$5::int->>'name', $6, $7, $4, ok.id
  FROM ok WHERE $5::int < jsonb_array_length(ok.content->'meals')
ON CONFLICT (user_id, date, meal_index) DO UPDATE
   SET status = EXCLUDED.status, note = EXCLUDED.note, timestamp = EXCLUDED.timestamp
RETURNING 1
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


# At the close, from the closed drop `d`: every unanswered meal is missed.
MISS_FROM_CLOSED = """
INSERT INTO meal_logs (user_id, date, meal_index, meal_name, status, timestamp, drop_id)
SELECT d.user_id, d.local_date, (m.ordinality - 1)::smallint, m.meal->>'name', 'missed', $4, d.id
  FROM d, jsonb_array_elements(d.content->'meals') WITH ORDINALITY AS m(meal, ordinality)
ON CONFLICT (user_id, date, meal_index) DO NOTHING
RETURNING 1
"""


async def miss_meals(conn: asyncpg.Connection, drop_id: int, now: dt.datetime) -> int:
    return int((await conn.execute(MEALS_MISSED, drop_id, now)).split()[-1])


# Due: the meals of a delivered drop; done: those answered (followed or off plan).
OUTCOMES = """
SELECT d.user_id, d.local_date AS day, 'meals' AS engine, jsonb_array_length(d.content->'meals') AS due,
       (SELECT count(*) FROM meal_logs m WHERE m.drop_id = d.id AND m.status <> 'missed')::int AS done
  FROM daily_drops d
 WHERE d.engine = 'meals' AND d.delivered_at IS NOT NULL
   AND d.local_date >= $1 AND d.local_date < $2 {only_clients}
"""
RECENT_LOGS = """
SELECT timestamp, date, 'meals' AS engine, status, meal_name || coalesce(' — ' || note, '') AS detail
  FROM meal_logs WHERE user_id = $1
"""
DAY_STATUS = """
SELECT jsonb_array_length(d.content->'meals') AS due,
       (SELECT count(*) FILTER (WHERE status <> 'missed') FROM meal_logs
         WHERE user_id = $1 AND date = $2) AS done
  FROM daily_drops d
 WHERE d.user_id = $1 AND d.local_date = $2 AND d.engine = 'meals' AND d.delivered_at IS NOT NULL
"""
