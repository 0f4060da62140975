"""Issue 13 through the loopback Discord: a closed drop (check-in, meals, cardio, workout) shows
every button disabled, a complete check-in says so while it is still open, and /history reads
"3 of 3 logged" / "1 of 3 logged so far" / "2 logged, 1 missed" for a workout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot_harness import CLIENT, COACH, add_client, running_bot
from doubles.discord import MessageRecord
from helpers import utc

from bot.core.clock import VirtualClock
from bot.discord_adapter.interactions import OwnedButton
from bot.domain.plans import parse_plan
from bot.engines import cardio, checkin, meals
from bot.engines.training import LOG_ID, MODAL_ID
from bot.repo import plans as plans_repo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MONDAY = dt.date(2026, 5, 4)
WEDNESDAY = dt.date(2026, 5, 6)
FEEL = {"energy": ["4"], "mood": ["4"], "stress": ["2"], "soreness": ["1"], "note": ""}


async def store_example_plans(pool, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        for name in ("meals_cut_2200.yaml", "cardio_zone2.yaml"):
            await plans_repo.store(conn, parse_plan((EXAMPLES / name).read_text(), name), now, None)


def by_title(messages: list[MessageRecord]) -> dict[str, MessageRecord]:
    return {m.heading().split(" — ")[0]: m for m in messages}


def footer(message: MessageRecord) -> str:
    """The embed's footer, or a layout's last text (small text: `-# …`)."""
    if message.components_v2:
        return message.texts()[-1].removeprefix("-# ")
    return str(message.embeds[0].get("footer", {}).get("text", ""))


def accent(message: MessageRecord) -> int | None:
    """The colour down the left edge: the embed's, or a layout's container's."""
    if message.components_v2:
        return next(c.get("accent_color") for c in message.iter_components() if c["type"] == 17)
    return message.embeds[0].get("color")


def disabled(message: MessageRecord) -> list[bool]:
    """Whether each button of the message (as it is now, after any edits) is disabled."""
    buttons = message.buttons()
    assert buttons, "the message has no buttons"
    return [bool(b.get("disabled")) for b in buttons]


async def test_closed_check_in_meals_and_cardio_have_every_button_disabled(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await store_example_plans(pool, begin)
    await add_client(
        pool,
        discord_double,
        CLIENT,
        "UTC",
        MONDAY,
        begin,
        meal_plan_id="cut_2200",
        cardio_plan_id="zone2_base",
    )
    ids = {"user_id": CLIENT, "day": MONDAY}
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6, 30))
        dms = by_title(discord_double.dms_to(CLIENT))
        assert set(dms) == {"Check-in", "Meals", "Cardio"}
        for message in dms.values():  # open: every button live
            assert not any(disabled(message)), message.heading()

        # Answer some of each, so both "done" and "not done" buttons are closed at the deadline.
        await discord_double.submit_modal(CLIENT, checkin.FEEL_MODAL_ID.format(**ids), FEEL)
        await discord_double.click(CLIENT, dms["Meals"], meals.FOLLOWED_ID.format(**ids, index=0))
        await discord_double.submit_modal(
            CLIENT, cardio.MODAL_ID.format(**ids), {"amount": "35", "avg_hr": ""}
        )

        await clock.run_until(utc(2026, 5, 4, 12, 30))  # the check-in closed at 12:00
        await discord_double.wait_for(lambda: "Missed" in footer(dms["Check-in"]))
        assert disabled(dms["Check-in"]) == [True, True]
        assert not any(disabled(dms["Meals"])) and not any(disabled(dms["Cardio"]))  # open until 22:00

        await clock.run_until(utc(2026, 5, 4, 22, 30))  # meals and cardio closed at 22:00
        await discord_double.wait_for(
            lambda: all(footer(dms[t]).startswith("Closed at 22:00") for t in ("Meals", "Cardio"))
        )
        assert all(disabled(dms["Meals"])) and len(disabled(dms["Meals"])) == 8  # four meals, ✓ and ✗
        assert accent(dms["Meals"]) == accent(dms["Cardio"]) == 0x7F8C8D  # grey, as closed looks
        labels = [b["label"] for b in dms["Cardio"].buttons()]
        assert labels == ["Edit cardio"] and disabled(dms["Cardio"]) == [True]
    assert discord_double.violations == []


