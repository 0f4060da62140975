"""client_profiles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.domain.models import ClientProfile

_COLUMNS = (
    "user_id",
    "display_name",
    "timezone",
    "start_date",
    "paused",
    "paused_until",
    "pause_reason",
    "block_id",
    "next_block_id",
    "next_block_from",
    "next_day_index",
    "block_started_on",
    "schedule_days",
    "day_index",
    "unit",
    "dm_channel_id",
    "honors_opt_out",
    "previous_timezone",
    "timezone_effective_from",
    "meal_plan_id",
    "cardio_plan_id",
    "weekly_change_min_kg",
    "weekly_change_max_kg",
    "review_weekday",
    "review_at",
    "review_measurements",
)

GET = "SELECT * FROM client_profiles WHERE user_id = $1"
GET_FOR_UPDATE = "SELECT * FROM client_profiles WHERE user_id = $1 FOR UPDATE"


SET_DM_CHANNEL = """
UPDATE client_profiles SET dm_channel_id = $2, updated_at = $3 WHERE user_id = $1
"""

# Returns the moment the client became unreachable, the same for every job that races here,
# so the job card keyed on it is raised once per episode.
MARK_UNREACHABLE = """
UPDATE client_profiles
   SET reachable = false, unreachable_since = COALESCE(unreachable_since, $2), updated_at = $2
 WHERE user_id = $1
RETURNING unreachable_since
"""

MARK_REACHABLE = """
UPDATE client_profiles
   SET reachable = true, unreachable_since = NULL, updated_at = $2
 WHERE user_id = $1 AND NOT reachable
RETURNING user_id
"""


async def get(conn: asyncpg.Connection, user_id: int, *, lock: bool = False) -> ClientProfile | None:
    row = await conn.fetchrow(GET_FOR_UPDATE if lock else GET, user_id)
    return None if row is None else ClientProfile.from_row(row)


async def upsert(conn: asyncpg.Connection, profile: ClientProfile, now: dt.datetime) -> None:
    values: dict[str, Any] = profile.model_dump(include=set(_COLUMNS))
    values["unit"] = str(profile.unit)
    cols = ", ".join(_COLUMNS)
    params = ", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "user_id")
    n = len(_COLUMNS)
    await conn.execute(
        f"INSERT INTO client_profiles ({cols}, created_at, updated_at) VALUES ({params}, ${n + 1}, ${n + 1}) "
        f"ON CONFLICT (user_id) DO UPDATE SET {updates}, updated_at = EXCLUDED.updated_at",
        *(values[c] for c in _COLUMNS),
        now,
    )


async def set_dm_channel(conn: asyncpg.Connection, user_id: int, channel_id: int, now: dt.datetime) -> None:
    await conn.execute(SET_DM_CHANNEL, user_id, channel_id, now)


async def mark_unreachable(conn: asyncpg.Connection, user_id: int, now: dt.datetime) -> dt.datetime | None:
    return await conn.fetchval(MARK_UNREACHABLE, user_id, now)


async def mark_reachable(conn: asyncpg.Connection, user_id: int, now: dt.datetime) -> bool:
    """True when the client was unreachable and is now restored."""
    return await conn.fetchval(MARK_REACHABLE, user_id, now) is not None


SEARCH = """
SELECT user_id, display_name, timezone, paused FROM client_profiles
 WHERE $1 = '' OR display_name ILIKE '%' || $1 || '%' OR user_id::text LIKE $1 || '%'
 ORDER BY lower(display_name), user_id LIMIT $2
"""

# `$3`: only these clients (NULL: everyone), for a coach's "mine".
LIST_ALL = """
SELECT * FROM client_profiles WHERE ($3::bigint[] IS NULL OR user_id = ANY($3))
 ORDER BY lower(display_name), user_id LIMIT $1 OFFSET $2
"""
COUNT_ALL = "SELECT count(*) FROM client_profiles WHERE ($1::bigint[] IS NULL OR user_id = ANY($1))"

# Clients whose pause ran out on their local date: the resume job finds them with this.
END_PAUSE = """
UPDATE client_profiles
   SET paused = false, paused_until = NULL, pause_reason = NULL, updated_at = $3
 WHERE user_id = $1 AND paused AND paused_until IS NOT NULL AND paused_until <= $2
