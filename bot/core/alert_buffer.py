"""Posting the alert buffer: failures coaches must hear about, in batches, to the alert channel.

A batch is locked, posted as one message and marked posted in the same transaction: if the
post fails, nothing is marked and the next round tries again; two processes never post the
same alert (SKIP LOCKED)."""

from __future__ import annotations

import asyncpg
from loguru import logger

from bot.core.clock import Clock
from bot.core.delivery import Transport
from bot.repo import alerts
from bot.views.messages import Embed, OutgoingMessage

BATCH = 20
_DESCRIPTION_LIMIT = 4000  # Discord allows 4096 in an embed description


def render(rows: list[asyncpg.Record]) -> tuple[OutgoingMessage, list[int]]:
    """As many alerts as fit in one embed; returns the message and the ids it covers."""
    lines: list[str] = []
    ids: list[int] = []
    size = 0
    for row in rows:
        line = f"• `{row['kind']}` {row['message']}"[:900]
        if size + len(line) + 1 > _DESCRIPTION_LIMIT and lines:
            break
        lines.append(line)
        ids.append(row["id"])
        size += len(line) + 1
    title = f"{len(ids)} delivery alert{'s' if len(ids) != 1 else ''}"
    return OutgoingMessage(embeds=(Embed(title=title, description="\n".join(lines), color=0xC0392B),)), ids


async def post_pending(pool: asyncpg.Pool, transport: Transport, channel_id: int | None, clock: Clock) -> int:
    """Post every unposted alert; return how many were posted."""
    if channel_id is None:
        return 0
    posted = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await alerts.take_unposted(conn, BATCH)
            if not rows:
                return posted
            message, ids = render(rows)
            await transport.post_channel(channel_id, message)
            await alerts.mark_posted(conn, ids, clock.now())
        posted += len(ids)
        logger.info("posted {} alert(s) to the alert channel", len(ids))
