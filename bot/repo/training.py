"""training_sessions and training_logs, the training state on a client's row, and how training counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.domain.blocks import DEFAULT_BLOCK
from bot.domain.lifting import EPLEY_MAX_REPS, Best, TopSet
from bot.domain.models import ClientProfile, TrainingLog, TrainingSession
from bot.repo import jobs
from bot.repo.drops import Store

GET_SESSION = "SELECT * FROM training_sessions WHERE user_id = $1 AND local_date = $2"
LOCK_SESSION = "SELECT * FROM training_sessions WHERE user_id = $1 AND local_date = $2 FOR UPDATE"

# The last top set of each exercise listed in $ids before the day $before, for client $user.
_LAST_SETS = """
SELECT coalesce(jsonb_agg(t), '[]') FROM (
    SELECT DISTINCT ON (exercise_id) exercise_id, weight_kg, reps, unit_entered, weight_entered
      FROM training_logs
     WHERE user_id = {user} AND exercise_id = ANY({ids}) AND status = 'logged' AND date < {before}
     ORDER BY exercise_id, date DESC, timestamp DESC) t
"""

_SESSION_EXISTS = (
    "EXISTS (SELECT 1 FROM created) OR EXISTS (SELECT 1 FROM training_sessions "
    "WHERE user_id = $1 AND local_date = $2)"
)
_IDS_OF_EXERCISES = "ARRAY(SELECT e->>'id' FROM jsonb_array_elements($7::jsonb) e)"

# The session (created now, or by an earlier attempt) and its close job, in one round trip; the
# session snapshots the last top sets and the block's name ($10). With $11 set, the session is
# made only if the client's row still trains what the caller computed it from: day index $11 on
# block $12, in the zones $13–$15 its deadline came from, no queued block started by the day, and
# version $4 still the newest of block $3 (0: the built-in block). No row comes back when that
# check fails and no session exists (and no close job is made for it).
CREATE_SESSION = f"""
WITH state_ok AS (
    SELECT 1 FROM client_profiles
     WHERE user_id = $1
       AND ($11::int IS NULL OR (
             day_index = $11 AND block_id IS NOT DISTINCT FROM $12::text
             AND timezone = $13 AND previous_timezone IS NOT DISTINCT FROM $14::text
             AND timezone_effective_from IS NOT DISTINCT FROM $15::date
             AND (next_block_from IS NULL OR next_block_from > $2)
             AND ($4 = 0 OR (SELECT max(version) FROM training_blocks WHERE block_id = $3) = $4)))
), created AS (
    INSERT INTO training_sessions (user_id, local_date, block_id, block_version, day_index, day_title,
                                   exercises, deadline, created_at, last_sets, block_name)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9,
           ({_LAST_SETS.format(user="$1", ids=_IDS_OF_EXERCISES, before="$2")}),
           $10
     WHERE EXISTS (SELECT 1 FROM state_ok)
    ON CONFLICT (user_id, local_date) DO NOTHING
    RETURNING *
), close_job AS (
    {jobs.ensure_fragment("'training'", "'close'", "$1", "$2", "$8", "$9", when=_SESSION_EXISTS)}
)
SELECT *, true AS fresh FROM created
UNION ALL
SELECT *, false AS fresh FROM training_sessions
 WHERE user_id = $1 AND local_date = $2 AND NOT EXISTS (SELECT 1 FROM created)
"""
# What the workout message shows besides the session: this session's logs, and for a session
# from before migration 016 ($7) the last top sets and the block's name (one round trip).
WORKOUT_CONTEXT = f"""
SELECT CASE WHEN $7 THEN (SELECT name FROM training_blocks WHERE block_id = $4 AND version = $5)
       END AS block_name,
       CASE WHEN $7 THEN ({_LAST_SETS.format(user="$1", ids="$2::text[]", before="$3")}) END AS last,
       (SELECT coalesce(jsonb_agg(l), '[]') FROM training_logs l WHERE l.session_id = $6) AS logs
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
    block_name: str | None,
    day_index: int,
    day_title: str,
    exercises: list[dict[str, Any]],
    deadline: dt.datetime,
    now: dt.datetime,
    expect: ClientProfile | None = None,
) -> tuple[TrainingSession, bool] | None:
    """The session for that day, created now or by an earlier attempt (and whether it is new);
    its close job exists afterwards either way.

    With `expect` (the client's row the caller computed the session from, read without a lock),
    a new session is made only if the row still trains the same block version and day; None when
    it does not (the caller takes the locked path)."""
    check = (
        (
            expect.day_index,
            expect.block_id,
            expect.timezone,
            expect.previous_timezone,
            expect.timezone_effective_from,
        )
        if expect is not None
        else (None,) * 5
    )
    row = await conn.fetchrow(
        CREATE_SESSION, user_id, local_date, block_id, block_version, day_index, day_title, exercises,
        deadline, now, block_name, *check,
    )  # fmt: skip
    if row is not None:
        return TrainingSession.from_row(row), bool(row["fresh"])
    if expect is not None:
        return None
    # Created by a concurrent statement this one's snapshot cannot see.
    existing = await get_session(conn, user_id, local_date)
    assert existing is not None
    return existing, False


