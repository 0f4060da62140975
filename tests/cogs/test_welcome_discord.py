"""The welcome DM a coach's /client add sends (issue 13): it says what the client will get and when,
from the engines that apply to them and the configured times, in their zone as people write it
and with the start date as a day ("Tuesday 05 May")."""

from __future__ import annotations

import datetime as dt

from bot_harness import COACH, GUILD, running_bot
from helpers import utc

from bot.core.clock import VirtualClock
from bot.domain.models import ClientProfile
from bot.engines import build_registry
from bot.usecases import clients as clients_uc

NEW_CLIENT = 5001


async def welcome_to(discord_double, pool, settings, **add: str) -> str:  # type: ignore[no-untyped-def]
    """Onboard NEW_CLIENT with /client add as the coach; the welcome DM's text."""
    clock = VirtualClock(utc(2026, 5, 4, 15))  # Monday
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await discord_double.add_member(GUILD, NEW_CLIENT)
        options = {"member": NEW_CLIENT, "start_date": "2026-05-05", **add}
        added = await discord_double.slash(COACH, "client add", options, guild_id=GUILD)
        [followup] = await added.wait_followups(1)
        assert "onboarded" in followup.content, followup.content
    [welcome] = discord_double.dms_to(NEW_CLIENT)
    assert welcome.embeds[0]["title"] == "Welcome to The Regiment"
    return welcome.embeds[0]["description"]


async def test_the_welcome_follows_the_settings_and_tells_only_what_the_client_gets(
    discord_double, pool, settings
) -> None:
    moved = settings.model_copy(
        update={
            "checkin_prompt_at": dt.time(6, 15),
            "meals_drop_at": dt.time(6, 40),
            "cardio_drop_at": dt.time(6, 40),
            "training_drop_at": dt.time(8, 5),
        }
    )
    text = await welcome_to(discord_double, pool, moved, timezone="+05:45", schedule_days="mon,wed,fri")
    assert "Your plan starts Tuesday 05 May." in text, text
    assert "At your local time (UTC+05:45) you get:" in text, text
    assert "• check-in at 06:15\n• workout at 08:05 on Mon, Wed, Fri" in text, text
    # A new client has no meal or cardio plan: they are not told about either.
    assert "meal" not in text and "cardio" not in text, text
    # Nothing of the old fixed wording: default times, "+05:45 time", an ISO date.
    for stale in ("05:30", "06:00", "07:00", "+05:45 time", "2026-05-05"):
        assert stale not in text, (stale, text)


async def test_the_welcome_names_a_negative_offset_and_an_iana_zone_as_people_write_them(
    discord_double, pool, settings
) -> None:
    text = await welcome_to(discord_double, pool, settings, timezone="-08:09")
    assert "(UTC−08:09)" in text and "-08:09" not in text, text
    # Default settings, default days (mon,wed,fri).
    assert "• check-in at 05:30\n• workout at 07:00 on Mon, Wed, Fri" in text, text


def test_a_client_with_plans_is_told_about_meals_and_cardio(settings) -> None:
    profile = ClientProfile(
        user_id=NEW_CLIENT,
        timezone="america/chicago",
        start_date=dt.date(2026, 12, 1),
        schedule_days=[1, 2, 3, 4, 5, 6, 7],
        meal_plan_id="cut_2200",
        cardio_plan_id="zone2_base",
    )
    [embed] = clients_uc.welcome_message(profile, build_registry(settings)).embeds
    assert embed.description == (
        "Your coach has set you up. Your plan starts Tuesday 01 December.\n"
        "At your local time (America/Chicago) you get:\n"
        "• check-in at 05:30\n"
        "• meals and cardio at 06:00\n"
        "• workout at 07:00\n"
        "• weekly check-in at 09:00 on Sun\n"
        "Use /today here any time."
    )
