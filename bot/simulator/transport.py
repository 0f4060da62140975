"""The simulator's transport: every message kept in memory (deduplicated by nonce the way
Discord's enforce_nonce does), and one printed line per delivery."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from bot.core.clock import Clock
from bot.core.delivery import PermanentDeliveryError
from bot.views.messages import OutgoingMessage, SeenMessage, SentMessage


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


class MemoryTransport:
    """Keeps every message. A send with a nonce already used in that channel within
    `nonce_window` returns the first, as Discord's enforce_nonce does "in the past few minutes";
    None turns that deduplication off."""

    def __init__(self, clock: Clock, *, nonce_window: dt.timedelta | None = dt.timedelta(minutes=5)) -> None:
        self._clock = clock
        self.nonce_window = nonce_window
        self._ids = itertools.count(1_000_000)
        self.messages: list[RecordedMessage] = []
        self._by_nonce: dict[tuple[int, str], RecordedMessage] = {}
        self._by_id: dict[tuple[int, int], RecordedMessage] = {}

    def dm_channel_for(self, user_id: int) -> int:
        return 500_000_000 + user_id

    def to_user(self, user_id: int) -> list[RecordedMessage]:
        return [m for m in self.messages if m.user_id == user_id]

    def messages_to_channel(self, channel_id: int) -> list[RecordedMessage]:
        return [m for m in self.messages if m.user_id is None and m.channel_id == channel_id]

    def _keep(self, record: RecordedMessage) -> SentMessage:
        self.messages.append(record)
        self._by_id[(record.channel_id, record.message_id)] = record
        if record.nonce:
            self._by_nonce[(record.channel_id, record.nonce)] = record
        return SentMessage(record.channel_id, record.message_id)

    def _deduplicated(self, channel_id: int, nonce: str | None) -> SentMessage | None:
        """The message an earlier send with this nonce created, while Discord would remember it."""
        if nonce is None or self.nonce_window is None:
            return None
        earlier = self._by_nonce.get((channel_id, nonce))
        if earlier is None or self._clock.now() - earlier.at >= self.nonce_window:
            return None
        return SentMessage(earlier.channel_id, earlier.message_id)

    async def send_dm(
        self, user_id: int, channel_id: int | None, message: OutgoingMessage, *, nonce: str
    ) -> SentMessage:
        channel = channel_id or self.dm_channel_for(user_id)
        existing = self._deduplicated(channel, nonce)
        if existing is not None:
            return existing
        return self._keep(
            RecordedMessage(user_id, channel, next(self._ids), message, nonce, self._clock.now())
        )

    async def edit_message(self, channel_id: int, message_id: int, message: OutgoingMessage) -> None:
        record = self._by_id.get((channel_id, message_id))
        if record is None:
            raise PermanentDeliveryError(f"unknown message {message_id}")
        record.edits.append(message)

    async def post_channel(
        self, channel_id: int, message: OutgoingMessage, *, nonce: str | None = None
    ) -> SentMessage:
        existing = self._deduplicated(channel_id, nonce)
        if existing is not None:
            return existing
        return self._keep(
            RecordedMessage(None, channel_id, next(self._ids), message, nonce, self._clock.now())
        )

    async def recent_dm(self, user_id: int, channel_id: int | None, since: dt.datetime) -> list[SeenMessage]:
        return await self.recent_posts(channel_id or self.dm_channel_for(user_id), since)

    async def recent_posts(self, channel_id: int, since: dt.datetime) -> list[SeenMessage]:
        return [seen(m) for m in self.messages if m.channel_id == channel_id and m.at >= since]


def seen(record: RecordedMessage) -> SeenMessage:
    """A kept message as a channel's history would show it."""
    current = record.current
    return SeenMessage(
        record.channel_id,
        record.message_id,
        custom_ids=tuple(button.custom_id for button in current.buttons()),
        texts=(current.content, *(embed.footer for embed in current.embeds), *current.texts()),
    )


class ConsoleTransport(MemoryTransport):
    """Records like MemoryTransport and prints one line per delivery."""

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
            text = message.as_text()
            # A layout's first line is its heading inside the container's edge: print it bare.
            first = message.heading if message.is_layout else (text.splitlines()[0] if text else "")
            self._print(f"  DM → {user_id}: {first}")  # type: ignore[operator]
        return sent

    async def post_channel(
        self, channel_id: int, message: OutgoingMessage, *, nonce: str | None = None
    ) -> SentMessage:
        # Channel posts (the coach summary, the honors board, escalations, alerts) are few and
        # are what a coach reads: printed even with --quiet. A post with buttons is one work
        # item of many (a weekly check-in to review, one a client a week): the summary counts
        # those, so --quiet leaves them out.
        sent = await super().post_channel(channel_id, message, nonce=nonce)
        if self.verbose or not message.buttons():
            name = self.channel_names.get(channel_id, f"#{channel_id}")
            self._print(f"\n== {name} ==\n" + message.as_text())  # type: ignore[operator]
        return sent
