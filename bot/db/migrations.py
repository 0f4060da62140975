"""Forward-only migrations: numbered SQL files in `sql/`, each applied once.

Each file runs in its own transaction under a transaction-level advisory lock
(`pg_advisory_xact_lock`: session locks do not survive a transaction pooler such as Neon's),
and is recorded with its checksum in `schema_migrations`. Two processes starting at once apply
each file once; a file edited after it was applied stops start-up and names the file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from loguru import logger

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
# A migration may rebuild an index over a large table (018: 9 s for the jobs of 10,000 clients,
# some 90 s at 100,000 by extrapolation): the pool's command timeout (DB_COMMAND_TIMEOUT, 30 s) is
# for the bot's statements, and a migration cut short by it would roll back at every start.
MIGRATION_TIMEOUT = 3600.0
_LOCK_KEY = 0x5E61_4E7A  # arbitrary, fixed: "the migration lock"
_TAKE_THE_LOCK = (
    f"SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; SELECT pg_advisory_xact_lock({_LOCK_KEY})"
)
_NAME = re.compile(r"^(\d{3,})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(sql_dir: Path = SQL_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNN_description.sql")
        migrations.append(Migration(int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a number in " + str(sql_dir))
    return migrations


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


async def migrate(conn: asyncpg.Connection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply pending migrations; return the names applied by this call."""
    migrations = discover(sql_dir)
    applied_now: list[str] = []
    for migration in migrations:
        async with conn.transaction():
            # Neither this process's command timeout nor the server's own limits may cut a slow
            # migration short, nor the wait for one that another process is applying.
            await conn.execute(_TAKE_THE_LOCK, timeout=MIGRATION_TIMEOUT)
            await conn.execute(_CREATE_TABLE)
            row = await conn.fetchrow(
                "SELECT name, checksum FROM schema_migrations WHERE version = $1", migration.version
            )
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise MigrationError(
                        f"sql/{migration.name} was changed after it was applied "
                        f"(recorded as {row['name']}); migrations are forward-only: restore the "
                        "file and put the change in a new numbered file"
                    )
                continue
            await conn.execute(migration.sql, timeout=MIGRATION_TIMEOUT)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
            applied_now.append(migration.name)
            logger.info("applied migration {}", migration.name)
    return applied_now
