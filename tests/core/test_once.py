"""Exactly once without Discord's nonce window (bot.core.once, bot.views.markers): an attempt
after one whose outcome is unknown finds that attempt's message by its reference and sends
nothing; a first attempt reads nothing back. Tested here with the nonce deduplication of the
in-memory transport turned off, so only the reference can have prevented a second message."""

from __future__ import annotations

import datetime as dt

import pytest
from doubles.recording import RecordingTransport
from helpers import add_clients, all_jobs, message_engine, profile, runtime, utc

from bot.core import alert_buffer
from bot.core.clock import VirtualClock
from bot.core.delivery import TransientDeliveryError
from bot.core.engine import ActionKind
from bot.repo import alerts
from bot.views import custom_ids, markers
from bot.views.messages import Button, Embed, OutgoingMessage, SeenMessage, SentMessage

DAY = dt.date(2026, 5, 4)
PROMPT = [("prompt", dt.time(5, 30), ActionKind.drop, dt.time(12, 0))]


def read_back(message: OutgoingMessage) -> SeenMessage:
    """`message` as a channel's history returns it."""
    return SeenMessage(
        1,
        2,
        custom_ids=tuple(b.custom_id for row in message.rows for b in row),
        texts=(message.content, *(e.footer for e in message.embeds)),
    )


# --- the reference a message carries ----------------------------------------------------------


def test_a_reference_is_read_back_from_every_kind_of_message() -> None:
    log = custom_ids.CHECKIN_FEEL.format(user_id=7, day=DAY)
    kinds = {
        "buttons": OutgoingMessage(content="Morning", rows=((Button("Log", log), Button("Later", "x")),)),
        "embed with a footer": OutgoingMessage(embeds=(Embed(title="Week", footer="Week 19"),)),
        "embed": OutgoingMessage(embeds=(Embed(title="Week"),)),
        "text": OutgoingMessage(content="⚠️ Escalation: **Sam**"),
        "full text": OutgoingMessage(content="x" * 2000),
    }
    for kind, message in kinds.items():
        marked = markers.mark(message, "rg12.3")
        assert markers.refs_of(read_back(marked)) == {"rg12.3"}, kind
        assert markers.refs_of(read_back(message)) == set(), kind
        assert len(marked.content) <= 2000, kind
    # What people see is unchanged where a reference can be hidden; the footer keeps its words.
    assert markers.mark(kinds["buttons"], "rg1.0").content == "Morning"
    assert markers.mark(kinds["embed with a footer"], "rg1.0").embeds[0].footer == "Week 19 · ref rg1.0"


def test_a_referenced_custom_id_still_routes_to_its_button() -> None:
    log = custom_ids.WORKOUT_LOG.format(user_id=7, day=DAY, index=2)
    marked = markers.mark(OutgoingMessage(rows=((Button("Log", log),),)), "rg99.1")
    match = custom_ids.WORKOUT_LOG.match(marked.rows[0][0].custom_id)
    assert match is not None and (match["user"], match["day"], match["index"]) == ("7", "20260504", "2")
    assert len(marked.rows[0][0].custom_id) <= 100


def test_only_the_exact_reference_is_found() -> None:
    seen = [read_back(markers.mark(OutgoingMessage(content="a"), ref)) for ref in ("rg12.1", "rg121.0")]
    assert markers.find(seen, "rg12.0") is None
    assert markers.find(seen, "rg121.0") is seen[1]


# --- jobs ---------------------------------------------------------------------------------------


