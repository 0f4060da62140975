"""daily_drops: what the check-in, meals and cardio engines sent a client on a local date.

A store bound to one engine gives the drop lifecycle (bot.engines.lifecycle) the same four
operations the training sessions' store does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

from bot.domain.models import DailyDrop

D = TypeVar("D")

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


@dataclass(frozen=True)
class Store(Generic[D]):
    """A table of drops as the drop lifecycle uses it: the same four operations for daily_drops
    (one engine's rows) and for training_sessions."""

    get: Callable[..., Awaitable[D | None]]  # (conn, user_id, day, *, lock=False)
    set_messages: Callable[[asyncpg.Connection, int, list[dict[str, int]]], Awaitable[None]]
    mark_delivered: Callable[[asyncpg.Connection, int, dt.datetime], Awaitable[bool]]
    close: Callable[[asyncpg.Connection, int, dt.datetime], Awaitable[None]]


def drops_of(engine: str) -> Store[DailyDrop]:
    """One engine's rows of daily_drops."""

    async def get_one(
        conn: asyncpg.Connection, user_id: int, day: dt.date, *, lock: bool = False
    ) -> DailyDrop | None:
        return await get(conn, user_id, day, engine, lock=lock)

    return Store(get_one, set_messages, mark_delivered, close)