@dataclass(frozen=True)
class WorkoutContext:
    """What a workout message shows besides the session."""

    last: dict[str, dict[str, Any]]  # the last top set before the session's day, by exercise id
    logs: dict[str, TrainingLog]  # this session's logs, by exercise id
    block_name: str | None  # the stored block's name (None: not stored)


def _context(
    session: TrainingSession,
    last: list[dict[str, Any]] | None,
    logs: list[dict[str, Any]],
    block_name: str | None,
) -> WorkoutContext:
    """The session's snapshot where it has one, else what was read (`last`, `block_name`)."""
    sets = session.last_sets if session.last_sets is not None else last or []
    return WorkoutContext(
        {r["exercise_id"]: r for r in sets},
        {r["exercise_id"]: TrainingLog.model_validate(r) for r in logs},
        session.block_name if session.last_sets is not None else block_name,
    )


async def workout_context(
    conn: asyncpg.Connection, session: TrainingSession, *, with_logs: bool
) -> WorkoutContext:
    """The session's context: nothing to read for a new session that has its snapshot."""
    if not with_logs and session.last_sets is not None:
        return _context(session, None, [], None)
    ids = [e["id"] for e in session.exercises]
    row = await conn.fetchrow(
        WORKOUT_CONTEXT, session.user_id, ids, session.local_date, session.block_id,
        session.block_version, session.id if with_logs else None, session.last_sets is None,
    )  # fmt: skip
    return _context(session, row["last"], row["logs"], row["block_name"])


# Before a log (one round trip, no lock): the client, the day's session and the best top set of
# exercise number $3 of it in earlier sessions, for the PR rule ($4: the most reps Epley counts).
LOG_CONTEXT = """
WITH s AS (SELECT * FROM training_sessions WHERE user_id = $1 AND local_date = $2),
best AS (
    SELECT max(l.weight_kg) AS heaviest,
           max(CASE WHEN l.reps = 1 THEN l.weight_kg
                    WHEN l.reps <= $4 THEN l.weight_kg * (1 + l.reps / 30.0) END) AS best_e1rm
      FROM training_logs l, s
     WHERE l.user_id = $1 AND l.exercise_id = s.exercises -> $3::int ->> 'id'
       AND l.status = 'logged' AND l.session_id <> s.id
)
SELECT (SELECT to_jsonb(c) FROM client_profiles c WHERE c.user_id = $1) AS client,
       (SELECT to_jsonb(s) FROM s) AS session, best.heaviest, best.best_e1rm
  FROM best
"""
# The log (one round trip): written only while the session is open (delivered, not closed, before
# its deadline at $2), under the session's row lock so the 22:00 close waits for it (and a close
# that commits first leaves `s` empty: the row is read again after the wait). The message is
# refreshed from a read after this commits, which sees every log made meanwhile.
LOG_TOP_SET = """
WITH s AS (
    SELECT * FROM training_sessions
     WHERE id = $10 AND delivered_at IS NOT NULL AND closed_at IS NULL AND deadline > $2
       FOR UPDATE
)
INSERT INTO training_logs (user_id, timestamp, date, exercise_id, exercise_name, weight_kg, reps,
                           block_id, day_index, status, session_id, weight_entered, unit_entered, is_pr)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, 'logged', s.id, $11, $12, $13 FROM s
ON CONFLICT (session_id, exercise_id) DO UPDATE
   SET timestamp = EXCLUDED.timestamp, weight_kg = EXCLUDED.weight_kg, reps = EXCLUDED.reps,
       weight_entered = EXCLUDED.weight_entered, unit_entered = EXCLUDED.unit_entered,
       is_pr = EXCLUDED.is_pr, status = 'logged'
RETURNING *
"""


async def log_context(
    conn: asyncpg.Connection, user_id: int, day: dt.date, index: int
) -> tuple[ClientProfile | None, TrainingSession | None, Best]:
    """(the client, the day's session, the best of its exercise number `index` before it)."""
    row = await conn.fetchrow(LOG_CONTEXT, user_id, day, index, EPLEY_MAX_REPS)
    heaviest, e1rm = row["heaviest"], row["best_e1rm"]
    return (
        None if row["client"] is None else ClientProfile.model_validate(row["client"]),
        None if row["session"] is None else TrainingSession.model_validate(row["session"]),
        Best(
            heaviest_kg=float(heaviest) if heaviest is not None else None,
            best_e1rm_kg=float(e1rm) if e1rm is not None else None,
        ),
    )


