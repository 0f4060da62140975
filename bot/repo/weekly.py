"""The weekly check-in's rows: the answers (weekly_reviews) and how they count, the progress
photos (weekly_photos) and the coach's answer (weekly_answers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import asyncpg

from bot.domain.models import DailyDrop

# The first form's measurements replace those it asks; the photos form's (the third and fourth
# a coach chose) are merged in, so either form can be sent again without losing the other's.
SUBMIT = """
INSERT INTO weekly_reviews
       (user_id, date, waist_cm, waist_typed, unit, rating, story, status, timestamp, drop_id, measurements)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted', $8, $9, $10::jsonb)
ON CONFLICT (user_id, date) DO UPDATE
   SET waist_cm = EXCLUDED.waist_cm, waist_typed = EXCLUDED.waist_typed, unit = EXCLUDED.unit,
       rating = EXCLUDED.rating, story = EXCLUDED.story, status = 'submitted', timestamp = EXCLUDED.timestamp,
       measurements = weekly_reviews.measurements - $11::text[] || EXCLUDED.measurements
RETURNING (xmax = 0) AS first, *
"""
MERGE_MEASUREMENTS = """
UPDATE weekly_reviews SET measurements = measurements - $3::text[] || $4::jsonb
 WHERE user_id = $1 AND date = $2 AND status = 'submitted'
RETURNING id
"""
OF_DROP = "SELECT * FROM weekly_reviews WHERE drop_id = $1"
OF_DAY = "SELECT * FROM weekly_reviews WHERE user_id = $1 AND date = $2"

# A pose sent again replaces the one before.
SAVE_PHOTO = """
INSERT INTO weekly_photos (user_id, date, pose, jpeg, width, height, uploaded_at, drop_id)
SELECT $1, $2, p.pose, p.jpeg, p.width, p.height, $3, $4
  FROM unnest($5::text[], $6::bytea[], $7::int[], $8::int[]) AS p(pose, jpeg, width, height)
ON CONFLICT (user_id, date, pose) DO UPDATE
   SET jpeg = EXCLUDED.jpeg, width = EXCLUDED.width, height = EXCLUDED.height,
       uploaded_at = EXCLUDED.uploaded_at, drop_id = EXCLUDED.drop_id
"""
POSES_OF = "SELECT pose FROM weekly_photos WHERE user_id = $1 AND date = $2"
# This check-in's photos, the previous check-in's with photos and the first's: what the coach's
# side-by-side compares (one statement, the JPEGs of at most three dates).
COMPARED = """
WITH dates AS (
    SELECT DISTINCT date FROM weekly_photos WHERE user_id = $1 AND date <= $2
), chosen AS (
    SELECT $2::date AS date, 'this week' AS which
    UNION SELECT max(date), 'previous' FROM dates WHERE date < $2 HAVING max(date) IS NOT NULL
    UNION SELECT min(date), 'first' FROM dates WHERE date < $2 HAVING min(date) IS NOT NULL
)
SELECT c.date, c.which, p.pose, p.jpeg
  FROM chosen c LEFT JOIN weekly_photos p ON p.user_id = $1 AND p.date = c.date
 ORDER BY c.date DESC
"""
# The check-ins sent in before `day` that a review compares with: the one before and the first.
AROUND = """
(SELECT 'previous' AS which, * FROM weekly_reviews
  WHERE user_id = $1 AND date < $2 AND status = 'submitted' ORDER BY date DESC LIMIT 1)
UNION ALL
(SELECT 'first', * FROM weekly_reviews
  WHERE user_id = $1 AND date < $2 AND status = 'submitted' ORDER BY date LIMIT 1)
"""
ANSWERED = """
INSERT INTO weekly_answers (user_id, date, coach_id, note_id, card_id, answered_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, date) DO UPDATE
   SET coach_id = EXCLUDED.coach_id, note_id = EXCLUDED.note_id, answered_at = EXCLUDED.answered_at
"""
ANSWER_OF = "SELECT * FROM weekly_answers WHERE user_id = $1 AND date = $2"

# At the close, from the closed drop `d`: a check-in not submitted is missed.
MISS_FROM_CLOSED = """
INSERT INTO weekly_reviews (user_id, date, status, timestamp, drop_id)
SELECT d.user_id, d.local_date, 'missed', $4, d.id FROM d
ON CONFLICT (user_id, date) DO NOTHING
RETURNING 1
"""

# Due by the next evening: a check-in still open (neither sent in nor closed) is not counted yet,
# so the Sunday scan does not call that day's check-in missed the evening it arrived.
OUTCOMES = """
SELECT d.user_id, d.local_date AS day, 'weekly' AS engine, 1 AS due,
       (SELECT count(*) FROM weekly_reviews w WHERE w.drop_id = d.id AND w.status = 'submitted')::int AS done
  FROM daily_drops d
 WHERE d.engine = 'weekly' AND d.delivered_at IS NOT NULL
   AND (d.closed_at IS NOT NULL
        OR EXISTS (SELECT 1 FROM weekly_reviews w WHERE w.drop_id = d.id AND w.status = 'submitted'))
   AND d.local_date >= $1 AND d.local_date < $2 {only_clients}
