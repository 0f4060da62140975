"""alerts: the buffer of failures coaches must hear about, posted in batches."""

from __future__ import annotations

import datetime as dt

import asyncpg

ADD = """
INSERT INTO alerts (kind, job_id, user_id, message, created_at, coach_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (job_id, kind) WHERE job_id IS NOT NULL DO NOTHING
RETURNING id
"""

# A batch begun earlier comes first: it is finished before new ones are begun.
TAKE_UNPOSTED = """
SELECT id, kind, job_id, user_id, message, created_at, batch, posting_since, coach_id FROM alerts
 WHERE posted_at IS NULL ORDER BY batch IS NULL, batch, created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
"""

BEGIN_BATCH = "UPDATE alerts SET batch = $2, posting_since = $3 WHERE id = ANY($1::bigint[])"

LOCK_BATCH = """
SELECT id, kind, job_id, user_id, message, created_at, batch, posting_since, coach_id FROM alerts
 WHERE batch = $1 AND posted_at IS NULL ORDER BY created_at, id FOR UPDATE SKIP LOCKED
"""

MARK_POSTED = "UPDATE alerts SET posted_at = $2 WHERE id = ANY($1::bigint[])"


async def add(
    conn: asyncpg.Connection,
    *,
    kind: str,
    message: str,
    now: dt.datetime,
    job_id: int | None = None,
    user_id: int | None = None,
    coach_id: int | None = None,
) -> int | None:
    return await conn.fetchval(ADD, kind, job_id, user_id, message, now, coach_id)


async def take_unposted(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Lock up to `limit` unposted alerts, a begun batch first (call inside a transaction;
    other posters skip them)."""
    return list(await conn.fetch(TAKE_UNPOSTED, limit))


async def begin_batch(conn: asyncpg.Connection, ids: list[int], batch: str, now: dt.datetime) -> None:
    """Name the batch these alerts will be posted in, before it is posted."""
    await conn.execute(BEGIN_BATCH, ids, batch, now)


async def lock_batch(conn: asyncpg.Connection, batch: str) -> list[asyncpg.Record]:
    """The batch's alerts still unposted, locked; none when another poster holds them."""
    return list(await conn.fetch(LOCK_BATCH, batch))


async def mark_posted(conn: asyncpg.Connection, ids: list[int], now: dt.datetime) -> None:
    await conn.execute(MARK_POSTED, ids, now)
