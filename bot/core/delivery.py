"""The Transport seam: how the core reaches people, and how failures are classified.

discord.py's implementation lives with the Discord layer (bot.discord_adapter.transport); the
simulator's in-memory one in bot.simulator.transport.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from bot.views.messages import OutgoingMessage, SeenMessage, SentMessage


class DeliveryError(Exception):
    """A send did not go through."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying later: 5xx, timeouts, connection errors."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help."""


class RecipientUnreachable(PermanentDeliveryError):
    """DMs closed (50007), no mutual guild (50278) or unknown user (10013)."""


class Transport(Protocol):
    async def send_dm(
        self, user_id: int, channel_id: int | None, message: OutgoingMessage, *, nonce: str
    ) -> SentMessage:
        """Send a DM. `channel_id` is the cached DM channel; None opens one (paced)."""
        ...

    async def edit_message(self, channel_id: int, message_id: int, message: OutgoingMessage) -> None: ...

    async def post_channel(
        self, channel_id: int, message: OutgoingMessage, *, nonce: str | None = None
    ) -> SentMessage:
        """Post to a channel; a job's posts carry its nonce, Discord's first line of defence."""
        ...

    async def recent_dm(self, user_id: int, channel_id: int | None, since: dt.datetime) -> list[SeenMessage]:
        """The bot's own messages in the user's DM channel created at or after `since`, oldest
        first (`channel_id` as in send_dm). Failures raise like a send's."""
        ...

    async def recent_posts(self, channel_id: int, since: dt.datetime) -> list[SeenMessage]:
        """The bot's own messages in a channel created at or after `since`, oldest first."""
        ...
