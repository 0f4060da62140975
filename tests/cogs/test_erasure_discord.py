"""/mydata, /client export and /client delete through Discord. The export is a ZIP of every
record about the client with a README; the delete asks the coach to type the client's name (a
wrong name deletes nothing) and leaves no row in any table that names the client, keeps everyone
else's, and tells the client."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from bot_harness import COACH, GUILD, add_client, running_bot
from helpers import all_rows, utc

from bot.core.clock import VirtualClock
from bot.engines import checkin
from bot.repo import alerts, cards, clients, coaches
from bot.usecases import team as team_uc

GONE = 777_000_777  # an id no snowflake of the run contains by chance
STAYS = 3001
MONDAY = dt.date(2026, 5, 4)

TABLES = """
SELECT table_name FROM information_schema.tables
 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name
"""


async def rows_naming(pool, user_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Per table, the rows whose any column (as text, jsonb included) holds the id as a number."""
    found = {}
    async with pool.acquire() as conn:
        for record in await conn.fetch(TABLES):
            table = record["table_name"]
            n = await conn.fetchval(
                f'SELECT count(*) FROM "{table}" t WHERE t::text ~ $1', rf"(^|[^0-9]){user_id}([^0-9]|$)"
            )
            if n:
                found[table] = n
    return found


async def test_deleting_a_client_leaves_no_row_that_names_them(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await discord_double.add_member(GUILD, GONE, name="Gone Gale")
    for user in (GONE, STAYS):
        await add_client(pool, discord_double, user, "UTC", MONDAY, begin)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await team_uc.add_coach(
            pool, clock, team_uc.Actor(COACH), user_id=COACH, display_name="Sam", kind="head"
        )
        for user in (GONE, STAYS):
            await team_uc.hand_over(
                pool, clock, team_uc.Actor(COACH), user_id=user, coach_id=COACH, from_date=None, note=None,
                settings=bot.settings,
            )  # fmt: skip
        await clock.run_until(utc(2026, 5, 4, 6))  # both get the check-in
        for user in (GONE, STAYS):
            await discord_double.submit_modal(
                user, checkin.FEEL_MODAL_ID.format(user_id=user, day=MONDAY),
                {"energy": ["4"], "mood": ["3"], "stress": ["2"], "soreness": ["5"], "note": "fine"},
            )  # fmt: skip
        paused = await discord_double.slash(COACH, "pause", {"client": str(GONE)}, guild_id=GUILD)
        await paused.wait_followups(1)
        await discord_double.slash(COACH, "resume", {"client": str(GONE)}, guild_id=GUILD)
        async with pool.acquire() as conn:
            await cards.raise_card(
                conn, kind="missed_days", user_id=GONE, scope="w", summary="x", now=clock.now()
            )
            await alerts.add(
                conn, kind="job_dead", message=f"<@{GONE}> failed", now=clock.now(), user_id=GONE
            )
        assert set(await rows_naming(pool, GONE)) >= {
            "client_profiles",
            "jobs",
            "checkins",
            "coach_assignments",
        }

        # The wrong name: nothing is deleted.
        opened = await discord_double.slash(COACH, "client delete", {"client": str(GONE)}, guild_id=GUILD)
        assert opened.response_type == 9 and opened.modal is not None
        before = await all_rows(pool)
        wrong = await discord_double.submit_modal(
            COACH, opened.modal.custom_id, {"name": "Someone Else"}, guild_id=GUILD
        )
        assert "nothing was deleted" in (wrong.content or "")
        assert await all_rows(pool) == before

        stays_before = await rows_naming(pool, STAYS)
        opened = await discord_double.slash(COACH, "client delete", {"client": str(GONE)}, guild_id=GUILD)
        done = await discord_double.submit_modal(
            COACH, opened.modal.custom_id, {"name": f"client{GONE}"}, guild_id=GUILD
        )
        assert f"client{GONE} is deleted" in (done.content or ""), done.content
    assert await rows_naming(pool, GONE) == {}
    assert await rows_naming(pool, STAYS) == stays_before
    async with pool.acquire() as conn:
        assert await clients.get(conn, GONE) is None
        assert await coaches.get(conn, COACH) is not None  # the coach is not the client
    told = discord_double.dms_to(GONE)[-1]
    assert told.embeds[0]["title"] == "Your data has been deleted"


async def test_mydata_and_client_export_hand_over_everything_in_a_zip(discord_double, pool, settings) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, STAYS, "UTC", MONDAY, begin)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await clock.run_until(utc(2026, 5, 4, 6))
        await discord_double.submit_modal(
            STAYS, checkin.FEEL_MODAL_ID.format(user_id=STAYS, day=MONDAY),
            {"energy": ["4"], "mood": ["3"], "stress": ["2"], "soreness": ["5"], "note": "slept, 8h"},
        )  # fmt: skip
        mine = await discord_double.slash(STAYS, "mydata")
        [answer] = await mine.wait_followups(1)
        coach = await discord_double.slash(COACH, "client export", {"client": str(STAYS)}, guild_id=GUILD)
        [coach_answer] = await coach.wait_followups(1)
        stranger = await discord_double.slash(4242, "mydata")
        [refused] = await stranger.wait_followups(1)
    assert "nothing to export" in (refused.content or "") and not refused.attachments
    for got in (answer, coach_answer):
        [attachment] = got.attachments
        assert attachment.filename == f"regiment-data-{STAYS}-20260504.zip"
        archive = zipfile.ZipFile(io.BytesIO(attachment.data))
        names = set(archive.namelist())
        assert {"README.txt", "client_profiles.csv", "checkins.csv", "jobs.csv"} <= names, names
        readme = archive.read("README.txt").decode()
        for name in names - {"README.txt"}:
            assert f"- {name} (" in readme, name  # every file is explained
        [header, *rows] = list(csv.reader(io.StringIO(archive.read("checkins.csv").decode())))
        assert "note" in header and [r[header.index("note")] for r in rows] == ["slept, 8h"]
        [profile_header, profile] = list(
            csv.reader(io.StringIO(archive.read("client_profiles.csv").decode()))
        )
        assert profile[profile_header.index("user_id")] == str(STAYS)
