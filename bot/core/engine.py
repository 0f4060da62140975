"""What an engine is, as far as the scheduler cares: named actions at local times, and a
handler per action that the dispatcher runs when a job falls due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import asyncpg

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.delivery import Transport
from bot.domain.models import ClientProfile, Job, JobStatus
from bot.views.messages import OutgoingMessage, SentMessage


class ActionKind(StrEnum):
    drop = "drop"  # delivers something; useless after its deadline (expired, never sent late)
    mark = "mark"  # bookkeeping such as missed-marking; always runs, however late
    scan = "scan"  # global: one job per occurrence in UTC, never per client


@dataclass(frozen=True)
class ActionSpec:
    engine: str
    action: str
    at: dt.time  # client-local wall time (UTC wall time for scans)
    kind: ActionKind
    deadline_at: dt.time | None = None  # client-local, same local date
    # Static SQL over `c` (client_profiles) and `z.local_date`, e.g. training days only.
    client_filter: str | None = None
    weekday: int | None = None  # scans only: Monday = 0

    @property
    def name(self) -> str:
        return f"{self.engine}.{self.action}"

    def __post_init__(self) -> None:
        if self.deadline_at is not None and self.deadline_at <= self.at:
            raise ValueError(f"{self.name}: deadline {self.deadline_at} is not after {self.at}")
        if (self.kind == ActionKind.scan) != (self.weekday is not None):
            raise ValueError(f"{self.name}: scans, and only scans, have a UTC weekday")


@dataclass(frozen=True)
class Outcome:
    status: JobStatus
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def done(cls, **detail: Any) -> Outcome:
        """Success. For drops: delivered; for marks and scans: carried out."""
        return cls(JobStatus.sent, detail)

    @classmethod
    def skipped(cls, reason: str, **detail: Any) -> Outcome:
        return cls(JobStatus.skipped, {"reason": reason, **detail})


@dataclass
class JobContext:
    job: Job
    client: ClientProfile | None
    pool: asyncpg.Pool
    clock: Clock
    transport: Transport
    settings: Settings

    def now(self) -> dt.datetime:
        return self.clock.now()

    async def send_dm(self, message: OutgoingMessage, *, part: int = 0) -> SentMessage:
        """DM the job's client with a nonce fixed by the job, and remember the DM channel."""
        if self.client is None:
            raise ValueError(f"{self.job.key} has no client to message")
        sent = await self.transport.send_dm(
            self.client.user_id, self.client.dm_channel_id, message, nonce=self.job.nonce(part)
        )
        if sent.channel_id != self.client.dm_channel_id:
            from bot.repo import clients

            async with self.pool.acquire() as conn:
                await clients.set_dm_channel(conn, self.client.user_id, sent.channel_id, self.now())
            self.client = self.client.model_copy(update={"dm_channel_id": sent.channel_id})
        return sent


Handler = Callable[[JobContext], Awaitable[Outcome]]


@dataclass
class Engine:
    name: str
    actions: list[ActionSpec]
    handlers: dict[str, Handler]

    def __post_init__(self) -> None:
        for spec in self.actions:
            if spec.engine != self.name:
                raise ValueError(f"{spec.name} is declared in engine {self.name}")
            if spec.action not in self.handlers:
                raise ValueError(f"{spec.name} has no handler")


class EngineRegistry:
    def __init__(self, engines: Iterable[Engine] = ()) -> None:
        self._engines: dict[str, Engine] = {}
        for engine in engines:
            self.add(engine)

    def add(self, engine: Engine) -> None:
        if engine.name in self._engines:
            raise ValueError(f"engine {engine.name} registered twice")
        self._engines[engine.name] = engine

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._engines.values())

    def spec(self, engine: str, action: str) -> ActionSpec | None:
        found = self._engines.get(engine)
        if found is None:
            return None
        return next((s for s in found.actions if s.action == action), None)

    def handler(self, engine: str, action: str) -> Handler | None:
        found = self._engines.get(engine)
        return None if found is None else found.handlers.get(action)
