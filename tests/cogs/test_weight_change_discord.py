"""/client edit weight_change: the coach's expected weekly bodyweight change, validated, shown by
/client show, and used by the Sunday scan's bodyweight_off_range card."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot_harness import CLIENT, COACH, COACH_CHANNEL, GUILD, add_client, running_bot
from helpers import utc

from bot.core.clock import VirtualClock
from bot.domain.models import Job, JobStatus
from bot.engines import checkin

MONDAY = dt.date(2026, 5, 4)


def weighs_in_losing_fast(pool, clock):  # type: ignore[no-untyped-def]
    """A dispatcher listener: the client answers each check-in, 300 g lighter every day (through
    checkin.record, what the check-in forms call)."""
    tasks: set[asyncio.Task[None]] = set()

    def on_outcome(job: Job, status: JobStatus, now: dt.datetime) -> None:
        if (job.engine, job.action) != ("checkin", "drop") or status != JobStatus.sent:
            return
        kg = 80 - 0.3 * (job.local_date - MONDAY).days
        participation = clock.participant()
        participation.__enter__()

        async def answer() -> None:
            try:
                feel = {"energy": "4", "mood": "4", "stress": "2", "soreness": "2"}
                body = {"bodyweight": f"{kg:.1f}", "sleep": "8"}
                for part, values in (("feel", feel), ("body", body)):
                    await checkin.record(
                        pool, clock, user_id=CLIENT, day=job.local_date, part=part, values=values
                    )
            finally:
                participation.__exit__(None, None, None)

        task = asyncio.ensure_future(answer())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return on_outcome


def field(embed: dict, name: str) -> str:  # type: ignore[type-arg]
    [value] = [f["value"] for f in embed["fields"] if f["name"] == name]
    return value


async def test_the_expected_weight_change_set_by_edit_is_shown_and_flags_a_fast_loss(
    discord_double, pool, settings
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 4))
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        assert bot.runtime is not None
        bot.runtime.dispatcher.listeners.append(weighs_in_losing_fast(pool, clock))
        edit = {"client": str(CLIENT)}
        bad = await discord_double.slash(
            COACH, "client edit", {**edit, "weight_change": "-0.5 - -0.25"}, guild_id=GUILD
        )
        assert "weight change: '-0.5 - -0.25' is not a range; write the range in kg per week, such as" in (
            bad.content or ""
        ), bad.content
        too_much = await discord_double.slash(
            COACH, "client edit", {**edit, "weight_change": "-3 to -1", "unit": "lb"}, guild_id=GUILD
        )
        assert "weight change: -3 kg/week is outside -2 to +2 kg/week" in (too_much.content or "")
        saved = await discord_double.slash(
            COACH, "client edit", {**edit, "weight_change": "-0.25 to -0,5 kg/week"}, guild_id=GUILD
        )
        assert saved.content == "Saved."
        assert field(saved.embeds[0], "Expected weight change") == "-0.5 to -0.25 kg/week"
        assert field(saved.embeds[0], "Unit") == "kg", "the refused edit changed nothing"
        shown = await discord_double.slash(COACH, "client show", edit, guild_id=GUILD)
        [card] = await shown.wait_followups(1)
        assert field(card.embeds[0], "Expected weight change") == "-0.5 to -0.25 kg/week"

        await clock.run_until(utc(2026, 5, 11, 1))  # the week's weigh-ins and Sunday's scan

    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT weekly_change_min_kg, weekly_change_max_kg FROM client_profiles")
        cards = await conn.fetch("SELECT kind, summary FROM job_cards")
    assert (float(row["weekly_change_min_kg"]), float(row["weekly_change_max_kg"])) == (-0.5, -0.25)
    assert [c["kind"] for c in cards] == ["bodyweight_off_range"]
    assert cards[0]["summary"] == (
        "Bodyweight trend -2.1 kg/week this week, below the expected -0.5 to -0.25 kg/week "
        "(6 weigh-ins, 80 → 78.5 kg)"
    )
    [summary] = [m for m in discord_double.channel_messages(COACH_CHANNEL) if m.embeds]
    assert "below the expected -0.5 to -0.25 kg/week" in summary.embeds[0]["description"]


async def test_none_takes_the_range_away_and_with_it_the_card(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 4))
    await add_client(
        pool,
        discord_double,
        CLIENT,
        "UTC",
        MONDAY,
        clock.now(),
        weekly_change_min_kg=-0.5,
        weekly_change_max_kg=0,
    )
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        cleared = await discord_double.slash(
            COACH, "client edit", {"client": str(CLIENT), "weight_change": "none"}, guild_id=GUILD
        )
        assert field(cleared.embeds[0], "Expected weight change").startswith("not set: no bodyweight card")
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT weekly_change_min_kg, weekly_change_max_kg FROM client_profiles")
    assert tuple(row.values()) == (None, None)
