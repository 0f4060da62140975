"""A client Discord refused DMs to is reachable again the moment they use the bot (seed: "restored
the next time the client interacts")."""

from __future__ import annotations

import asyncpg

from bot.core.clock import Clock
from bot.repo import cards, clients


async def restore(pool: asyncpg.Pool, clock: Clock, user_id: int, dm_channel_id: int | None) -> bool:
    """Mark the client reachable, resolve their unreachable card and remember the DM channel the
    interaction came from; True if they had been unreachable. One cheap UPDATE that matches
    nothing in the usual case."""
    now = clock.now()
    async with pool.acquire() as conn:
        # One statement, no transaction, in the usual case: every interaction runs this.
        if not await clients.mark_reachable(conn, user_id, now):
            return False
        async with conn.transaction():
            await cards.resolve_open_of_kind(
                conn, user_id, "unreachable", now, note="client used the bot again"
            )
            if dm_channel_id is not None:
                await clients.set_dm_channel(conn, user_id, dm_channel_id, now)
    return True
