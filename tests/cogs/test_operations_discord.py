"""The coach's roster tools through Discord: /trigger, /schedule preview and history, job cards,
/deliveries, /logs, and the client's /stats and /honors."""

from __future__ import annotations

import datetime as dt

from bot_harness import CLIENT, COACH, GUILD, add_client, running_bot
from helpers import all_jobs, utc

from bot.core.clock import VirtualClock


async def test_trigger_sends_once_without_force_and_again_with_it(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 3))  # 05:00 in Berlin: the 05:30 check-in is still to come
    await add_client(pool, discord_double, CLIENT, "Europe/Berlin", dt.date(2026, 5, 4), clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        first = await discord_double.slash(
            COACH, "trigger", {"client": str(CLIENT), "action": "checkin.drop"}, guild_id=GUILD
        )
        assert "moved up to now" in (first.content or "")
        await clock.run_until(utc(2026, 5, 4, 3, 1))
        again = await discord_double.slash(
            COACH, "trigger", {"client": str(CLIENT), "action": "checkin.drop"}, guild_id=GUILD
        )
        assert "already went out for Monday 04 May" in (again.content or "") and "force" in (
            again.content or ""
        )
        assert len(discord_double.dms_to(CLIENT)) == 1
        forced = await discord_double.slash(
            COACH, "trigger", {"client": str(CLIENT), "action": "checkin.drop", "force": True}, guild_id=GUILD
        )
        assert "queued" in (forced.content or "")
        await clock.run_until(utc(2026, 5, 4, 4))
        history = await discord_double.slash(
            COACH, "schedule history", {"client": str(CLIENT)}, guild_id=GUILD
        )
        assert "checkin.drop (manual): **sent**" in history.embeds[0]["description"]
    runs = sorted(
        (j for j in await all_jobs(pool) if j.engine == "checkin" and j.action == "drop"), key=lambda j: j.seq
    )
    assert [(j.seq, j.manual, str(j.status)) for j in runs] == [(0, True, "sent"), (1, True, "sent")]
    assert len(discord_double.dms_to(CLIENT)) == 2  # once as scheduled (moved up), once forced
    assert runs[0].started_at == utc(2026, 5, 4, 3)  # sent at the trigger, not at 05:30


async def test_schedule_preview_across_a_dst_change(discord_double, pool, settings) -> None:
    # New York springs forward on Sunday 8 March 2026: 05:30 is -05:00 on Saturday, -04:00 on Sunday.
    clock = VirtualClock(utc(2026, 3, 7, 12))
    await add_client(
        pool, discord_double, CLIENT, "America/New_York", dt.date(2026, 3, 1), clock.now(), schedule_days=[7]
    )
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        preview = await discord_double.slash(
            COACH, "schedule preview", {"client": str(CLIENT), "days": 2}, guild_id=GUILD
        )
    text = preview.embeds[0]["description"]
    assert "`Sun 08 Mar 05:30 EDT` · `09:30 UTC` — check-in" in text
    assert "`Sun 08 Mar 07:00 EDT` · `11:00 UTC` — workout" in text
    assert "`Mon 09 Mar 05:30 EDT` · `09:30 UTC` — check-in" in text
    assert "`Sat 07 Mar 12:00 EST` · `17:00 UTC` — check-in closes" in text
    assert "`Sun 08 Mar 22:00 EDT` · `02:00 UTC Mon 09 Mar` — workout closes" in text  # the next UTC day
    assert "Sat 07 Mar 07:00" not in text  # Saturday is not a training day, and 07:00 has passed


async def test_schedule_preview_says_which_day_it_is_in_utc_across_midnight(
    discord_double, pool, settings
) -> None:
    # 22:00 in Chicago is 04:00 UTC the next day; 05:30 in Kathmandu is 23:45 UTC the day before.
    # A bare "04:00 UTC" next to "Sat 07 Mar" reads as Saturday: the UTC date is written when it is
    # not the local one, and only then.
    settings = settings.model_copy(update={"checkin_deadline_at": dt.time(22, 0)})
    clock = VirtualClock(utc(2026, 3, 7, 12))  # 06:00 in Chicago, 17:45 in Kathmandu
    other = CLIENT + 100
    await add_client(pool, discord_double, CLIENT, "America/Chicago", dt.date(2026, 3, 1), clock.now())
    await add_client(pool, discord_double, other, "Asia/Kathmandu", dt.date(2026, 3, 1), clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        chicago, kathmandu = [
            (
                await discord_double.slash(
                    COACH, "schedule preview", {"client": str(user), "days": 1}, guild_id=GUILD
                )
            ).embeds[0]["description"]
            for user in (CLIENT, other)
        ]
    assert "`Sat 07 Mar 22:00 CST` · `04:00 UTC Sun 08 Mar` — check-in closes" in chicago
    assert "`Sun 08 Mar 05:30 CDT` · `10:30 UTC` — check-in\n" in chicago  # the same day: no date
    assert "`Sun 08 Mar 22:00 CDT` · `03:00 UTC Mon 09 Mar` — check-in closes" in chicago
    assert "`Sun 08 Mar 05:30 UTC+05:45` · `23:45 UTC Sat 07 Mar` — check-in" in kathmandu
    assert "`Sat 07 Mar 22:00 UTC+05:45` · `16:15 UTC` — check-in closes" in kathmandu
    assert "+0545" not in kathmandu  # a zone is a name or UTC+05:45, never a bare offset


async def test_cards_deliveries_logs_stats_and_honors(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 5))
    await add_client(pool, discord_double, CLIENT, "UTC", dt.date(2026, 5, 4), clock.now())
    async with pool.acquire() as conn:
        for kind in ("low_compliance", "no_checkin"):
            await conn.execute(
                "INSERT INTO job_cards (kind, user_id, dedupe_key, urgency, summary, opened_at) "
                "VALUES ($1, $2, $3, 2, $4, $5)",
                kind, CLIENT, f"{kind}:{CLIENT}:test", f"{kind} for the test", clock.now(),
            )  # fmt: skip
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 6))
        listed = await discord_double.slash(COACH, "cards list", guild_id=GUILD)
        assert listed.embeds[0]["description"].count("#") >= 2
        resolved = await discord_double.slash(
            COACH, "cards resolve", {"card": 1, "note": "called her"}, guild_id=GUILD
        )
        assert "Card #1 resolved" in (resolved.content or "")
        past = await discord_double.slash(
            COACH, "cards snooze", {"card": 2, "until": "2026-05-01"}, guild_id=GUILD
        )
        assert "not in the future" in (past.content or "")
        snoozed = await discord_double.slash(
            COACH, "cards snooze", {"card": 2, "until": "2026-05-06"}, guild_id=GUILD
        )
        assert "snoozed until Wednesday 06 May" in (snoozed.content or "")
        still_open = await discord_double.slash(COACH, "cards list", guild_id=GUILD)
        assert "Nothing here" in still_open.embeds[0]["description"]
        done = await discord_double.slash(COACH, "cards list", {"status": "resolved"}, guild_id=GUILD)
        assert f"resolved by <@{COACH}>" in done.embeds[0]["description"]
        assert "“called her”" in done.embeds[0]["description"]  # the note the coach left

        report = await discord_double.slash(COACH, "deliveries", guild_id=GUILD)
        fields = {f["name"]: f["value"] for f in report.embeds[0]["fields"]}
        assert fields["Sent"].startswith("1 (0 more than 5 min late)")

        logs = await discord_double.slash(COACH, "logs", {"client": str(CLIENT)}, guild_id=GUILD)
        assert logs.embeds[0]["description"] == "No logs."

        stats = await discord_double.slash(CLIENT, "stats")
        assert "Streak" in [f["name"] for f in stats.embeds[0]["fields"]]
        off = await discord_double.slash(CLIENT, "honors", {"show": "off"})
        assert "off the honors board" in (off.content or "")
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT honors_opt_out FROM client_profiles WHERE user_id = $1", CLIENT)
            is True
        )
        resolved_row = await conn.fetchrow("SELECT * FROM job_cards WHERE id = 1")
    assert (resolved_row["status"], resolved_row["resolved_by"], resolved_row["note"]) == (
        "resolved",
        COACH,
        "called her",
    )


