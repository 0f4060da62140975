"""/client edit's weekly check-in options through Discord: review_day, review_time and
measurements are saved and re-time this week's check-in (it comes once, at the new time, never at
the old one); "default" and "none" take them back; every bad input is named and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from bot_harness import CLIENT, COACH, GUILD, add_client, running_bot
from helpers import all_jobs, all_rows, utc

from bot.core.clock import VirtualClock
from bot.core.engine import EngineRegistry
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile
from bot.repo import clients
from bot.usecases import clients as clients_uc
from bot.usecases import coaching

SUNDAY = dt.date(2026, 5, 10)  # London is on BST: 09:00 local = 08:00 UTC


def weekly_dms(discord_double) -> list:  # type: ignore[no-untyped-def]
    return [m for m in discord_double.dms_to(CLIENT) if (m.heading() or "").startswith("Weekly check-in")]


async def review_row(pool) -> dict:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT review_weekday, review_at, review_measurements FROM client_profiles WHERE user_id = $1",
            CLIENT,
        )
    return dict(row)


async def test_edit_moves_this_weeks_check_in_and_sets_the_measurements(
    discord_double, pool, settings
) -> None:
    clock = VirtualClock(utc(2026, 5, 10, 5))
    await add_client(pool, discord_double, CLIENT, "Europe/London", dt.date(2026, 5, 4), clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 10, 7, 30))  # 08:30 local: the 09:00 check-in is planned
        [planned] = [j for j in await all_jobs(pool) if j.engine == "weekly" and j.action == "drop"]
        assert (planned.status, planned.due_at) == ("pending", utc(2026, 5, 10, 8))

        saved = await discord_double.slash(
            COACH,
            "client edit",
            {"client": str(CLIENT), "review_time": "18:30", "measurements": "Hips, chest", "review_day": "7"},
            guild_id=GUILD,
        )
        assert (saved.content or "").startswith("Saved."), saved.content
        assert await review_row(pool) == {
            "review_weekday": 7,
            "review_at": dt.time(18, 30),
            "review_measurements": ["hips", "chest"],
        }
        await clock.run_until(utc(2026, 5, 10, 17, 0))  # 18:00 local: nothing yet
        assert weekly_dms(discord_double) == [], "never at the old time, never early"
        await clock.run_until(utc(2026, 5, 10, 18, 0))
        assert len(weekly_dms(discord_double)) == 1

        back = await discord_double.slash(
            COACH,
            "client edit",
            {
                "client": str(CLIENT),
                "review_time": "default",
                "review_day": "default",
                "measurements": "none",
            },
            guild_id=GUILD,
        )
        assert (back.content or "").startswith("Saved."), back.content
        assert await review_row(pool) == {
            "review_weekday": None,
            "review_at": None,
            "review_measurements": [],
        }
        await clock.run_until(utc(2026, 5, 17, 9))
    drops = [j for j in await all_jobs(pool) if j.engine == "weekly" and j.action == "drop"]
    assert [(j.local_date, j.due_at, j.status) for j in drops] == [
        (SUNDAY, utc(2026, 5, 10, 17, 30), "sent"),  # 18:30 local, once, the 09:00 job gone
        (dt.date(2026, 5, 17), utc(2026, 5, 17, 8), "sent"),  # back to the setting's 09:00
    ]
    assert len(weekly_dms(discord_double)) == 2


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (
            {"review_time": "25:00"},
            "review time: '25:00' is not a time; write it as HH:MM on the 24-hour clock",
        ),
        ({"review_time": "9am"}, "review time: '9am' is not a time; write it as HH:MM"),
        (
            {"measurements": "neck"},
            "measurements: 'neck' is not a measurement: choose from hips, chest, arm, thigh",
        ),
        ({"measurements": "hips, neck", "review_day": "3"}, "'neck' is not a measurement"),
        (
            {"review_time": "7.30", "measurements": "waist, knee", "review_day": "1"},
            "• review time: '7.30' is not a time",
        ),
    ],
)
async def test_bad_input_is_named_and_changes_nothing(discord_double, pool, settings, options, said) -> None:
    clock = VirtualClock(utc(2026, 5, 10, 5))
    await add_client(
        pool,
        discord_double,
        CLIENT,
        "Europe/London",
        dt.date(2026, 5, 4),
        clock.now(),
        review_at=dt.time(7, 0),
    )
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        before = await all_rows(pool)
        bad = await discord_double.slash(
            COACH, "client edit", {"client": str(CLIENT), **options}, guild_id=GUILD
        )
        assert said in (bad.content or ""), bad.content
        assert await all_rows(pool) == before, "nothing written"


async def test_a_same_day_deadline_refuses_a_time_at_or_after_it(discord_double, pool, settings) -> None:
    same_day = settings.model_copy(update={"review_deadline_days": 0})
    clock = VirtualClock(utc(2026, 5, 10, 5))
    await add_client(pool, discord_double, CLIENT, "Europe/London", dt.date(2026, 5, 4), clock.now())
    async with running_bot(discord_double, pool, clock, same_day) as bot:
        await bot.sync_commands()
        before = await all_rows(pool)
        late = await discord_double.slash(
            COACH, "client edit", {"client": str(CLIENT), "review_time": "22:00"}, guild_id=GUILD
        )
        assert late.content == "review time: 22:00 is not before the check-in closes (22:00 that day)"
        assert await all_rows(pool) == before
        fine = await discord_double.slash(
            COACH, "client edit", {"client": str(CLIENT), "review_time": "21:59"}, guild_id=GUILD
        )
        assert (fine.content or "").startswith("Saved.")
    assert (await review_row(pool))["review_at"] == dt.time(21, 59)


async def test_a_forged_weekday_is_refused_and_writes_nothing(pool) -> None:
    """What Discord's choices would not let through."""
    clock = VirtualClock(utc(2026, 5, 10, 5))
    async with pool.acquire() as conn:
        await clients.upsert(
            conn, ClientProfile(user_id=CLIENT, timezone="UTC", start_date=dt.date(2026, 5, 4)), clock.now()
        )
    before = await all_rows(pool)
    for day in ("funday", "8", "0", "s", "sundays"):
        with pytest.raises(
            InputError, match=r"review day: .* is not a weekday; choose Monday to Sunday, or default"
        ):
            await clients_uc.edit_client(
                pool,
                clock,
                user_id=CLIENT,
                given=coaching.ClientInput(review_day=day, review_time="08:00"),
                registry=EngineRegistry(),
            )
    assert await all_rows(pool) == before
    for day, iso in (("Wed", 3), ("wednesday", 3), ("3", 3), ("SUNDAY", 7), ("default", None)):
        edited = await clients_uc.edit_client(
            pool, clock, user_id=CLIENT, given=coaching.ClientInput(review_day=day), registry=EngineRegistry()
        )
        assert edited.profile.review_weekday == iso, day
