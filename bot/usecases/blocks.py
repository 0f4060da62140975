"""Training blocks: importing a file as a new version, the list of imported blocks, and the
search behind the block autocomplete. `/training import` and `python -m bot blocks import` are
both `import_block`."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from bot.core.clock import Clock
from bot.domain.blocks import Block, parse_block
from bot.repo import blocks as blocks_repo
from bot.usecases.files import Upload, read_and_parse


@dataclass(frozen=True)
class BlockImport:
    block: Block
    version: int


@dataclass(frozen=True)
class BlockListing:
    block_id: str
    version: int  # the newest
    name: str


async def import_block(
    pool: asyncpg.Pool, clock: Clock, file: Upload, *, imported_by: int | None = None
) -> BlockImport:
    """Validate the file and store the block as the next version of its id. Raises
    `InvalidFile` listing every problem; nothing is written then."""
    block = await read_and_parse(file, "block", parse_block)
    async with pool.acquire() as conn, conn.transaction():
        version = await blocks_repo.store(conn, block, clock.now(), imported_by)
    return BlockImport(block, version)


async def list_blocks(pool: asyncpg.Pool) -> list[BlockListing]:
    async with pool.acquire() as conn:
        rows = await blocks_repo.listing(conn)
    return [BlockListing(r["block_id"], r["version"], r["name"]) for r in rows]


async def search_blocks(pool: asyncpg.Pool, text: str) -> list[str]:
    """Block ids matching what a coach typed (the built-in block included)."""
    async with pool.acquire() as conn:
        return await blocks_repo.search(conn, text)
