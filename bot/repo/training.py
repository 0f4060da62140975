"""training_sessions and training_logs, the training state on a client's row, and how training counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.domain.lifting import EPLEY_MAX_REPS, Best, TopSet
from bot.domain.models import TrainingLog, TrainingSession
from bot.repo import jobs
from bot.repo.drops import Store

GET_SESSION = "SELECT * FROM training_sessions WHERE user_id = $1 AND local_date = $2"
LOCK_SESSION = "SELECT * FROM training_sessions WHERE user_id = $1 AND local_date = $2 FOR UPDATE"

# The session (created now, or by an earlier attempt) and its close job, in one round trip.
CREATE_SESSION = f"""
WITH created AS (
    INSERT INTO training_sessions (user_id, local_date, block_id, block_version, day_index, day_title,
                                   exercises, deadline, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (user_id, local_date) DO NOTHING
    RETURNING *
), close_job AS (
    {jobs.ensure_fragment("'training'", "'close'", "$1", "$2", "$8", "$9")}
)
SELECT *, true AS fresh FROM created
UNION ALL
SELECT *, false AS fresh FROM training_sessions
 WHERE user_id = $1 AND local_date = $2 AND NOT EXISTS (SELECT 1 FROM created)
"""
# What the workout message shows besides the session: the last top set of each exercise before
# the session's day, this session's logs, and the block's name (one round trip).
WORKOUT_CONTEXT = """
SELECT (SELECT name FROM training_blocks WHERE block_id = $4 AND version = $5) AS block_name,
       (SELECT coalesce(jsonb_agg(t), '[]') FROM (
            SELECT DISTINCT ON (exercise_id) exercise_id, weight_kg, reps, unit_entered, weight_entered
              FROM training_logs
             WHERE user_id = $1 AND exercise_id = ANY($2::text[]) AND status = 'logged' AND date < $3
             ORDER BY exercise_id, date DESC, timestamp DESC) t) AS last,
       (SELECT coalesce(jsonb_agg(l), '[]') FROM training_logs l WHERE l.session_id = $6) AS logs
"""
# day_index becomes the one after the session's, cycling through the block's days ($3: the
# built-in block's length). Set, not stepped: running it twice for one session is harmless.
ADVANCE_DAY = """
UPDATE client_profiles
   SET day_index = ($2 + 1) % coalesce(
       (SELECT jsonb_array_length(definition->'days') FROM training_blocks
         WHERE block_id = $4 AND version = $5),
       $3)
 WHERE user_id = $1
"""


UPSERT_LOG = """
INSERT INTO training_logs (user_id, timestamp, date, exercise_id, exercise_name, weight_kg, reps,
                           block_id, day_index, status, session_id, weight_entered, unit_entered, is_pr)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'logged', $10, $11, $12, $13)
ON CONFLICT (session_id, exercise_id) DO UPDATE
   SET timestamp = EXCLUDED.timestamp, weight_kg = EXCLUDED.weight_kg, reps = EXCLUDED.reps,
       weight_entered = EXCLUDED.weight_entered, unit_entered = EXCLUDED.unit_entered,
       is_pr = EXCLUDED.is_pr, status = 'logged'
RETURNING *
"""

SESSION_LOGS = "SELECT * FROM training_logs WHERE session_id = $1"

LAST_TOP_SETS = """
SELECT DISTINCT ON (exercise_id) exercise_id, weight_kg, reps, unit_entered, weight_entered
  FROM training_logs
 WHERE user_id = $1 AND exercise_id = ANY($2::text[]) AND status = 'logged' AND date < $3
 ORDER BY exercise_id, date DESC, timestamp DESC
"""

BEST_BEFORE = """
SELECT max(weight_kg) AS heaviest,
       max(CASE WHEN reps = 1 THEN weight_kg
                WHEN reps <= $4 THEN weight_kg * (1 + reps / 30.0) END) AS best_e1rm
  FROM training_logs
 WHERE user_id = $1 AND exercise_id = $2 AND status = 'logged' AND session_id <> $3
"""

RECENT_SESSIONS = """
SELECT s.local_date, s.day_title, s.block_id, s.closed_at,
       jsonb_array_length(s.exercises) AS exercises,
       count(*) FILTER (WHERE l.status = 'logged') AS logged,
       count(*) FILTER (WHERE l.status = 'missed') AS missed,
       count(*) FILTER (WHERE l.is_pr) AS prs
  FROM training_sessions s LEFT JOIN training_logs l ON l.session_id = s.id
 WHERE s.user_id = $1 AND s.delivered_at IS NOT NULL
 GROUP BY s.id ORDER BY s.local_date DESC LIMIT $2
