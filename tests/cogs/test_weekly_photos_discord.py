"""The weekly check-in's photos and the coach's review, through Discord: photos uploaded in the
photos form are stored resized with no metadata, survive a restart and appear in the coach's
side-by-side; another coach in `own` scope and another client are refused them; every bad upload
is named and nothing is written; the coach's answer reaches the client and resolves the card."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from bot_harness import ADMIN, CLIENT, COACH, COACH_CHANNEL, COACH_ROLE, GUILD, add_client, running_bot
from helpers import all_rows, utc
from PIL import ExifTags, Image

from bot.core.clock import VirtualClock
from bot.domain import photos
from bot.domain.team import Notify, Scope
from bot.engines import weekly
from bot.repo import coaches, erasure
from bot.usecases import team as team_uc

JO = 3010  # Jo, a second coach
JOS_CLIENT = 3020
SUNDAY = dt.date(2026, 5, 10)
RED, BLUE = (220, 30, 30), (30, 30, 220)
MiB = 1024 * 1024


def gps_photo(size: tuple[int, int] = (2400, 1800)) -> bytes:
    """A JPEG, red on the left and blue on the right, carrying a GPS position."""
    image = Image.new("RGB", size, RED)
    image.paste(Image.new("RGB", (size[0] // 2, size[1]), BLUE), (size[0] // 2, 0))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyPhone"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 26.0),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(ExifTags.IFD.GPSInfo), (
        "fixture lost its GPS"
    )
    return out.getvalue()


def png_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 800), (20, 160, 60)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(2000)


async def photo_rows(pool) -> list[dict]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch("SELECT * FROM weekly_photos ORDER BY pose")]


async def set_up(discord_double, pool, bot, clock) -> None:  # type: ignore[no-untyped-def]
    await bot.sync_commands()
    for who, name, kind in ((ADMIN, "Hana", "head"), (COACH, "Sam", "coach"), (JO, "Jo", "coach")):
        added = await discord_double.slash(
            ADMIN, "coach add", {"member": str(who), "name": name, "kind": kind}, guild_id=GUILD
        )
        assert "is on the team" in (added.content or ""), added.content
    for client, coach in ((CLIENT, COACH), (JOS_CLIENT, JO)):
        await team_uc.hand_over(
            pool, clock, team_uc.Actor(ADMIN), user_id=client, coach_id=coach, from_date=None, note=None,
            settings=bot.settings,
        )  # fmt: skip


async def test_photos_stored_clean_survive_a_restart_and_reach_only_the_clients_coach(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 9, 12)
    clock = VirtualClock(begin)
    own = settings.model_copy(update={"coach_scope": Scope.own})
    await discord_double.add_member(GUILD, JO, name="Jo", role_ids=[COACH_ROLE])
    await discord_double.add_member(GUILD, JOS_CLIENT, name="Kim")
    await add_client(pool, discord_double, CLIENT, "UTC", dt.date(2026, 5, 4), begin)
    await add_client(pool, discord_double, JOS_CLIENT, "UTC", dt.date(2026, 5, 4), begin)
    ids = {"user_id": CLIENT, "day": SUNDAY}
    async with running_bot(discord_double, pool, clock, own) as bot:
        await set_up(discord_double, pool, bot, clock)
        await clock.run_until(utc(2026, 5, 10, 9, 30))
        [prompt] = [m for m in discord_double.dms_to(CLIENT) if (m.heading() or "").startswith("Weekly")]
        assert "Your week in numbers" in prompt.embeds[0]["description"]
        assert weekly.PHOTOS_ID.format(**ids) not in prompt.custom_ids(), "photos come after the check-in"
        await discord_double.click(CLIENT, prompt, weekly.OPEN_ID.format(**ids))
        sent = await discord_double.submit_modal(
            CLIENT, weekly.FORM_ID.format(**ids), {"waist": "82", "rating": ["4"], "story": "Good week"}
        )
        assert "Add progress photos" in (sent.content or ""), sent.content
        await discord_double.wait_for(lambda: weekly.PHOTOS_ID.format(**ids) in prompt.custom_ids())
        # The card's announcement: in the coaches' channel, Sam named, no photo in it.
        await clock.run_until(utc(2026, 5, 10, 9, 35))
        await discord_double.wait_for(
            lambda: any(
                "Weekly check-in to review" in (m.content or "")
                for m in discord_double.channel_messages(COACH_CHANNEL)
            )
        )
        [post] = [
            m
            for m in discord_double.channel_messages(COACH_CHANNEL)
            if "Weekly check-in to review" in (m.content or "")
        ]
        assert f"<@{COACH}>" in (post.content or "") and not post.attachments

        opened = await discord_double.click(CLIENT, prompt, weekly.PHOTOS_ID.format(**ids))
        assert [c["component"]["type"] for c in opened.modal.components] == [19, 19, 19]
        form = weekly.PHOTOS_FORM_ID.format(**ids)
        before = await all_rows(pool)
        pdf = await discord_double.submit_modal(
            CLIENT, form, {"photo-front": [("front.jpg", PDF, "image/jpeg")]}
        )
        await pdf.wait_followups()
        assert "front photo" in pdf.followups[-1].content and "PDF" in pdf.followups[-1].content, (
            pdf.followups
        )
        discord_double.upload_limits[CLIENT] = 500 * MiB  # a Nitro subscriber may upload more than 10 MiB
        start = gps_photo()
        huge = start + bytes(12 * MiB - len(start))  # a 12 MiB JPEG
        big = await discord_double.submit_modal(
            CLIENT, form, {"photo-front": [("front.png", PDF)], "photo-side": [("side.jpg", huge)]}
        )
        await big.wait_followups()
        said = big.followups[-1].content
        assert "front photo" in said and "side photo: 12.0 MiB is over the 10 MiB limit" in said, said
        assert await all_rows(pool) == before, "a refused form writes nothing"

        good = await discord_double.submit_modal(
            CLIENT,
            form,
            {"photo-front": [("front.jpg", gps_photo())], "photo-side": [("side.png", png_photo())]},
        )
        await good.wait_followups()
        assert "2 photos (front, side)" in good.followups[-1].content, good.followups
        await discord_double.wait_for(lambda: "📷 front, side" in str(prompt.embeds))

    # A restart: the photos are in the database, not in the process.
    async with running_bot(discord_double, pool, clock, own):
        rows = await photo_rows(pool)
        assert [(r["pose"], r["width"], r["height"]) for r in rows] == [
            ("front", 1600, 1200),
            ("side", 600, 800),
        ]
        for r in rows:
            stored = Image.open(io.BytesIO(bytes(r["jpeg"])))
            assert stored.format == "JPEG" and dict(stored.getexif()) == {}
            assert not {"exif", "xmp", "icc_profile"} & set(stored.info)

        seen = await discord_double.click(COACH, post, weekly.SEE_ID.format(**ids))
        [shown] = await seen.wait_followups()
        assert shown.ephemeral and "Good week" in str(shown.embeds)
        [sheet_file] = shown.attachments
        sheet = Image.open(io.BytesIO(sheet_file.data))
        assert sheet.size == photos.sheet_size(1)
        left, top, right, bottom = photos.cell_box(0, 0)  # this week's front photo: red, then blue
        middle = (top + bottom) // 2
        assert _near(sheet.getpixel((left + (right - left) // 4, middle)), RED)
        assert _near(sheet.getpixel((right - (right - left) // 4, middle)), BLUE)

        # Jo may not see Sam's client in `own` scope; a client is no coach.
        refused = await discord_double.click(JO, post, weekly.SEE_ID.format(**ids))
        assert "Sam" in (refused.content or "") and not refused.followups, refused.content
        stranger = await discord_double.click(JOS_CLIENT, post, weekly.SEE_ID.format(**ids))
        assert "Only coaches" in (stranger.content or ""), stranger.content
        assert not [
            m for m in discord_double.messages if m.attachments and m.interaction_user_id in (JO, JOS_CLIENT)
        ]
        forged = await discord_double.click(JOS_CLIENT, prompt, weekly.PHOTOS_ID.format(**ids), forged=True)
        assert "belongs to someone else" in (forged.content or "")
        before = await all_rows(pool)
        discord_double.modals.pop(weekly.PHOTOS_FORM_ID.format(**ids))  # a crafted submit, not the shown form
        forged_photos = await discord_double.submit_modal(
            JOS_CLIENT, weekly.PHOTOS_FORM_ID.format(**ids), {"photo-front": [("front.jpg", gps_photo())]}
        )
        assert "belongs to someone else" in (forged_photos.content or "")
        # Jo may not answer Sam's client either, by the button or by a forged form.
        jo_asks = await discord_double.click(JO, post, weekly.ANSWER_ID.format(**ids))
        assert jo_asks.response_type != 9 and "Sam" in (jo_asks.content or ""), jo_asks.content
        jo_answers = await discord_double.submit_modal(
            JO, weekly.ANSWER_FORM_ID.format(**ids), {"answer": "Not mine to say"}, guild_id=GUILD
        )
        assert "Sam" in (jo_answers.content or "") and not jo_answers.followups, jo_answers.content
        assert await all_rows(pool) == before, "refusals write nothing"

        # Sam answers from the card: the client gets it as a note, the card is resolved.
        ask = await discord_double.click(COACH, post, weekly.ANSWER_ID.format(**ids))
        assert ask.response_type == 9
        answered = await discord_double.submit_modal(
            COACH, weekly.ANSWER_FORM_ID.format(**ids), {"answer": "Great work, keep the steps up."}
        )
        await answered.wait_followups()
        assert "is resolved" in answered.followups[-1].content, answered.followups
        again = await discord_double.submit_modal(
            COACH, weekly.ANSWER_FORM_ID.format(**ids), {"answer": "And another thing"}, guild_id=GUILD
        )
        await again.wait_followups()
        assert "was answered on Sunday 10 May; nothing was sent" in again.followups[-1].content
        await clock.run_until(utc(2026, 5, 10, 9, 40))
        await discord_double.wait_for(
            lambda: any(
                "keep the steps up" in str(m.embeds) + (m.content or "")
                for m in discord_double.dms_to(CLIENT)
            )
        )
        async with pool.acquire() as conn:
            card = await conn.fetchrow("SELECT * FROM job_cards WHERE kind = 'weekly_review'")
            answer = await conn.fetchrow("SELECT * FROM weekly_answers")
        assert card["status"] == "resolved" and card["resolved_by"] == COACH
        assert answer["coach_id"] == COACH and answer["date"] == SUNDAY
        # The client's own copy: the photos as files, each named by its row.
        mine = await discord_double.slash(CLIENT, "mydata")
        [zipped] = (await mine.wait_followups(1))[0].attachments
        with zipfile.ZipFile(io.BytesIO(zipped.data)) as archive:
            assert archive.read("weekly_photos/2026-05-10-front.jpg") == bytes(rows[0]["jpeg"])
            listed = list(csv.DictReader(io.StringIO(archive.read("weekly_photos.csv").decode())))
            assert [r["jpeg"] for r in listed] == [
                "weekly_photos/2026-05-10-front.jpg",
                "weekly_photos/2026-05-10-side.jpg",
            ]
            assert "photo file" in archive.read("README.txt").decode()
        # Deleted with the client: photos, answers, the check-in, the card, the note.
        opened = await discord_double.slash(COACH, "client delete", {"client": str(CLIENT)}, guild_id=GUILD)
        done = await discord_double.submit_modal(
            COACH, opened.modal.custom_id, {"name": f"client{CLIENT}"}, guild_id=GUILD
        )
        assert "is deleted" in (done.content or ""), done.content
    async with pool.acquire() as conn:
        left, files = await erasure.client_rows(conn, CLIENT)
        assert files == {} and {t: r for t, (_, r) in left.items() if r} == {}
        assert await conn.fetchval("SELECT count(*) FROM weekly_photos") == 0


def _near(pixel: object, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


async def test_a_coach_with_closed_dms_gets_the_card_in_the_channel_and_the_client_stays_reachable(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 9, 12)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", dt.date(2026, 5, 4), begin)
    ids = {"user_id": CLIENT, "day": SUNDAY}
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        await team_uc.add_coach(
            pool, clock, team_uc.Actor(COACH), user_id=COACH, display_name="Sam", kind="head"
        )
        await team_uc.hand_over(
            pool, clock, team_uc.Actor(COACH), user_id=CLIENT, coach_id=COACH, from_date=None, note=None,
            settings=bot.settings,
        )  # fmt: skip
        async with pool.acquire() as conn:
            await coaches.set_notify(conn, COACH, Notify.both)
        discord_double.dms_closed.add(COACH)
        await clock.run_until(utc(2026, 5, 10, 9, 30))
        await discord_double.submit_modal(
            CLIENT, weekly.FORM_ID.format(**ids), {"waist": "82", "rating": ["3"]}
        )
        await clock.run_until(utc(2026, 5, 10, 9, 45))
        await discord_double.wait_for(
            lambda: any(
                "to review" in (m.content or "") for m in discord_double.channel_messages(COACH_CHANNEL)
            )
        )
    async with pool.acquire() as conn:
        profile = await conn.fetchrow("SELECT reachable FROM client_profiles WHERE user_id = $1", CLIENT)
        kinds = [r["kind"] for r in await conn.fetch("SELECT kind FROM job_cards ORDER BY id")]
        announce = await conn.fetchrow(
            "SELECT status FROM jobs WHERE engine = 'weekly' AND action = 'announce'"
        )
    assert profile["reachable"], "a coach's closed DMs are not the client's"
    assert kinds == ["weekly_review"] and announce["status"] == "sent"
