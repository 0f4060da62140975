"""/pause and /resume through Discord keep the pause history, with the coach who did each."""

from __future__ import annotations

import datetime as dt

from bot_harness import CLIENT, COACH, GUILD, add_client, running_bot
from helpers import utc

from bot.core.clock import VirtualClock

MONDAY = dt.date(2026, 5, 4)


async def test_pause_and_resume_are_kept_with_the_coach_who_did_them(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 8))
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        paused = await discord_double.slash(
            COACH, "pause", {"client": str(CLIENT), "reason": "travel"}, guild_id=GUILD
        )
        [answer] = await paused.wait_followups(1)
        assert "paused until you /resume them" in answer.content
        await clock.run_until(utc(2026, 5, 7, 9))
        resumed = await discord_double.slash(COACH, "resume", {"client": str(CLIENT)}, guild_id=GUILD)
        assert "active again" in (resumed.content or "")
    async with pool.acquire() as conn:
        [period] = await conn.fetch("SELECT * FROM pause_periods")
    assert (period["paused_from"], period["paused_until"], period["reason"]) == (
        MONDAY,
        dt.date(2026, 5, 7),
        "travel",
    )
    assert (period["paused_by"], period["resumed_by"]) == (COACH, COACH)
