"""Migrations: applied once even when two processes start at once; edits are refused."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from bot.db.migrations import SQL_DIR, MigrationError, discover, migrate

ROOT = Path(__file__).resolve().parents[2]


async def test_two_processes_starting_at_once_apply_each_migration_once(empty_database_dsn) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database_dsn, "LOG_LEVEL": "INFO"}
    env.pop("DISCORD_TOKEN", None)

    async def start() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "migrate",
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    results = await asyncio.gather(start(), start())
    assert [code for code, _ in results] == [0, 0], results
    logs = "".join(out for _, out in results)
    for migration in discover():
        assert logs.count(f"applied migration {migration.name}") == 1, logs
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        rows = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
    finally:
        await conn.close()
    assert [r["name"] for r in rows] == [m.name for m in discover()]


async def test_an_edited_applied_migration_refuses_start_up(empty_database_dsn, tmp_path) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    conn = await asyncpg.connect(empty_database_dsn)
    try:
        applied = await migrate(conn, sql_dir)
        assert applied == [m.name for m in discover(sql_dir)]
        assert await migrate(conn, sql_dir) == []  # a second start applies nothing
        first = sorted(sql_dir.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- an innocent-looking edit\n")
        with pytest.raises(MigrationError, match=first.name):
            await migrate(conn, sql_dir)
    finally:
        await conn.close()


async def test_a_badly_named_file_is_refused(tmp_path) -> None:
    (tmp_path / "add_things.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"add_things\.sql"):
        discover(tmp_path)


async def test_a_migration_may_outlast_the_bots_statement_timeout(empty_database_dsn, tmp_path) -> None:
    """An index built over a large table takes longer than DB_COMMAND_TIMEOUT allows the bot's own
    statements (018: 9 s at 10,000 clients, ten times that at 100,000); cut short, it would roll
    back at every start."""
    (tmp_path / "001_slow.sql").write_text("SELECT pg_sleep(1.5);\nCREATE TABLE built (id int);\n")
    conn = await asyncpg.connect(empty_database_dsn, command_timeout=0.5)
    try:
        assert await migrate(conn, tmp_path) == ["001_slow.sql"]
        assert await conn.fetchval("SELECT to_regclass('built') IS NOT NULL")
    finally:
        await conn.close()


async def test_a_second_process_waits_for_a_slow_migration_past_its_statement_timeout(
    empty_database_dsn, tmp_path
) -> None:
    """Two processes start while one migration is slow: the second waits on the lock for as long
    as the first takes, then finds the file applied (a server-side statement_timeout, which some
    managed databases set for every role, does not cut either short)."""
    (tmp_path / "001_slow.sql").write_text("SELECT pg_sleep(1.5);\nCREATE TABLE built (id int);\n")
    setup = await asyncpg.connect(empty_database_dsn)
    try:
        database = await setup.fetchval("SELECT current_database()")
        await setup.execute(f"ALTER DATABASE \"{database}\" SET statement_timeout = '1s'")
    finally:
        await setup.close()
    first = await asyncpg.connect(empty_database_dsn, command_timeout=0.5)
    second = await asyncpg.connect(empty_database_dsn, command_timeout=0.5)
    try:
        applied = await asyncio.gather(migrate(first, tmp_path), migrate(second, tmp_path))
        assert sorted(applied) == [[], ["001_slow.sql"]]
    finally:
        await first.close()
        await second.close()
