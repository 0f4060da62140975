"""/client show's weekly check-in progress (bot.usecases.clients.show_client and its rendering in
bot.views.render): the latest of each measurement with its date and the change since the first,
in the client's unit; the dates with photos and their poses, newest first, at most eight; the
first check-in's photos beside the latest's; and when the weekly check-in comes and what it asks,
on the client's card."""

from __future__ import annotations

import datetime as dt
import io

from helpers import add_clients, profile
from PIL import Image
from weekly_rows import check_in, choose, jpeg

from bot.config import Settings
from bot.domain import photos
from bot.domain.measurements import CM_PER_INCH
from bot.repo.measurements import PhotoDate, Trend
from bot.usecases import clients as clients_uc
from bot.views import render

SAM = 7201
OCT_4 = dt.date(2026, 10, 4)  # a Sunday
RED, GREEN, BLUE = (220, 20, 20), (20, 200, 20), (20, 20, 220)


def sunday(n: int) -> dt.date:
    return OCT_4 + dt.timedelta(weeks=n)


def colour_at(sheet: Image.Image, column: int, row: int) -> tuple[int, int, int]:
    left, top, right, bottom = photos.cell_box(column, row)
    # A quarter down the cell: clear of a placeholder's words, which stand in its middle.
    return sheet.getpixel(((left + right) // 2, top + (bottom - top) // 4))  # type: ignore[return-value]


def near(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(colour, expected, strict=True))


async def test_the_overview_has_the_latest_measurements_the_photo_timeline_and_the_sheet(
    pool, clock, registry
) -> None:
    await add_clients(pool, [profile(SAM, "UTC", OCT_4, display_name="Sam", unit="lb")], clock.now())
    first, later, latest = jpeg(RED), jpeg(GREEN), jpeg(BLUE)
    async with pool.acquire() as conn:
        await choose(conn, SAM, ["hips"])
        await check_in(
            conn, SAM, sunday(0), unit="lb", waist_cm=91.4, hips=42 * CM_PER_INCH,
            photos={"front": first, "back": first},
        )  # fmt: skip
        for n in range(1, 9):  # eight more weeks, the last with photos of every pose
            poses = ("front", "side", "back") if n == 8 else ("front",) if n % 2 else ("side", "front")
            await check_in(
                conn, SAM, sunday(n), unit="lb", waist_cm=91.4 - n * 0.625,
                photos={pose: latest if n == 8 else later for pose in poses},
            )  # fmt: skip
        await check_in(conn, SAM, sunday(9), missed=True)
        await check_in(conn, SAM + 1, sunday(9), waist_cm=70.0, photos={"front": later})
    shown = await clients_uc.show_client(pool, registry, clock, SAM)

    assert shown.measurements == [
        Trend("waist", sunday(0), 91.4, sunday(8), 86.4, 9),  # the waist column keeps one decimal
        Trend("hips", sunday(0), 42 * CM_PER_INCH, sunday(0), 42 * CM_PER_INCH, 1),
    ]
    assert render.measurement_lines(shown.measurements, "lb").splitlines() == [
        "waist 34 in · Sunday 29 Nov · −2 in since Sunday 04 Oct",
        "hips 42 in · Sunday 04 Oct · first measurement",
    ]
    assert [d.date for d in shown.photo_dates] == [sunday(n) for n in range(8, 0, -1)]
    assert shown.photo_dates[0] == PhotoDate(sunday(8), ("front", "side", "back"))
    assert shown.photo_dates[1] == PhotoDate(sunday(7), ("front",))
    assert shown.photo_dates[2] == PhotoDate(sunday(6), ("front", "side"))
    assert shown.photo_dates_total == 9
    assert render.photo_timeline(shown.photo_dates[:2], shown.photo_dates_total) == (
        "Sunday 29 Nov front, side, back · Sunday 22 Nov front · 7 earlier"
    )
    assert render.photo_timeline(shown.photo_dates, shown.photo_dates_total).endswith(
        "Sunday 11 Oct front · 1 earlier"
    )
    fields = render.progress_fields(shown.measurements, shown.photo_dates, shown.photo_dates_total, "lb")
    assert [(f.name, f.inline) for f in fields] == [("Measurements", False), ("Photos", False)]
    assert fields[1].value.startswith("Sunday 29 Nov front, side, back · Sunday 22 Nov front · ")

    # The sheet: the first check-in's photos (red) beside the latest's (blue), a placeholder for
    # the first's missing side photo.
    assert shown.photo_sheet is not None
    with Image.open(io.BytesIO(shown.photo_sheet)) as sheet:
        assert sheet.format == "JPEG" and sheet.size == photos.sheet_size(2)
        rgb = sheet.convert("RGB")
    assert near(colour_at(rgb, 0, 0), RED) and near(colour_at(rgb, 0, 2), RED)
    assert near(colour_at(rgb, 0, 1), photos.PLACEHOLDER_GREY)
    assert all(near(colour_at(rgb, 1, row), BLUE) for row in range(3))


async def test_one_date_with_photos_is_one_column_and_none_is_no_sheet(pool, clock, registry) -> None:
    await add_clients(
        pool, [profile(SAM, "UTC", OCT_4), profile(SAM + 1, "UTC", OCT_4, unit="kg")], clock.now()
    )
    async with pool.acquire() as conn:
        await check_in(conn, SAM, sunday(0), waist_cm=85.0)
        await check_in(conn, SAM, sunday(1), waist_cm=85.0, photos={"side": jpeg(GREEN)})
        await check_in(conn, SAM, sunday(2), waist_cm=85.4)
    shown = await clients_uc.show_client(pool, registry, clock, SAM)
    assert render.measurement_lines(shown.measurements, "kg") == (
        "waist 85.4 cm · Sunday 18 Oct · +0.4 cm since Sunday 04 Oct"
    )
    assert render.photo_timeline(shown.photo_dates, shown.photo_dates_total) == "Sunday 11 Oct side"
    assert shown.photo_sheet is not None
    with Image.open(io.BytesIO(shown.photo_sheet)) as sheet:
        assert sheet.size == photos.sheet_size(1)
        assert near(colour_at(sheet.convert("RGB"), 0, 1), GREEN)

    nothing = await clients_uc.show_client(pool, registry, clock, SAM + 1)
    assert (nothing.measurements, nothing.photo_dates, nothing.photo_dates_total) == ([], [], 0)
    assert nothing.photo_sheet is None
    assert render.measurement_lines(nothing.measurements, "kg") == "none yet"
    assert render.photo_timeline(nothing.photo_dates, nothing.photo_dates_total) == "none yet"


def test_changes_are_signed_in_the_clients_unit() -> None:
    def trend(first_cm: float, latest_cm: float) -> Trend:
        return Trend("waist", OCT_4, first_cm, sunday(9), latest_cm, 10)

    def line(first_cm: float, latest_cm: float, unit: str) -> str:
        return render.measurement_lines([trend(first_cm, latest_cm)], unit)

    assert line(88.0, 84.5, "kg") == "waist 84.5 cm · Sunday 06 Dec · −3.5 cm since Sunday 04 Oct"
    assert line(84.5, 84.5, "kg") == "waist 84.5 cm · Sunday 06 Dec · ±0 cm since Sunday 04 Oct"
    assert line(80.0, 82.54, "lb") == "waist 32.5 in · Sunday 06 Dec · +1 in since Sunday 04 Oct"


def test_the_weekly_check_in_line_falls_back_on_the_settings() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    monday_early = Settings(_env_file=None, review_weekday=1, review_at="06:15")  # type: ignore[call-arg]
    default = profile(SAM, "UTC", OCT_4)
    own = profile(
        SAM, "UTC", OCT_4, review_weekday=3, review_at=dt.time(18, 30), review_measurements=["hips", "chest"]
    )
    assert render.review_line(default, settings) == "Sundays 09:00 · waist"
    assert render.review_line(default, monday_early) == "Mondays 06:15 · waist"
    assert render.review_line(own, monday_early) == "Wednesdays 18:30 · waist, hips, chest"


class Labels:
    def action_label(self, engine: str, action: str) -> str:
        return f"{engine} {action}"


def test_the_client_card_says_when_the_weekly_check_in_comes(clock) -> None:  # type: ignore[no-untyped-def]
    own = profile(SAM, "UTC", OCT_4, review_weekday=6, review_measurements=["arm"])
    settings = Settings(_env_file=None, review_at="08:00")  # type: ignore[call-arg]
    card = render.client_card(own, [], clock.now(), Labels(), settings)
    assert ("Weekly check-in", "Saturdays 08:00 · waist, arm") in [(f.name, f.value) for f in card.fields]
    without = render.client_card(own, [], clock.now(), Labels())
    assert "Weekly check-in" not in [f.name for f in without.fields]
