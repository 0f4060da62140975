"""Training through Discord: the workout DM, its buttons and modals across a restart, bad input,
forged clicks, a 12-exercise day within Discord's limits, progress charts and block import by attachment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot_harness import CLIENT, COACH, GUILD, add_client, running_bot
from helpers import utc
from samples import BAD_INPUTS, FIVE_ERRORS

from bot.core.clock import VirtualClock
from bot.domain.blocks import parse_block
from bot.engines.training import LOG_ID, MODAL_ID
from bot.repo import blocks as blocks_repo

ROOT = Path(__file__).resolve().parents[2]
MONDAY = dt.date(2026, 5, 4)
PNG = b"\x89PNG\r\n\x1a\n"


async def log_rows(pool) -> list[dict]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch("SELECT * FROM training_logs ORDER BY id")]


async def test_click_modal_submit_across_a_restart(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 6)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, schedule_days=[1, 3, 5])
    squat = LOG_ID.format(user_id=CLIENT, day=MONDAY, index=0)
    modal_id = MODAL_ID.format(user_id=CLIENT, day=MONDAY, index=0)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 7, 30))
        [workout] = [m for m in discord_double.dms_to(CLIENT) if m.heading() == "Full body A"]
    # The bot restarts between the drop and the click: nothing changes for the client.
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        opened = await discord_double.click(CLIENT, workout, squat)
        assert opened.response_type == 9 and opened.modal.title == "Log Back Squat"
        # (Empty fields never reach the bot: the inputs are required and Discord's client refuses
        # to submit them; the server-side check for a crafted empty submit is in test_training.)
        for weight, reps, problem in [b for b in BAD_INPUTS if b[0] and b[1]]:
            bad = await discord_double.submit_modal(CLIENT, modal_id, {"weight": weight, "reps": reps})
            assert bad.ephemeral and problem in (bad.content or ""), (weight, reps, bad.content)
        assert await log_rows(pool) == []

        done = await discord_double.submit_modal(CLIENT, modal_id, {"weight": "100,5", "reps": "5"})
        assert done.ephemeral and "Logged Back Squat: 100.5 kg × 5." in (done.content or "")
        await discord_double.wait_for(lambda: workout.edits)
        squat_text, squat_button = workout.section("Back Squat")
        assert "✅ **100.5 kg × 5**" in squat_text
        assert squat_button["label"] == "Edit Back Squat"  # beside its exercise

        # Opening the modal again shows what was logged; another client's forged click is refused.
        again = await discord_double.click(CLIENT, workout, squat)
        values = {c["custom_id"]: c.get("value") for c in again.modal.inputs()}
        assert values == {"weight": "100.5", "reps": "5"}
        intruder = await discord_double.click(COACH, workout, squat, forged=True)
        assert intruder.ephemeral and "someone else" in (intruder.content or "")
        forged_submit = await discord_double.submit_modal(
            COACH, MODAL_ID.format(user_id=CLIENT, day=MONDAY, index=1), {"weight": "1", "reps": "1"}
        )
        assert "someone else" in (forged_submit.content or "")

        history = await discord_double.slash(CLIENT, "history")
        assert "**Full body A** — 1 of 3 logged so far" in history.embeds[0]["description"]

        chart = await discord_double.slash(CLIENT, "progress", {"exercise": "back_squat"})
        [followup] = await chart.wait_followups(1)
        assert followup.attachments and followup.attachments[0].data.startswith(PNG)
        empty = await discord_double.slash(CLIENT, "progress", {"exercise": "deadlift"})
        [message] = await empty.wait_followups(1)
        assert "No logged top sets" in message.content

        coach_view = await discord_double.slash(
            COACH, "training progress", {"client": str(CLIENT), "exercise": "back_squat"}, guild_id=GUILD
        )
        [coach_chart] = await coach_view.wait_followups(1)
        assert coach_chart.attachments[0].data.startswith(PNG)

        await clock.run_until(utc(2026, 5, 4, 22, 30))
        await discord_double.wait_for(lambda: "Logging closed" in workout.texts()[-1])
        assert all(b.get("disabled") for b in workout.buttons())  # nothing left to click
    rows = await log_rows(pool)
    assert [(r["exercise_id"], r["status"]) for r in rows] == [
        ("back_squat", "logged"), ("bench_press", "missed"), ("barbell_row", "missed"),
    ]  # fmt: skip


async def test_a_twelve_exercise_workout_stays_within_discords_limits(discord_double, pool, settings) -> None:
    exercises = "\n".join(
        f"      - {{id: ex{i}, name: {'Very long exercise name number ' + str(i)}, sets: 5, reps: 8-12, "
        f"rest: 90, note: '{'Keep the tempo slow and controlled, pause at the bottom. ' * 3}'}}"
        for i in range(12)
    )
    block = parse_block(
        f"id: big\nname: Big day\ndays:\n  - title: Everything\n    exercises:\n{exercises}\n"
    )
    begin = utc(2026, 5, 4, 6)
    clock = VirtualClock(begin)
    async with pool.acquire() as conn:
        await blocks_repo.store(conn, block, begin, None)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, block_id="big", schedule_days=[1])
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 7, 30))
    parts = discord_double.dms_to(CLIENT)
    # Every exercise arrives as a section with its Log button, in parts Discord accepts.
    assert all(part.components_v2 for part in parts)
    sections = [section for part in parts for section in part.sections()]
    assert len(sections) == 12 and sum(len(part.buttons()) for part in parts) == 12
    assert [text.splitlines()[0] for text, _ in sections] == [
        f"**{i + 1}. Very long exercise name number {i}**" for i in range(12)
    ]
    assert discord_double.violations == []


async def test_coach_imports_a_block_file_by_attachment(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 12))
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        bad = await discord_double.slash(
            COACH, "training import", {"file": ("bad.yaml", FIVE_ERRORS.encode())}, guild_id=GUILD
        )
        [answer] = await bad.wait_followups(1)
        assert answer.content.count("•") == 5 and "days[0].exercises[2].rest: required" in answer.content
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM training_blocks") == 0

        good = (ROOT / "examples" / "upper_lower_4day.json").read_bytes()
        ok = await discord_double.slash(
            COACH, "training import", {"file": ("upper_lower_4day.json", good)}, guild_id=GUILD
        )
        [done] = await ok.wait_followups(1)
        assert "as version 1: 4 days" in done.content
        listing = await discord_double.slash(COACH, "training blocks", guild_id=GUILD)
        assert "`upper_lower_4` v1" in (listing.content or "")
        refused = await discord_double.slash(
            CLIENT, "training import", {"file": ("x.json", good)}, guild_id=GUILD
        )
        assert "Only coaches" in (refused.content or "")


async def test_a_forced_workout_resend_keeps_both_copies_up_to_date_and_closes_both(
    discord_double, pool, settings
) -> None:
    """A coach's forced /trigger of a workout sends one more copy. The client may log from either:
    both copies show the log, and both close at 22:00 (the first copy used to be left behind)."""
    begin = utc(2026, 5, 4, 6)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, schedule_days=[1, 3, 5])
    modal_id = MODAL_ID.format(user_id=CLIENT, day=MONDAY, index=0)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 7, 30))
        forced = await discord_double.slash(
            COACH,
            "trigger",
            {"client": str(CLIENT), "action": "training.drop", "force": True},
            guild_id=GUILD,
        )
        assert "queued" in (forced.content or ""), forced.content
        await clock.run_until(utc(2026, 5, 4, 7, 35))
        copies = [m for m in discord_double.dms_to(CLIENT) if m.heading() == "Full body A"]
        assert len(copies) == 2

        # Logged from the second copy: the first one shows it too.
        done = await discord_double.submit_modal(CLIENT, modal_id, {"weight": "100", "reps": "5"})
        assert "Logged Back Squat" in (done.content or "")
        await discord_double.wait_for(lambda: all(copy.edits for copy in copies))
        for copy in copies:
            squat, _ = copy.section("Back Squat")
            assert "✅ **100 kg × 5**" in squat, copy.texts()

        await clock.run_until(utc(2026, 5, 4, 22, 30))
        await discord_double.wait_for(lambda: all("Logging closed at 22:00" in c.texts()[-1] for c in copies))
        for copy in copies:
            bench, _ = copy.section("Bench")
            assert "❌ missed" in bench
