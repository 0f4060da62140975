"""training_sessions and training_logs, the training state on a client's row, and how training counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.domain.lifting import EPLEY_MAX_REPS, Best, TopSet
from bot.domain.models import TrainingLog, TrainingSession
from bot.repo.drops import Store

GET_SESSION = "SELECT * FROM training_sessions WHERE user_id = $1 AND local_date = $2"
LOCK_SESSION = "SELECT * FROM training_sessions WHERE user_id = $1 AND local_date = $2 FOR UPDATE"

CREATE_SESSION = """
INSERT INTO training_sessions (user_id, local_date, block_id, block_version, day_index, day_title,
                               exercises, deadline, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (user_id, local_date) DO NOTHING
RETURNING *
"""

SET_MESSAGES = "UPDATE training_sessions SET messages = $2 WHERE id = $1"
MARK_DELIVERED = """
UPDATE training_sessions SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL RETURNING id
"""
CLOSE_SESSION = "UPDATE training_sessions SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL RETURNING id"

# Seed 001: "If top set not logged by 22:00 → insert status: missed with blank reps/weight".
INSERT_MISSED = """
INSERT INTO training_logs (user_id, timestamp, date, exercise_id, exercise_name, weight_kg, reps,
                           block_id, day_index, status, session_id)
SELECT s.user_id, $2, s.local_date, e->>'id', e->>'name', NULL, NULL, s.block_id, s.day_index,
       'missed', s.id
  FROM training_sessions s, jsonb_array_elements(s.exercises) e
 WHERE s.id = $1
ON CONFLICT (session_id, exercise_id) DO NOTHING
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
) -> TrainingSession:
    """The session for that day: created now, or the one an earlier attempt created."""
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
    if row is None:
        existing = await get_session(conn, user_id, local_date)
        assert existing is not None
        return existing
    return TrainingSession.from_row(row)


async def set_messages(conn: asyncpg.Connection, session_id: int, messages: list[dict[str, int]]) -> None:
    await conn.execute(SET_MESSAGES, session_id, messages)


async def mark_delivered(conn: asyncpg.Connection, session_id: int, now: dt.datetime) -> bool:
    """True only the first time: the caller advances day_index exactly once per session."""
    return await conn.fetchval(MARK_DELIVERED, session_id, now) is not None


async def close(conn: asyncpg.Connection, session_id: int, now: dt.datetime) -> None:
    await conn.execute(CLOSE_SESSION, session_id, now)


async def miss_unlogged(conn: asyncpg.Connection, session_id: int, now: dt.datetime) -> int:
    """Mark every unlogged exercise of a session missed; returns how many were missed."""
    result = await conn.execute(INSERT_MISSED, session_id, now)
    return int(result.split()[-1])


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


SESSIONS = Store(get_session, set_messages, mark_delivered, close)  # as the drop lifecycle uses it

# The training state on the client's row: a /reassign whose date has come, and the day index.
START_NEXT_BLOCK = """
UPDATE client_profiles
   SET block_id = $2, day_index = $3, next_block_id = NULL, next_block_from = NULL, next_day_index = 0
 WHERE user_id = $1
"""
SET_DAY_INDEX = "UPDATE client_profiles SET day_index = $2 WHERE user_id = $1"
BLOCK_VERSION = "SELECT name, definition FROM training_blocks WHERE block_id = $1 AND version = $2"


async def start_next_block(conn: asyncpg.Connection, user_id: int, block_id: str, day_index: int) -> None:
    await conn.execute(START_NEXT_BLOCK, user_id, block_id, day_index)


async def set_day_index(conn: asyncpg.Connection, user_id: int, day_index: int) -> None:
    await conn.execute(SET_DAY_INDEX, user_id, day_index)


async def block_version(conn: asyncpg.Connection, block_id: str, version: int) -> tuple[str, int] | None:
    """(name, number of days) of a stored block version; None for the built-in block."""
    row = await conn.fetchrow(BLOCK_VERSION, block_id, version)
    return None if row is None else (row["name"], len(row["definition"]["days"]))


# How training counts: due, the exercises of a delivered session; done, those logged.
OUTCOMES = """
SELECT s.user_id, s.local_date AS day, 'training' AS engine, jsonb_array_length(s.exercises) AS due,
       (SELECT count(*) FROM training_logs l WHERE l.session_id = s.id AND l.status = 'logged')::int AS done
  FROM training_sessions s
 WHERE s.delivered_at IS NOT NULL AND s.local_date >= $1 AND s.local_date < $2 {only_clients}
"""
RECENT_LOGS = """
SELECT timestamp, date, 'training' AS engine, status,
       exercise_name || coalesce(' ' || round(weight_kg, 1) || ' kg × ' || reps, '')
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
