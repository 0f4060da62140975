"""Shared fixtures: a real PostgreSQL for every test.

By default an embedded server (pgserver) is started once per test session; set
TEST_DATABASE_URL to use another server. Migrations are applied once to a template database,
and every test gets a fresh copy of it (CREATE DATABASE … TEMPLATE is a file copy: fast).
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from doubles.discord import discord_double  # noqa: F401  (the loopback Discord double fixture)

from bot.config import Settings
from bot.db.embedded import EmbeddedPostgres
from bot.db.migrations import migrate
from bot.db.pool import create_pool

TEMPLATE = "regiment_template"
_counter = itertools.count()


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """DSN of the server's maintenance database."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    data_dir = Path(tempfile.mkdtemp(prefix="regiment-test-pg-"))
    server = EmbeddedPostgres(data_dir, delete_on_stop=True)
    dsn = server.start()
    try:
        yield dsn
    finally:
        server.stop()


@pytest.fixture(scope="session")
def template_dsn(pg_server: str) -> str:
    import asyncio

    async def build() -> None:
        admin = await asyncpg.connect(pg_server)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await admin.close()
        conn = await asyncpg.connect(_with_database(pg_server, TEMPLATE))
        try:
            await migrate(conn)
        finally:
            await conn.close()

    asyncio.run(build())
    return _with_database(pg_server, TEMPLATE)


@pytest.fixture
async def database_dsn(pg_server: str, template_dsn: str) -> AsyncIterator[str]:
    name = f"regiment_test_{os.getpid()}_{next(_counter)}"
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    finally:
        await admin.close()
    yield _with_database(pg_server, name)
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def empty_database_dsn(pg_server: str) -> AsyncIterator[str]:
    """A database with no schema at all (for migration tests)."""
    name = f"regiment_empty_{os.getpid()}_{next(_counter)}"
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    yield _with_database(pg_server, name)
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def pool(database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database_dsn, min_size=1, max_size=8)
    try:
        yield p
    finally:
        await p.close()


@pytest.fixture
def settings() -> Settings:
    # Explicit values: tests must not depend on a developer's .env.
    return Settings(_env_file=None, dispatcher_max_sleep_seconds=3600)  # type: ignore[call-arg]
