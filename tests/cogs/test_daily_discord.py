"""Check-in, meals and cardio through Discord: the DMs, their buttons and forms, plan import by
attachment, /today, /history and the bodyweight and readiness charts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bot_harness import CLIENT, COACH, GUILD, add_client, running_bot
from helpers import utc
from samples import SEVERAL_ERRORS

from bot.core.clock import VirtualClock
from bot.domain.plans import parse_plan
from bot.engines import cardio, checkin, meals
from bot.repo import plans as plans_repo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MONDAY = dt.date(2026, 5, 4)
PNG = b"\x89PNG\r\n\x1a\n"
SIX_MEALS = "kind: meals\nid: six\nname: Six a day\ndaily:\n" + "".join(
    f"  - {{name: Meal number {i}, foods: [{{name: Oats, portion: 80 g}}, {{name: Whey protein isolate, "
    f"portion: 30 g}}], kcal: 400, protein: 30, carbs: 45, fat: 10}}\n"
    for i in range(1, 7)
)


async def store_plans(pool, now: dt.datetime, *texts: str) -> None:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        for text in texts:
            await plans_repo.store(conn, parse_plan(text), now, None)


def example(name: str) -> str:
    return (EXAMPLES / name).read_text()


async def test_check_in_meals_and_cardio_through_their_buttons(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await store_plans(pool, begin, SIX_MEALS, example("cardio_zone2.yaml"))
    await add_client(
        pool, discord_double, CLIENT, "UTC", MONDAY, begin, meal_plan_id="six", cardio_plan_id="zone2_base"
    )
    ids = {"user_id": CLIENT, "day": MONDAY}
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 6, 30))
        by_title = {m.heading().split(" — ")[0]: m for m in discord_double.dms_to(CLIENT)}
        assert set(by_title) == {"Check-in", "Meals", "Cardio"}

        # Check-in: two short forms; the first one holds four 1–5 selects and a note.
        feel = await discord_double.click(CLIENT, by_title["Check-in"], checkin.FEEL_ID.format(**ids))
        assert feel.response_type == 9 and len(feel.modal.components) == 5
        saved = await discord_double.submit_modal(
            CLIENT, checkin.FEEL_MODAL_ID.format(**ids),
            {"energy": ["4"], "mood": ["4"], "stress": ["2"], "soreness": ["1"], "note": "fresh"},
        )  # fmt: skip
        assert "One part to go" in (saved.content or "")
        body = await discord_double.click(CLIENT, by_title["Check-in"], checkin.BODY_ID.format(**ids))
        assert body.response_type == 9
        bad = await discord_double.submit_modal(
            CLIENT, checkin.BODY_MODAL_ID.format(**ids), {"bodyweight": "abc", "sleep": "30"}
        )
        assert "bodyweight: 'abc' is not a number" in (bad.content or "") and "sleep: 30 is outside" in (
            bad.content or ""
        )
        done = await discord_double.submit_modal(
            CLIENT, checkin.BODY_MODAL_ID.format(**ids), {"bodyweight": "81,4", "sleep": "7.5"}
        )
        assert "Check-in complete. Readiness 4.25 / 5." in (done.content or "")

        # Meals: followed updates the message in place; off plan asks for a note.
        meal_ids = {**ids, "index": 0}
        followed = await discord_double.click(CLIENT, by_title["Meals"], meals.FOLLOWED_ID.format(**meal_ids))
        assert followed.response_type == 7
        first_meal = followed.message.texts()[1]  # after the heading: the first meal, its buttons under it
        assert "✅ followed" in first_meal and followed.message.components_v2
        off = await discord_double.click(
            CLIENT, by_title["Meals"], meals.OFF_PLAN_ID.format(**{**ids, "index": 1})
        )
        assert off.response_type == 9
        noted = await discord_double.submit_modal(
            CLIENT, meals.NOTE_MODAL_ID.format(**{**ids, "index": 1}), {"note": "birthday cake"}
        )
        assert "off plan" in (noted.content or "")

        # Cardio: minutes were prescribed, so the form asks for minutes.
        form = await discord_double.click(CLIENT, by_title["Cardio"], cardio.LOG_ID.format(**ids))
        assert [c["custom_id"] for c in form.modal.inputs()] == ["amount", "avg_hr"]
        too_much = await discord_double.submit_modal(
            CLIENT, cardio.MODAL_ID.format(**ids), {"amount": "1e9", "avg_hr": ""}
        )
        assert "minutes: '1e9' is not a whole number" in (too_much.content or "")
        logged = await discord_double.submit_modal(
            CLIENT, cardio.MODAL_ID.format(**ids), {"amount": "36", "avg_hr": "131"}
        )
        assert "Cardio logged: 36 min." in (logged.content or "")

        today = await discord_double.slash(CLIENT, "today")
        summary = today.embeds[0]["fields"][1]["value"]
        assert (
            "check-in: done ✅" in summary
            and "meals: 2/6 answered" in summary
            and "cardio: done ✅" in summary
        )

        chart = await discord_double.slash(CLIENT, "progress", {"exercise": "bodyweight"})
        [png] = await chart.wait_followups(1)
        assert png.attachments[0].data.startswith(PNG)
        readiness = await discord_double.slash(CLIENT, "progress", {"exercise": "readiness"})
        [png] = await readiness.wait_followups(1)
        assert png.attachments[0].data.startswith(PNG)

        await clock.run_until(utc(2026, 5, 4, 22, 30))
        history = await discord_double.slash(CLIENT, "history")
        last_days = history.embeds[0]["fields"][0]["value"]
        assert "meals: 2/6 answered" in last_days and "check-in: done ✅" in last_days
        # Closed at 22:00: every button of every drop is disabled (a click that gets through anyway
        # is refused: test_bot_discord's test_after_the_deadline_a_click_says_the_check_in_closed).
        for message in by_title.values():
            assert message.buttons() and all(b.get("disabled") for b in message.buttons())
    async with pool.acquire() as conn:
        statuses = [r["status"] for r in await conn.fetch("SELECT status FROM meal_logs ORDER BY meal_index")]
    assert statuses == ["followed", "off_plan", "missed", "missed", "missed", "missed"]
    assert discord_double.violations == []  # six meals, twelve buttons: within every limit


async def test_coach_imports_plans_by_attachment_and_assigns_them(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 3))
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        bad = await discord_double.slash(
            COACH, "plans import", {"file": ("bad.yaml", SEVERAL_ERRORS.encode())}, guild_id=GUILD
        )
        [answer] = await bad.wait_followups(1)
        assert answer.content.count("•") == 6 and "daily[1].sauce: unknown field" in answer.content
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM meal_plans") == 0
        upload = ("meals.yaml", example("meals_cut_2200.yaml").encode())
        ok = await discord_double.slash(
            COACH, "plans import", {"file": upload, "assign_to": str(CLIENT)}, guild_id=GUILD
        )
        [done] = await ok.wait_followups(1)
        assert (
            "Imported meal plan **Cut — 2,200 kcal** (`cut_2200`) as version 1 and assigned it"
            in done.content
        )
        unknown = await discord_double.slash(
            COACH, "client edit", {"client": str(CLIENT), "cardio_plan": "nope"}, guild_id=GUILD
        )
        assert "cardio plan: no cardio plan 'nope' has been imported" in (unknown.content or "")
        await clock.run_until(utc(2026, 5, 4, 6, 30))
    assert any(m.heading() == "Meals — Monday 04 May" for m in discord_double.dms_to(CLIENT))


async def test_stats_on_day_one_counts_a_fully_logged_day(discord_double, pool, settings) -> None:
    """Issue 13: after a fully logged first day /stats said "Nothing was due yet" and a 0-day
    streak: today was not even read. Rates stay over whole days; today shows as so far."""
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await store_plans(pool, begin, SIX_MEALS)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, meal_plan_id="six")
    ids = {"user_id": CLIENT, "day": MONDAY}
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 6, 30))
        by_title = {m.heading().split(" — ")[0]: m for m in discord_double.dms_to(CLIENT)}
        await discord_double.submit_modal(
            CLIENT, checkin.FEEL_MODAL_ID.format(**ids),
            {"energy": ["4"], "mood": ["4"], "stress": ["2"], "soreness": ["1"], "note": ""},
        )  # fmt: skip
        await discord_double.submit_modal(
            CLIENT, checkin.BODY_MODAL_ID.format(**ids), {"bodyweight": "81,4", "sleep": "7.5"}
        )
        for index in range(6):
            await discord_double.click(
                CLIENT, by_title["Meals"], meals.FOLLOWED_ID.format(**ids, index=index)
            )
        stats = await discord_double.slash(CLIENT, "stats")
        embed = stats.embeds[0]
        assert embed["description"] == "Rates count whole days: yours start tomorrow, once today is over."
        assert {f["name"]: f["value"] for f in embed["fields"]} == {
            "Today so far": "7/7 done",
            "Streak": "1 fully compliant day in a row",
        }
        # The next morning Monday is a whole day: it is in the rates, and today has not begun.
        await clock.run_until(utc(2026, 5, 5, 6, 30))
        next_day = (await discord_double.slash(CLIENT, "stats")).embeds[0]
        assert re.search(r"overall +100% · 100% · 100%", next_day["description"])
        assert {f["name"]: f["value"] for f in next_day["fields"]} == {
            "Today so far": "0/7 done",
            "Streak": "1 fully compliant day in a row",
        }


async def test_today_after_a_mid_day_pause_shows_what_was_logged(discord_double, pool, settings) -> None:
    """Issue 13: /today after a mid-day pause said "Nothing today: you are paused" though meals
    had been answered."""
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await store_plans(pool, begin, SIX_MEALS)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, meal_plan_id="six")
    ids = {"user_id": CLIENT, "day": MONDAY}
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 6, 30))
        by_title = {m.heading().split(" — ")[0]: m for m in discord_double.dms_to(CLIENT)}
        for index in range(2):
            await discord_double.click(
                CLIENT, by_title["Meals"], meals.FOLLOWED_ID.format(**ids, index=index)
            )
        await clock.run_until(utc(2026, 5, 4, 13))
        paused = await discord_double.slash(
            COACH, "pause", {"client": str(CLIENT), "until": "2026-05-07"}, guild_id=GUILD
        )
        [answer] = await paused.wait_followups(1)
        assert "paused until Thursday 07 May" in answer.content
        today = await discord_double.slash(CLIENT, "today")
        embed = today.embeds[0]
        assert embed["title"] == "Today, Monday 04 May"
        assert embed["description"] == "Nothing more today: you are paused."
        assert [(f["name"], f["value"]) for f in embed["fields"]] == [
            ("Logged so far", "check-in: missed ❌\nmeals: 2/6 answered")  # the check-in closed at 12:00
        ]
