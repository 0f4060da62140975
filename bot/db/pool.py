"""The asyncpg pool, configured once for every mode of the bot."""

from __future__ import annotations

import json

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come back as Python objects and go in from dicts/lists.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    command_timeout: float = 30.0,
    behind_pooler: bool = False,
) -> asyncpg.Pool:
    """Create the pool. Behind a transaction pooler (Neon's -pooler endpoint, PgBouncer)
    prepared statements do not survive between transactions, so the statement cache is off."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=command_timeout,
        statement_cache_size=0 if behind_pooler else 100,
        init=_init_connection,
    )
    assert pool is not None
    return pool
