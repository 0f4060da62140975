"""weekly_reviews: the weekly check-in's answers, and how they count."""

from __future__ import annotations

import asyncpg

from bot.domain.models import DailyDrop

SUBMIT = """
INSERT INTO weekly_reviews
       (user_id, date, waist_cm, waist_typed, unit, rating, story, status, timestamp, drop_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted', $8, $9)
ON CONFLICT (user_id, date) DO UPDATE
   SET waist_cm = EXCLUDED.waist_cm, waist_typed = EXCLUDED.waist_typed, unit = EXCLUDED.unit,
       rating = EXCLUDED.rating, story = EXCLUDED.story, status = 'submitted', timestamp = EXCLUDED.timestamp
RETURNING *
"""
OF_DROP = "SELECT * FROM weekly_reviews WHERE drop_id = $1"

# At the close, from the closed drop `d`: a check-in not submitted is missed.
MISS_FROM_CLOSED = """
INSERT INTO weekly_reviews (user_id, date, status, timestamp, drop_id)
SELECT d.user_id, d.local_date, 'missed', $4, d.id FROM d
ON CONFLICT (user_id, date) DO NOTHING
RETURNING 1
"""

# Due by the next evening: a check-in still open (neither sent in nor closed) is not counted yet,
# so the Sunday scan does not call that day's check-in missed the evening it arrived.
OUTCOMES = """
SELECT d.user_id, d.local_date AS day, 'weekly' AS engine, 1 AS due,
       (SELECT count(*) FROM weekly_reviews w WHERE w.drop_id = d.id AND w.status = 'submitted')::int AS done
  FROM daily_drops d
 WHERE d.engine = 'weekly' AND d.delivered_at IS NOT NULL
   AND (d.closed_at IS NOT NULL
        OR EXISTS (SELECT 1 FROM weekly_reviews w WHERE w.drop_id = d.id AND w.status = 'submitted'))
   AND d.local_date >= $1 AND d.local_date < $2 {only_clients}
"""
RECENT_LOGS = """
SELECT timestamp, date, 'weekly' AS engine, status,
       coalesce('waist ' || waist_typed || ' ' || CASE WHEN unit = 'lb' THEN 'in' ELSE 'cm' END, '')
       || coalesce(' · week ' || rating || '/5', '') AS detail
  FROM weekly_reviews WHERE user_id = $1
"""
DAY_STATUS = """
SELECT 'weekly' AS kind, (SELECT status FROM weekly_reviews WHERE user_id = $1 AND date = $2) AS status
  FROM daily_drops d
 WHERE d.user_id = $1 AND d.local_date = $2 AND d.engine = 'weekly' AND d.delivered_at IS NOT NULL
"""


async def submit(
    conn: asyncpg.Connection,
    drop: DailyDrop,
    *,
    waist_cm: float | None,
    waist_typed: str | None,
    unit: str,
    rating: int,
    story: str | None,
    now: object,
) -> asyncpg.Record:
    return await conn.fetchrow(
        SUBMIT, drop.user_id, drop.local_date, waist_cm, waist_typed, unit, rating, story, now, drop.id
    )


async def of_drop(conn: asyncpg.Connection, drop_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(OF_DROP, drop_id)