RETURNING user_id
"""


async def search(conn: asyncpg.Connection, text: str, limit: int = 25) -> list[asyncpg.Record]:
    return list(await conn.fetch(SEARCH, text.strip(), limit))


async def list_page(
    conn: asyncpg.Connection, limit: int, offset: int, among: set[int] | None = None
) -> tuple[list[ClientProfile], int]:
    only = None if among is None else sorted(among)
    rows = await conn.fetch(LIST_ALL, limit, offset, only)
    total = await conn.fetchval(COUNT_ALL, only)
    return [ClientProfile.from_row(r) for r in rows], int(total)


async def end_pause(conn: asyncpg.Connection, user_id: int, local_date: dt.date, now: dt.datetime) -> bool:
    """Lift a pause whose until-date has come; False if it was already lifted (or extended)."""
    return await conn.fetchval(END_PAUSE, user_id, local_date, now) is not None


async def all_profiles(conn: asyncpg.Connection) -> list[ClientProfile]:
    return [
        ClientProfile.from_row(r) for r in await conn.fetch("SELECT * FROM client_profiles ORDER BY user_id")
    ]


async def set_honors_opt_out(conn: asyncpg.Connection, user_id: int, opt_out: bool, now: dt.datetime) -> None:
    query = "UPDATE client_profiles SET honors_opt_out = $2, updated_at = $3 WHERE user_id = $1"
    await conn.execute(query, user_id, opt_out, now)


async def count_unreachable(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM client_profiles WHERE NOT reachable"))


# --- pause history (pause_periods) ------------------------------------------------------------
# A period covers local days [paused_from, paused_until); paused_until NULL: open. The current one
# is the period that covers `today` (at most one: pauses are written under the client's row lock).

CURRENT_PAUSE = """
SELECT id FROM pause_periods
 WHERE user_id = $1 AND paused_from <= $2 AND (paused_until IS NULL OR paused_until > $2)
 ORDER BY paused_from DESC, id DESC LIMIT 1
"""
EXTEND_PAUSE = """
UPDATE pause_periods SET paused_until = $2, reason = $3, paused_by = $4, updated_at = $5 WHERE id = $1
"""
START_PAUSE = """
INSERT INTO pause_periods (user_id, paused_from, paused_until, reason, paused_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
"""
END_PAUSE_PERIOD = """
UPDATE pause_periods SET paused_until = $3, resumed_by = $4, updated_at = $5
 WHERE user_id = $1 AND paused_from <= $2 AND (paused_until IS NULL OR paused_until > $2)
"""
PAUSE_PERIODS = """
SELECT user_id, paused_from, paused_until FROM pause_periods
 WHERE user_id = ANY($1::bigint[]) AND paused_from < $3 AND (paused_until IS NULL OR paused_until > $2)
   AND paused_until IS DISTINCT FROM paused_from
 ORDER BY user_id, paused_from
"""


async def record_pause(
    conn: asyncpg.Connection,
    user_id: int,
    today: dt.date,
    until: dt.date | None,
    reason: str | None,
    by: int | None,
    now: dt.datetime,
) -> None:
    """A pause from the client's `today` until `until` (None: until resumed). A pause already
    covering today is changed instead (a coach extending or shortening it), so no day is in two."""
    current = await conn.fetchval(CURRENT_PAUSE, user_id, today)
    if current is None:
        await conn.execute(START_PAUSE, user_id, today, until, reason, by, now)
    else:
        await conn.execute(EXTEND_PAUSE, current, until, reason, by, now)


async def record_resume(
    conn: asyncpg.Connection, user_id: int, today: dt.date, by: int | None, now: dt.datetime
) -> None:
    """The pause covering the client's `today` ends: today is active again."""
    await conn.execute(END_PAUSE_PERIOD, user_id, today, today, by, now)


async def pause_periods(
    conn: asyncpg.Connection, user_ids: list[int], start: dt.date, end: dt.date
) -> dict[int, list[tuple[dt.date, dt.date | None]]]:
    """Per client, the pauses that cover any local day in [start, end): (from, until or None)."""
    found: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for row in await conn.fetch(PAUSE_PERIODS, user_ids, start, end):
        found.setdefault(row["user_id"], []).append((row["paused_from"], row["paused_until"]))
    return found
