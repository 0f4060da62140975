"""notes: the private line between a coach and a client, one thread per client, and the jobs
that deliver each message (the notes engine's actions are never planned: a note's job is
inserted with it, in one statement)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.domain.models import Row

ENGINE = "notes"


class Note(Row):
    id: int
    user_id: int
    direction: str  # to_client | to_coach
    coach_id: int | None = None
    coach_name: str | None = None
    body: str
    local_date: dt.date
    seq: int | None = None
    reply_to: int | None = None
    job_id: int | None = None
    notice_job_id: int | None = None
    status: str  # queued | delivered | undeliverable
    messages: list[dict[str, int]] = []
    delivered_at: dt.datetime | None = None
    author_told: str | None = None
    created_at: dt.datetime


class ThreadRow(Row):
    """A note as a thread shows it: what became of it, from the note and, while it is kept, its job."""

    id: int
    direction: str
    coach_name: str | None = None
    body: str
    local_date: dt.date
    created_at: dt.datetime
    state: str  # queued | delivered | not delivered
    why: str | None = None  # why it was not delivered: "dms_closed", "paused", an error


# A job of the engine, numbered after the runs of the same key (engine, action, client or none,
# date). Concurrent inserts of the same number: the second waits for the first to commit, finds
# the key taken and inserts nothing; the caller tries again with a fresh count (a new statement
# sees the committed row). The count is served by `jobs_client_key` for a client's job and by
# `jobs_global_key` for one with no client: two forms, as no index serves "the same client or
# both none" in one condition.
_NEXT_JOB = """
    INSERT INTO jobs (engine, action, user_id, local_date, seq, due_at, deadline, next_attempt_at,
                      manual, requested_by, created_at, updated_at)
    SELECT $1, $2, $3::bigint, $4, COALESCE(max(seq) + 1, 0), $5, NULL, $5, true, $6, $7, $7
      FROM jobs
     WHERE {whose} AND engine = $1 AND action = $2 AND local_date = $4
    ON CONFLICT DO NOTHING
    RETURNING id, seq
"""
_CLIENTS = "user_id = $3::bigint"
_NO_CLIENT = "user_id IS NULL"

_ADD = f"""
WITH job AS ({_NEXT_JOB})
INSERT INTO notes (user_id, direction, coach_id, coach_name, body, local_date, seq, reply_to,
                   job_id, created_at)
SELECT $8, $9, $10, $11, $12, $13, CASE WHEN $9 = 'to_client' THEN job.seq END, $14, job.id, $7
  FROM job
RETURNING *
"""
ADD_FOR_CLIENT = _ADD.replace("{whose}", _CLIENTS)
ADD_FOR_NO_CLIENT = _ADD.replace("{whose}", _NO_CLIENT)

ADD_NOTICE_JOB = f"""
WITH job AS ({_NEXT_JOB.replace("{whose}", _NO_CLIENT)})
UPDATE notes SET notice_job_id = job.id FROM job WHERE notes.id = $8 RETURNING job.id
"""

GET = "SELECT * FROM notes WHERE id = $1"
BY_JOB = "SELECT * FROM notes WHERE job_id = $1"
BY_NOTICE_JOB = "SELECT * FROM notes WHERE notice_job_id = $1"
BY_BUTTON = """
SELECT * FROM notes WHERE user_id = $1 AND local_date = $2 AND seq = $3 AND direction = 'to_client'
"""
TO_CLIENT_ON = "SELECT count(*) FROM notes WHERE user_id = $1 AND local_date = $2 AND direction = 'to_client'"

DELIVERED = """
UPDATE notes SET status = 'delivered', messages = $2, delivered_at = $3
 WHERE id = $1 AND status <> 'delivered'
"""
# Only the first attempt that met closed DMs (a retry meets them again) asks for the notice.
UNDELIVERABLE = "UPDATE notes SET status = 'undeliverable' WHERE id = $1 AND status = 'queued' RETURNING id"
# Whoever tells the author first (the waiting /note, or the notice job) says so; the notice job
# may take its own claim again on a retry.
TELL_AUTHOR = """
UPDATE notes SET author_told = $2
 WHERE id = $1 AND (author_told IS NULL OR author_told = $2) RETURNING id
"""

# What became of a note: `delivered`, or `not delivered` once its job finished otherwise (or
# closed DMs were met), else `queued`. A job deleted by retention without a delivery recorded
# finished without one.
_STATE = """
CASE
    WHEN n.status = 'delivered' THEN 'delivered'
    WHEN n.status = 'undeliverable' THEN 'not delivered'
    WHEN j.id IS NULL OR j.status IN ('skipped', 'expired', 'failed', 'dead') THEN 'not delivered'
    ELSE 'queued'
END
"""
_WHY = """
CASE
    WHEN n.status = 'delivered' THEN NULL
    WHEN n.status = 'undeliverable' OR j.last_error LIKE 'unreachable:%' THEN 'dms_closed'
    WHEN j.status = 'skipped' THEN j.result->>'reason'
    WHEN j.status IN ('failed', 'dead') THEN j.last_error
    WHEN j.id IS NULL THEN 'unknown'
END
"""

STATE_OF = f"""
SELECT n.id, n.direction, n.coach_name, n.body, n.local_date, n.created_at,
       {_STATE} AS state, {_WHY} AS why
  FROM notes n LEFT JOIN jobs j ON j.id = n.job_id
 WHERE n.id = $1