async def log_top_set(
    conn: asyncpg.Connection,
    session: TrainingSession,
    exercise: dict[str, Any],
    top_set: TopSet,
    is_pr: bool,
    now: dt.datetime,
) -> TrainingLog | None:
    """Write the top set if the session is still open; None (nothing written) when it closed."""
    row = await conn.fetchrow(
        LOG_TOP_SET, session.user_id, now, session.local_date, exercise["id"], exercise["name"],
        round(top_set.weight_kg, 3), top_set.reps, session.block_id, session.day_index, session.id,
        top_set.weight_entered, str(top_set.unit), is_pr,
    )  # fmt: skip
    return None if row is None else TrainingLog.from_row(row)


# What the "Log" button's form needs (one round trip): the client, the day's session, and for its
# exercise number $3 this session's log, else the last top set before the day.
FORM_CONTEXT = """
WITH s AS (SELECT * FROM training_sessions WHERE user_id = $1 AND local_date = $2),
ex AS (SELECT s.id AS session_id, s.exercises -> $3::int ->> 'id' AS exercise_id FROM s),
value AS (
    SELECT 0 AS rank, l.weight_kg, l.reps FROM training_logs l, ex
     WHERE l.session_id = ex.session_id AND l.exercise_id = ex.exercise_id AND l.weight_kg IS NOT NULL
    UNION ALL
    (SELECT 1, l.weight_kg, l.reps FROM training_logs l, ex
      WHERE l.user_id = $1 AND l.exercise_id = ex.exercise_id AND l.status = 'logged' AND l.date < $2
      ORDER BY l.date DESC, l.timestamp DESC LIMIT 1)
    ORDER BY rank LIMIT 1
)
SELECT (SELECT to_jsonb(c) FROM client_profiles c WHERE c.user_id = $1) AS client,
       (SELECT to_jsonb(s) FROM s) AS session,
       (SELECT weight_kg FROM value) AS weight_kg, (SELECT reps FROM value) AS reps
"""


async def form_context(
    conn: asyncpg.Connection, user_id: int, day: dt.date, index: int
) -> tuple[ClientProfile | None, TrainingSession | None, float | None, int | None]:
    """(the client, the day's session, the weight in kg and reps to prefill for exercise `index`)."""
    row = await conn.fetchrow(FORM_CONTEXT, user_id, day, index)
    return (
        None if row["client"] is None else ClientProfile.model_validate(row["client"]),
        None if row["session"] is None else TrainingSession.model_validate(row["session"]),
        None if row["weight_kg"] is None else float(row["weight_kg"]),
        row["reps"],
    )


async def recent_sessions(conn: asyncpg.Connection, user_id: int, limit: int = 10) -> list[asyncpg.Record]:
    return list(await conn.fetch(RECENT_SESSIONS, user_id, limit))


async def exercise_history(conn: asyncpg.Connection, user_id: int, exercise_id: str) -> list[asyncpg.Record]:
    return list(await conn.fetch(EXERCISE_HISTORY, user_id, exercise_id))


async def exercises_logged(conn: asyncpg.Connection, user_id: int, text: str) -> list[asyncpg.Record]:
    return list(await conn.fetch(EXERCISES_LOGGED, user_id, text.strip()))


# After the send: where the parts went, and on the session's first delivery the client's next
# training day, the one after the session's, cycling through the block's days ($5: the built-in
# block's length). The index is set from the session, not stepped, and only by the statement that
# found the session undelivered (under its row lock): a retry or a forced resend never moves it.
RECORD_DELIVERY = """
WITH before AS (
    SELECT id, delivered_at IS NULL AS first FROM training_sessions WHERE id = $1 FOR UPDATE
), s AS (
    UPDATE training_sessions t
       SET messages = CASE WHEN $4 THEN t.messages || $2::jsonb ELSE $2::jsonb END,
           delivered_at = COALESCE(t.delivered_at, $3)
      FROM before WHERE t.id = before.id
    RETURNING t.user_id, t.day_index, t.block_id, t.block_version, before.first
)
UPDATE client_profiles c
   SET day_index = (s.day_index + 1) % coalesce(
       (SELECT jsonb_array_length(definition->'days') FROM training_blocks
         WHERE block_id = s.block_id AND version = s.block_version),
       $5)
  FROM s WHERE c.user_id = s.user_id AND s.first
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
    appended in SQL so two runs at once both keep their copy), mark it delivered and, the first
    time, move the client's day index past it."""
    await conn.execute(RECORD_DELIVERY, drop_id, parts, now, append, len(DEFAULT_BLOCK.days))


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