async def test_trigger_for_a_paused_or_not_started_client_is_refused_and_keeps_the_days_job(
    discord_double, pool, settings
) -> None:
    """It used to answer "moved up to now"; the dispatcher then skipped the run as paused and
    the client's drop for that day was used up."""
    clock = VirtualClock(utc(2026, 5, 4, 3))  # 05:00 in Berlin: the 05:30 check-in is planned
    await add_client(pool, discord_double, CLIENT, "Europe/Berlin", dt.date(2026, 5, 4), clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 3, 1))
        paused = await discord_double.slash(
            COACH, "pause", {"client": str(CLIENT), "until": "2026-05-06"}, guild_id=GUILD
        )
        [told] = await paused.wait_followups(1)
        assert "paused" in (told.content or ""), told.content
        refused = await discord_double.slash(
            COACH, "trigger", {"client": str(CLIENT), "action": "checkin.drop"}, guild_id=GUILD
        )
        assert "is paused until Wednesday 06 May" in (refused.content or ""), refused.content
        assert "nothing was sent" in (refused.content or "")
        [drop] = [j for j in await all_jobs(pool) if (j.engine, j.action) == ("checkin", "drop")]
        assert (str(drop.status), drop.manual, drop.requested_by) == ("pending", False, None)
        assert drop.next_attempt_at == utc(2026, 5, 4, 3, 30)  # still 05:30 Berlin, not "now"

    later = VirtualClock(utc(2026, 5, 4, 3))
    await add_client(pool, discord_double, CLIENT + 1, "UTC", dt.date(2026, 5, 9), later.now())
    async with running_bot(discord_double, pool, later, settings) as bot:
        early = await discord_double.slash(
            COACH, "trigger", {"client": str(CLIENT + 1), "action": "checkin.drop"}, guild_id=GUILD
        )
        assert "starts on Saturday 09 May" in (early.content or ""), early.content
    assert not [j for j in await all_jobs(pool) if j.user_id == CLIENT + 1 and j.manual]
