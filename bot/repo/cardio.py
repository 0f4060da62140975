"""cardio_logs: the cardio engine's logs, and how they count."""

from __future__ import annotations

import datetime as dt

import asyncpg

CARDIO_OF = "SELECT * FROM cardio_logs WHERE drop_id = $1"
CARDIO_MISSED = """
INSERT INTO cardio_logs (user_id, date, kind, status, timestamp, drop_id)
SELECT user_id, local_date, content->'session'->>'kind', 'missed', $2, id FROM daily_drops WHERE id = $1
ON CONFLICT (user_id, date) DO NOTHING
"""


# A log written only while the day's drop is open (see bot.repo.drops.LOG_ON_OPEN: `ok` is the
# open drop, $4 the time): minutes, steps and average heart rate are $5–$7.
CARDIO_ON_OPEN = """
INSERT INTO cardio_logs (user_id, date, kind, minutes, steps, avg_hr, status, timestamp, drop_id)
SELECT ok.user_id, ok.local_date, ok.content->'session'->>'kind', $5::integer, $6::integer, $7::integer,
       'logged', $4, ok.id
  FROM ok
ON CONFLICT (user_id, date) DO UPDATE
   SET minutes = EXCLUDED.minutes, steps = EXCLUDED.steps, avg_hr = EXCLUDED.avg_hr,
       status = 'logged', timestamp = EXCLUDED.timestamp
RETURNING *
"""


async def cardio_of(conn: asyncpg.Connection, drop_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(CARDIO_OF, drop_id)


# At the close, from the closed drop `d`: cardio not logged is missed.
MISS_FROM_CLOSED = """
INSERT INTO cardio_logs (user_id, date, kind, status, timestamp, drop_id)
SELECT d.user_id, d.local_date, d.content->'session'->>'kind', 'missed', $4, d.id FROM d
ON CONFLICT (user_id, date) DO NOTHING
RETURNING 1
"""


async def miss_cardio(conn: asyncpg.Connection, drop_id: int, now: dt.datetime) -> int:
    return int((await conn.execute(CARDIO_MISSED, drop_id, now)).split()[-1])


OUTCOMES = """
SELECT d.user_id, d.local_date AS day, 'cardio' AS engine, 1 AS due,
       (SELECT count(*) FROM cardio_logs c WHERE c.drop_id = d.id AND c.status = 'logged')::int AS done
  FROM daily_drops d
 WHERE d.engine = 'cardio' AND d.delivered_at IS NOT NULL
   AND d.local_date >= $1 AND d.local_date < $2 {only_clients}
"""
RECENT_LOGS = """
SELECT timestamp, date, 'cardio' AS engine, status,
       kind || coalesce(' ' || minutes || ' min', '') || coalesce(' ' || steps || ' steps', '') AS detail
  FROM cardio_logs WHERE user_id = $1
"""
DAY_STATUS = """
SELECT d.content->'session'->>'kind' AS kind,
       (SELECT status FROM cardio_logs WHERE user_id = $1 AND date = $2) AS status
  FROM daily_drops d
 WHERE d.user_id = $1 AND d.local_date = $2 AND d.engine = 'cardio' AND d.delivered_at IS NOT NULL
"""
