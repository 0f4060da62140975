"""Open the configured database for a process: DATABASE_URL, or the embedded server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from bot.config import Settings
from bot.db.embedded import EmbeddedPostgres
from bot.db.migrations import migrate
from bot.db.pool import create_pool
from bot.logs import register_secret


@contextlib.asynccontextmanager
async def open_database(settings: Settings, *, apply_migrations: bool = True) -> AsyncIterator[asyncpg.Pool]:
    embedded: EmbeddedPostgres | None = None
    if settings.database_url is not None:
        dsn = settings.database_url.get_secret_value()
        register_secret(dsn)
    else:
        embedded = EmbeddedPostgres(settings.embedded_db_dir)
        dsn = embedded.start()
    try:
        pool = await create_pool(
            dsn,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            command_timeout=settings.db_command_timeout,
            behind_pooler=settings.database_pooler,
        )
        try:
            if apply_migrations:
                async with pool.acquire() as conn:
                    await migrate(conn)
            yield pool
        finally:
            await pool.close()
    finally:
        if embedded is not None:
            embedded.stop()
