"""What coaches read about the schedule and the logs: a client's next runs, the job history of a
client or a day, the last 24 hours of deliveries, a client's recent logs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.core.clock import Clock
from bot.core.engine import EngineRegistry
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile
from bot.repo import reports
from bot.usecases import schedule
from bot.usecases.coaching import parse_date, require_client

DELIVERY_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Preview:
    profile: ClientProfile
    runs: list[schedule.PlannedRun]  # in time order


@dataclass(frozen=True)
class History:
    jobs: list[asyncpg.Record]  # newest first
    user_id: int | None  # the client asked about, if one was
    kept_since: dt.date  # finished jobs from before this (UTC) date are deleted (JOB_RETENTION_DAYS)
    reach: str  # how far back it reaches: "Jobs are kept for 90 days (since Wednesday 02 September)."


@dataclass(frozen=True)
class Deliveries:
    stats: asyncpg.Record  # sent, late, expired, dead, unreachable, failed, skipped, median_s, p95_s
    unreachable: list[asyncpg.Record]  # user_id, display_name, unreachable_since


@dataclass(frozen=True)
class Logs:
    profile: ClientProfile
    rows: list[asyncpg.Record]  # date, engine (its name), status, detail; newest first
    page: int


async def schedule_preview(
    pool: asyncpg.Pool, registry: EngineRegistry, clock: Clock, *, user_id: int, days: int
) -> Preview:
    """What will reach the client in the next `days` local days."""
    async with pool.acquire() as conn:
        profile = await require_client(conn, user_id)
        runs = await schedule.preview(conn, registry, profile, clock.now(), days)
    return Preview(profile, runs)


async def schedule_history(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int | None,
    day: str | None,
    retention_days: int,
    limit: int = 25,
) -> History:
    """The jobs of a client, of a local day (YYYY-MM-DD), or of a client on a day, and how far
    back that reaches: finished jobs are kept for `retention_days` (JOB_RETENTION_DAYS)."""
    problems: list[str] = []
    date = parse_date(day, "day", problems) if day else None
    if problems:
        raise InputError(problems)
    if user_id is None and date is None:
        raise InputError("Name a client, a day, or both.")
    async with pool.acquire() as conn:
        jobs = await reports.job_history(conn, user_id, date, limit=limit)
    today = clock.now().astimezone(dt.UTC).date()
    since = (clock.now() - dt.timedelta(days=retention_days)).astimezone(dt.UTC).date()
    reach = f"Jobs are kept for {retention_days} days (since {_spoken(since, today)})."
    return History(jobs, user_id, since, reach)


def _spoken(day: dt.date, today: dt.date) -> str:
    """A date as people say it, with its year when that is not this year's."""
    return f"{day:%A %d %B}" if day.year == today.year else f"{day:%A %d %B %Y}"


async def deliveries(pool: asyncpg.Pool, clock: Clock) -> Deliveries:
    now = clock.now()
    async with pool.acquire() as conn:
        stats = await reports.deliveries(conn, now - DELIVERY_WINDOW, now)
        unreachable = await reports.unreachable_clients(conn)
    return Deliveries(stats, unreachable)


async def client_logs(
    pool: asyncpg.Pool,
    registry: EngineRegistry,
    *,
    user_id: int,
    engine: str | None,
    page: int,
    per_page: int,
) -> Logs:
    """A page of a client's logs, of every engine or of one (by name, or label: "check-in")."""
    only = _logged_engine(registry, engine) if engine is not None else None
    offset = (page - 1) * per_page
    async with pool.acquire() as conn:
        profile = await require_client(conn, user_id)
        rows = await reports.recent_logs(
            conn, registry.log_sources(), profile.user_id, only, per_page, offset
        )
    return Logs(profile, rows, page)


def logged_engines(registry: EngineRegistry, typed: str = "") -> dict[str, str]:
    """Name -> label of the engines clients log against, whose name or label contains `typed`."""
    needle = typed.strip().casefold()
    return {
        name: label
        for name, label in registry.log_labels().items()
        if needle in name.casefold() or needle in label.casefold()
    }


def _logged_engine(registry: EngineRegistry, engine: str) -> str:
    labels = registry.log_labels()
    by_label = {label.casefold(): name for name, label in labels.items()}
    name = engine.strip() if engine.strip() in labels else by_label.get(engine.strip().casefold())
    if name is None:
        raise InputError(
            f"{engine!r} is not something clients log; choose one of {', '.join(labels.values())}"
        )
    return name
