"""Erasing a client: every row that names them, in every table.

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


async def erase_client(conn: asyncpg.Connection, user_id: int) -> dict[str, int]:
    """Delete every row about `user_id` (call inside a transaction); returns rows per table."""
    tables = [r["table_name"] for r in await conn.fetch(CLIENT_TABLES) if r["table_name"] not in NOT_CLIENTS]
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
