"""Weekly check-in rows written straight into the database, as the weekly engine leaves them: a
drop, a submitted (or missed) review with its waist and other measurements, progress photos."""

from __future__ import annotations

import datetime as dt
import io

import asyncpg
from PIL import Image

from bot.domain.measurements import from_cm


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (60, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


async def check_in(
    conn: asyncpg.Connection,
    user_id: int,
    day: dt.date,
    *,
    waist_cm: float | None = None,
    unit: str = "kg",
    missed: bool = False,
    photos: dict[str, bytes] | None = None,
    **measured_cm: float,
) -> None:
    """One week's check-in of `user_id` on `day`: the waist and `measured_cm` (hips=98.5, …)."""
    now = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    drop_id = await conn.fetchval(
        "INSERT INTO daily_drops (user_id, local_date, engine, content, deadline, delivered_at, created_at)"
        " VALUES ($1, $2, 'weekly', '{}', $3, $3, $3) RETURNING id",
        user_id,
        day,
        now,
    )
    measurements = {name: {"cm": cm, "typed": f"{from_cm(cm, unit):g}"} for name, cm in measured_cm.items()}
    await conn.execute(
        "INSERT INTO weekly_reviews (user_id, date, waist_cm, waist_typed, unit, rating, status, timestamp,"
        " drop_id, measurements) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)",
        user_id,
        day,
        waist_cm,
        None if waist_cm is None else f"{from_cm(waist_cm, unit):g}",
        None if missed else unit,
        None if missed else 4,
        "missed" if missed else "submitted",
        now,
        drop_id,
        {} if missed else measurements,
    )
    for pose, data in (photos or {}).items():
        await conn.execute(
            "INSERT INTO weekly_photos (user_id, date, pose, jpeg, width, height, uploaded_at, drop_id)"
            " VALUES ($1, $2, $3, $4, 60, 80, $5, $6)",
            user_id,
            day,
            pose,
            data,
            now,
            drop_id,
        )


async def choose(conn: asyncpg.Connection, user_id: int, measurements: list[str]) -> None:
    """What the coach asks besides the waist."""
    await conn.execute(
        "UPDATE client_profiles SET review_measurements = $2 WHERE user_id = $1", user_id, measurements
    )
