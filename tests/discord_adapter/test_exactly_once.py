"""Exactly once without Discord's help: the real bot against the loopback double, on the virtual
clock, each case run with the double's nonce deduplication off (only the bot's own check of the
channel can prevent a second message) and on (the same result, and the count of sends the double
had to suppress: none, since the bot no longer leans on it)."""

from __future__ import annotations

import datetime as dt

import pytest
from bot_harness import ALERT_CHANNEL, COACH, COACH_CHANNEL, GUILD, HONORS_CHANNEL, add_client, running_bot
from helpers import all_jobs, utc

from bot.core.clock import VirtualClock
from bot.domain.blocks import parse_block
from bot.engines import checkin
from bot.repo import blocks as blocks_repo

MONDAY = dt.date(2026, 5, 4)
SUNDAY = dt.date(2026, 5, 10)
POSTS = r"^/channels/\d+/messages$"


@pytest.fixture(params=[False, True], ids=["nonce-dedupe-off", "nonce-dedupe-on"])
def dedupe(request, discord_double) -> bool:  # type: ignore[no-untyped-def]
    discord_double.nonce_dedupe = request.param
    return request.param


def jobs_of(jobs, engine: str, action: str):  # type: ignore[no-untyped-def]
    return [j for j in jobs if j.engine == engine and j.action == action]


async def test_a_lost_response_then_retries_at_5_10_and_20_minutes_leave_one_dm(
    discord_double, dedupe, pool, settings
) -> None:
    """Discord creates the check-in and answers 503 (discord.py does not retry that). The retries
    at +5 and +15 minutes cannot read the channel back (503 again); the one at +35, far outside
    any nonce window, finds the message, records it, and the 12:00 close edits it."""
    client = 7001
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, client, "UTC", MONDAY, begin)
    discord_double.fail_next("POST", POSTS, 503, commit=True)
    reads = discord_double.fail_next("GET", r"^/channels/\d+/messages$", 503, times=2)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6, 30))
        [job] = jobs_of(await all_jobs(pool), "checkin", "drop")
        assert job.status == "sent" and job.attempts == 4, job
        assert len(reads.hits) == 2
        [dm] = discord_double.dms_to(client)
        async with pool.acquire() as conn:
            drop = await checkin.LOGBOOK.store.get(conn, client, MONDAY)
        assert drop is not None and [m["message_id"] for m in drop.messages] == [dm.message_id]
        await clock.run_until(utc(2026, 5, 4, 12, 30))
        await discord_double.wait_for(lambda: bool(dm.edits))
    assert all(button.get("disabled") for button in dm.buttons())  # the close reached it
    assert len(discord_double.dms_to(client)) == 1
    assert discord_double.suppressed_count == 0


async def test_each_part_of_a_two_part_workout_arrives_once(discord_double, dedupe, pool, settings) -> None:
    """The first part's response is lost; the retry finds it, sends the second part, and that
    response is lost too; the next retry finds both."""
    client = 7002
    note = "Keep the tempo slow and controlled, pause at the bottom, drive up hard. " * 2
    exercises = "\n".join(
        f"      - {{id: ex{i}, name: Exercise {i}, sets: 3, reps: 8, rest: 90, note: '{note}'}}"
        for i in range(12)
    )
    parsed = parse_block(
        f"id: long\nname: Long day\ndays:\n  - title: Everything\n    exercises:\n{exercises}\n"
    )
    # A block file allows 12 exercises a day, which always fit one message; a day stored with
    # more (past the file validator) is what makes the renderer split a workout into parts.
    [day] = parsed.days
    more = [e.model_copy(update={"id": f"more{i}"}) for i, e in enumerate(day.exercises)]
    block = parsed.model_copy(
        update={"days": [day.model_copy(update={"exercises": [*day.exercises, *more]})]}
    )
    begin = utc(2026, 5, 4, 6)
    clock = VirtualClock(begin)
    async with pool.acquire() as conn:
        await blocks_repo.store(conn, block, begin, None)
    await add_client(pool, discord_double, client, "UTC", MONDAY, begin, block_id="long", schedule_days=[1])
    lost = discord_double.fail_next("POST", POSTS, 503, commit=True, times=2)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 7, 30))
    [job] = jobs_of(await all_jobs(pool), "training", "drop")
    assert job.status == "sent" and job.attempts == 3 and len(lost.hits) == 2
    parts = discord_double.dms_to(client)
    assert len(parts) >= 2, "the block should need more than one message"
    titles = [part.heading() for part in parts]  # "Everything (1/2)", ...
    assert len(set(titles)) == len(titles), titles  # no part twice
    assert sum(len(part.buttons()) for part in parts) == 24
    assert discord_double.suppressed_count == 0


