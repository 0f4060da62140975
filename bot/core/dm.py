"""A DM to a client, by the job that delivers a drop or by a coach's command: one path, so the
DM channel Discord opened is remembered wherever the message came from."""

from __future__ import annotations

import asyncpg

from bot.core.clock import Clock
from bot.core.delivery import Transport
from bot.domain.models import ClientProfile
from bot.repo import clients
from bot.views.messages import OutgoingMessage, SentMessage


async def send_dm(
    pool: asyncpg.Pool,
    transport: Transport,
    clock: Clock,
    client: ClientProfile,
    message: OutgoingMessage,
    *,
    nonce: str,
) -> tuple[SentMessage, ClientProfile]:
    """Send, and cache the DM channel when it is new; returns the profile as it now is."""
    sent = await transport.send_dm(client.user_id, client.dm_channel_id, message, nonce=nonce)
    if sent.channel_id != client.dm_channel_id:
        async with pool.acquire() as conn:
            await clients.set_dm_channel(conn, client.user_id, sent.channel_id, clock.now())
        client = client.model_copy(update={"dm_channel_id": sent.channel_id})
    return sent, client
