"""What the simulator reports at the end of a run: the logs written, per engine and status.

The simulator plays the clients of particular engines (bot.simulator.clients answers a check-in,
meals, cardio and a workout the way people do), so its report names them; nothing in the bot's
own path reads this module."""

from __future__ import annotations

import datetime as dt

import asyncpg

_DAILY_SUMMARY = """
SELECT 'check-in' AS engine, status, count(*) AS n
  FROM checkins WHERE date >= $1 AND date < $2 GROUP BY status
UNION ALL
SELECT 'meals', CASE WHEN status = 'missed' THEN 'missed' ELSE 'logged' END, count(*)
  FROM meal_logs WHERE date >= $1 AND date < $2 GROUP BY 2
UNION ALL
SELECT 'cardio', status, count(*) FROM cardio_logs WHERE date >= $1 AND date < $2 GROUP BY status
UNION ALL
SELECT 'weekly check-in', status, count(*) FROM weekly_reviews WHERE date >= $1 AND date < $2 GROUP BY status
UNION ALL
SELECT 'weekly check-in', 'with photos', count(DISTINCT (user_id, date))
  FROM weekly_photos WHERE date >= $1 AND date < $2 HAVING count(*) > 0
UNION ALL
SELECT 'weekly check-in', 'photos', count(*)
  FROM weekly_photos WHERE date >= $1 AND date < $2 HAVING count(*) > 0
UNION ALL
SELECT 'weekly check-in', 'answered by a coach', count(*)
  FROM weekly_answers WHERE date >= $1 AND date < $2 HAVING count(*) > 0
"""

_TRAINING_SUMMARY = """
SELECT (SELECT count(*) FROM training_sessions
         WHERE delivered_at IS NOT NULL AND local_date >= $1 AND local_date < $2) AS sessions,
       count(*) FILTER (WHERE status = 'logged') AS logged,
       count(*) FILTER (WHERE status = 'missed') AS missed,
       count(*) FILTER (WHERE is_pr) AS prs
  FROM training_logs WHERE date >= $1 AND date < $2
"""


async def daily_summary(conn: asyncpg.Connection, start: dt.date, end: dt.date) -> dict[tuple[str, str], int]:
    """(engine label, status) -> rows, for the check-in, meals and cardio logs of [start, end)."""
    return {(r["engine"], r["status"]): r["n"] for r in await conn.fetch(_DAILY_SUMMARY, start, end)}


async def training_summary(conn: asyncpg.Connection, start: dt.date, end: dt.date) -> dict[str, int]:
    row = await conn.fetchrow(_TRAINING_SUMMARY, start, end)
    return dict(row) if row else {}


# Per coach: their clients at the end of the run and the cards raised while a client was theirs
# (the coach in force on the card's opening date).
_TEAM_SUMMARY = """
SELECT co.user_id, co.display_name,
       (SELECT count(*) FROM (
            SELECT DISTINCT ON (a.user_id) a.user_id, a.coach_id FROM coach_assignments a
             WHERE a.from_date <= $1 ORDER BY a.user_id, a.from_date DESC) cur
         WHERE cur.coach_id = co.user_id) AS clients,
       (SELECT count(*) FROM job_cards c
         WHERE (SELECT a.coach_id FROM coach_assignments a
                 WHERE a.user_id = c.user_id AND a.from_date <= (c.opened_at AT TIME ZONE 'UTC')::date
                 ORDER BY a.from_date DESC LIMIT 1) = co.user_id) AS cards
  FROM coaches co WHERE co.removed_at IS NULL ORDER BY co.display_name
"""


async def team_summary(conn: asyncpg.Connection, last_day: dt.date) -> list[tuple[str, int, int]]:
    """(coach, clients on `last_day`, cards raised while the client was theirs)."""
    return [(r["display_name"], r["clients"], r["cards"]) for r in await conn.fetch(_TEAM_SUMMARY, last_day)]
