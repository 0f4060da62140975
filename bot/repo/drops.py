"""daily_drops: what the check-in, meals and cardio engines sent a client on a local date.

A store bound to one engine gives the drop lifecycle (bot.engines.lifecycle) the same four
operations the training sessions' store does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.domain.models import DailyDrop

GET = "SELECT * FROM daily_drops WHERE user_id = $1 AND local_date = $2 AND engine = $3"
LOCK = GET + " FOR UPDATE"
CREATE = """
INSERT INTO daily_drops (user_id, local_date, engine, content, deadline, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, local_date, engine) DO NOTHING
RETURNING *
"""
SET_MESSAGES = "UPDATE daily_drops SET messages = $2 WHERE id = $1"
MARK_DELIVERED = (
    "UPDATE daily_drops SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL RETURNING id"
)
CLOSE = "UPDATE daily_drops SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL"


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


async def set_messages(conn: asyncpg.Connection, drop_id: int, messages: list[dict[str, int]]) -> None:
    await conn.execute(SET_MESSAGES, drop_id, messages)


async def mark_delivered(conn: asyncpg.Connection, drop_id: int, now: dt.datetime) -> bool:
    """True only the first time."""
    return await conn.fetchval(MARK_DELIVERED, drop_id, now) is not None


async def close(conn: asyncpg.Connection, drop_id: int, now: dt.datetime) -> None:
    await conn.execute(CLOSE, drop_id, now)


class DropStore:
    """One engine's rows of daily_drops, as the drop lifecycle uses them."""

    def __init__(self, engine: str) -> None:
        self.engine = engine

    async def get(
        self, conn: asyncpg.Connection, user_id: int, day: dt.date, *, lock: bool = False
    ) -> DailyDrop | None:
        return await get(conn, user_id, day, self.engine, lock=lock)

    async def set_messages(self, conn: asyncpg.Connection, drop_id: int, parts: list[dict[str, int]]) -> None:
        await set_messages(conn, drop_id, parts)

    async def mark_delivered(self, conn: asyncpg.Connection, drop_id: int, now: dt.datetime) -> bool:
        return await mark_delivered(conn, drop_id, now)

    async def close(self, conn: asyncpg.Connection, drop_id: int, now: dt.datetime) -> None:
        await close(conn, drop_id, now)