class LostResponses(RecordingTransport):
    """Messages are kept, but the next `lose` sends raise as if the response never came back."""

    def __init__(self, clock: VirtualClock, lose: int, failing_reads: int = 0) -> None:
        super().__init__(clock, nonce_window=None)
        self.lose = lose
        self.failing_reads = failing_reads
        self.history_reads: list[dt.datetime] = []

    async def send_dm(self, user_id, channel_id, message, *, nonce):  # type: ignore[no-untyped-def]
        sent = await super().send_dm(user_id, channel_id, message, nonce=nonce)
        return self._maybe_lost(sent)

    async def post_channel(self, channel_id, message, *, nonce=None):  # type: ignore[no-untyped-def]
        return self._maybe_lost(await super().post_channel(channel_id, message, nonce=nonce))

    def _maybe_lost(self, sent: SentMessage) -> SentMessage:
        if self.lose > 0:
            self.lose -= 1
            raise TransientDeliveryError("503: the response was lost")
        return sent

    async def recent_posts(self, channel_id, since):  # type: ignore[no-untyped-def]
        self.history_reads.append(self._clock.now())
        if self.failing_reads > 0:
            self.failing_reads -= 1
            raise TransientDeliveryError("500: Discord could not read the channel")
        return await super().recent_posts(channel_id, since)


async def test_lost_responses_retried_at_5_10_and_20_minutes_leave_one_message(pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(100, "UTC", DAY)], begin)
    # The first send's response is lost; the retries at +5 and +15 minutes cannot read the channel
    # (Discord errors); the one at +35, far past any nonce window, finds the message.
    transport = LostResponses(clock, lose=1, failing_reads=2)
    rt, _ = runtime(pool, clock, [message_engine("t", PROMPT)], settings, transport)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 7))
    await rt.stop()
    [job] = await all_jobs(pool)
    assert job.status == "sent" and job.attempts == 4
    assert len(transport.to_user(100)) == 1
    assert transport.history_reads == [utc(2026, 5, 4, 5, 35), utc(2026, 5, 4, 5, 45), utc(2026, 5, 4, 6, 5)]
    assert job.result == {"message_id": transport.to_user(100)[0].message_id}


async def test_a_first_attempt_reads_nothing_back(pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(100 + i, "UTC", DAY) for i in range(5)], begin)
    transport = LostResponses(clock, lose=0)
    rt, _ = runtime(pool, clock, [message_engine("t", PROMPT)], settings, transport)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 7))
    await rt.stop()
    assert len(transport.messages) == 5 and transport.history_reads == []


async def add_alerts(pool, count: int, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        for number in range(count):
            await alerts.add(conn, kind="job_dead", message=f"alert {number}", now=now)


async def posted_flags(pool) -> list[bool]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return [r["posted_at"] is not None for r in await conn.fetch("SELECT * FROM alerts ORDER BY id")]


async def test_an_alert_batch_whose_post_was_lost_is_found_not_posted_again(pool) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 5))
    await add_alerts(pool, 3, clock.now())
    transport = LostResponses(clock, lose=1)
    with pytest.raises(TransientDeliveryError):
        await alert_buffer.post_pending(pool, transport, 4001, clock)
    assert await posted_flags(pool) == [False] * 3
    clock._now += dt.timedelta(minutes=30)  # far past any nonce window
    assert await alert_buffer.post_pending(pool, transport, 4001, clock) == 3
    assert await posted_flags(pool) == [True] * 3
    [post] = transport.messages_to_channel(4001)
    assert "alert 0" in post.message.as_text() and "alert 2" in post.message.as_text()
    # New alerts make a new batch, posted at once (their batch never began before).
    await add_alerts(pool, 2, clock.now())
    reads = len(transport.history_reads)
    assert await alert_buffer.post_pending(pool, transport, 4001, clock) == 2
    assert len(transport.messages_to_channel(4001)) == 2 and len(transport.history_reads) == reads


async def test_an_alert_batch_that_failed_before_posting_is_posted_once(pool) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 5))
    await add_alerts(pool, 2, clock.now())

    class Refusing(LostResponses):
        async def post_channel(self, channel_id, message, *, nonce=None):  # type: ignore[no-untyped-def]
            raise TransientDeliveryError("502: nothing was created")

    with pytest.raises(TransientDeliveryError):
        await alert_buffer.post_pending(pool, Refusing(clock, lose=0), 4001, clock)
    transport = LostResponses(clock, lose=0)
    assert await alert_buffer.post_pending(pool, transport, 4001, clock) == 2
    assert len(transport.messages_to_channel(4001)) == 1 and len(transport.history_reads) == 1
