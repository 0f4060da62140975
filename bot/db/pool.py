"""The asyncpg pool, configured once for every mode of the bot."""

from __future__ import annotations

import json

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come back as Python objects and go in from dicts/lists.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _no_session_reset(conn: asyncpg.Connection) -> None:
    """Replaces asyncpg's reset query on release ("SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL"): a round trip per release, i.e. per job. This bot keeps no session
    state (locks are transaction-level, no LISTEN, no SET, no cursors), and asyncpg still rolls
    back an open transaction before calling this. bench/delivery.py: 2.04 → ~1.0 round trips a job."""


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    command_timeout: float = 30.0,
    connect_timeout: float = 10.0,
    behind_pooler: bool = False,
) -> asyncpg.Pool:
    """Create the pool. Behind a transaction pooler (Neon's -pooler endpoint, PgBouncer)
    prepared statements do not survive between transactions, so the statement cache is off."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=command_timeout,
        # asyncpg's default is 60 s: a start-up, or a reconnect mid-run, against a server that
        # does not answer would wait that long.
        timeout=connect_timeout,
        statement_cache_size=0 if behind_pooler else 100,
        init=_init_connection,
        reset=_no_session_reset,
    )
    assert pool is not None
    return pool


async def ping(conn: asyncpg.Connection) -> None:
    """The cheapest statement that proves the database answers (/healthz)."""
    await conn.fetchval("SELECT 1")
