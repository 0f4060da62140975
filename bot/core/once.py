"""A job's sends happen once, whatever became of its earlier attempts.

Every message a job sends carries a reference fixed by the job and the part
(bot.views.markers), and the nonce with the same value. The first attempt just sends. An attempt
after one whose outcome is unknown (a timeout or 5xx after which the message may exist, a worker
that died between sending and recording, a claim handed back at shutdown) first reads the
channel's messages since the job's first attempt began, once per channel, and takes a message
carrying its reference as sent: its ids are returned like a send's, so the caller records them
and later edits and the close reach it. Discord's nonce remains the first line of defence: it
covers discord.py's own retries, seconds apart; this covers ours, minutes apart, which are past
Discord's nonce window ("the past few minutes").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.core.delivery import Transport
from bot.domain.models import Job
from bot.views import markers
from bot.views.messages import OutgoingMessage, SeenMessage, SentMessage

# How far before the first attempt's start to look: this host's clock and Discord's may differ.
CLOCK_SKEW = dt.timedelta(minutes=2)


@dataclass
class JobSends:
    """The sends of one attempt of `job`."""

    job: Job
    transport: Transport
    # Channel id (None: the DM of `user_id` before its channel is known) → what is there.
    _seen: dict[object, list[SeenMessage]] = field(default_factory=dict)

    @property
    def may_have_sent(self) -> bool:
        return self.job.resumed and self.job.started_at is not None

    def _since(self) -> dt.datetime:
        assert self.job.started_at is not None
        return self.job.started_at - CLOCK_SKEW

    async def dm(
        self, user_id: int, channel_id: int | None, message: OutgoingMessage, *, part: int
    ) -> SentMessage:
        ref = self.job.nonce(part)
        if self.may_have_sent:
            key = ("dm", user_id)
            if key not in self._seen:
                self._seen[key] = await self.transport.recent_dm(user_id, channel_id, self._since())
            found = markers.find(self._seen[key], ref)
            if found is not None:
                return found.sent
        return await self.transport.send_dm(user_id, channel_id, markers.mark(message, ref), nonce=ref)

    async def post(self, channel_id: int, message: OutgoingMessage, *, part: int) -> SentMessage:
        ref = self.job.nonce(part)
        if self.may_have_sent:
            if channel_id not in self._seen:
                self._seen[channel_id] = await self.transport.recent_posts(channel_id, self._since())
            found = markers.find(self._seen[channel_id], ref)
            if found is not None:
                return found.sent
        return await self.transport.post_channel(channel_id, markers.mark(message, ref), nonce=ref)