"""
RECENT_LOGS = """
SELECT timestamp, date, 'weekly' AS engine, status,
       coalesce('waist ' || waist_typed || ' ' || CASE WHEN unit = 'lb' THEN 'in' ELSE 'cm' END, '')
       || coalesce(' · week ' || rating || '/5', '') AS detail
  FROM weekly_reviews WHERE user_id = $1
"""
DAY_STATUS = """
SELECT 'weekly' AS kind, (SELECT status FROM weekly_reviews WHERE user_id = $1 AND date = $2) AS status
  FROM daily_drops d
 WHERE d.user_id = $1 AND d.local_date = $2 AND d.engine = 'weekly' AND d.delivered_at IS NOT NULL
"""


async def of_drop(conn: asyncpg.Connection, drop_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(OF_DROP, drop_id)


async def submit(
    conn: asyncpg.Connection,
    drop: DailyDrop,
    *,
    waist_cm: float | None,
    waist_typed: str | None,
    unit: str,
    rating: int,
    story: str | None,
    measurements: dict[str, dict[str, Any]],
    asked: list[str],
    now: dt.datetime,
) -> asyncpg.Record:
    """The first form's answers; `asked`: the measurements it asks (replaced, even by nothing)."""
    return await conn.fetchrow(
        SUBMIT, drop.user_id, drop.local_date, waist_cm, waist_typed, unit, rating, story, now, drop.id,
        measurements, asked,
    )  # fmt: skip


async def merge_measurements(
    conn: asyncpg.Connection,
    user_id: int,
    day: dt.date,
    measurements: dict[str, dict[str, Any]],
    asked: list[str],
) -> bool:
    """The photos form's measurements; False when the check-in itself was not sent yet."""
    row = await conn.fetchval(MERGE_MEASUREMENTS, user_id, day, asked, measurements)
    return row is not None


def measurements_of(row: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """A review row's other measurements ({} for none)."""
    return dict((row or {}).get("measurements") or {})


async def of_day(conn: asyncpg.Connection, user_id: int, day: dt.date) -> asyncpg.Record | None:
    return await conn.fetchrow(OF_DAY, user_id, day)


async def reviews_around(conn: asyncpg.Connection, user_id: int, day: dt.date) -> dict[str, asyncpg.Record]:
    """{"previous": row, "first": row} of the check-ins sent in before `day` (either may be absent)."""
    return {r["which"]: r for r in await conn.fetch(AROUND, user_id, day)}


async def save_photos(
    conn: asyncpg.Connection, drop: DailyDrop, photos: list[tuple[str, bytes, int, int]], now: dt.datetime
) -> None:
    """(pose, jpeg, width, height) each, in one statement."""
    poses, jpegs, widths, heights = (list(column) for column in zip(*photos, strict=True))
    await conn.execute(SAVE_PHOTO, drop.user_id, drop.local_date, now, drop.id, poses, jpegs, widths, heights)


async def poses_of(conn: asyncpg.Connection, user_id: int, day: dt.date) -> set[str]:
    return {r["pose"] for r in await conn.fetch(POSES_OF, user_id, day)}


async def compared(
    conn: asyncpg.Connection, user_id: int, day: dt.date
) -> list[tuple[dt.date, str, dict[str, bytes]]]:
    """(date, which, {pose: jpeg}): this check-in, then the previous and the first with photos."""
    out: dict[dt.date, tuple[str, dict[str, bytes]]] = {}
    for r in await conn.fetch(COMPARED, user_id, day):
        which, poses = out.setdefault(r["date"], (r["which"], {}))
        if which != r["which"]:  # the previous check-in with photos is also the first
            out[r["date"]] = ("both", poses)
        if r["pose"] is not None and r["pose"] not in poses:
            poses[r["pose"]] = bytes(r["jpeg"])
    return [(date, which, poses) for date, (which, poses) in out.items()]


async def record_answer(
    conn: asyncpg.Connection,
    user_id: int,
    day: dt.date,
    *,
    coach_id: int,
    note_id: int,
    card_id: int | None,
    now: dt.datetime,
) -> None:
    await conn.execute(ANSWERED, user_id, day, coach_id, note_id, card_id, now)


async def answer_of(conn: asyncpg.Connection, user_id: int, day: dt.date) -> asyncpg.Record | None:
    return await conn.fetchrow(ANSWER_OF, user_id, day)
