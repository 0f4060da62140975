"""training_blocks: versioned block definitions (the import itself comes with the training engine)."""

from __future__ import annotations

import asyncpg

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
