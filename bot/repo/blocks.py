"""training_blocks: versioned block definitions (the import itself comes with the training engine)."""

from __future__ import annotations

import datetime as dt

import asyncpg
from pydantic import ValidationError

from bot.domain.blocks import Block

# Always available: clients with no block, or a missing one, train on it (seed 001).
DEFAULT_BLOCK_ID = "default"

EXISTS = "SELECT EXISTS (SELECT 1 FROM training_blocks WHERE block_id = $1)"
SEARCH = """
SELECT DISTINCT block_id FROM training_blocks
 WHERE block_id ILIKE '%' || $1 || '%' OR name ILIKE '%' || $1 || '%'
 ORDER BY block_id LIMIT $2
"""


async def exists(conn: asyncpg.Connection, block_id: str) -> bool:
    return block_id == DEFAULT_BLOCK_ID or bool(await conn.fetchval(EXISTS, block_id))


async def search(conn: asyncpg.Connection, text: str, limit: int = 25) -> list[str]:
    found = [r["block_id"] for r in await conn.fetch(SEARCH, text, limit)]
    if DEFAULT_BLOCK_ID.startswith(text.lower()) and DEFAULT_BLOCK_ID not in found:
        found.insert(0, DEFAULT_BLOCK_ID)
    return found[:limit]


STORE = """
INSERT INTO training_blocks (block_id, version, name, definition, imported_at, imported_by)
SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4, $5 FROM training_blocks WHERE block_id = $1
RETURNING version
"""

LATEST = """
SELECT version, definition FROM training_blocks WHERE block_id = $1 ORDER BY version DESC LIMIT 1
"""

LIST = """
SELECT DISTINCT ON (block_id) block_id, version, name, imported_at FROM training_blocks
 ORDER BY block_id, version DESC
"""


async def store(conn: asyncpg.Connection, block: Block, now: dt.datetime, imported_by: int | None) -> int:
    """Save a validated block as the next version of its id; returns the version number."""
    # Serialise concurrent imports of one id (two coaches, two processes): the version is max + 1.
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('training_block:' || $1))", block.id)
    return int(
        await conn.fetchval(STORE, block.id, block.name, block.model_dump(mode="json"), now, imported_by)
    )


async def latest(conn: asyncpg.Connection, block_id: str) -> tuple[int, Block] | None:
    """The newest version of a block, or None when it was never imported or no longer parses."""
    row = await conn.fetchrow(LATEST, block_id)
    if row is None:
        return None
    try:
        return int(row["version"]), Block.model_validate(row["definition"])
    except ValidationError:
        return None


async def listing(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(await conn.fetch(LIST))


async def known_ids(conn: asyncpg.Connection) -> set[str]:
    """Every block id ever imported."""
    return {r["block_id"] for r in await conn.fetch("SELECT DISTINCT block_id FROM training_blocks")}


LATEST_MANY = """
SELECT DISTINCT ON (block_id) block_id, definition FROM training_blocks
 WHERE block_id = ANY($1::text[]) ORDER BY block_id, version DESC
"""

# The delivered sessions of each (client, block) from a date on, before another (exclusive).
SESSIONS_SINCE = """
SELECT s.user_id, s.local_date
  FROM training_sessions s
  JOIN unnest($1::bigint[], $2::text[], $3::date[]) AS r(user_id, block_id, since)
    ON s.user_id = r.user_id AND s.block_id = r.block_id AND s.local_date >= r.since
 WHERE s.delivered_at IS NOT NULL AND s.local_date < $4
 ORDER BY s.user_id, s.local_date
"""

SET_BLOCK_START = "UPDATE client_profiles SET block_started_on = $2, day_index = $3 WHERE user_id = $1"


async def latest_many(conn: asyncpg.Connection, block_ids: set[str]) -> dict[str, Block]:
    """The newest version of each block that was imported and still parses (not the built-in)."""
    found: dict[str, Block] = {}
    for row in await conn.fetch(LATEST_MANY, sorted(block_ids)):
        try:
            found[row["block_id"]] = Block.model_validate(row["definition"])
        except ValidationError:
            continue
    return found


async def sessions_since(
    conn: asyncpg.Connection, runs: list[tuple[int, str, dt.date]], before: dt.date
) -> dict[int, list[dt.date]]:
    """Per client, the local dates of the sessions delivered on their block since the date given
    (`runs`: client, block id, from), before `before`."""
    if not runs:
        return {}
    users, block_ids, since = (list(column) for column in zip(*runs, strict=True))
    found: dict[int, list[dt.date]] = {}
    for row in await conn.fetch(SESSIONS_SINCE, users, block_ids, since, before):
        found.setdefault(row["user_id"], []).append(row["local_date"])
    return found


async def set_block_start(
    conn: asyncpg.Connection, user_id: int, started_on: dt.date, day_index: int
) -> None:
    """A block's run begins: from `started_on`, at day `day_index` (a repeat starts at 0)."""
    await conn.execute(SET_BLOCK_START, user_id, started_on, day_index)
