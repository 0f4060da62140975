"""What coaches read about the schedule and the logs: job history, delivery reports, recent logs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import asyncpg

HISTORY = """
SELECT * FROM jobs
 WHERE ($1::bigint IS NULL OR user_id = $1) AND ($2::date IS NULL OR local_date = $2)
 ORDER BY due_at DESC, id DESC LIMIT $3
"""

# Drops only: lateness of what a client receives. "Late" is more than five minutes after due.
DELIVERIES = """
WITH recent AS (
    -- Lateness is when it went out (finished), not when it was first tried; a coach's manual
    -- run has no schedule to be late against.
    SELECT j.*, EXTRACT(EPOCH FROM (j.finished_at - j.due_at)) AS late_s
      FROM jobs j
     WHERE j.finished_at >= $1 AND j.finished_at < $2 AND j.action = 'drop' AND NOT j.manual
)
SELECT count(*) FILTER (WHERE status = 'sent') AS sent,
       count(*) FILTER (WHERE status = 'sent' AND late_s > 300) AS late,
       count(*) FILTER (WHERE status = 'expired') AS expired,
       count(*) FILTER (WHERE status = 'dead') AS dead,
       count(*) FILTER (WHERE status = 'failed' AND last_error LIKE 'unreachable%') AS unreachable,
       count(*) FILTER (WHERE status = 'failed' AND last_error NOT LIKE 'unreachable%') AS failed,
       count(*) FILTER (WHERE status = 'skipped') AS skipped,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY late_s) FILTER (WHERE status = 'sent') AS median_s,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY late_s) FILTER (WHERE status = 'sent') AS p95_s
  FROM recent
"""

UNREACHABLE_CLIENTS = """
SELECT user_id, display_name, unreachable_since FROM client_profiles
 WHERE NOT reachable ORDER BY unreachable_since
"""


async def job_history(
    conn: asyncpg.Connection, user_id: int | None, day: dt.date | None, limit: int = 20
) -> list[asyncpg.Record]:
    return list(await conn.fetch(HISTORY, user_id, day, limit))


async def deliveries(conn: asyncpg.Connection, start: dt.datetime, end: dt.datetime) -> asyncpg.Record:
    return await conn.fetchrow(DELIVERIES, start, end)


async def unreachable_clients(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(await conn.fetch(UNREACHABLE_CLIENTS))


async def recent_logs(
    conn: asyncpg.Connection,
    sources: Mapping[str, str],
    user_id: int,
    engine: str | None,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    """A client's logs, newest first: (timestamp, date, engine, status, detail). `sources` is each
    engine's RECENT_LOGS statement by engine name; `engine` keeps one of them."""
    chosen = [sql for name, sql in sources.items() if engine is None or name == engine]
    if not chosen:
        return []
    union = "\nUNION ALL\n".join(f"({sql})" for sql in chosen)
    query = f"SELECT * FROM ({union}) logs ORDER BY date DESC, timestamp DESC LIMIT $2 OFFSET $3"
    return list(await conn.fetch(query, user_id, limit, offset))
