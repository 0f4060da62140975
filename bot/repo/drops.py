"""daily_drops: what the check-in, meals and cardio engines sent a client on a local date.

A store bound to one engine gives the drop lifecycle (bot.engines.lifecycle) the same operations
the training sessions' store does, each one statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

from bot.domain.models import ClientProfile, DailyDrop
from bot.repo import jobs

D = TypeVar("D")

GET = "SELECT * FROM daily_drops WHERE user_id = $1 AND local_date = $2 AND engine = $3"
LOCK = GET + " FOR UPDATE"
CREATE = """
INSERT INTO daily_drops (user_id, local_date, engine, content, deadline, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, local_date, engine) DO NOTHING
RETURNING *
"""
_DROP_EXISTS = (
    "EXISTS (SELECT 1 FROM created) OR EXISTS (SELECT 1 FROM daily_drops "
    "WHERE user_id = $1 AND local_date = $2 AND engine = $3)"
)
# The drop job's first statement: the day's drop as it was first snapshotted (created now, or by
# an earlier attempt) and its close job, in one round trip. `fresh`: created by this statement.
# A new drop is made only if `{guard}` holds (the plan it was made from is still the newest).
OPEN = f"""
WITH created AS (
    INSERT INTO daily_drops (user_id, local_date, engine, content, deadline, created_at)
    SELECT $1, $2, $3, $4, $5, $6 WHERE {{guard}}
    ON CONFLICT (user_id, local_date, engine) DO NOTHING
    RETURNING *
), close_job AS (
    {jobs.ensure_fragment("$3", "'close'", "$1", "$2", "$5", "$6", when=_DROP_EXISTS)}
)
SELECT *, true AS fresh FROM created
UNION ALL
SELECT *, false AS fresh FROM daily_drops
 WHERE user_id = $1 AND local_date = $2 AND engine = $3 AND NOT EXISTS (SELECT 1 FROM created)
"""
# After the send: where every part went, and whether this was the first delivery.
RECORD_DELIVERY = """
UPDATE daily_drops
   SET messages = CASE WHEN $4 THEN messages || $2::jsonb ELSE $2::jsonb END,
       delivered_at = COALESCE(delivered_at, $3)
 WHERE id = $1
"""


async def get(
    conn: asyncpg.Connection, user_id: int, day: dt.date, engine: str, *, lock: bool = False
) -> DailyDrop | None:
    row = await conn.fetchrow(LOCK if lock else GET, user_id, day, engine)
    return None if row is None else DailyDrop.from_row(row)


async def create(
    conn: asyncpg.Connection,
    user_id: int,
    day: dt.date,
    engine: str,
    content: dict[str, Any],
    deadline: dt.datetime,
    now: dt.datetime,
) -> DailyDrop:
    row = await conn.fetchrow(CREATE, user_id, day, engine, content, deadline, now)
    if row is None:
        existing = await get(conn, user_id, day, engine)
        assert existing is not None
        return existing
    return DailyDrop.from_row(row)


async def open_drop(
    conn: asyncpg.Connection,
    user_id: int,
    day: dt.date,
    engine: str,
    content: dict[str, Any],
    deadline: dt.datetime,
    now: dt.datetime,
) -> tuple[DailyDrop, bool]:
    """The drop of that day (this content if it is new) and whether it was created now; its
    close job (engine "close" at the deadline) exists afterwards either way."""
    made = await open_drop_if(conn, user_id, day, engine, content, deadline, now, guard=("true", ()))
    assert made is not None  # unguarded: a drop always comes back
    return made


async def open_drop_if(
    conn: asyncpg.Connection,
    user_id: int,
    day: dt.date,
    engine: str,
    content: dict[str, Any],
    deadline: dt.datetime,
    now: dt.datetime,
    *,
    guard: tuple[str, tuple[Any, ...]],
) -> tuple[DailyDrop, bool] | None:
    """As `open_drop`, but a new drop is made only if `guard` holds (an SQL condition on
    parameters $7 on, and their values): None when it does not and no drop exists."""
    condition, values = guard
    row = await conn.fetchrow(
        OPEN.replace("{guard}", condition), user_id, day, engine, content, deadline, now, *values
    )
    return None if row is None else (DailyDrop.from_row(row), bool(row["fresh"]))


# A log in one statement: the client, the day's drop, and the engine's write `{write}`, which
# reads the drop from `ok` (present only while it is open: delivered, not closed, before its
# deadline at $4) and RETURNs one row per row it wrote. Its own parameters start at $5. The drop's
# row lock orders the log and the close: a close that commits first leaves `ok` empty (the row is
# read again after the wait), and a close that comes second waits for the log and sees it.
LOG_ON_OPEN = """
WITH c AS (SELECT * FROM client_profiles WHERE user_id = $1),
d AS (SELECT * FROM daily_drops WHERE user_id = $1 AND local_date = $2 AND engine = $3 FOR UPDATE),
ok AS (SELECT * FROM d WHERE delivered_at IS NOT NULL AND closed_at IS NULL AND deadline > $4),
written AS (
    {write}
)
SELECT (SELECT to_jsonb(c) FROM c) AS client, (SELECT to_jsonb(d) FROM d) AS drop,
       (SELECT count(*) FROM written) AS written, (SELECT to_jsonb(w) FROM written w LIMIT 1) AS row
