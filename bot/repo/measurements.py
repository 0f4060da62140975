"""The weekly check-in's measurements and progress photos, as the charts and the coach read them
(weekly_reviews, weekly_photos): a measurement's series, the first and latest value of each, the
dates with photos and the photos to compare. Lengths are in cm; the waist is its own column, the
others are in `measurements` ({"hips": {"cm": 98.5, "typed": "98.5"}, …})."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from bot.domain.measurements import WAIST

# One measurement's value in a check-in row `r`, in cm (the waist's column, or the jsonb's entry).
_CM = "COALESCE(CASE WHEN {name} = $2 THEN r.waist_cm::float END, (r.measurements -> {name} ->> 'cm')::float)"

SERIES = f"""
SELECT date, cm FROM (
    SELECT r.date, {_CM.format(name="$3")} AS cm FROM weekly_reviews r WHERE r.user_id = $1
) v
 WHERE cm IS NOT NULL ORDER BY date
"""

# Per measurement with a value: the first and the latest (date and cm) and how many check-ins.
FIRST_AND_LATEST = f"""
WITH v AS (
    SELECT m.name, r.date, {_CM.format(name="m.name")} AS cm
      FROM weekly_reviews r CROSS JOIN unnest($3::text[]) AS m(name)
     WHERE r.user_id = $1
)
SELECT name,
       (array_agg(date ORDER BY date))[1] AS first_date,
       (array_agg(cm ORDER BY date))[1] AS first_cm,
       (array_agg(date ORDER BY date DESC))[1] AS latest_date,
       (array_agg(cm ORDER BY date DESC))[1] AS latest_cm,
       count(*)::int AS count
  FROM v WHERE cm IS NOT NULL
 GROUP BY name
"""

# The newest check-in dates with photos, their poses in `$3`'s order, and how many dates in all.
PHOTO_DATES = """
SELECT date, array_agg(pose ORDER BY array_position($3::text[], pose)) AS poses,
       count(*) OVER ()::int AS total
  FROM weekly_photos WHERE user_id = $1
 GROUP BY date
 ORDER BY date DESC
 LIMIT $2
"""

# The photos of the first and of the latest check-in with photos (one date when there is one).
FIRST_AND_LATEST_PHOTOS = """
SELECT date, pose, jpeg FROM weekly_photos
 WHERE user_id = $1
   AND date IN ((SELECT min(date) FROM weekly_photos WHERE user_id = $1),
                (SELECT max(date) FROM weekly_photos WHERE user_id = $1))
 ORDER BY date
"""


@dataclass(frozen=True)
class Trend:
    """A measurement's first and latest value, in cm, and how many check-ins measured it."""

    name: str
    first_date: dt.date
    first_cm: float
    latest_date: dt.date
    latest_cm: float
    count: int


@dataclass(frozen=True)
class PhotoDate:
    date: dt.date
    poses: tuple[str, ...]


async def series(conn: asyncpg.Connection, user_id: int, name: str) -> list[tuple[dt.date, float]]:
    """(date, cm) of every check-in that measured `name`, oldest first."""
    return [(r["date"], r["cm"]) for r in await conn.fetch(SERIES, user_id, WAIST, name)]


async def first_and_latest(conn: asyncpg.Connection, user_id: int, names: Sequence[str]) -> list[Trend]:
    """Each of `names` that has a value, in the order given."""
    rows = {r["name"]: r for r in await conn.fetch(FIRST_AND_LATEST, user_id, WAIST, list(names))}
    return [
        Trend(n, r["first_date"], r["first_cm"], r["latest_date"], r["latest_cm"], r["count"])
        for n in names
        if (r := rows.get(n)) is not None
    ]


async def photo_dates(
    conn: asyncpg.Connection, user_id: int, limit: int, poses: Sequence[str]
) -> tuple[list[PhotoDate], int]:
    """The newest `limit` check-in dates with photos (poses in the order of `poses`), newest first,
    and how many dates have photos in all."""
    rows = await conn.fetch(PHOTO_DATES, user_id, limit, list(poses))
    return [PhotoDate(r["date"], tuple(r["poses"])) for r in rows], (rows[0]["total"] if rows else 0)


async def first_and_latest_photos(
    conn: asyncpg.Connection, user_id: int
) -> list[tuple[dt.date, dict[str, bytes]]]:
    """(date, {pose: jpeg}) of the first and the latest check-in with photos, oldest first: one
    entry when the client sent photos once, none when never."""
    out: dict[dt.date, dict[str, bytes]] = {}
    for r in await conn.fetch(FIRST_AND_LATEST_PHOTOS, user_id):
        out.setdefault(r["date"], {})[r["pose"]] = bytes(r["jpeg"])
    return list(out.items())
