"""Meal plans and cardio prescriptions: importing a file as a new version (and giving it to
clients), and the list of imported plans. `/plans import` and `python -m bot plans import` are
both `import_plan`: all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from bot.core.clock import Clock
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile
from bot.domain.plans import Plan, parse_plan
from bot.repo import clients
from bot.repo import plans as plans_repo
from bot.usecases import coaching
from bot.usecases.coaching import Replan
from bot.usecases.files import Upload, read_and_parse

KINDS = ("meals", "cardio")


@dataclass(frozen=True)
class PlanImport:
    plan: Plan
    version: int
    assigned: list[ClientProfile]  # as they are now, with the plan


@dataclass(frozen=True)
class PlanListing:
    kind: str  # "meals" or "cardio"
    plan_id: str
    version: int  # the newest
    name: str


async def import_plan(
    pool: asyncpg.Pool,
    clock: Clock,
    file: Upload,
    *,
    assign_to: Sequence[int] = (),
    imported_by: int | None = None,
    replan: Replan | None = None,
) -> PlanImport:
    """Validate the file and every assignee, then store the plan as the next version of its id
    and give it to each assignee, in one transaction; `replan` is called for each assignee after.
    Raises `InvalidFile` for the file's problems, `InputError` for an unknown assignee."""
    plan = await read_and_parse(file, "plan", parse_plan)
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        profiles = [await _assignee(conn, user_id) for user_id in dict.fromkeys(assign_to)]
        version = await plans_repo.store(conn, plan, now, imported_by)
        assigned = [await coaching.assign_plan(conn, p, plan.kind, plan.id, now) for p in profiles]
    if replan is not None:
        for profile in assigned:
            await replan(profile.user_id)
    return PlanImport(plan, version, assigned)


async def _assignee(conn: asyncpg.Connection, user_id: int) -> ClientProfile:
    profile = await clients.get(conn, user_id, lock=True)
    if profile is None:
        raise InputError(f"{str(user_id)!r} is not a client: nothing was imported")
    return profile


async def list_plans(pool: asyncpg.Pool) -> list[PlanListing]:
    """Every imported plan at its newest version: meal plans first, then cardio."""
    async with pool.acquire() as conn:
        return [
            PlanListing(kind, row["plan_id"], row["version"], row["name"])
            for kind in KINDS
            for row in await plans_repo.listing(conn, kind)
        ]