"""

EXERCISE_HISTORY = """
SELECT date, weight_kg, reps, is_pr FROM training_logs
 WHERE user_id = $1 AND exercise_id = $2 AND status = 'logged' ORDER BY date, timestamp
"""

EXERCISES_LOGGED = """
SELECT exercise_id, max(exercise_name) AS name FROM training_logs
 WHERE user_id = $1 AND status = 'logged'
   AND (exercise_id ILIKE '%' || $2 || '%' OR exercise_name ILIKE '%' || $2 || '%')
 GROUP BY exercise_id ORDER BY max(date) DESC LIMIT 25
"""


async def get_session(
    conn: asyncpg.Connection, user_id: int, local_date: dt.date, *, lock: bool = False
) -> TrainingSession | None:
    row = await conn.fetchrow(LOCK_SESSION if lock else GET_SESSION, user_id, local_date)
    return None if row is None else TrainingSession.from_row(row)


async def create_session(
    conn: asyncpg.Connection,
    *,
    user_id: int,
    local_date: dt.date,
    block_id: str,
    block_version: int,
    day_index: int,
    day_title: str,
    exercises: list[dict[str, Any]],
    deadline: dt.datetime,
    now: dt.datetime,
) -> tuple[TrainingSession, bool]:
    """The session for that day, created now or by an earlier attempt (and whether it is new);
    its close job exists afterwards either way."""
    row = await conn.fetchrow(
        CREATE_SESSION,
        user_id,
        local_date,
        block_id,
        block_version,
        day_index,
        day_title,
        exercises,
        deadline,
        now,
    )
    if row is None:  # created by a concurrent statement this one's snapshot cannot see
        existing = await get_session(conn, user_id, local_date)
        assert existing is not None
        return existing, False
    return TrainingSession.from_row(row), bool(row["fresh"])


async def workout_context(
    conn: asyncpg.Connection, session: TrainingSession, *, with_logs: bool
) -> tuple[dict[str, Any], dict[str, TrainingLog], str | None]:
    """(last top set by exercise id, this session's logs by exercise id, the stored block's name)."""
    ids = [e["id"] for e in session.exercises]
    row = await conn.fetchrow(
        WORKOUT_CONTEXT, session.user_id, ids, session.local_date, session.block_id,
        session.block_version, session.id if with_logs else None,
    )  # fmt: skip
    last = {r["exercise_id"]: r for r in row["last"]}
    logs = {r["exercise_id"]: TrainingLog.model_validate(r) for r in row["logs"]}
    return last, logs, row["block_name"]


async def advance_day(conn: asyncpg.Connection, session: TrainingSession, default_days: int) -> None:
    await conn.execute(
        ADVANCE_DAY, session.user_id, session.day_index, default_days, session.block_id, session.block_version
    )


async def session_logs(conn: asyncpg.Connection, session_id: int) -> dict[str, TrainingLog]:
    return {r["exercise_id"]: TrainingLog.from_row(r) for r in await conn.fetch(SESSION_LOGS, session_id)}


async def last_top_sets(
    conn: asyncpg.Connection, user_id: int, exercise_ids: list[str], before: dt.date
) -> dict[str, asyncpg.Record]:
    rows = await conn.fetch(LAST_TOP_SETS, user_id, exercise_ids, before)
    return {r["exercise_id"]: r for r in rows}


async def best_before(conn: asyncpg.Connection, user_id: int, exercise_id: str, session_id: int) -> Best:
    row = await conn.fetchrow(BEST_BEFORE, user_id, exercise_id, session_id, EPLEY_MAX_REPS)
    heaviest, e1rm = row["heaviest"], row["best_e1rm"]
    return Best(
        heaviest_kg=float(heaviest) if heaviest is not None else None,
        best_e1rm_kg=float(e1rm) if e1rm is not None else None,
    )


async def upsert_log(
    conn: asyncpg.Connection,
    session: TrainingSession,
    exercise: dict[str, Any],
    top_set: TopSet,
    is_pr: bool,
    now: dt.datetime,
) -> TrainingLog:
    row = await conn.fetchrow(
        UPSERT_LOG,
        session.user_id,
        now,
        session.local_date,
        exercise["id"],
        exercise["name"],
        round(top_set.weight_kg, 3),
        top_set.reps,
        session.block_id,
        session.day_index,
        session.id,
        top_set.weight_entered,
        str(top_set.unit),
        is_pr,
    )
    return TrainingLog.from_row(row)


async def recent_sessions(conn: asyncpg.Connection, user_id: int, limit: int = 10) -> list[asyncpg.Record]:
    return list(await conn.fetch(RECENT_SESSIONS, user_id, limit))


async def exercise_history(conn: asyncpg.Connection, user_id: int, exercise_id: str) -> list[asyncpg.Record]:
    return list(await conn.fetch(EXERCISE_HISTORY, user_id, exercise_id))


async def exercises_logged(conn: asyncpg.Connection, user_id: int, text: str) -> list[asyncpg.Record]:
    return list(await conn.fetch(EXERCISES_LOGGED, user_id, text.strip()))


RECORD_DELIVERY = """
UPDATE training_sessions
   SET messages = CASE WHEN $4 THEN messages || $2::jsonb ELSE $2::jsonb END,
       delivered_at = COALESCE(delivered_at, $3)
 WHERE id = $1
