"""meal_plans and cardio_plans: versioned like training blocks."""

from __future__ import annotations

import datetime as dt

import asyncpg
from pydantic import ValidationError

from bot.domain.plans import CardioPlan, MealPlan, Plan

_TABLES = {"meals": "meal_plans", "cardio": "cardio_plans"}
_MODELS: dict[str, type[MealPlan] | type[CardioPlan]] = {"meals": MealPlan, "cardio": CardioPlan}


async def store(conn: asyncpg.Connection, plan: Plan, now: dt.datetime, imported_by: int | None) -> int:
    """Save a validated plan as the next version of its id; returns the version number."""
    table = _TABLES[plan.kind]
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))", table, plan.id)
    query = f"""
        INSERT INTO {table} (plan_id, version, name, definition, imported_at, imported_by)
        SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4, $5 FROM {table} WHERE plan_id = $1
        RETURNING version
    """  # table names come from _TABLES, never from input
    return int(await conn.fetchval(query, plan.id, plan.name, plan.model_dump(mode="json"), now, imported_by))


async def latest(
    conn: asyncpg.Connection, kind: str, plan_id: str
) -> tuple[int, MealPlan | CardioPlan] | None:
    row = await conn.fetchrow(
        f"SELECT version, definition FROM {_TABLES[kind]} WHERE plan_id = $1 ORDER BY version DESC LIMIT 1",
        plan_id,
    )
    if row is None:
        return None
    try:
        return int(row["version"]), _MODELS[kind].model_validate(row["definition"])
    except ValidationError:
        return None


def still_newest(kind: str, plan_id: str, version: int) -> tuple[str, tuple[object, ...]]:
    """A guard for bot.repo.drops.open_drop: `version` is still the newest of the plan."""
    table = _TABLES[kind]  # table names come from _TABLES, never from input
    return f"(SELECT max(version) FROM {table} WHERE plan_id = $7) = $8", (plan_id, version)


async def exists(conn: asyncpg.Connection, kind: str, plan_id: str) -> bool:
    return bool(
        await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {_TABLES[kind]} WHERE plan_id = $1)", plan_id)
    )


async def listing(conn: asyncpg.Connection, kind: str) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            f"SELECT DISTINCT ON (plan_id) plan_id, version, name FROM {_TABLES[kind]} "
            "ORDER BY plan_id, version DESC"
        )
    )


async def search(conn: asyncpg.Connection, kind: str, text: str) -> list[str]:
    rows = await conn.fetch(
        f"SELECT DISTINCT plan_id FROM {_TABLES[kind]} WHERE plan_id ILIKE '%' || $1 || '%' "
        "ORDER BY plan_id LIMIT 25",
        text.strip(),
    )
    return [r["plan_id"] for r in rows]
