"""job_cards: work items for coaches, raised idempotently by a dedupe key."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from bot.domain.models import JobCard

# Card numbers are what coaches type (/cards resolve card:12), so they stay dense. The same card
# is raised again on every planning tick and every retry; `INSERT … VALUES … ON CONFLICT DO
# NOTHING` would draw an id from the sequence each time before finding the conflict (#1, then #31).
# NOT EXISTS skips the insert, and so the id, when the card is already there. ON CONFLICT stays as
# the guard against two workers raising the same new card at once: the loser of that race still
# burns one number, which is the only gap left.
RAISE = """
INSERT INTO job_cards (kind, user_id, dedupe_key, urgency, summary, details, opened_at)
SELECT $1::text, $2::bigint, $3::text, $4::smallint, $5::text, $6::jsonb, $7::timestamptz
 WHERE NOT EXISTS (SELECT 1 FROM job_cards WHERE dedupe_key = $3)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
"""


def card_key(kind: str, user_id: int | None, scope: str) -> str:
    """The one card per (kind, client, scope): the scope is the week for a weekly rule, the bad
    value for a set-up problem (a zone, a block id), the episode for an unreachable client."""
    return f"{kind}:{user_id if user_id is not None else 'all'}:{scope}"


async def raise_card(
    conn: asyncpg.Connection,
    *,
    kind: str,
    user_id: int | None,
    scope: str,
    summary: str,
    now: dt.datetime,
    details: dict[str, Any] | None = None,
    urgency: int = 2,
) -> int | None:
    """Open a card unless this (kind, client, scope) has one; return the new id or None."""
    key = card_key(kind, user_id, scope)
    return await conn.fetchval(RAISE, kind, user_id, key, urgency, summary, details or {}, now)


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


# A snoozed card whose date has come counts as open again.
# With the coach the client had when the card was opened: a handover does not rewrite history.
LIST = """
SELECT c.*, p.display_name, k.coach_name,
       CASE WHEN c.status = 'snoozed' AND c.snoozed_until <= $4 THEN 'open' ELSE c.status END AS state
  FROM job_cards c LEFT JOIN client_profiles p ON p.user_id = c.user_id
  LEFT JOIN LATERAL (
       SELECT co.display_name AS coach_name
         FROM coach_assignments a JOIN coaches co ON co.user_id = a.coach_id
        WHERE a.user_id = c.user_id AND a.from_date <= (c.opened_at AT TIME ZONE 'UTC')::date
        ORDER BY a.from_date DESC LIMIT 1) k ON true
 WHERE ($1::bigint IS NULL OR c.user_id = $1) AND ($2::text IS NULL OR c.kind = $2)
   AND ($3::text = 'all'
        OR CASE WHEN c.status = 'snoozed' AND c.snoozed_until <= $4 THEN 'open' ELSE c.status END = $3)
   AND ($7::bigint[] IS NULL OR c.user_id = ANY($7))
 ORDER BY c.urgency, c.opened_at DESC, c.id DESC
 LIMIT $5 OFFSET $6
"""

CLIENT_OF = "SELECT user_id FROM job_cards WHERE id = $1"
ID_OF_KEY = "SELECT id FROM job_cards WHERE dedupe_key = $1"
SET_SUMMARY = "UPDATE job_cards SET summary = $2 WHERE dedupe_key = $1 AND status <> 'resolved'"

RESOLVE = """
UPDATE job_cards SET status = 'resolved', resolved_by = $2, resolved_at = $3, note = COALESCE($4, note)
 WHERE id = $1 AND status <> 'resolved'
RETURNING *
"""

SNOOZE = """
UPDATE job_cards SET status = 'snoozed', snoozed_by = $2, snoozed_until = $3
 WHERE id = $1 AND status <> 'resolved'
RETURNING *
"""


async def list_cards(
    conn: asyncpg.Connection,
    *,
    today: dt.date,
    user_id: int | None = None,
    kind: str | None = None,
    state: str = "open",
    limit: int = 15,
    offset: int = 0,
    among: set[int] | None = None,
) -> list[JobCard]:
    """`among`: only the cards of these clients (None: everyone's, and cards about no client)."""
    only = None if among is None else sorted(among)
    rows = await conn.fetch(LIST, user_id, kind, state, today, limit, offset, only)
    return [JobCard.from_row(r) for r in rows]


async def client_of(conn: asyncpg.Connection, card_id: int) -> int | None:
    """The client a card is about (None: no such card, or a card about no client)."""
    return await conn.fetchval(CLIENT_OF, card_id)


async def set_summary(conn: asyncpg.Connection, dedupe_key: str, summary: str) -> None:
    """Reword a card still open (what it is about changed: a check-in edited)."""
    await conn.execute(SET_SUMMARY, dedupe_key, summary)


async def id_of_key(conn: asyncpg.Connection, dedupe_key: str) -> int | None:
    return await conn.fetchval(ID_OF_KEY, dedupe_key)


async def resolve(
    conn: asyncpg.Connection, card_id: int, by: int, now: dt.datetime, note: str | None
) -> JobCard | None:
    row = await conn.fetchrow(RESOLVE, card_id, by, now, note)
    return None if row is None else JobCard.from_row(row)


async def snooze(conn: asyncpg.Connection, card_id: int, by: int, until: dt.date) -> JobCard | None:
    row = await conn.fetchrow(SNOOZE, card_id, by, until)
    return None if row is None else JobCard.from_row(row)


# The weekly summary: the week's cards (whatever became of them) and every card still open from
# before or raised outside the scan (unreachable, invalid_timezone, invalid_block carry no week).
# "Open" as in LIST: a snoozed card whose date has come counts as open again.
OPEN_OR_OF_WEEK = """
SELECT c.*, p.display_name,
       CASE WHEN c.status = 'snoozed' AND c.snoozed_until <= $2 THEN 'open' ELSE c.status END AS state
  FROM job_cards c LEFT JOIN client_profiles p ON p.user_id = c.user_id
 WHERE c.details->>'week' = $1
    OR c.status = 'open'
    OR (c.status = 'snoozed' AND c.snoozed_until <= $2)
 ORDER BY c.urgency, c.kind, lower(p.display_name), c.user_id, c.id
"""
UNANNOUNCED = "SELECT id FROM job_cards WHERE dedupe_key = $1 AND announced_at IS NULL"
MARK_ANNOUNCED = "UPDATE job_cards SET announced_at = $2 WHERE dedupe_key = $1 AND announced_at IS NULL"


async def open_or_of_week(conn: asyncpg.Connection, week: str, today: dt.date) -> list[JobCard]:
    """The cards the weekly summary counts: this week's, and every other card open `today`."""
    return [JobCard.from_row(r) for r in await conn.fetch(OPEN_OR_OF_WEEK, week, today)]


async def unannounced(conn: asyncpg.Connection, dedupe_key: str) -> int | None:
    return await conn.fetchval(UNANNOUNCED, dedupe_key)


async def mark_announced(conn: asyncpg.Connection, dedupe_key: str, now: dt.datetime) -> None:
    await conn.execute(MARK_ANNOUNCED, dedupe_key, now)
