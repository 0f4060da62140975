"""coaches and coach_assignments: the team, and which coach has which client from which date."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.domain.team import Assignment, Coach, CoachKind, Notify

UPSERT = """
INSERT INTO coaches (user_id, display_name, kind, added_by, added_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (user_id) DO UPDATE
   SET display_name = EXCLUDED.display_name, kind = EXCLUDED.kind, removed_at = NULL
RETURNING *
"""

GET = "SELECT * FROM coaches WHERE user_id = $1 AND removed_at IS NULL"

ACTIVE = "SELECT * FROM coaches WHERE removed_at IS NULL ORDER BY kind = 'coach', display_name, user_id"

REMOVE = "UPDATE coaches SET removed_at = $2 WHERE user_id = $1 AND removed_at IS NULL RETURNING *"

SET_NOTIFY = "UPDATE coaches SET notify = $2 WHERE user_id = $1 AND removed_at IS NULL RETURNING *"

# The assignment in force on a client's local date: the latest that began on or before it.
COACH_ON = """
SELECT a.*, c.display_name AS coach_name FROM coach_assignments a
  LEFT JOIN coaches c ON c.user_id = a.coach_id
 WHERE a.user_id = $1 AND a.from_date <= $2
 ORDER BY a.from_date DESC LIMIT 1
"""

HISTORY = """
SELECT a.*, c.display_name AS coach_name FROM coach_assignments a
  LEFT JOIN coaches c ON c.user_id = a.coach_id
 WHERE a.user_id = $1 ORDER BY a.from_date
"""

ASSIGN = """
INSERT INTO coach_assignments (user_id, from_date, coach_id, note, assigned_by, assigned_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, from_date) DO UPDATE
   SET coach_id = EXCLUDED.coach_id, note = EXCLUDED.note, assigned_by = EXCLUDED.assigned_by,
       assigned_at = EXCLUDED.assigned_at
"""

# Every client whose assignment in force on `$2` (a date the caller reckons with, not each
# client's own local date) is coach `$1`, and those handed to them from a later date.
CLIENTS_OF = """
SELECT user_id FROM (
    SELECT DISTINCT ON (user_id) user_id, coach_id FROM coach_assignments
     WHERE from_date <= $2 ORDER BY user_id, from_date DESC
) current WHERE coach_id = $1
UNION
SELECT user_id FROM coach_assignments WHERE coach_id = $1 AND from_date > $2
ORDER BY user_id
"""


async def add(
    conn: asyncpg.Connection,
    *,
    user_id: int,
    display_name: str,
    kind: CoachKind,
    by: int | None,
    now: dt.datetime,
) -> Coach:
    return Coach.from_row(await conn.fetchrow(UPSERT, user_id, display_name, str(kind), by, now))


async def get(conn: asyncpg.Connection, user_id: int) -> Coach | None:
    row = await conn.fetchrow(GET, user_id)
    return None if row is None else Coach.from_row(row)


async def active(conn: asyncpg.Connection) -> list[Coach]:
    return [Coach.from_row(r) for r in await conn.fetch(ACTIVE)]


async def remove(conn: asyncpg.Connection, user_id: int, now: dt.datetime) -> Coach | None:
    row = await conn.fetchrow(REMOVE, user_id, now)
    return None if row is None else Coach.from_row(row)


async def set_notify(conn: asyncpg.Connection, user_id: int, notify: Notify) -> Coach | None:
    row = await conn.fetchrow(SET_NOTIFY, user_id, str(notify))
    return None if row is None else Coach.from_row(row)


async def coach_on(conn: asyncpg.Connection, user_id: int, day: dt.date) -> Assignment | None:
    row = await conn.fetchrow(COACH_ON, user_id, day)
    return None if row is None else Assignment.from_row(row)


async def history(conn: asyncpg.Connection, user_id: int) -> list[Assignment]:
    return [Assignment.from_row(r) for r in await conn.fetch(HISTORY, user_id)]


async def assign(
    conn: asyncpg.Connection,
    *,
    user_id: int,
    coach_id: int | None,
    from_date: dt.date,
    note: str | None,
    by: int | None,
    now: dt.datetime,
) -> None:
    await conn.execute(ASSIGN, user_id, from_date, coach_id, note, by, now)


async def clients_of(conn: asyncpg.Connection, coach_id: int, day: dt.date) -> list[int]:
    """The clients `coach_id` has on `day`, and those handed to them from a later date."""
    return [r["user_id"] for r in await conn.fetch(CLIENTS_OF, coach_id, day)]


# The coach (still on the team) each client has on a date: one statement for a whole summary.
RESPONSIBLE = """
SELECT DISTINCT ON (a.user_id) a.user_id AS client_id, c.*
  FROM coach_assignments a JOIN coaches c ON c.user_id = a.coach_id AND c.removed_at IS NULL
 WHERE a.user_id = ANY($1::bigint[]) AND a.from_date <= $2
   AND a.from_date = (SELECT max(b.from_date) FROM coach_assignments b
                       WHERE b.user_id = a.user_id AND b.from_date <= $2)
 ORDER BY a.user_id
"""


async def responsible_for(conn: asyncpg.Connection, user_ids: list[int], day: dt.date) -> dict[int, Coach]:
    """Who hears about each client's cards and alerts of `day`: their coach that day (clients
    without one, or whose coach has left, are absent)."""
    rows = await conn.fetch(RESPONSIBLE, sorted(set(user_ids)), day)
    return {r["client_id"]: Coach.from_row(r) for r in rows}


async def responsible(conn: asyncpg.Connection, user_id: int, day: dt.date) -> Coach | None:
    return (await responsible_for(conn, [user_id], day)).get(user_id)
