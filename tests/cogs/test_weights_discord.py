"""Weights as people typed them (issue 13): a weigh-in is not rounded to a plate step (81,4 stays
81.4 kg, in lb too), and a coach reads top sets and weigh-ins as the client does ("110 kg",
"102.5 kg", never "110.0 kg") on /client show and /logs."""

from __future__ import annotations

import datetime as dt

from bot_harness import CLIENT, COACH, GUILD, add_client, running_bot
from helpers import utc

from bot.core.clock import VirtualClock
from bot.domain.lifting import show_bodyweight
from bot.domain.models import Unit
from bot.engines import checkin
from bot.engines.training import LOG_ID, MODAL_ID

MONDAY = dt.date(2026, 5, 4)
LB_CLIENT = 3011


async def coach_reads(discord_double, user_id: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """What the coach reads of a client's logs: /client show's "Last logs" and /logs."""
    shown = await discord_double.slash(COACH, "client show", {"client": str(user_id)}, guild_id=GUILD)
    [card] = await shown.wait_followups(1)
    [last] = [f["value"] for f in card.embeds[0]["fields"] if f["name"] == "Last logs"]
    logs = await discord_double.slash(COACH, "logs", {"client": str(user_id)}, guild_id=GUILD)
    return last, logs.embeds[0]["description"]


async def check_in(discord_double, user_id: int, bodyweight: str) -> str:  # type: ignore[no-untyped-def]
    """Answer both parts of today's check-in; the check-in DM's weigh-in line afterwards."""
    ids = {"user_id": user_id, "day": MONDAY}
    [dm] = [m for m in discord_double.dms_to(user_id) if m.embeds[0]["title"].startswith("Check-in")]
    await discord_double.click(user_id, dm, checkin.FEEL_ID.format(**ids))
    await discord_double.submit_modal(
        user_id, checkin.FEEL_MODAL_ID.format(**ids),
        {"energy": ["4"], "mood": ["4"], "stress": ["2"], "soreness": ["1"], "note": ""},
    )  # fmt: skip
    await discord_double.click(user_id, dm, checkin.BODY_ID.format(**ids))
    done = await discord_double.submit_modal(
        user_id, checkin.BODY_MODAL_ID.format(**ids), {"bodyweight": bodyweight, "sleep": "7.5"}
    )
    assert "Check-in complete" in (done.content or ""), done.content
    # The edit showing the weigh-in may land after the reply; until then the embed may have no
    # fields at all (Discord leaves an empty list out).
    await discord_double.wait_for(
        lambda: any("Weigh-in" in f["name"] for f in dm.embeds[0].get("fields", []))
    )
    [line] = [f["value"] for f in dm.embeds[0].get("fields", []) if f["name"].startswith("Weigh-in")]
    return line


async def test_a_weigh_in_shows_as_typed_to_the_client_and_the_coach(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin)
    await add_client(pool, discord_double, LB_CLIENT, "UTC", MONDAY, begin, unit="lb")
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 5, 45))

        # 81,4 kg is 81.4 kg, not the nearest half kilo (81.5).
        assert (await check_in(discord_double, CLIENT, "81,4")).startswith("81.4 kg · slept 7.5 h")
        # 180,4 lb is stored as 81.83 kg; shown back in lb it is 180.4, not 180.5.
        assert (await check_in(discord_double, LB_CLIENT, "180,4")).startswith("180.4 lb · slept 7.5 h")

        for text in await coach_reads(discord_double, CLIENT):
            assert "bodyweight 81.4 kg · sleep 7.5 h" in text, text
        for text in await coach_reads(discord_double, LB_CLIENT):
            assert "bodyweight 180.4 lb · sleep 7.5 h" in text, text


async def test_a_coach_reads_top_sets_as_the_client_typed_them(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 6)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, schedule_days=[1, 3, 5])
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 7, 30))
        [workout] = [m for m in discord_double.dms_to(CLIENT) if m.heading() == "Full body A"]
        for index, weight, reps in ((0, "110", "5"), (1, "102,5", "5")):
            await discord_double.click(
                CLIENT, workout, LOG_ID.format(user_id=CLIENT, day=MONDAY, index=index)
            )
            logged = await discord_double.submit_modal(
                CLIENT,
                MODAL_ID.format(user_id=CLIENT, day=MONDAY, index=index),
                {"weight": weight, "reps": reps},
            )
            assert "Logged" in (logged.content or ""), logged.content
        # The client read "Logged Back Squat: 110 kg × 5."; so does the coach.
        for text in await coach_reads(discord_double, CLIENT):
            assert "Back Squat 110 kg × 5" in text and "Bench Press 102.5 kg × 5" in text, text
            assert ".0 kg" not in text, text


def test_bodyweight_keeps_the_precision_typed_in_either_unit() -> None:
    assert show_bodyweight(81.4, Unit.kg, 81.4, "kg") == "81.4 kg"
    assert show_bodyweight(81.0, Unit.kg, 81.0, "kg") == "81 kg"
    assert show_bodyweight(81.83, Unit.lb, 180.4, "lb") == "180.4 lb"
    # Typed in another unit than the one shown now (the client switched): one decimal.
    assert show_bodyweight(81.83, Unit.kg, 180.4, "lb") == "81.8 kg"
    assert show_bodyweight(81.4, Unit.lb, 81.4, "kg") == "179.5 lb"
    assert show_bodyweight(81.4, Unit.kg) == "81.4 kg"
