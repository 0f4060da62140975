"""What clients read and change about themselves, in DMs with the bot: /today, /stats,
/timezone, /units, /honors. Someone who is not a client is told so (`NOT_A_CLIENT`) before
anything else; each function opens its own connection and returns what the command shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.core.clock import Clock
from bot.core.engine import EngineRegistry
from bot.core.planner import batch_rules
from bot.domain.compliance import DayOutcome
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile, Job
from bot.repo import batches, clients
from bot.repo import compliance as compliance_repo
from bot.repo import jobs as jobs_repo
from bot.usecases import coaching
from bot.usecases.coaching import Replan

NOT_A_CLIENT = "You are not a client of The Regiment yet: your coach adds you."
STATS_DAYS = 90
DAY_RUNS = 50  # runs of one day still in batches /today looks for (a day has a dozen at most)


@dataclass(frozen=True)
class Today:
    profile: ClientProfile
    jobs: list[Job]  # today's, in the client's local day
    done: list[str]  # what was logged today, one line per engine (EngineRegistry.day_lines)
    now: dt.datetime
    # The engines whose day is fully logged so far (everything sent was answered): their sent
    # drops read "done" on /today (render.today_card's `complete`), the others' "sent".
    complete: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Stats:
    profile: ClientProfile
    outcomes: list[DayOutcome]  # the last 90 local days, and today so far
    today: dt.date


@dataclass(frozen=True)
class TimezoneChange:
    profile: ClientProfile
    effective: dt.date  # the first local day in the new zone


async def _client(conn: asyncpg.Connection, user_id: int) -> ClientProfile:
    profile = await clients.get(conn, user_id)
    if profile is None:
        raise InputError(NOT_A_CLIENT)
    return profile


async def today(pool: asyncpg.Pool, registry: EngineRegistry, clock: Clock, user_id: int) -> Today:
    now = clock.now()
    async with pool.acquire() as conn:
        profile = await _client(conn, user_id)
        day = coaching.client_today(profile, now)
        jobs = await jobs_repo.for_client_on(conn, user_id, day)
        rules, times = batch_rules(list(registry))  # and the day's runs still in a batch
        jobs += await batches.upcoming_for(conn, user_id, rules, times, DAY_RUNS, day)
        jobs.sort(key=lambda job: job.due_at)
        statuses = await compliance_repo.day_statuses(conn, registry.day_status_sources(), user_id, day)
        found = await compliance_repo.outcomes(
            conn, registry.outcome_sources(), day, day + dt.timedelta(days=1), [user_id]
        )
    return Today(profile, jobs, registry.day_lines(statuses), now, _complete(found.get(user_id, [])))


def _complete(outcomes: list[DayOutcome]) -> frozenset[str]:
    """The engines with something due whose every item is done (over all of an engine's rows)."""
    due: dict[str, int] = {}
    done: dict[str, int] = {}
    for o in outcomes:
        due[o.engine] = due.get(o.engine, 0) + o.due
        done[o.engine] = done.get(o.engine, 0) + o.done
    return frozenset(engine for engine, items in due.items() if items > 0 and done[engine] >= items)


async def stats(pool: asyncpg.Pool, registry: EngineRegistry, clock: Clock, user_id: int) -> Stats:
    async with pool.acquire() as conn:
        profile = await _client(conn, user_id)
        day = coaching.client_today(profile, clock.now())
        start = day - dt.timedelta(days=STATS_DAYS)
        end = day + dt.timedelta(days=1)  # today so far too: rates leave it out, the streak does not
        found = await compliance_repo.outcomes(conn, registry.outcome_sources(), start, end, [user_id])
    return Stats(profile, found.get(user_id, []), day)


async def change_timezone(
    pool: asyncpg.Pool, clock: Clock, *, user_id: int, zone: str, replan: Replan | None = None
) -> TimezoneChange:
    """Move to another zone from the first local day not yet begun in either zone; `replan`
    is called after the change is committed."""
    async with pool.acquire() as conn:
        await _client(conn, user_id)
        async with conn.transaction():
            profile, effective = await coaching.change_timezone(
                conn, user_id=user_id, zone=zone, now=clock.now()
            )
    if replan is not None:
        await replan(user_id)
    return TimezoneChange(profile, effective)


async def set_unit(pool: asyncpg.Pool, clock: Clock, *, user_id: int, unit: str) -> ClientProfile:
    async with pool.acquire() as conn:
        await _client(conn, user_id)
        async with conn.transaction():
            return await coaching.set_unit(conn, user_id=user_id, unit=unit, now=clock.now())


async def set_honors(pool: asyncpg.Pool, clock: Clock, *, user_id: int, opt_out: bool) -> ClientProfile:
    """On (opt_out False) or off the weekly honors board."""
    async with pool.acquire() as conn:
        profile = await _client(conn, user_id)
        await clients.set_honors_opt_out(conn, user_id, opt_out, clock.now())
    return profile.model_copy(update={"honors_opt_out": opt_out})
