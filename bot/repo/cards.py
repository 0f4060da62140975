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