async def test_a_forced_resend_is_exactly_one_more_copy(discord_double, dedupe, pool, settings) -> None:
    client = 7003
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, client, "UTC", MONDAY, begin)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 6))
        assert len(discord_double.dms_to(client)) == 1
        discord_double.fail_next("POST", POSTS, 503, commit=True)
        forced = await discord_double.slash(
            COACH,
            "trigger",
            {"client": str(client), "action": "checkin.drop", "force": True},
            guild_id=GUILD,
        )
        assert "queued" in (forced.content or ""), forced.content
        await clock.run_until(utc(2026, 5, 4, 6, 30))
    resends = [j for j in jobs_of(await all_jobs(pool), "checkin", "drop") if j.seq > 0]
    assert [(j.status, j.attempts) for j in resends] == [("sent", 2)]
    assert len(discord_double.dms_to(client)) == 2
    async with pool.acquire() as conn:
        drop = await checkin.LOGBOOK.store.get(conn, client, MONDAY)
    assert drop is not None
    assert sorted(m["message_id"] for m in drop.messages) == sorted(
        m.message_id for m in discord_double.dms_to(client)
    )
    assert discord_double.suppressed_count == 0


async def test_the_weekly_summary_and_honors_board_are_posted_once(
    discord_double, dedupe, pool, settings
) -> None:
    begin = utc(2026, 5, 10, 21)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, 7004, "UTC", MONDAY, begin)
    summary = discord_double.fail_next("POST", rf"^/channels/{COACH_CHANNEL}/messages$", 503, commit=True)
    honors = discord_double.fail_next("POST", rf"^/channels/{HONORS_CHANNEL}/messages$", 503, commit=True)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 10, 22, 40))
    [scan] = jobs_of(await all_jobs(pool), "flags", "scan")
    assert scan.status == "sent" and scan.attempts == 3, scan
    assert summary.hits and honors.hits
    [posted] = discord_double.channel_messages(COACH_CHANNEL)
    assert "Weekly" in posted.embeds[0]["title"] or "week" in posted.embeds[0]["title"].lower()
    [board] = discord_double.channel_messages(HONORS_CHANNEL)
    assert board.embeds[0]["title"].startswith("🏆 Honors board")
    assert discord_double.suppressed_count == 0


async def test_an_alert_batch_is_posted_once(discord_double, dedupe, pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    for user in (7101, 7102):
        await add_client(pool, discord_double, user, "UTC", MONDAY, begin)
    discord_double.fail_next("POST", rf"^/channels/(?!{ALERT_CHANNEL}/)\d+/messages$", 503, times=8)
    lost = discord_double.fail_next("POST", rf"^/channels/{ALERT_CHANNEL}/messages$", 503, commit=True)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 7))
    assert [j.status for j in jobs_of(await all_jobs(pool), "checkin", "drop")] == ["dead"] * 2
    assert lost.hits
    [posted] = discord_double.channel_messages(ALERT_CHANNEL)
    assert posted.embeds[0]["title"] == "2 delivery alerts"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM alerts WHERE posted_at IS NULL") == 0
    assert discord_double.suppressed_count == 0
