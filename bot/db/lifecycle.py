"""Open the configured database for a process: DATABASE_URL, or the embedded server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg

from bot.config import Settings
from bot.db import DatabaseUnreachable
from bot.db.embedded import EmbeddedPostgres
from bot.db.migrations import migrate
from bot.db.pool import create_pool
from bot.logs import register_secret


def describe(dsn: str) -> str:
    """host:port/database of a DSN, never its user or password."""
    parts = urlsplit(dsn)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or '/'}"


# What asyncpg and the OS raise when the server is not there or refuses us.
_UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.CannotConnectNowError,
    asyncpg.InvalidPasswordError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.PostgresConnectionError,
)


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
        try:
            pool = await create_pool(
                dsn,
                min_size=settings.db_pool_min,
                max_size=settings.db_pool_max,
                command_timeout=settings.db_command_timeout,
                behind_pooler=settings.database_pooler,
            )
        except _UNREACHABLE as exc:
            reason = type(exc).__name__ if not str(exc) else str(exc).splitlines()[0]
            raise DatabaseUnreachable(
                f"error: cannot reach the database at {describe(dsn)} ({reason[:120]}); "
                "check DATABASE_URL and that the server is up"
            ) from None
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
