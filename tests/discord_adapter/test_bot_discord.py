"""The bot end to end: the real discord.py client against the loopback Discord double, with a
real PostgreSQL and the virtual clock. Every test fails if the double recorded a breach of
Discord's limits (the `discord_double` fixture checks at teardown)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest
from bot_harness import (
    ADMIN,
    ALERT_CHANNEL,
    CLIENT,
    COACH,
    COACH_CHANNEL,
    GUILD,
    add_client,
    running_bot,
    wait_for,
)
from helpers import all_jobs, utc

from bot.core.clock import VirtualClock
from bot.discord_adapter.client import BotMode
from bot.engines import checkin
from bot.repo import clients

MONDAY = dt.date(2026, 5, 4)
CLIENT_COMMANDS = {"today", "timezone", "units", "history", "progress", "stats", "honors", "mydata"}


async def client_rows(pool) -> list[dict]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch("SELECT * FROM client_profiles ORDER BY user_id")]


async def wait_for_db(pool, query: str, *args: object, within: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    while True:
        async with pool.acquire() as conn:
            if await conn.fetchval(query, *args):
                return
        if loop.time() > give_up:
            raise AssertionError(f"never true: {query}")
        await asyncio.sleep(0.02)


async def checkin_drops(pool) -> list:  # type: ignore[no-untyped-def]
    return [j for j in await all_jobs(pool) if j.engine == "checkin" and j.action == "drop"]


async def card_rows(pool) -> list[dict]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch("SELECT * FROM job_cards ORDER BY id")]


async def test_sync_then_a_coach_onboards_and_a_non_coach_is_refused(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 15))
    async with running_bot(discord_double, pool, clock, settings) as bot:
        coach_count, global_count = await bot.sync_commands()
        assert coach_count >= 6 and global_count == len(CLIENT_COMMANDS)
        guild_names = {c["name"] for c in discord_double.commands(GUILD)}
        assert {"client", "pause", "resume", "reassign", "sync"} <= guild_names
        assert {c["name"] for c in discord_double.commands(None)} == CLIENT_COMMANDS

        new_client = 5001
        await discord_double.add_member(GUILD, new_client)
        add = {"member": new_client, "timezone": "America/Chicago", "start_date": "2026-05-05"}
        refused = await discord_double.slash(CLIENT, "client add", add, guild_id=GUILD)
        assert refused.ephemeral and "Only coaches" in (refused.content or "")
        assert await client_rows(pool) == []

        bad = await discord_double.slash(
            COACH, "client add", {**add, "timezone": "Mars/Base", "start_date": "2026-05-01"}, guild_id=GUILD
        )
        text = "\n".join(m.content for m in await bad.wait_followups(1))
        assert "Mars/Base" in text and "in the past" in text
        assert await client_rows(pool) == []

        zones = await discord_double.autocomplete(
            COACH, "client add", {**add, "timezone": "kathm"}, focused="timezone", guild_id=GUILD
        )
        assert [c["value"] for c in zones] == ["Asia/Kathmandu"]

        ok = await discord_double.slash(COACH, "client add", add, guild_id=GUILD)
        [followup] = await ok.wait_followups(1)
        assert "onboarded" in followup.content and followup.ephemeral
        [row] = await client_rows(pool)
        assert (row["user_id"], row["timezone"], str(row["start_date"])) == (
            new_client,
            "America/Chicago",
            "2026-05-05",
        )
        assert row["dm_channel_id"] == discord_double.dm_channel_id(new_client)
        [welcome] = discord_double.dms_to(new_client)
        assert welcome.embeds[0]["title"] == "Welcome to The Regiment"

        admin = await discord_double.slash(ADMIN, "client show", {"client": str(new_client)}, guild_id=GUILD)
        [shown] = await admin.wait_followups(1)  # it defers: the adherence heatmap is drawn first
        assert shown.embeds[0]["title"] == f"user{new_client}"
        assert shown.attachments[0].data.startswith(b"\x89PNG")


async def test_a_due_job_is_one_dm_and_fifty_at_once_respect_the_rate(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    users = list(range(6000, 6050))
    for user in users:
        await add_client(pool, discord_double, user, "UTC", MONDAY, begin)
    settings = settings.model_copy(update={"send_rate_per_second": 20.0})
    discord_double.global_rate_limit = 50
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 5, 30))
        await wait_for(lambda: sum(len(discord_double.dms_to(u)) for u in users) == 50)
    jobs = {j.user_id: j for j in await checkin_drops(pool)}
    for user in users:
        [dm] = discord_double.dms_to(user)
        assert dm.embeds[0]["title"] == "Check-in — Monday 04 May"
        ids = {"user_id": user, "day": MONDAY}
        # The first button carries the job's reference (bot.views.markers), the nonce too.
        ref = jobs[user].nonce()
        assert dm.custom_ids() == [f"{checkin.FEEL_ID.format(**ids)}~{ref}", checkin.BODY_ID.format(**ids)]
        assert dm.nonce == ref
    sends = sorted(r.time for r in discord_double.requests if r.method == "POST" and "/messages" in r.path)
    assert len(sends) == 50
    # 20/s with a burst of 2: no one-second window holds more than 22 sends.
    assert max(sum(1 for t in sends if start <= t < start + 1.0) for start in sends) <= 22
    assert sends[-1] - sends[0] >= (50 - 2) / 20 * 0.9
    assert discord_double.rate_limited == []
    jobs = await checkin_drops(pool)
    assert len(jobs) == 50 and all(j.status == "sent" and j.attempts == 1 for j in jobs)


async def test_closed_dms_make_the_client_unreachable_until_they_interact(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin)
    discord_double.set_dms_open(CLIENT, False)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 11))
        [job] = await checkin_drops(pool)
        assert job.status == "failed" and job.attempts == 1 and "50007" in (job.last_error or "")
        cards = await card_rows(pool)
        assert [(c["kind"], c["user_id"], c["status"]) for c in cards] == [("unreachable", CLIENT, "open")]
        async with pool.acquire() as conn:
            assert (await clients.get(conn, CLIENT)).reachable is False  # type: ignore[union-attr]

        # Tuesday's prompt is skipped without a request to Discord (no 403s burn the budget).
        await clock.run_until(utc(2026, 5, 5, 11))
        tuesday = [
            j
            for j in await all_jobs(pool)
            if j.engine == "checkin" and j.action == "drop" and j.local_date == dt.date(2026, 5, 5)
        ]
        assert tuesday[0].status == "skipped" and tuesday[0].result == {"reason": "unreachable"}
        assert discord_double.invalid_requests() == 1

        discord_double.set_dms_open(CLIENT, True)
        today = await discord_double.slash(CLIENT, "today")
        assert today.response_type == 4 and today.embeds
        # The restore runs beside the command (on_interaction), so give it a moment.
        await wait_for_db(pool, "SELECT reachable FROM client_profiles WHERE user_id = $1", CLIENT)
        assert [c["status"] for c in await card_rows(pool)] == ["resolved"]
        await clock.run_until(utc(2026, 5, 6, 11))
    assert len(discord_double.dms_to(CLIENT)) == 1  # Wednesday's check-in


async def test_buttons_and_open_modals_survive_a_restart(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 4)  # 05:00 in London (BST)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "Europe/London", MONDAY, begin)
    open_id = checkin.FEEL_ID.format(user_id=CLIENT, day=MONDAY)
    modal_id = checkin.FEEL_MODAL_ID.format(user_id=CLIENT, day=MONDAY)
    feel = {"energy": ["4"], "mood": ["3"], "stress": ["2"], "soreness": ["5"]}
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6))
        [prompt] = discord_double.dms_to(CLIENT)
        opened = await discord_double.click(CLIENT, prompt, open_id)
        assert opened.response_type == 9 and opened.modal is not None
        assert opened.modal.custom_id == modal_id
    # The form stays open on the client's screen while the bot restarts.
    async with running_bot(discord_double, pool, clock, settings):
        done = await discord_double.submit_modal(
            CLIENT, modal_id, {**feel, "note": "slept 8h'; DROP TABLE jobs;--"}
        )
        assert done.ephemeral and "One part to go: weigh-in & sleep" in (done.content or "")
        again = await discord_double.click(CLIENT, prompt, open_id)  # the old message's button
        assert again.response_type == 9
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM checkins WHERE user_id = $1", CLIENT)
    assert row["note"] == "slept 8h'; DROP TABLE jobs;--" and row["status"] == "partial"
    assert (row["energy"], row["mood"], row["stress"], row["soreness"]) == (4, 3, 2, 5)


async def test_after_the_deadline_a_click_says_the_check_in_closed(discord_double, pool, settings) -> None:
    """At 12:00 the prompt is shown closed, its buttons disabled; when that edit fails, the buttons
    stay live, and a click on one is refused with when the check-in closed."""
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6))
        [prompt] = discord_double.dms_to(CLIENT)
        failed_edit = discord_double.fail_next("PATCH", r"^/channels/\d+/messages/\d+$", 403, 50013)
        await clock.run_until(utc(2026, 5, 4, 12, 30))
        assert failed_edit.hits and not prompt.edits
        assert not any(b.get("disabled") for b in prompt.buttons())
        late = await discord_double.click(CLIENT, prompt, checkin.FEEL_ID.format(user_id=CLIENT, day=MONDAY))
        assert late.response_type == 4 and "closed at 12:00" in (late.content or "")


async def test_the_gateway_drops_and_deliveries_keep_their_times(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        for day in range(3):
            await discord_double.drop_gateway()
            await clock.run_until(utc(2026, 5, 4 + day, 6))
            await wait_for(lambda: bot.is_ready() and bot.ws is not None and bot.ws.open)
        today = await discord_double.slash(CLIENT, "today")
        assert today.response_type == 4
    prompts = await checkin_drops(pool)
    assert [(j.status, j.started_at) for j in prompts] == [
        ("sent", utc(2026, 5, 4 + d, 5, 30)) for d in range(3)
    ]
    assert len(discord_double.dms_to(CLIENT)) == 3
    assert discord_double.identify_count + discord_double.resume_count >= 4


async def test_a_dispatch_only_worker_and_the_full_bot_deliver_each_job_once(
    discord_double, pool, database_dsn, settings
) -> None:
    from bot.db.pool import create_pool

    begin = utc(2026, 5, 4, 3)
    clock = VirtualClock(begin)
    zones = itertools.cycle(["UTC", "Asia/Kathmandu", "America/New_York", "Europe/Berlin"])
    users = list(range(7000, 7040))
    for user in users:
        await add_client(pool, discord_double, user, next(zones), MONDAY, begin)
    second_pool = await create_pool(database_dsn, max_size=6)
    try:
        async with (
            running_bot(discord_double, pool, clock, settings) as full,
            running_bot(discord_double, second_pool, clock, settings, BotMode.dispatch_only) as worker,
        ):
            assert worker.ws is None  # never connected to the gateway
            await clock.run_until(utc(2026, 5, 7))
            workers = {full.runtime.dispatcher.worker_id, worker.runtime.dispatcher.worker_id}  # type: ignore[union-attr]
    finally:
        await second_pool.close()
    jobs = [
        j
        for j in await all_jobs(pool)
        if j.engine == "checkin" and j.action == "drop" and j.due_at < utc(2026, 5, 7)
    ]
    assert all(j.status == "sent" and j.attempts == 1 and j.claimed_by in workers for j in jobs)
    assert len(jobs) == len(users) * 3  # three local mornings each inside the window
    for user in users:
        days = [dm.embeds[0]["title"] for dm in discord_double.dms_to(user)]
        assert len(days) == len(set(days))
    assert sum(len(discord_double.dms_to(u)) for u in users) == len(jobs)


async def test_pause_until_a_date_then_resume_and_tell_the_client(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 8)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        bad = await discord_double.slash(
            COACH, "pause", {"client": str(CLIENT), "until": "2026-05-01"}, guild_id=GUILD
        )
        [bad_answer] = await bad.wait_followups(1)  # /pause defers: it may wait to DM the client
        assert "not after today" in bad_answer.content
        paused = await discord_double.slash(
            COACH, "pause", {"client": str(CLIENT), "until": "2026-05-07", "reason": "travel"}, guild_id=GUILD
        )
        [answer] = await paused.wait_followups(1)
        assert "paused until Thursday 07 May" in answer.content
        await clock.run_until(utc(2026, 5, 8, 12))
    dms = discord_double.dms_to(CLIENT)
    titles = [dm.embeds[0]["title"] for dm in dms]
    assert titles == [
        "Your plan is paused", "Welcome back", "Check-in — Thursday 07 May", "Check-in — Friday 08 May",
    ]  # fmt: skip
    jobs = await all_jobs(pool)
    days = sorted({j.local_date for j in jobs if j.engine == "checkin"})
    assert days == [dt.date(2026, 5, 7), dt.date(2026, 5, 8)], "nothing planned or missed while paused"


@pytest.mark.parametrize("command", ["client list", "resume", "sync"])
async def test_every_coach_command_refuses_a_non_coach(discord_double, pool, settings, command: str) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 8))
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, clock.now(), paused=True)
    before = await client_rows(pool)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        options = {"client": str(CLIENT)} if command == "resume" else {}
        result = await discord_double.slash(CLIENT, command, options, guild_id=GUILD)
        assert result.ephemeral and "Only coaches" in (result.content or "")
    assert await client_rows(pool) == before
    assert ALERT_CHANNEL not in {m.channel_id for m in discord_double.messages}


async def test_client_commands_in_dms(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 3))
    await add_client(pool, discord_double, CLIENT, "Europe/London", MONDAY, clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 6))
        today = await discord_double.slash(CLIENT, "today")
        assert "check-in — sent" in today.embeds[0]["fields"][0]["value"]  # delivered, not answered

        stranger = await discord_double.slash(9999, "today")
        assert "not a client" in (stranger.content or "")

        units = await discord_double.slash(CLIENT, "units", {"unit": "lb"})
        assert "lb" in (units.content or "")

        before = await client_rows(pool)
        bad = await discord_double.slash(CLIENT, "timezone", {"zone": "Atlantis/Capital"})
        assert bad.ephemeral and "Atlantis/Capital" in (bad.content or "") and "IANA" in (bad.content or "")
        assert await client_rows(pool) == before

        moved = await discord_double.slash(CLIENT, "timezone", {"zone": "asia/tokyo"})
        # 06:00 UTC is 07:00 in London and 15:00 in Tokyo on Monday: Tuesday is the first day.
        assert "Asia/Tokyo, from Tuesday 05 May" in (moved.content or "")
    async with pool.acquire() as conn:
        after = await clients.get(conn, CLIENT)
    assert after is not None and str(after.unit) == "lb"
    assert (after.timezone, after.previous_timezone, after.timezone_effective_from) == (
        "Asia/Tokyo",
        "Europe/London",
        dt.date(2026, 5, 5),
    )


async def test_dead_jobs_reach_the_alert_channel_in_one_batch(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    for user in (6101, 6102, 6103):
        await add_client(pool, discord_double, user, "UTC", MONDAY, begin)
    discord_double.fail_next("POST", r"^/channels/\d+/messages$", 503, times=12)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6, 30))
    jobs = await checkin_drops(pool)
    assert [j.status for j in jobs] == ["dead"] * 3
    [posted] = discord_double.channel_messages(ALERT_CHANNEL)
    assert posted.embeds[0]["title"] == "3 delivery alerts"
    assert all(
        f"**client{u}** (<@{u}>) — Monday 04 May's check-in could not be delivered"
        in posted.embeds[0]["description"]
        for u in (6101, 6102, 6103)
    )
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM alerts WHERE posted_at IS NULL") == 0


async def test_a_drop_that_fails_for_good_alerts_coaches_by_name_in_words(
    discord_double, pool, settings
) -> None:
    """Issue 13: the alert names the client (display name and mention), says in words what
    failed and when, and what the coach can do; no raw id outside the mention, no jargon."""
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    user = 6301
    await add_client(pool, discord_double, user, "UTC", MONDAY, begin)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE client_profiles SET display_name = 'Dana Reyes' WHERE user_id = $1", user)
    # Every DM send to them is a server error (503: discord.py does not retry it itself).
    discord_double.fail_next(
        "POST", rf"^/channels/{discord_double.dm_channel_id(user)}/messages$", 503, times=100
    )
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6, 30))
    [job] = await checkin_drops(pool)
    assert job.status == "dead" and job.attempts == 4
    [posted] = discord_double.channel_messages(ALERT_CHANNEL)
    assert posted.embeds[0]["title"] == "1 delivery alert"
    text = posted.embeds[0]["description"]
    assert f"**Dana Reyes** (<@{user}>)" in text
    assert (
        "Monday 04 May's check-in could not be delivered: Discord kept answering with a server "
        "error (4 tries over 35 minutes)" in text
    )
    assert "It will not be retried; send it with /trigger if it still matters today." in text
    assert str(user) not in text.replace(f"<@{user}>", "")
    for jargon in ("job_dead", "checkin", "2026-05-04", "503", "attempts", "delivery:", "`"):
        assert jargon not in text, jargon


async def test_a_weekly_scan_that_cannot_post_names_what_it_was(discord_double, pool, settings) -> None:
    sunday = utc(2026, 5, 10, 21)
    clock = VirtualClock(sunday)
    discord_double.fail_next("POST", rf"^/channels/{COACH_CHANNEL}/messages$", 503, times=100)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 10, 23, 30))
    assert len([j for j in await all_jobs(pool) if j.user_id is None and j.status == "dead"]) == 1
    [posted] = discord_double.channel_messages(ALERT_CHANNEL)
    text = posted.embeds[0]["description"]
    assert text.startswith("• The weekly flag scan of Sunday 10 May could not be posted:"), text
    assert "Discord kept answering with a server error (4 tries over 35 minutes)" in text
    assert "It will not be retried" in text
    assert "<@" not in text and "job_dead" not in text and "None" not in text


async def test_non_coaches_get_no_roster_suggestions(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 8))
    await add_client(pool, discord_double, 5555, "UTC", MONDAY, clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        typed = {"client": "client"}
        assert await discord_double.autocomplete(CLIENT, "client show", typed, guild_id=GUILD) == []
        coach = await discord_double.autocomplete(COACH, "client show", typed, guild_id=GUILD)
        assert [c["value"] for c in coach] == ["5555"]
        # Zone names and the body charts in coach commands are coach-only too.
        zone = {"client": "5555", "timezone": "America/Chi"}
        assert await discord_double.autocomplete(CLIENT, "client edit", zone, guild_id=GUILD) == []
        assert await discord_double.autocomplete(COACH, "client edit", zone, guild_id=GUILD) != []
        lifts = {"client": "5555", "exercise": "body"}
        assert await discord_double.autocomplete(CLIENT, "training progress", lifts, guild_id=GUILD) == []
        lifts_of_self = {
            "client": "x",
            "exercise": "body",
        }  # not an id: the exercise list is the caller's own
        assert (
            await discord_double.autocomplete(CLIENT, "training progress", lifts_of_self, guild_id=GUILD)
            == []
        )


async def test_a_stale_dm_channel_is_reopened_and_a_refused_payload_alerts(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, dm_channel_id=999_999_999)
    await add_client(pool, discord_double, 6201, "UTC", MONDAY, begin)
    discord_double.fail_next(
        "POST", rf"^/channels/{discord_double.dm_channel_id(6201)}/messages$", 400, 50035
    )
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6))
    assert len(discord_double.dms_to(CLIENT)) == 1
    async with pool.acquire() as conn:
        assert (await clients.get(conn, CLIENT)).dm_channel_id == discord_double.dm_channel_id(CLIENT)  # type: ignore[union-attr]
    failed = [
        j for j in await all_jobs(pool) if j.user_id == 6201 and j.engine == "checkin" and j.action == "drop"
    ]
    assert failed[0].status == "failed" and failed[0].attempts == 1
    [posted] = discord_double.channel_messages(ALERT_CHANNEL)
    text = posted.embeds[0]["description"]
    assert "**client6201** (<@6201>) — Monday 04 May's check-in could not be delivered" in text
    assert "Discord refused the message as invalid" in text and "not retried" in text
    assert "50035" not in text and "job_failed" not in text
