"""The weekly check-in's charts for /progress: one per measurement (waist, hips, chest, arm,
thigh), by its name, in the client's length unit. The weekly engine declares them
(`charts=weekly_progress.CHARTS`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg

from bot.domain.errors import InputError
from bot.domain.measurements import MEASUREMENTS, WAIST
from bot.domain.models import ClientProfile
from bot.repo import measurements as repo

Chart = Callable[[asyncpg.Pool, ClientProfile], Awaitable[bytes]]


async def measurement_chart(pool: asyncpg.Pool, profile: ClientProfile, name: str) -> bytes:
    """`name`'s value at each weekly check-in that measured it. InputError when none did."""
    async with pool.acquire() as conn:
        points = await repo.series(conn, profile.user_id, name)
    if not points and name != WAIST and name not in profile.review_measurements:
        raise InputError(f"No {name} measured: the weekly check-in does not ask for it.")
    if not points:
        raise InputError(f"No {name} measured yet: the chart appears after your first weekly check-in.")
    title = f"{name.capitalize()} — {profile.display_name or profile.user_id}"
    from bot.views import client_charts  # matplotlib: loaded when a chart is asked for, not by every process

    return await asyncio.to_thread(client_charts.measurement_chart, title, name, points, str(profile.unit))


def _chart_of(name: str) -> Chart:
    async def chart(pool: asyncpg.Pool, profile: ClientProfile) -> bytes:
        return await measurement_chart(pool, profile, name)

    chart.__name__ = f"{name}_chart"
    return chart


CHARTS: dict[str, Chart] = {name: _chart_of(name) for name in MEASUREMENTS}
