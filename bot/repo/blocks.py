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