"""

# The last `$2` messages of a client's thread, oldest first.
THREAD = f"""
SELECT * FROM (
    SELECT n.id, n.direction, n.coach_name, n.body, n.local_date, n.created_at,
           {_STATE} AS state, {_WHY} AS why
      FROM notes n LEFT JOIN jobs j ON j.id = n.job_id
     WHERE n.user_id = $1
     ORDER BY n.created_at DESC, n.id DESC
     LIMIT $2
) last ORDER BY created_at, id
"""

# The thread as a client's logs read (bot.repo.reports.recent_logs: timestamp, date, engine,
# status, detail; $1 the client), for /logs and /client show.
RECENT_LOGS = f"""
SELECT n.created_at AS timestamp, n.local_date AS date, '{ENGINE}' AS engine,
       CASE WHEN n.direction = 'to_client' THEN 'note from ' || coalesce(n.coach_name, 'a coach')
            ELSE 'reply to ' || coalesce(n.coach_name, 'the coaches') END
       || CASE {_STATE} WHEN 'queued' THEN ' (queued)' WHEN 'not delivered' THEN ' (not delivered)'
          ELSE '' END AS status,
       left(regexp_replace(n.body, '\\s+', ' ', 'g'), 160) AS detail
  FROM notes n LEFT JOIN jobs j ON j.id = n.job_id
 WHERE n.user_id = $1
"""

# Concurrent inserts of one job key: each round one of them takes the number and the others try
# again with a fresh count, so k at once need at most k tries; this bounds them well past a pool's
# connections (DB_POOL_MAX) and a few processes. With five tries, 32 replies at once failed every run.
_ATTEMPTS = 64


async def add(
    conn: asyncpg.Connection,
    *,
    user_id: int,
    direction: str,
    coach_id: int | None,
    coach_name: str | None,
    body: str,
    local_date: dt.date,
    reply_to: int | None,
    job_user_id: int | None,
    job_date: dt.date,
    requested_by: int | None,
    now: dt.datetime,
) -> Note:
    """A note and the job that delivers it (due now), in one statement. The job belongs to
    `job_user_id` (the client, for a note to them; none for a reply, which goes to a coach) and
    `job_date`; a note to a client is numbered by that job among the client's notes of the day."""
    action = direction
    statement = ADD_FOR_NO_CLIENT if job_user_id is None else ADD_FOR_CLIENT
    for _ in range(_ATTEMPTS):
        row = await conn.fetchrow(
            statement, ENGINE, action, job_user_id, job_date, now, requested_by, now,
            user_id, direction, coach_id, coach_name, body, local_date, reply_to,
        )  # fmt: skip
        if row is not None:
            return Note.from_row(row)
    raise RuntimeError(f"could not number a {ENGINE}.{action} job for {job_date}")


async def add_notice_job(
    conn: asyncpg.Connection, note_id: int, *, day: dt.date, due: dt.datetime, now: dt.datetime
) -> int:
    """The job that tells a note's author it was not delivered, due at `due`."""
    for _ in range(_ATTEMPTS):
        job_id = await conn.fetchval(ADD_NOTICE_JOB, ENGINE, "notice", None, day, due, None, now, note_id)
        if job_id is not None:
            return int(job_id)
    raise RuntimeError(f"could not number a {ENGINE}.notice job for {day}")


async def get(conn: asyncpg.Connection, note_id: int) -> Note | None:
    row = await conn.fetchrow(GET, note_id)
    return None if row is None else Note.from_row(row)


async def by_job(conn: asyncpg.Connection, job_id: int) -> Note | None:
    row = await conn.fetchrow(BY_JOB, job_id)
    return None if row is None else Note.from_row(row)


async def by_notice_job(conn: asyncpg.Connection, job_id: int) -> Note | None:
    row = await conn.fetchrow(BY_NOTICE_JOB, job_id)
    return None if row is None else Note.from_row(row)


async def by_button(conn: asyncpg.Connection, user_id: int, day: dt.date, seq: int) -> Note | None:
    row = await conn.fetchrow(BY_BUTTON, user_id, day, seq)
    return None if row is None else Note.from_row(row)


async def count_to_client_on(conn: asyncpg.Connection, user_id: int, day: dt.date) -> int:
    return int(await conn.fetchval(TO_CLIENT_ON, user_id, day))


async def mark_delivered(
    conn: asyncpg.Connection, note_id: int, messages: list[dict[str, int]], now: dt.datetime
) -> None:
    await conn.execute(DELIVERED, note_id, messages, now)


async def mark_undeliverable(conn: asyncpg.Connection, note_id: int) -> bool:
    """True the first time: the author is still to be told."""
    return await conn.fetchval(UNDELIVERABLE, note_id) is not None


async def claim_telling(conn: asyncpg.Connection, note_id: int, who: str) -> bool:
    """Whether `who` ("command" or "notice") tells the author; False when the other one does."""
    return await conn.fetchval(TELL_AUTHOR, note_id, who) is not None


async def state_of(conn: asyncpg.Connection, note_id: int) -> ThreadRow | None:
    row = await conn.fetchrow(STATE_OF, note_id)
    return None if row is None else ThreadRow.from_row(row)


async def thread(conn: asyncpg.Connection, user_id: int, limit: int) -> list[ThreadRow]:
    return [ThreadRow.from_row(r) for r in await conn.fetch(THREAD, user_id, limit)]


def messages_of(sent: list[Any]) -> list[dict[str, int]]:
    """Where a note went, as stored: each part's channel and message ids."""
    return [{"channel_id": s.channel_id, "message_id": s.message_id} for s in sent]
