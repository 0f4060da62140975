"""/client show through Discord with the weekly check-in's progress: the measurements and the
photo timeline as fields, when the check-in comes on the card, and the photo sheet (the first
check-in's photos beside the latest's) as a second embed's image, to the coach only."""

from __future__ import annotations

import datetime as dt
import io

from bot_harness import CLIENT, COACH, GUILD, add_client, running_bot
from helpers import utc
from PIL import Image
from weekly_rows import check_in, choose, jpeg

from bot.core.clock import VirtualClock
from bot.domain import photos

SUNDAY = dt.date(2026, 10, 4)


async def test_client_show_lists_measurements_photos_and_attaches_the_sheet(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 11, 30, 12)
    clock = VirtualClock(begin)
    await discord_double.add_member(GUILD, CLIENT)
    await add_client(pool, discord_double, CLIENT, "UTC", SUNDAY, begin)
    async with pool.acquire() as conn:
        await choose(conn, CLIENT, ["hips"])
        await conn.execute("UPDATE client_profiles SET review_weekday = 3 WHERE user_id = $1", CLIENT)
        await check_in(conn, CLIENT, SUNDAY, waist_cm=88.0, hips=100.0, photos={"front": jpeg((200, 0, 0))})
        await check_in(
            conn, CLIENT, SUNDAY + dt.timedelta(weeks=8), waist_cm=84.5,
            photos={p: jpeg((0, 0, 200)) for p in photos.POSES},
        )  # fmt: skip
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        shown = await discord_double.slash(COACH, "client show", {"client": str(CLIENT)}, guild_id=GUILD)
        [card] = await shown.wait_followups(1)
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert fields["Weekly check-in"] == "Wednesdays 09:00 · waist, hips"
    assert fields["Measurements"].splitlines() == [
        "waist 84.5 cm · Sunday 29 Nov · −3.5 cm since Sunday 04 Oct",
        "hips 100 cm · Sunday 04 Oct · first measurement",
    ]
    assert fields["Photos"] == "Sunday 29 Nov front, side, back · Sunday 04 Oct front"
    assert card.ephemeral
    assert [e.get("image", {}).get("url") for e in card.embeds] == [
        "attachment://adherence.png",
        "attachment://photos.jpg",
    ]
    sheet = next(a for a in card.attachments if a.filename == "photos.jpg")
    with Image.open(io.BytesIO(sheet.data)) as image:
        assert image.format == "JPEG" and image.size == photos.sheet_size(2)


async def test_client_show_without_check_ins_has_no_sheet(discord_double, pool, settings) -> None:
    begin = utc(2026, 11, 30, 12)
    clock = VirtualClock(begin)
    await discord_double.add_member(GUILD, CLIENT)
    await add_client(pool, discord_double, CLIENT, "UTC", SUNDAY, begin)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        shown = await discord_double.slash(COACH, "client show", {"client": str(CLIENT)}, guild_id=GUILD)
        [card] = await shown.wait_followups(1)
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert (fields["Weekly check-in"], fields["Measurements"], fields["Photos"]) == (
        "Sundays 09:00 · waist",
        "none yet",
        "none yet",
    )
    assert len(card.embeds) == 1 and [a.filename for a in card.attachments] == ["adherence.png"]
