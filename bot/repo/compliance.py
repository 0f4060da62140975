"""Per-day outcomes (due and done, per engine) for compliance, streaks and the flag scan.

One statement for any number of clients and days: what was delivered is what was due (a paused or
not-yet-started client got nothing, so nothing counts against them), what was logged is done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from bot.domain.compliance import DayOutcome
from bot.domain.lifting import show_weight
from bot.domain.models import Unit

# Each engine that counts brings its own statement (bot.core.engine.ComplianceSource): per client
# and local day, what was due and what was done. `{only_clients}` is "" (everyone) or a filter on
# $3: two forms, not one with "$3 IS NULL OR …", because PostgreSQL's generic plan for the latter
# cannot use the user_id indexes.
_ONLY = "AND user_id = ANY($3::bigint[])"


def _outcomes_sql(sources: Sequence[str], only_clients: bool) -> str:
    only = _ONLY if only_clients else ""
    return "\nUNION ALL\n".join(f"({s.replace('{only_clients}', only)})" for s in sources)


SERIES = """
SELECT user_id, date, readiness::float AS readiness, bodyweight_kg::float AS bodyweight
  FROM checkins
 WHERE date >= $1 AND date < $2 AND ($3::bigint[] IS NULL OR user_id = ANY($3))
   AND (readiness IS NOT NULL OR bodyweight_kg IS NOT NULL)
 ORDER BY user_id, date
"""

LAST_CHECKINS = """
SELECT user_id, max(date) AS last FROM checkins
 WHERE status = 'logged' AND ($1::bigint[] IS NULL OR user_id = ANY($1)) GROUP BY user_id
"""

PRS = """
SELECT user_id, date, exercise_name, weight_kg::float AS weight_kg, reps FROM training_logs
 WHERE is_pr AND date >= $1 AND date < $2 ORDER BY user_id, date, exercise_name
"""


async def outcomes(
    conn: asyncpg.Connection,
    sources: Sequence[str],
    start: dt.date,
    end: dt.date,
    user_ids: list[int] | None = None,
) -> dict[int, list[DayOutcome]]:
    """Per client, one DayOutcome per engine and local day in [start, end) that had something due.
    `sources`: the counting statements of the engines (EngineRegistry.outcome_sources())."""
    by_client: dict[int, list[DayOutcome]] = {}
    if not sources:
        return by_client
    rows = (
        await conn.fetch(_outcomes_sql(sources, False), start, end)
        if user_ids is None
        else await conn.fetch(_outcomes_sql(sources, True), start, end, user_ids)
    )
    for row in rows:
        by_client.setdefault(row["user_id"], []).append(
            DayOutcome(row["day"], row["engine"], int(row["due"]), min(int(row["done"]), int(row["due"])))
        )
    return by_client


async def series(
    conn: asyncpg.Connection, start: dt.date, end: dt.date, user_ids: list[int] | None = None
) -> dict[int, tuple[list[tuple[dt.date, float]], list[tuple[dt.date, float]]]]:
    """Per client: (readiness points, bodyweight points in kg)."""
    found: dict[int, tuple[list[tuple[dt.date, float]], list[tuple[dt.date, float]]]] = {}
    for row in await conn.fetch(SERIES, start, end, user_ids):
        readiness, bodyweight = found.setdefault(row["user_id"], ([], []))
        if row["readiness"] is not None:
            readiness.append((row["date"], row["readiness"]))
        if row["bodyweight"] is not None:
            bodyweight.append((row["date"], row["bodyweight"]))
    return found


async def last_checkins(conn: asyncpg.Connection, user_ids: list[int] | None = None) -> dict[int, dt.date]:
    return {r["user_id"]: r["last"] for r in await conn.fetch(LAST_CHECKINS, user_ids)}


async def prs(conn: asyncpg.Connection, start: dt.date, end: dt.date) -> dict[int, list[tuple[dt.date, str]]]:
    """Per client: (local date, "Back Squat 102.5 kg × 5") for every PR in [start, end)."""
    found: dict[int, list[tuple[dt.date, str]]] = {}
    for row in await conn.fetch(PRS, start, end):
        text = f"{row['exercise_name']} {show_weight(row['weight_kg'], Unit.kg)} × {row['reps']}"
        found.setdefault(row["user_id"], []).append((row["date"], text))
    return found


async def day_statuses(
    conn: asyncpg.Connection, sources: Mapping[str, str], user_id: int, day: dt.date
) -> dict[str, Mapping[str, Any] | None]:
    """What a client has done on one local date, per engine, in one round trip: each engine's
    DAY_STATUS statement ($1 the client, $2 the date) answers one row or none."""
    if not sources:
        return {}
    names = list(sources)
    columns = ", ".join(
        f"(SELECT to_jsonb(s) FROM ({sources[n]} LIMIT 1) s) AS e{i}" for i, n in enumerate(names)
    )
    row = await conn.fetchrow(f"SELECT {columns}", user_id, day)
    return {name: row[f"e{i}"] for i, name in enumerate(names)}
