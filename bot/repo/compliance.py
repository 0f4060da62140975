"""Per-day outcomes (due and done, per engine) for compliance, streaks and the flag scan.

One statement for any number of clients and days: what was delivered is what was due (a paused or
not-yet-started client got nothing, so nothing counts against them), what was logged is done.
Every day of a stored pause (pause_periods) comes with a marker that leaves the whole day out
(bot.domain.compliance.paused_day): what was sent before a pause began that day, and missed
meanwhile, is neither due nor missed, and a run of missed days does not reach across a pause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from bot.domain.compliance import PAUSED, DayOutcome, paused_day
from bot.domain.models import Unit
from bot.domain.week_numbers import Lift

# Each engine that counts brings its own statement (bot.core.engine.ComplianceSource): per client
# and local day, what was due and what was done. `{only_clients}` is "" (everyone) or a filter on
# $3: two forms, not one with "$3 IS NULL OR …", because PostgreSQL's generic plan for the latter
# cannot use the user_id indexes.
_ONLY = "AND user_id = ANY($3::bigint[])"


# One row per paused local day in [$1, $2): a period covers [paused_from, paused_until).
PAUSED_DAYS = f"""
SELECT user_id, g.day::date AS day, '{PAUSED}' AS engine, 0 AS due, 0 AS done
  FROM pause_periods p
 CROSS JOIN LATERAL generate_series(
           GREATEST(p.paused_from, $1::date)::timestamp,
           (LEAST(COALESCE(p.paused_until, $2::date), $2::date) - 1)::timestamp,
           interval '1 day') AS g(day)
 WHERE p.paused_from < $2 AND (p.paused_until IS NULL OR p.paused_until > $1) {{only_clients}}
"""


def _outcomes_sql(sources: Sequence[str], only_clients: bool) -> str:
    only = _ONLY if only_clients else ""
    return "\nUNION ALL\n".join(f"({s.replace('{only_clients}', only)})" for s in [*sources, PAUSED_DAYS])


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
SELECT user_id, date, exercise_name, weight_kg::float AS weight_kg, reps,
       trim_scale(weight_entered)::float AS weight_entered, unit_entered
  FROM training_logs
 WHERE is_pr AND date >= $1 AND date < $2 ORDER BY user_id, date, exercise_name
"""


async def outcomes(
    conn: asyncpg.Connection,
    sources: Sequence[str],
    start: dt.date,
    end: dt.date,
    user_ids: list[int] | None = None,
) -> dict[int, list[DayOutcome]]:
    """Per client, one DayOutcome per engine and local day in [start, end) that had something due,
    and a `paused_day` for every day a stored pause covers. `sources`: the counting statements of
    the engines (EngineRegistry.outcome_sources())."""
    by_client: dict[int, list[DayOutcome]] = {}
    if not sources:
        return by_client
    rows = (
        await conn.fetch(_outcomes_sql(sources, False), start, end)
        if user_ids is None
        else await conn.fetch(_outcomes_sql(sources, True), start, end, user_ids)
    )
    for row in rows:
        if row["engine"] == PAUSED:
            outcome = paused_day(row["day"])
        else:
            due = int(row["due"])
            outcome = DayOutcome(row["day"], row["engine"], due, min(int(row["done"]), due))
        by_client.setdefault(row["user_id"], []).append(outcome)
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


async def prs(
    conn: asyncpg.Connection, start: dt.date, end: dt.date, units: Mapping[int, Unit] | None = None
) -> dict[int, list[tuple[dt.date, str]]]:
    """Per client: (local date, "Back Squat 102.5 kg × 5") for every PR in [start, end), in the
    client's unit (`units`: user_id -> unit; kg for a client not in it): as typed when it was
    typed in that unit ("225 lb"), else the stored kilos in plates."""
    found: dict[int, list[tuple[dt.date, str]]] = {}
    for row in await conn.fetch(PRS, start, end):
        unit = (units or {}).get(row["user_id"], Unit.kg)
        found.setdefault(row["user_id"], []).append((row["date"], Lift.of(row).text(unit)))
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