"""


async def log_on_open(
    conn: asyncpg.Connection,
    engine: str,
    user_id: int,
    day: dt.date,
    now: dt.datetime,
    write_sql: str,
    *args: Any,
) -> tuple[ClientProfile | None, DailyDrop | None, int, dict[str, Any] | None]:
    """(the client, the day's drop, how many rows the write wrote, the first row it RETURNed):
    one round trip."""
    row = await conn.fetchrow(LOG_ON_OPEN.replace("{write}", write_sql), user_id, day, engine, now, *args)
    client = None if row["client"] is None else ClientProfile.model_validate(row["client"])
    drop = None if row["drop"] is None else DailyDrop.model_validate(row["drop"])
    return client, drop, int(row["written"]), row["row"]


async def record_delivery(
    conn: asyncpg.Connection, drop_id: int, parts: list[dict[str, int]], now: dt.datetime, append: bool
) -> None:
    """Store where the parts went (added to the earlier copies' when `append`: a forced resend,
    appended in SQL so two runs at once both keep their copy) and mark it delivered."""
    await conn.execute(RECORD_DELIVERY, drop_id, parts, now, append)


# The close job's one statement: close the drop (if it was delivered) and mark what was not
# logged as missed. `{miss}` is the engine's insert of missed rows, reading the closed drop `d`
# ($4 is the time); it must RETURN one row per row it wrote.
CLOSE_AND_MISS = """
WITH d AS (
    UPDATE daily_drops SET closed_at = COALESCE(closed_at, $4)
     WHERE user_id = $1 AND local_date = $2 AND engine = $3 AND delivered_at IS NOT NULL
    RETURNING *
), missed AS (
    {miss}
)
SELECT d.*, (SELECT count(*) FROM missed) AS missed FROM d
"""


@dataclass(frozen=True)
class Store(Generic[D]):
    """A table of drops as the drop lifecycle uses it: the same three operations for daily_drops
    (one engine's rows) and for training_sessions, each one round trip."""

    get: Callable[..., Awaitable[D | None]]  # (conn, user_id, day, *, lock=False)
    # (conn, drop id, the parts just sent, now, append to the earlier copies); whatever else a
    # first delivery changes (training's day index) happens in the same statement
    record_delivery: Callable[
        [asyncpg.Connection, int, list[dict[str, int]], dt.datetime, bool], Awaitable[None]
    ]
    # (conn, user_id, day, now) -> the closed drop and how many items were missed, or None if
    # nothing was delivered that day
    close_and_miss: Callable[[asyncpg.Connection, int, dt.date, dt.datetime], Awaitable[tuple[D, int] | None]]


def drops_of(engine: str, miss_sql: str) -> Store[DailyDrop]:
    """One engine's rows of daily_drops; `miss_sql` is its CLOSE_AND_MISS fragment."""
    closing = CLOSE_AND_MISS.replace("{miss}", miss_sql)

    async def get_one(
        conn: asyncpg.Connection, user_id: int, day: dt.date, *, lock: bool = False
    ) -> DailyDrop | None:
        return await get(conn, user_id, day, engine, lock=lock)

    async def close_and_miss(
        conn: asyncpg.Connection, user_id: int, day: dt.date, now: dt.datetime
    ) -> tuple[DailyDrop, int] | None:
        row = await conn.fetchrow(closing, user_id, day, engine, now)
        return None if row is None else (DailyDrop.from_row(row), int(row["missed"]))

    return Store(get_one, record_delivery, close_and_miss)
