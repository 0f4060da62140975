"""job_cards: work items for coaches, raised idempotently by a dedupe key."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

RAISE = """
INSERT INTO job_cards (kind, user_id, dedupe_key, urgency, summary, details, opened_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
"""


async def raise_card(
    conn: asyncpg.Connection,
    *,
    kind: str,
    user_id: int | None,
    dedupe_key: str,
    summary: str,
    now: dt.datetime,
    details: dict[str, Any] | None = None,
    urgency: int = 2,
) -> int | None:
    """Open a card unless one with this dedupe key exists; return the new id or None."""
    return await conn.fetchval(RAISE, kind, user_id, dedupe_key, urgency, summary, details or {}, now)


RESOLVE_BY_KEY = """
UPDATE job_cards SET status = 'resolved', resolved_at = $2, resolved_by = $3, note = $4
 WHERE dedupe_key = $1 AND status <> 'resolved'
RETURNING id
"""

RESOLVE_OPEN_OF_KIND = """
UPDATE job_cards SET status = 'resolved', resolved_at = $3, resolved_by = NULL, note = $4
 WHERE user_id = $1 AND kind = $2 AND status <> 'resolved'
RETURNING id
"""


async def resolve_by_key(
    conn: asyncpg.Connection,
    dedupe_key: str,
    now: dt.datetime,
    *,
    by: int | None = None,
    note: str | None = None,
) -> bool:
    return await conn.fetchval(RESOLVE_BY_KEY, dedupe_key, now, by, note) is not None


async def resolve_open_of_kind(
    conn: asyncpg.Connection, user_id: int, kind: str, now: dt.datetime, *, note: str
) -> int:
    """Close a client's open cards of one kind when the system itself fixed the cause."""
    return len(await conn.fetch(RESOLVE_OPEN_OF_KIND, user_id, kind, now, note))
