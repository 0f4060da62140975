"""The Transport seam: how the core reaches people, and how failures are classified.

discord.py's implementation lives with the Discord layer; here are the contract, a recording
transport for tests and a console transport for the simulator.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.clock import Clock
from bot.views.messages import OutgoingMessage, SentMessage


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
        """Post to a channel; a job's posts carry its nonce so a retry does not post twice."""
        ...


@dataclass
class RecordedMessage:
    user_id: int | None
    channel_id: int
    message_id: int
    message: OutgoingMessage
    nonce: str | None
    at: dt.datetime
    edits: list[OutgoingMessage] = field(default_factory=list)

    @property
    def current(self) -> OutgoingMessage:
        return self.edits[-1] if self.edits else self.message


class RecordingTransport:
    """Records every send; dedupes by nonce the way Discord's enforce_nonce does; injects faults."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._ids = itertools.count(1_000_000)
        self.messages: list[RecordedMessage] = []
        self._by_nonce: dict[tuple[int, str], RecordedMessage] = {}
        self._faults: dict[int | None, list[DeliveryError]] = defaultdict(list)
        self.attempts: list[tuple[int | None, dt.datetime]] = []

    def fail_next(self, user_id: int | None, error: DeliveryError, times: int = 1) -> None:
        self._faults[user_id].extend([error] * times)

    def dm_channel_for(self, user_id: int) -> int:
        return 500_000_000 + user_id

    def to_user(self, user_id: int) -> list[RecordedMessage]:
        return [m for m in self.messages if m.user_id == user_id]

    def messages_to_channel(self, channel_id: int) -> list[RecordedMessage]:
        return [m for m in self.messages if m.user_id is None and m.channel_id == channel_id]

    async def send_dm(
        self, user_id: int, channel_id: int | None, message: OutgoingMessage, *, nonce: str
    ) -> SentMessage:
        self.attempts.append((user_id, self._clock.now()))
        faults = self._faults.get(user_id) or self._faults.get(None)
        if faults:
            raise faults.pop(0)
        channel = channel_id or self.dm_channel_for(user_id)
        existing = self._by_nonce.get((channel, nonce))
        if existing is not None:
            return SentMessage(existing.channel_id, existing.message_id)
        record = RecordedMessage(user_id, channel, next(self._ids), message, nonce, self._clock.now())
        self.messages.append(record)
        self._by_nonce[(channel, nonce)] = record
        return SentMessage(channel, record.message_id)

    async def edit_message(self, channel_id: int, message_id: int, message: OutgoingMessage) -> None:
        for record in self.messages:
            if record.channel_id == channel_id and record.message_id == message_id:
                record.edits.append(message)
                return
        raise PermanentDeliveryError(f"unknown message {message_id}")

    async def post_channel(
        self, channel_id: int, message: OutgoingMessage, *, nonce: str | None = None
    ) -> SentMessage:
        existing = self._by_nonce.get((channel_id, nonce)) if nonce else None
        if existing is not None:
            return SentMessage(existing.channel_id, existing.message_id)
        record = RecordedMessage(None, channel_id, next(self._ids), message, nonce, self._clock.now())
        self.messages.append(record)
        if nonce:
            self._by_nonce[(channel_id, nonce)] = record
        return SentMessage(channel_id, record.message_id)


class ConsoleTransport(RecordingTransport):
    """The simulator's transport: records like the test one and prints one line per delivery."""

    def __init__(self, clock: Clock, printer: object = print, *, verbose: bool = True) -> None:
        super().__init__(clock)
        self._print = printer
        self.verbose = verbose
        self.channel_names: dict[int, str] = {}

    async def send_dm(
        self, user_id: int, channel_id: int | None, message: OutgoingMessage, *, nonce: str
    ) -> SentMessage:
        sent = await super().send_dm(user_id, channel_id, message, nonce=nonce)
        if self.verbose:
            first = message.as_text().splitlines()[0] if message.as_text() else ""
            self._print(f"  DM → {user_id}: {first}")  # type: ignore[operator]
        return sent

    async def post_channel(
        self, channel_id: int, message: OutgoingMessage, *, nonce: str | None = None
    ) -> SentMessage:
        # Channel posts (the coach summary, the honors board, escalations, alerts) are few and
        # are what a coach reads: always printed, even with --quiet.
        sent = await super().post_channel(channel_id, message, nonce=nonce)
        name = self.channel_names.get(channel_id, f"#{channel_id}")
        self._print(f"\n== {name} ==\n" + message.as_text())  # type: ignore[operator]
        return sent
