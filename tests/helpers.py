"""Test helpers: building clients and runtimes on a virtual clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import asyncpg
from doubles.recording import RecordingTransport

from bot.config import Settings
from bot.core.clock import VirtualClock
from bot.core.delivery import Transport
from bot.core.engine import ActionKind, ActionSpec, Engine, EngineRegistry, JobContext, Outcome
from bot.core.runtime import Runtime
from bot.db.pool import create_pool
from bot.domain.models import ClientProfile, Job, JobStatus
from bot.engines import checkin
from bot.repo import clients
from bot.views.messages import OutgoingMessage


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def profile(user_id: int, timezone: str, start: dt.date, **extra: object) -> ClientProfile:
    return ClientProfile(user_id=user_id, timezone=timezone, start_date=start, **extra)  # type: ignore[arg-type]


async def add_clients(pool: asyncpg.Pool, profiles: Iterable[ClientProfile], now: dt.datetime) -> None:
    async with pool.acquire() as conn:
        for p in profiles:
            await clients.upsert(conn, p, now)


def message_engine(
    name: str,
    actions: list[tuple[str, dt.time, ActionKind, dt.time | None]],
    *,
    on_run: Callable[[JobContext], None] | None = None,
) -> Engine:
    """An engine whose drops DM a one-line message and whose marks just succeed."""

    def make(kind: ActionKind):  # type: ignore[no-untyped-def]
        async def handler(ctx: JobContext) -> Outcome:
            if on_run is not None:
                on_run(ctx)
            if kind == ActionKind.drop:
                sent = await ctx.send_dm(OutgoingMessage(content=f"{ctx.job.key}"))
                return Outcome.done(message_id=sent.message_id)
            return Outcome.done()

        return handler

    specs = [ActionSpec(name, action, at, kind, deadline) for action, at, kind, deadline in actions]
    return Engine(name, name, specs, {action: make(kind) for action, _, kind, _ in actions})


def runtime(
    pool: asyncpg.Pool,
    clock: VirtualClock,
    engines: list[Engine],
    settings: Settings,
    transport: Transport | None = None,
    **kwargs: object,
) -> tuple[Runtime, RecordingTransport]:
    transport = transport or RecordingTransport(clock)
    rt = Runtime(pool, clock, EngineRegistry(engines), transport, settings, **kwargs)  # type: ignore[arg-type]
    return rt, transport  # type: ignore[return-value]


async def statement_logging_pool(dsn: str) -> tuple[asyncpg.Pool, list[str]]:
    """A one-connection pool (the bot's settings) that records every statement the bot runs on it
    (not asyncpg's own type introspection, made once per connection for a type it first meets)."""
    texts: list[str] = []

    def record(query: Any) -> None:
        if "typeinfo_tree" not in query.query and "'jit'" not in query.query:
            texts.append(query.query)

    logged = await create_pool(dsn, min_size=1, max_size=1)
    async with logged.acquire() as conn:
        conn.add_query_logger(record)
    return logged, texts


async def all_jobs(pool: asyncpg.Pool) -> list[Job]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM jobs ORDER BY due_at, id")
    return [Job.from_row(r) for r in rows]


def tracked_labels() -> dict[str, str]:
    """Name -> label of the engines that count in compliance, from the registry (the only list of
    engines), in display order."""
    from bot.config import Settings
    from bot.engines import build_registry

    return build_registry(Settings(_env_file=None)).labels()  # type: ignore[call-arg]


ENGINES = tuple(tracked_labels())


async def all_rows(pool: asyncpg.Pool) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (ordered), to compare before and after."""
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        out = {}
        for t in tables:
            rows = await conn.fetch(f'SELECT * FROM "{t["table_name"]}"')
            out[t["table_name"]] = sorted((tuple(map(repr, r.values())) for r in rows), key=repr)
    return out


class PerfectClients:
    """Clients who complete every check-in right after it arrives (through checkin.record)."""

    def __init__(self, pool, clock, users: set[int]) -> None:  # type: ignore[no-untyped-def]
        self.pool, self.clock, self.users = pool, clock, users
        self.tasks: set[asyncio.Task[None]] = set()

    def on_outcome(self, job: Job, status: JobStatus, now: dt.datetime) -> None:
        if (
            (job.engine, job.action) != ("checkin", "drop")
            or status != JobStatus.sent
            or job.user_id not in self.users
        ):
            return
        participation = self.clock.participant()
        participation.__enter__()

        async def answer() -> None:
            try:
                feel = {"energy": "4", "mood": "4", "stress": "2", "soreness": "2"}
                body = {"bodyweight": "80", "sleep": "8"}
                for part, values in (("feel", feel), ("body", body)):
                    await checkin.record(
                        self.pool,
                        self.clock,
                        user_id=job.user_id,
                        day=job.local_date,
                        part=part,
                        values=values,
                    )
            finally:
                participation.__exit__(None, None, None)

        task = asyncio.ensure_future(answer())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
