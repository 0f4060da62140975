"""How bad input is answered (issue 13): one problem is a plain sentence; several are a list, one
"• " line each. Through the real bot: the reply the client reads."""

from __future__ import annotations

import datetime as dt

from bot_harness import CLIENT, add_client, running_bot
from helpers import utc

from bot.core.clock import VirtualClock
from bot.domain.errors import InputError
from bot.engines import checkin

MONDAY = dt.date(2026, 5, 4)


async def test_one_problem_reads_as_a_sentence_and_several_as_a_list(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin)
    ids = {"user_id": CLIENT, "day": MONDAY}
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 5, 45))
        [dm] = discord_double.dms_to(CLIENT)
        await discord_double.click(CLIENT, dm, checkin.BODY_ID.format(**ids))
        one = await discord_double.submit_modal(
            CLIENT, checkin.BODY_MODAL_ID.format(**ids), {"bodyweight": "81", "sleep": "30"}
        )
        assert one.ephemeral and (one.content or "").startswith("sleep: 30 is outside"), one.content
        assert "•" not in (one.content or "") and "\n" not in (one.content or ""), one.content

        await discord_double.click(CLIENT, dm, checkin.BODY_ID.format(**ids))
        two = await discord_double.submit_modal(
            CLIENT, checkin.BODY_MODAL_ID.format(**ids), {"bodyweight": "abc", "sleep": "30"}
        )
        lines = (two.content or "").split("\n")
        assert len(lines) == 2 and all(line.startswith("• ") for line in lines), two.content
        assert lines[0].startswith("• bodyweight: 'abc' is not a number") and "sleep: 30" in lines[1]


def test_input_error_text() -> None:
    assert str(InputError("Pick a date after today.")) == "Pick a date after today."
    assert str(InputError(["only one"])) == "only one"
    assert str(InputError(["first", "second"])) == "• first\n• second"