async def test_a_closed_workout_has_every_button_disabled(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 6)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, schedule_days=[1, 3, 5])
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 7, 30))
        [workout] = [m for m in discord_double.dms_to(CLIENT) if m.heading() == "Full body A"]
        assert disabled(workout) == [False, False, False] and accent(workout) == 0x2E86C1
        modal_id = MODAL_ID.format(user_id=CLIENT, day=MONDAY, index=0)
        await discord_double.submit_modal(CLIENT, modal_id, {"weight": "100", "reps": "5"})
        await discord_double.wait_for(lambda: "Edit Back Squat" in [b["label"] for b in workout.buttons()])
        assert disabled(workout) == [False, False, False]

        await clock.run_until(utc(2026, 5, 4, 22, 30))
        await discord_double.wait_for(lambda: footer(workout).startswith("Logging closed at 22:00"))
        assert [b["label"] for b in workout.buttons()] == [
            "Edit Back Squat",
            "Log Bench Press",
            "Log Barbell Row",
        ]
        assert disabled(workout) == [True, True, True] and accent(workout) == 0x7F8C8D
    assert discord_double.violations == []


async def test_a_complete_check_in_says_it_is_done_until_it_closes(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin)
    ids = {"user_id": CLIENT, "day": MONDAY}
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6))
        [prompt] = discord_double.dms_to(CLIENT)
        assert footer(prompt) == "Both parts before 12:00."
        await discord_double.submit_modal(CLIENT, checkin.FEEL_MODAL_ID.format(**ids), FEEL)
        await discord_double.wait_for(lambda: bool(prompt.edits))
        assert footer(prompt) == "Both parts before 12:00."  # one part to go
        await discord_double.submit_modal(
            CLIENT, checkin.BODY_MODAL_ID.format(**ids), {"bodyweight": "81,4", "sleep": "7.5"}
        )
        await discord_double.wait_for(lambda: len(prompt.edits) >= 2)
        assert (
            footer(prompt) == "Check-in complete — readiness 4.25 / 5. You can change an answer until 12:00."
        )

        await clock.run_until(utc(2026, 5, 4, 12, 30))
        await discord_double.wait_for(lambda: len(prompt.edits) >= 3)
        assert footer(prompt) == "Check-in closed."


async def test_history_counts_an_open_workout_as_logged_so_far_and_a_closed_one_as_logged_and_missed(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 4, 6)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, schedule_days=[1, 3, 5])

    async def workouts() -> str:
        history = await discord_double.slash(CLIENT, "history")
        return str(history.embeds[0]["description"])

    async def log(day: dt.date, index: int) -> None:
        modal_id = MODAL_ID.format(user_id=CLIENT, day=day, index=index)
        done = await discord_double.submit_modal(CLIENT, modal_id, {"weight": "60", "reps": "5"})
        assert "Logged" in (done.content or ""), done.content

    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 7, 30))
        assert "**Full body A** — 0 of 3 logged so far" in await workouts()
        await log(MONDAY, 0)
        assert "**Full body A** — 1 of 3 logged so far" in await workouts()
        await log(MONDAY, 1)
        await log(MONDAY, 2)
        listing = await workouts()
        assert "**Full body A** — 3 of 3 logged" in listing and "so far" not in listing
        assert "open" not in listing

        await clock.run_until(utc(2026, 5, 6, 7, 30))  # Wednesday: Full body B, two of three logged
        await log(WEDNESDAY, 0)
        await log(WEDNESDAY, 2)
        assert "**Full body B** — 2 of 3 logged so far" in await workouts()
        await clock.run_until(utc(2026, 5, 6, 22, 30))
        listing = await workouts()
        assert "`Wed 06 May` **Full body B** — 2 logged, 1 missed" in listing
        assert "`Mon 04 May` **Full body A** — 3 logged, 0 missed" in listing
        assert " of 3" not in listing  # closed sessions: no "… of 3"


async def test_someone_elses_workout_and_check_in_are_refused_in_the_same_words(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, schedule_days=[1, 3, 5])
    ids = {"user_id": CLIENT, "day": MONDAY}
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 7, 30))
        dms = by_title(discord_double.dms_to(CLIENT))
        workout, prompt = dms["Full body A"], dms["Check-in"]
        answers = [
            await discord_double.click(COACH, workout, LOG_ID.format(**ids, index=0), forged=True),
            await discord_double.submit_modal(
                COACH, MODAL_ID.format(**ids, index=0), {"weight": "1", "reps": "1"}
            ),
            await discord_double.click(COACH, prompt, checkin.FEEL_ID.format(**ids), forged=True),
            await discord_double.submit_modal(COACH, checkin.FEEL_MODAL_ID.format(**ids), FEEL),
        ]
    assert all(a.ephemeral for a in answers)
    assert {a.content for a in answers} == {OwnedButton.refusal}