"""
# Seed 001: at 22:00 every exercise of a delivered session without a log gets a `missed` row.
CLOSE_AND_MISS = """
WITH s AS (
    UPDATE training_sessions SET closed_at = COALESCE(closed_at, $3)
     WHERE user_id = $1 AND local_date = $2 AND delivered_at IS NOT NULL
    RETURNING *
), missed AS (
    INSERT INTO training_logs (user_id, timestamp, date, exercise_id, exercise_name, weight_kg, reps,
                               block_id, day_index, status, session_id)
    SELECT s.user_id, $3, s.local_date, e->>'id', e->>'name', NULL, NULL, s.block_id, s.day_index,
           'missed', s.id
      FROM s, jsonb_array_elements(s.exercises) e
    ON CONFLICT (session_id, exercise_id) DO NOTHING
    RETURNING 1
)
SELECT s.*, (SELECT count(*) FROM missed) AS missed FROM s
"""


async def record_delivery(
    conn: asyncpg.Connection, drop_id: int, parts: list[dict[str, int]], now: dt.datetime, append: bool
) -> None:
    """Store where the parts went (added to the earlier copies' when `append`: a forced resend,
    appended in SQL so two runs at once both keep their copy) and mark it delivered."""
    await conn.execute(RECORD_DELIVERY, drop_id, parts, now, append)


async def close_and_miss(
    conn: asyncpg.Connection, user_id: int, day: dt.date, now: dt.datetime
) -> tuple[TrainingSession, int] | None:
    row = await conn.fetchrow(CLOSE_AND_MISS, user_id, day, now)
    return None if row is None else (TrainingSession.from_row(row), int(row["missed"]))


SESSIONS = Store(get_session, record_delivery, close_and_miss)  # as the drop lifecycle uses it

# The training state on the client's row: a /reassign whose date has come, and the day index.
START_NEXT_BLOCK = """
UPDATE client_profiles
   SET block_id = $2, day_index = $3, next_block_id = NULL, next_block_from = NULL, next_day_index = 0
 WHERE user_id = $1
"""


async def start_next_block(conn: asyncpg.Connection, user_id: int, block_id: str, day_index: int) -> None:
    await conn.execute(START_NEXT_BLOCK, user_id, block_id, day_index)


# How training counts: due, the exercises of a delivered session; done, those logged.
OUTCOMES = """
SELECT s.user_id, s.local_date AS day, 'training' AS engine, jsonb_array_length(s.exercises) AS due,
       (SELECT count(*) FROM training_logs l WHERE l.session_id = s.id AND l.status = 'logged')::int AS done
  FROM training_sessions s
 WHERE s.delivered_at IS NOT NULL AND s.local_date >= $1 AND s.local_date < $2 {only_clients}
"""
# The top set as the client typed it (110 kg, 102.5 kg, 225 lb: never "110.0"); rows without
# what was typed fall back to the stored kilos.
RECENT_LOGS = """
SELECT timestamp, date, 'training' AS engine, status,
       exercise_name
         || coalesce(' ' || coalesce(trim_scale(weight_entered) || ' ' || unit_entered,
                                     trim_scale(round(weight_kg, 1)) || ' kg') || ' × ' || reps, '')
         || CASE WHEN is_pr THEN ' (PR)' ELSE '' END AS detail
  FROM training_logs WHERE user_id = $1
"""
DAY_STATUS = """
SELECT jsonb_array_length(s.exercises) AS due,
       (SELECT count(*) FILTER (WHERE status = 'logged') FROM training_logs
         WHERE user_id = $1 AND date = $2) AS done
  FROM training_sessions s
 WHERE s.user_id = $1 AND s.local_date = $2 AND s.delivered_at IS NOT NULL
"""
