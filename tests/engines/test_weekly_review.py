"""The weekly check-in's other measurements, photos and the coach's review, on the real engines:
the measurements a coach chose are asked across the two forms in the client's unit; the review
compares this week's photos with the previous and the first check-in's and gives each length's
change; the photos form waits for the check-in and refuses bad files whole."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from helpers import add_clients, all_rows, profile, runtime, utc
from PIL import Image

from bot.core.clock import VirtualClock
from bot.domain import photos
from bot.domain.errors import InputError
from bot.engines import checkin, notes, weekly
from bot.usecases import export

USER = 41
SUNDAYS = [dt.date(2026, 5, 10), dt.date(2026, 5, 17), dt.date(2026, 5, 24)]
PDF = b"%PDF-1.4 a scanned form"
COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200)]


def photo(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 1200), colour).save(out, "JPEG")
    return out.getvalue()


def upload(pose: str, data: bytes, content_type: str = "image/jpeg") -> weekly.Upload:
    async def read() -> bytes:
        return data

    return weekly.Upload(pose, f"{pose}.jpg", content_type, len(data), read)


@pytest.fixture
async def running(pool, settings):  # type: ignore[no-untyped-def]
    begin = utc(2026, 5, 9, 12)
    clock = VirtualClock(begin)
    await add_clients(
        pool,
        [profile(USER, "UTC", dt.date(2026, 5, 4), unit="lb", review_measurements=["hips", "chest", "arm"])],
        begin,
    )
    engines = [checkin.build(settings), weekly.build(settings), notes.build(settings)]
    rt, transport = runtime(pool, clock, engines, settings)
    rt.start()
    yield clock, transport
    await rt.stop()


async def test_three_check_ins_compared_with_the_previous_and_the_first(pool, running) -> None:  # type: ignore[no-untyped-def]
    clock, _ = running
    for week, (day, colour) in enumerate(zip(SUNDAYS, COLOURS, strict=True)):
        await clock.run_until(dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC))
        values = {"waist": str(34 - week), "m-hips": f"{40 - week * 0.5:g}", "m-chest": "40", "rating": "4"}
        sent = await weekly.submit(pool, clock, user_id=USER, day=day, values=values)
        assert sent.answers.measurements["hips"]["typed"] == f"{40 - week * 0.5:g}"
        saved = await weekly.submit_photos(
            pool, clock, user_id=USER, day=day, values={"m-arm": "14"},
            uploads=[upload("front", photo(colour)), upload("back", photo(colour))],
        )  # fmt: skip
        assert saved.poses == ["front", "back"] and saved.measured == ["arm"]
    seen = await weekly.review(pool, USER, SUNDAYS[2])
    fields = {f.name: f.value for f in seen.embed.fields}
    assert "waist: 32 in (−1.0 since last time) (−2.0 since the first)" in fields["Measurements"]
    assert "hips: 39 in (−0.5 since last time) (−1.0 since the first)" in fields["Measurements"]
    assert "arm: 14 in (±0.0 since last time)" in fields["Measurements"]
    assert fields["Photos"] == "front, back"
    assert seen.sheet is not None
    sheet = Image.open(io.BytesIO(seen.sheet))
    assert sheet.size == photos.sheet_size(3)
    # Columns: this week, the previous, the first; each front photo in its check-in's colour.
    for column, colour in enumerate(reversed(COLOURS)):
        left, top, right, bottom = photos.cell_box(column, 0)
        pixel = sheet.getpixel(((left + right) // 2, (top + bottom) // 2))
        assert all(abs(a - b) < 30 for a, b in zip(pixel, colour, strict=False)), (column, pixel)
    # The side photo was never sent: a placeholder, grey.
    left, top, right, bottom = photos.cell_box(0, 1)
    assert sheet.getpixel(((left + right) // 2, top + 10)) == photos.PLACEHOLDER_GREY
    # The DM shows what was sent, in the client's unit.
    last = saved.messages[0]
    assert "📷 front, back" in last.embeds[0].description
    assert "waist 32 in · hips 39 in · chest 40 in · arm 14 in · week 4/5" in last.embeds[0].description


async def test_the_photos_form_waits_for_the_check_in_and_refuses_bad_files_whole(pool, running) -> None:  # type: ignore[no-untyped-def]
    clock, _ = running
    day = SUNDAYS[0]
    await clock.run_until(dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC))
    with pytest.raises(InputError, match="Send the check-in first"):
        await weekly.submit_photos(
            pool, clock, user_id=USER, day=day, values={}, uploads=[upload("front", photo(COLOURS[0]))]
        )
    before = await all_rows(pool)
    with pytest.raises(InputError) as bad_form:
        await weekly.submit(
            pool, clock, user_id=USER, day=day,
            values={"waist": "abc", "m-hips": "500", "rating": "4", "story": "x" * 5000},
        )  # fmt: skip
    assert [p.split(":")[0] for p in bad_form.value.problems] == ["waist", "hips", "wins and struggles"]
    assert await all_rows(pool) == before
    await weekly.submit(pool, clock, user_id=USER, day=day, values={"rating": "3"})
    before = await all_rows(pool)
    with pytest.raises(InputError) as bad_files:
        await weekly.submit_photos(
            pool, clock, user_id=USER, day=day, values={"m-arm": "tiny"},
            uploads=[upload("front", photo(COLOURS[0])), upload("side", PDF, "application/pdf")],
        )  # fmt: skip
    problems = bad_files.value.problems
    assert (
        len(problems) == 2
        and problems[0].startswith("arm: 'tiny'")
        and "side photo: that is a PDF" in problems[1]
    )
    assert await all_rows(pool) == before, "the good front photo is not kept from a refused form"
    with pytest.raises(InputError, match="nothing to send"):
        await weekly.submit_photos(pool, clock, user_id=USER, day=day, values={}, uploads=[])


async def test_photos_sent_again_keep_the_measurements_left_blank_and_an_edit_rewords_the_card(
    pool, running
) -> None:  # type: ignore[no-untyped-def]
    clock, _ = running
    day = SUNDAYS[0]
    await clock.run_until(dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC))
    await weekly.submit(pool, clock, user_id=USER, day=day, values={"waist": "34", "rating": "2"})
    await weekly.submit_photos(
        pool,
        clock,
        user_id=USER,
        day=day,
        values={"m-arm": "14"},
        uploads=[upload("front", photo(COLOURS[0]))],
    )
    # The photos form again, a side photo only, arm left blank: the arm stays, the front stays.
    again = await weekly.submit_photos(
        pool, clock, user_id=USER, day=day, values={"m-arm": ""}, uploads=[upload("side", photo(COLOURS[1]))]
    )
    assert again.measured == [] and again.poses == ["side"]
    seen = await weekly.review(pool, USER, day)
    fields = {f.name: f.value for f in seen.embed.fields}
    assert "arm: 14 in" in fields["Measurements"] and fields["Photos"] == "front, side"
    # The client edits the check-in after it was announced: the card says what it says now.
    await weekly.submit(pool, clock, user_id=USER, day=day, values={"waist": "34", "rating": "5"})
    async with pool.acquire() as conn:
        [card] = await conn.fetch("SELECT summary FROM job_cards WHERE kind = $1", weekly.CARD_KIND)
    assert card["summary"].endswith("week 5/5"), card["summary"]


async def test_an_export_too_big_for_one_attachment_comes_in_parts(pool, running, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock, _ = running
    for day, colour in zip(SUNDAYS, COLOURS, strict=True):
        await clock.run_until(dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC))
        await weekly.submit(pool, clock, user_id=USER, day=day, values={"rating": "4"})
        await weekly.submit_photos(
            pool, clock, user_id=USER, day=day, values={},
            uploads=[upload(pose, noisy(colour)) for pose in photos.POSES],
        )  # fmt: skip
    async with pool.acquire() as conn:
        sizes = [len(r["jpeg"]) for r in await conn.fetch("SELECT jpeg FROM weekly_photos")]
    monkeypatch.setattr(export, "PART_BYTES", max(sizes) * 3)  # about three photos a ZIP
    found = await export.export_client(pool, clock, USER)
    assert len(found.parts) >= 3, [name for name, _ in found.parts]
    seen: list[str] = []
    for name, data in found.parts:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            photo_names = [n for n in archive.namelist() if n.startswith("weekly_photos/")]
            assert sum(archive.getinfo(n).file_size for n in photo_names) <= export.PART_BYTES, name
            seen += photo_names
    assert sorted(seen) == sorted(f for f in found.files if f.startswith("weekly_photos/")) and len(seen) == 9
    with zipfile.ZipFile(io.BytesIO(found.data)) as first:
        readme = first.read("README.txt").decode()
    assert f"they fill {len(found.parts)} ZIP files" in readme and found.parts[1][0] in readme


def noisy(colour: tuple[int, int, int]) -> bytes:
    """A photo that does not compress to nothing: noise over a colour."""
    image = Image.effect_noise((900, 1200), 50).convert("RGB")
    image = Image.blend(image, Image.new("RGB", image.size, colour), 0.5)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()
