"""A client's rows in every table: exported (/mydata) or erased (/client delete).

Which tables hold a client's rows is read from the catalog (every table with a `user_id` column
but `coaches`, whose user_id is a coach's), so a table a new engine adds is erased too without
anyone remembering to list it here. Tables are emptied of the client children first: a delete
that a foreign key still blocks is tried again after the others (within a savepoint)."""

from __future__ import annotations

import asyncpg

# Tables whose user_id is not a client's.
NOT_CLIENTS = {"coaches"}

CLIENT_TABLES = """
SELECT c.table_name FROM information_schema.columns c
  JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
 WHERE c.table_schema = current_schema() AND c.column_name = 'user_id' AND t.table_type = 'BASE TABLE'
 ORDER BY c.table_name
"""

# Alerts about other clients' jobs never point at this client's; alerts about theirs name them
# (user_id) and go with them. Jobs' alerts are let go first so the jobs can be deleted.
UNLINK_ALERTS = """
UPDATE alerts SET job_id = NULL
 WHERE job_id IN (SELECT id FROM jobs WHERE user_id = $1) AND user_id IS DISTINCT FROM $1
"""


# A batch's claim (bot.repo.batches) reads a zone's clients and inserts their jobs in one
# statement: one under way could insert a job for a client erased meanwhile. Holding the batches
# of the client's zones waits for a claim under way (its jobs are then deleted with the others)
# and keeps the next ones out until the erasure commits.
HOLD_BATCHES = """
SELECT b.id FROM job_batches b JOIN client_profiles c ON c.user_id = $1
 WHERE b.tz IN (c.timezone, c.previous_timezone)
   FOR UPDATE OF b
"""


async def client_tables(conn: asyncpg.Connection) -> list[str]:
    """Every table that holds rows about a client (by their user_id)."""
    return [r["table_name"] for r in await conn.fetch(CLIENT_TABLES) if r["table_name"] not in NOT_CLIENTS]


COLUMNS = """
SELECT column_name, data_type FROM information_schema.columns
 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
"""


def _file_name(table: str, column: str, row: dict[str, object], data: bytes) -> str:
    """Where a binary value goes in an export: "weekly_photos/2026-05-10-front.jpg"."""
    named = [str(row[k]) for k in ("date", "pose") if row.get(k)] or [str(row.get("id", ""))]
    ext = "jpg" if data[:3] == b"\xff\xd8\xff" else "bin"
    return f"{table}/{'-'.join(named)}{'' if column in ('jpeg', 'data') else '-' + column}.{ext}"


async def client_rows(
    conn: asyncpg.Connection, user_id: int
) -> tuple[dict[str, tuple[list[str], list[list[str]]]], dict[str, bytes]]:
    """Per table: its columns and the client's rows, every value as text (what /mydata exports);
    and the binary values (photos) as files by name, which their cells name instead."""
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    files: dict[str, bytes] = {}
    for table in await client_tables(conn):
        described = await conn.fetch(COLUMNS, table)
        columns = [r["column_name"] for r in described]
        binary = {r["column_name"] for r in described if r["data_type"] == "bytea"}
        selected = ", ".join(f'"{c}"' if c in binary else f'"{c}"::text' for c in columns)
        rows = await conn.fetch(f'SELECT {selected} FROM "{table}" WHERE user_id = $1 ORDER BY 1', user_id)
        texts = []
        for r in rows:
            row = dict(r)
            for column in binary:
                if row[column] is not None:
                    data = bytes(row[column])
                    name = _file_name(table, column, row, data)
                    files[name] = data
                    row[column] = name
            texts.append(["" if v is None else v for v in row.values()])
        out[table] = (columns, texts)
    return out, files


async def erase_client(conn: asyncpg.Connection, user_id: int) -> dict[str, int]:
    """Delete every row about `user_id` (call inside a transaction); returns rows per table."""
    tables = await client_tables(conn)
    await conn.execute(HOLD_BATCHES, user_id)
    await conn.execute(UNLINK_ALERTS, user_id)
    deleted: dict[str, int] = {}
    pending = list(tables)
    while pending:
        blocked = []
        for table in pending:
            try:
                async with conn.transaction():  # a savepoint: a blocked delete leaves no trace
                    status = await conn.execute(f'DELETE FROM "{table}" WHERE user_id = $1', user_id)
            except asyncpg.ForeignKeyViolationError:
                blocked.append(table)
                continue
            deleted[table] = int(status.split()[-1])
        if len(blocked) == len(pending):
            raise RuntimeError(f"cannot erase client {user_id}: foreign keys block {blocked}")
        pending = blocked
    return {table: n for table, n in deleted.items() if n}
