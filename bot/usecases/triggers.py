"""A coach sending one of today's drops to a client now (/trigger): which drops can be sent,
and sending one (recorded as manual; refused twice for a local date unless forced: the rules
are bot.usecases.schedule.trigger's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import asyncpg

from bot.core.clock import Clock
from bot.core.engine import ActionSpec, EngineRegistry
from bot.usecases import schedule

Wake = Callable[[dt.datetime], None]  # the dispatcher's notify: a job is due at this instant
SUGGESTIONS = 25  # Discord shows at most 25 autocomplete choices


def triggerable(registry: EngineRegistry, typed: str = "") -> list[ActionSpec]:
    """The drops a coach may send now whose label or name contains what they typed."""
    needle = typed.strip().casefold()
    found = [s for s in registry.triggerable() if needle in s.label.casefold() or needle in s.name.casefold()]
    return found[:SUGGESTIONS]


async def trigger_now(
    pool: asyncpg.Pool,
    registry: EngineRegistry,
    clock: Clock,
    *,
    user_id: int,
    action: str,
    force: bool,
    requested_by: int,
    wake: Wake | None = None,
) -> schedule.Triggered:
    """Queue (or move up) `action` ("checkin.drop") for the client's local today; `wake` is told
    the job is due now once it is committed."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        triggered = await schedule.trigger(
            conn, registry, user_id=user_id, action=action, force=force, requested_by=requested_by, now=now
        )
    if wake is not None:
        wake(now)
    return triggered
