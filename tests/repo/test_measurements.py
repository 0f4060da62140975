"""The weekly check-in's measurements and photos as charts and /client show read them
(bot.repo.measurements): a measurement's series from the waist column or the jsonb, the first and
latest of each, the dates with photos newest first, and the photos of the first and latest date."""

from __future__ import annotations

import datetime as dt

from helpers import add_clients, profile, utc
from weekly_rows import check_in, jpeg

from bot.domain.measurements import MEASUREMENTS
from bot.domain.models import DailyDrop
from bot.domain.photos import POSES
from bot.repo import measurements, weekly

SAM, ALEX = 7101, 7102
OCT_4 = dt.date(2026, 10, 4)  # a Sunday


def sunday(n: int) -> dt.date:
    return OCT_4 + dt.timedelta(weeks=n)


async def test_a_series_reads_the_waist_column_and_the_other_measurements_oldest_first(pool) -> None:
    await add_clients(pool, [profile(SAM, "UTC", OCT_4), profile(ALEX, "UTC", OCT_4)], utc(2026, 10, 1))
    async with pool.acquire() as conn:
        await check_in(conn, SAM, sunday(2), waist_cm=83.0, hips=99.0)
        await check_in(conn, SAM, sunday(0), waist_cm=85.5, hips=101.5, arm=35.0)
        await check_in(conn, SAM, sunday(1), missed=True)
        await check_in(conn, SAM, sunday(3), waist_cm=82.5)  # hips not asked that week
        await check_in(conn, ALEX, sunday(0), waist_cm=70.0, hips=90.0)
        assert await measurements.series(conn, SAM, "waist") == [
            (sunday(0), 85.5),
            (sunday(2), 83.0),
            (sunday(3), 82.5),
        ]
        assert await measurements.series(conn, SAM, "hips") == [(sunday(0), 101.5), (sunday(2), 99.0)]
        assert await measurements.series(conn, SAM, "arm") == [(sunday(0), 35.0)]
        assert await measurements.series(conn, SAM, "chest") == []
        assert await measurements.series(conn, ALEX, "waist") == [(sunday(0), 70.0)]


async def test_first_and_latest_of_each_measurement_with_a_value_in_the_order_asked(pool) -> None:
    await add_clients(pool, [profile(SAM, "UTC", OCT_4), profile(ALEX, "UTC", OCT_4)], utc(2026, 10, 1))
    async with pool.acquire() as conn:
        await check_in(conn, SAM, sunday(0), waist_cm=85.5, hips=101.5)
        await check_in(conn, SAM, sunday(1), waist_cm=84.0, thigh=60.0)
        await check_in(conn, SAM, sunday(2), missed=True)
        await check_in(conn, SAM, sunday(3), waist_cm=82.0, hips=99.0)
        await check_in(conn, ALEX, sunday(4), waist_cm=70.0)
        found = await measurements.first_and_latest(conn, SAM, list(MEASUREMENTS))
        nobody = await measurements.first_and_latest(conn, 1, list(MEASUREMENTS))
    assert found == [
        measurements.Trend("waist", sunday(0), 85.5, sunday(3), 82.0, 3),
        measurements.Trend("hips", sunday(0), 101.5, sunday(3), 99.0, 2),
        measurements.Trend("thigh", sunday(1), 60.0, sunday(1), 60.0, 1),
    ]
    assert nobody == []


async def test_photo_dates_newest_first_with_their_poses_in_order_and_the_total(pool) -> None:
    await add_clients(pool, [profile(SAM, "UTC", OCT_4), profile(ALEX, "UTC", OCT_4)], utc(2026, 10, 1))
    shot = jpeg((200, 30, 30))
    async with pool.acquire() as conn:
        await check_in(conn, SAM, sunday(0), waist_cm=85.0, photos={"back": shot, "front": shot})
        await check_in(conn, SAM, sunday(1), waist_cm=84.0)  # no photos that week
        every_pose = {"side": shot, "back": shot, "front": shot}
        await check_in(conn, SAM, sunday(2), waist_cm=83.0, photos=every_pose)
        await check_in(conn, SAM, sunday(3), waist_cm=82.0, photos={"side": shot})
        await check_in(conn, ALEX, sunday(4), waist_cm=70.0, photos={"front": shot})
        listed, total = await measurements.photo_dates(conn, SAM, 2, POSES)
        everything, same_total = await measurements.photo_dates(conn, SAM, 10, POSES)
        none = await measurements.photo_dates(conn, 1, 10, POSES)
    assert listed == [
        measurements.PhotoDate(sunday(3), ("side",)),
        measurements.PhotoDate(sunday(2), ("front", "side", "back")),
    ]
    assert total == same_total == 3
    assert [d.date for d in everything] == [sunday(3), sunday(2), sunday(0)]
    assert everything[-1].poses == ("front", "back")
    assert none == ([], 0)


async def test_the_photos_compared_are_the_first_and_the_latest_dates_with_photos(pool) -> None:
    await add_clients(pool, [profile(SAM, "UTC", OCT_4), profile(ALEX, "UTC", OCT_4)], utc(2026, 10, 1))
    first, middle, latest = jpeg((200, 0, 0)), jpeg((0, 200, 0)), jpeg((0, 0, 200))
    async with pool.acquire() as conn:
        await check_in(conn, SAM, sunday(0), waist_cm=85.0, photos={"front": first})
        assert await measurements.first_and_latest_photos(conn, SAM) == [(sunday(0), {"front": first})]
        await check_in(conn, SAM, sunday(1), waist_cm=84.0, photos={"front": middle, "side": middle})
        await check_in(conn, SAM, sunday(2), waist_cm=83.0, photos={"front": latest, "back": latest})
        await check_in(conn, SAM, sunday(3), waist_cm=82.0)  # the latest check-in has no photos
        await check_in(conn, ALEX, sunday(5), waist_cm=70.0, photos={"front": middle})
        compared = await measurements.first_and_latest_photos(conn, SAM)
        assert await measurements.first_and_latest_photos(conn, 1) == []
    assert compared == [(sunday(0), {"front": first}), (sunday(2), {"front": latest, "back": latest})]


async def test_what_the_weekly_check_in_writes_is_what_the_charts_read(pool) -> None:
    await add_clients(pool, [profile(SAM, "UTC", OCT_4)], utc(2026, 10, 1))
    now = utc(2026, 10, 4, 12)
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "INSERT INTO daily_drops (user_id, local_date, engine, content, deadline, created_at)"
            " VALUES ($1, $2, 'weekly', '{}', $3, $3) RETURNING *",
            SAM,
            OCT_4,
            now,
        )
        await weekly.submit(
            conn, DailyDrop.from_row(row), waist_cm=84.0, waist_typed="84", unit="kg", rating=4, story=None,
            measurements={"hips": {"cm": 98.5, "typed": "98.5"}}, asked=["hips"], now=now,
        )  # fmt: skip
        await weekly.merge_measurements(conn, SAM, OCT_4, {"arm": {"cm": 33.0, "typed": "33"}}, ["arm"])
        assert await measurements.series(conn, SAM, "waist") == [(OCT_4, 84.0)]
        assert await measurements.series(conn, SAM, "hips") == [(OCT_4, 98.5)]
        assert await measurements.series(conn, SAM, "arm") == [(OCT_4, 33.0)]
