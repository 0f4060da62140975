"""A transport for tests of the core without Discord: the simulator's in-memory transport, plus
faults to inject and a record of every send attempt."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from bot.core.clock import Clock
from bot.core.delivery import DeliveryError
from bot.simulator.transport import MemoryTransport, RecordedMessage
from bot.views.messages import OutgoingMessage, SentMessage

__all__ = ["RecordedMessage", "RecordingTransport"]


class RecordingTransport(MemoryTransport):
    def __init__(self, clock: Clock, *, nonce_window: dt.timedelta | None = dt.timedelta(minutes=5)) -> None:
        super().__init__(clock, nonce_window=nonce_window)
        self._faults: dict[int | None, list[DeliveryError]] = defaultdict(list)
        self.attempts: list[tuple[int | None, dt.datetime]] = []

    def fail_next(self, user_id: int | None, error: DeliveryError, times: int = 1) -> None:
        """The next `times` DMs to `user_id` (None: to anyone) raise `error`."""
        self._faults[user_id].extend([error] * times)

    async def send_dm(
        self, user_id: int, channel_id: int | None, message: OutgoingMessage, *, nonce: str
    ) -> SentMessage:
        self.attempts.append((user_id, self._clock.now()))
        faults = self._faults.get(user_id) or self._faults.get(None)
        if faults:
            raise faults.pop(0)
        return await super().send_dm(user_id, channel_id, message, nonce=nonce)
