"""The weekly check-in through Discord: once a week on the client's check-in weekday at 09:00
local, never early, across a DST change and in a +05:45 zone; its form (waist in the client's
unit, the week rated 1-5, wins and struggles) with every bad input named and nothing written;
missed at 22:00 the next day; counted in compliance."""

from __future__ import annotations

import datetime as dt

import pytest
from bot_harness import CLIENT, COACH, GUILD, add_client, running_bot
from helpers import all_jobs, all_rows, utc

from bot.core.clock import VirtualClock
from bot.domain import timezones
from bot.domain.errors import InputError
from bot.domain.models import Unit
from bot.engines import weekly
from bot.repo import clients

SUNDAY_MAR_22 = dt.date(2026, 3, 22)  # New York moved to EDT on 8 March; London moves on 29 March


def reviews(discord_double, user: int) -> list:  # type: ignore[no-untyped-def]
    return [m for m in discord_double.dms_to(user) if (m.heading() or "").startswith("Weekly check-in")]


async def review_rows(pool) -> list[dict]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch("SELECT * FROM weekly_reviews ORDER BY user_id, date")]


async def test_once_a_week_at_nine_local_never_early_across_dst_and_in_kathmandu(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 3, 21, 12)
    clock = VirtualClock(begin)
    london, kathmandu = CLIENT, 3050
    await discord_double.add_member(GUILD, kathmandu, name="Kathmandu")
    await add_client(pool, discord_double, london, "Europe/London", SUNDAY_MAR_22, begin)
    await add_client(pool, discord_double, kathmandu, "Asia/Kathmandu", SUNDAY_MAR_22, begin)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 4, 6, 22))  # three Sundays: 22 Mar, 29 Mar (DST), 5 Apr, closed
    drops = sorted(
        (j for j in await all_jobs(pool) if j.engine == "weekly" and j.action == "drop"),
        key=lambda j: (j.user_id, j.local_date),
    )
    sundays = [dt.date(2026, 3, 22), dt.date(2026, 3, 29), dt.date(2026, 4, 5)]
    for user, zone in ((london, "Europe/London"), (kathmandu, "Asia/Kathmandu")):
        theirs = [j for j in drops if j.user_id == user]
        assert [j.local_date for j in theirs] == sundays, (zone, theirs)
        tz = timezones.parse_timezone(zone)
        for job in theirs:
            assert job.status == "sent" and job.started_at is not None
            assert job.due_at.astimezone(tz).time() == dt.time(9, 0), (zone, job)
            assert job.started_at >= job.due_at, "never early"
            assert job.deadline is not None
            deadline = job.deadline.astimezone(tz)
            assert (deadline.date(), deadline.time()) == (
                job.local_date + dt.timedelta(days=1),
                dt.time(22, 0),
            )
        assert len(reviews(discord_double, user)) == 3
    # 29 March: 09:00 in London is 08:00 UTC (BST from 01:00 UTC that day); Kathmandu 03:15 UTC.
    assert utc(2026, 3, 29, 8) in {j.due_at for j in drops if j.user_id == london}
    assert dt.datetime(2026, 3, 29, 3, 15, tzinfo=dt.UTC) in {
        j.due_at for j in drops if j.user_id == kathmandu
    }
    # Not submitted: each one missed at 22:00 the next day, and the close runs then.
    rows = await review_rows(pool)
    assert {(r["user_id"], r["date"], r["status"]) for r in rows} == {
        (u, d, "missed") for u in (london, kathmandu) for d in sundays
    }
    closes = [j for j in await all_jobs(pool) if j.engine == "weekly" and j.action == "close"]
    assert all(j.due_at == j.deadline or j.due_at.astimezone(dt.UTC).date() > j.local_date for j in closes)


async def test_the_form_names_every_bad_input_writes_nothing_then_takes_a_good_one(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 10, 8)  # Sunday
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", dt.date(2026, 5, 4), begin, unit="lb")
    ids = {"user_id": CLIENT, "day": dt.date(2026, 5, 10)}
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 10, 9, 30))
        [prompt] = reviews(discord_double, CLIENT)
    # The bot restarts between the DM and the click: the button and its form still work.
    async with running_bot(discord_double, pool, clock, settings):
        opened = await discord_double.click(CLIENT, prompt, weekly.OPEN_ID.format(**ids))
        assert opened.response_type == 9 and "Waist (in)" in str(opened.modal.components)
        before = await all_rows(pool)
        bad = await discord_double.submit_modal(
            CLIENT, weekly.FORM_ID.format(**ids), {"waist": "abc", "rating": ["4"], "story": "fine"}
        )
        text = bad.content or ""
        assert "waist: 'abc' is not a number from 16 to 98 in" in text, text
        assert await all_rows(pool) == before
        too_big = await discord_double.submit_modal(
            CLIENT, weekly.FORM_ID.format(**ids), {"waist": "300", "rating": ["4"], "story": ""}
        )
        assert "waist: 300 is outside" in (too_big.content or "")
        assert await all_rows(pool) == before

        good = await discord_double.submit_modal(
            CLIENT,
            weekly.FORM_ID.format(**ids),
            {"waist": "31,5", "rating": ["4"], "story": "Hit every session"},
        )
        assert "Weekly check-in sent: week 4/5" in (good.content or "")
        await discord_double.wait_for(lambda: bool(prompt.edits))
        await clock.run_until(utc(2026, 5, 11, 22, 30))
        stats = await discord_double.slash(CLIENT, "stats")
        logs = await discord_double.slash(COACH, "logs", {"client": str(CLIENT)}, guild_id=GUILD)
    [row] = await review_rows(pool)
    assert (row["status"], float(row["waist_cm"]), row["waist_typed"], row["rating"]) == (
        "submitted",
        80.0,
        "31.5",
        4,
    )
    assert row["story"] == "Hit every session"
    assert "weekly check-in" in str(stats.embeds[0]), stats.embeds
    assert "waist 31.5 in · week 4/5" in logs.embeds[0]["description"]
    async with pool.acquire() as conn:
        assert (await clients.get(conn, CLIENT)).unit == "lb"  # type: ignore[union-attr]


def test_every_problem_of_a_forged_form_is_named() -> None:
    """What Discord's form would not let through (a forged submit): all named at once."""
    with pytest.raises(InputError) as caught:
        weekly.parse({"waist": "abc", "rating": "9", "story": "x" * 5000}, Unit.kg)
    problems = caught.value.problems
    assert len(problems) == 3, problems
    assert problems[0].startswith("waist: 'abc' is not a number from 40 to 250 cm")
    assert problems[1].startswith("how the week went: 9 is outside 1–5")
    assert "wins and struggles" in problems[2] and "1000" in problems[2]
    assert weekly.parse({"waist": "", "rating": "3", "story": " "}, Unit.kg) == weekly.Answers(
        None, None, 3, None, {}
    )
