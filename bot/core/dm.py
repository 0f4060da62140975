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
    return sent, await remember_channel(pool, clock, client, sent)


async def remember_channel(
    pool: asyncpg.Pool, clock: Clock, client: ClientProfile, sent: SentMessage
) -> ClientProfile:
    """Cache the DM channel a message went to when it is new; returns the profile as it now is."""
    if sent.channel_id == client.dm_channel_id:
        return client
    async with pool.acquire() as conn:
        await clients.set_dm_channel(conn, client.user_id, sent.channel_id, clock.now())
    return client.model_copy(update={"dm_channel_id": sent.channel_id})
