"""Per-day outcomes (due and done, per engine) for compliance, streaks and the flag scan.

One statement for any number of clients and days: what was delivered is what was due (a paused or
not-yet-started client got nothing, so nothing counts against them), what was logged is done.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.domain.compliance import DayOutcome

# {clients} is "" (everyone) or a filter on $3: two statements, not one with "$3 IS NULL OR …",
# because PostgreSQL's generic plan for the latter cannot use the user_id indexes.
OUTCOMES = """
SELECT d.user_id, d.local_date AS day, d.engine,
       CASE d.engine WHEN 'meals' THEN jsonb_array_length(d.content->'meals') ELSE 1 END AS due,
       CASE d.engine
            WHEN 'checkin' THEN (SELECT count(*) FROM checkins c WHERE c.user_id = d.user_id
                                    AND c.date = d.local_date AND c.status = 'logged')
            WHEN 'meals' THEN (SELECT count(*) FROM meal_logs m
                                WHERE m.drop_id = d.id AND m.status <> 'missed')
            ELSE (SELECT count(*) FROM cardio_logs c WHERE c.drop_id = d.id AND c.status = 'logged')
       END::int AS done
  FROM daily_drops d
 WHERE d.delivered_at IS NOT NULL AND d.local_date >= $1 AND d.local_date < $2 {clients_d}
UNION ALL
SELECT s.user_id, s.local_date, 'training', jsonb_array_length(s.exercises),
       (SELECT count(*) FROM training_logs l WHERE l.session_id = s.id AND l.status = 'logged')::int
  FROM training_sessions s
 WHERE s.delivered_at IS NOT NULL AND s.local_date >= $1 AND s.local_date < $2 {clients_s}
"""
OUTCOMES_ALL = OUTCOMES.format(clients_d="", clients_s="")
OUTCOMES_OF = OUTCOMES.format(
    clients_d="AND d.user_id = ANY($3::bigint[])", clients_s="AND s.user_id = ANY($3::bigint[])"
)

SERIES = """
SELECT user_id, date, readiness::float AS readiness, bodyweight_kg::float AS bodyweight
  FROM checkins
 WHERE date >= $1 AND date < $2 AND ($3::bigint[] IS NULL OR user_id = ANY($3))
   AND (readiness IS NOT NULL OR bodyweight_kg IS NOT NULL)
 ORDER BY user_id, date
"""

LAST_CHECKINS = """
SELECT user_id, max(date) AS last FROM checkins
 WHERE status = 'logged' AND ($1::bigint[] IS NULL OR user_id = ANY($1)) GROUP BY user_id
"""

PRS = """
SELECT user_id, date, exercise_name, weight_kg::float AS weight_kg, reps FROM training_logs
 WHERE is_pr AND date >= $1 AND date < $2 ORDER BY user_id, date, exercise_name
"""


async def outcomes(
    conn: asyncpg.Connection, start: dt.date, end: dt.date, user_ids: list[int] | None = None
) -> dict[int, list[DayOutcome]]:
    by_client: dict[int, list[DayOutcome]] = {}
    rows = (
        await conn.fetch(OUTCOMES_ALL, start, end)
        if user_ids is None
        else await conn.fetch(OUTCOMES_OF, start, end, user_ids)
    )
    for row in rows:
        by_client.setdefault(row["user_id"], []).append(
            DayOutcome(row["day"], row["engine"], int(row["due"]), min(int(row["done"]), int(row["due"])))
        )
    return by_client


async def series(
    conn: asyncpg.Connection, start: dt.date, end: dt.date, user_ids: list[int] | None = None
) -> dict[int, tuple[list[tuple[dt.date, float]], list[tuple[dt.date, float]]]]:
    """Per client: (readiness points, bodyweight points in kg)."""
    found: dict[int, tuple[list[tuple[dt.date, float]], list[tuple[dt.date, float]]]] = {}
    for row in await conn.fetch(SERIES, start, end, user_ids):
        readiness, bodyweight = found.setdefault(row["user_id"], ([], []))
        if row["readiness"] is not None:
            readiness.append((row["date"], row["readiness"]))
        if row["bodyweight"] is not None:
            bodyweight.append((row["date"], row["bodyweight"]))
    return found


async def last_checkins(conn: asyncpg.Connection, user_ids: list[int] | None = None) -> dict[int, dt.date]:
    return {r["user_id"]: r["last"] for r in await conn.fetch(LAST_CHECKINS, user_ids)}


async def prs(conn: asyncpg.Connection, start: dt.date, end: dt.date) -> dict[int, list[tuple[dt.date, str]]]:
    """Per client: (local date, "Back Squat 102.5 kg × 5") for every PR in [start, end)."""
    found: dict[int, list[tuple[dt.date, str]]] = {}
    for row in await conn.fetch(PRS, start, end):
        text = f"{row['exercise_name']} {row['weight_kg']:.1f} kg × {row['reps']}"
        found.setdefault(row["user_id"], []).append((row["date"], text))
    return found
