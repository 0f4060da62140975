"""/progress waist (and any measurement) through Discord, as /progress bodyweight: the client's
own chart in their unit, the coach's /training progress for a client, the suggestions, and an
answer in words where nothing was measured."""

from __future__ import annotations

import datetime as dt
import io

from bot_harness import CLIENT, COACH, GUILD, add_client, running_bot
from helpers import utc
from PIL import Image
from weekly_rows import check_in, choose

from bot.core.clock import VirtualClock

SUNDAY = dt.date(2026, 10, 4)
PNG = b"\x89PNG\r\n\x1a\n"


async def test_progress_waist_draws_the_clients_measurements(discord_double, pool, settings) -> None:
    begin = utc(2026, 10, 1, 12)
    clock = VirtualClock(begin)
    await discord_double.add_member(GUILD, CLIENT)
    await add_client(pool, discord_double, CLIENT, "UTC", SUNDAY, begin, unit="lb")
    async with pool.acquire() as conn:
        await choose(conn, CLIENT, ["hips"])
        for n in range(3):
            await check_in(
                conn, CLIENT, SUNDAY + dt.timedelta(weeks=n), unit="lb", waist_cm=90.0 - n, hips=100.0 - n
            )
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        assert {"waist", "hips", "chest", "arm", "thigh"} <= {
            name for engine in bot.registry for name in engine.charts
        }
        offered = await discord_double.autocomplete(CLIENT, "progress", {"exercise": "wai"})
        assert [(c["name"], c["value"]) for c in offered] == [("waist (weekly check-in)", "waist")]

        chart = await discord_double.slash(CLIENT, "progress", {"exercise": "waist"})
        [followup] = await chart.wait_followups(1)
        [attachment] = followup.attachments
        assert attachment.filename == "waist.png" and attachment.data.startswith(PNG)
        with Image.open(io.BytesIO(attachment.data)) as image:
            image.load()
            assert image.format == "PNG" and image.width > 600

        not_yet = await discord_double.slash(CLIENT, "progress", {"exercise": "hips"})
        [hips] = await not_yet.wait_followups(1)
        assert hips.attachments and hips.attachments[0].data.startswith(PNG)

        never = await discord_double.slash(CLIENT, "progress", {"exercise": "chest"})
        [answer] = await never.wait_followups(1)
        assert not answer.attachments
        assert "No chest measured: the weekly check-in does not ask for it." in (answer.content or "")

        coach_view = await discord_double.slash(
            COACH, "training progress", {"client": str(CLIENT), "exercise": "waist"}, guild_id=GUILD
        )
        [coach_chart] = await coach_view.wait_followups(1)
        assert coach_chart.attachments[0].data.startswith(PNG)


async def test_progress_waist_before_any_check_in_says_so(discord_double, pool, settings) -> None:
    begin = utc(2026, 10, 1, 12)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", SUNDAY, begin)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        empty = await discord_double.slash(CLIENT, "progress", {"exercise": "waist"})
        [message] = await empty.wait_followups(1)
        assert not message.attachments
        assert "No waist measured yet: the chart appears after your first weekly check-in." in (
            message.content or ""
        )
