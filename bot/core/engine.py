"""What an engine is: one declaration that owns everything the rest of the system asks of it.

The scheduler needs its actions (local time, deadline, kind) and a handler per action; the
planner and `/schedule preview` need who it applies to (one eligibility rule); people need its
labels; coaches need to know whether it can be triggered; compliance, charts and the flag scan
need to know whether and how it counts; the Discord layer needs its cog and persistent ids.
The registry (bot.engines.build_registry) is the only list of engines: everything iterates it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import asyncpg

from bot.config import Settings
from bot.core import dm
from bot.core.clock import Clock
from bot.core.delivery import Transport
from bot.core.once import JobSends
from bot.domain import timezones
from bot.domain.eligibility import EVERYONE, Rule
from bot.domain.models import ClientProfile, Job, JobStatus
from bot.views.custom_ids import CustomId
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
    deadline_at: dt.time | None = None  # client-local, `deadline_days` after the local date
    weekday: int | None = None  # scans only: Monday = 0
    label: str = ""  # as people read it in schedules: "check-in", "workout closes"
    previewed: bool = True  # shown in a client's /schedule preview (not for bookkeeping)
    # False: never planned (nor previewed); its jobs are inserted when someone asks for one (a
    # coach's note), in the transaction that asks.
    planned: bool = True
    # A weekly check-in is due by the next day: its deadline falls `deadline_days` after the
    # local date, and its close runs `day_offset` days after it (the job keeps the drop's date).
    deadline_days: int = 0
    day_offset: int = 0
    # A client's own local time for this action: the profile field that holds it (the weekly
    # check-in's `review_at`); where it is unset, `at`. The planner plans each client at theirs.
    time_field: str | None = None

    def at_for(self, client: ClientProfile | None) -> dt.time:
        """The local time this action runs at for `client` (theirs, or `at`)."""
        own = None if client is None or self.time_field is None else getattr(client, self.time_field)
        return own if own is not None else self.at

    def due_on(self, tz: dt.tzinfo, day: dt.date, client: ClientProfile | None = None) -> dt.datetime:
        """When the action of local date `day` runs (for `client`, at their own time if it has one)."""
        return timezones.due_instant(tz, day + dt.timedelta(days=self.day_offset), self.at_for(client))

    def deadline_on(self, tz: dt.tzinfo, day: dt.date) -> dt.datetime | None:
        if self.deadline_at is None:
            return None
        return timezones.due_instant(tz, day + dt.timedelta(days=self.deadline_days), self.deadline_at)

    @property
    def name(self) -> str:
        return f"{self.engine}.{self.action}"

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"{self.engine} {self.action}")
        if not self.planned:
            object.__setattr__(self, "previewed", False)
        if self.deadline_at is not None and self.deadline_days == 0 and self.deadline_at <= self.at:
            raise ValueError(f"{self.name}: deadline {self.deadline_at} is not after {self.at}")
        if (self.kind == ActionKind.scan) != (self.weekday is not None):
            raise ValueError(f"{self.name}: scans, and only scans, have a UTC weekday")
        if self.time_field is not None:
            if self.kind == ActionKind.scan:
                raise ValueError(f"{self.name}: a scan runs in UTC, not at a client's own time")
            if self.time_field not in ClientProfile.model_fields:
                raise ValueError(f"{self.name}: {self.time_field!r} is not a field of a client profile")


class NotYet(Exception):
    """A handler cannot do its work yet (it waits for another job): retry it later, like a
    transient failure, without an error in the log."""


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
    registry: EngineRegistry

    sends: JobSends = field(init=False)

    def __post_init__(self) -> None:
        self.sends = JobSends(self.job, self.transport)

    def now(self) -> dt.datetime:
        return self.clock.now()

    async def send_dm(self, message: OutgoingMessage, *, part: int = 0) -> SentMessage:
        """DM the job's client once (bot.core.once), and remember the DM channel."""
        if self.client is None:
            raise ValueError(f"{self.job.key} has no client to message")
        sent = await self.sends.dm(self.client.user_id, self.client.dm_channel_id, message, part=part)
        self.client = await dm.remember_channel(self.pool, self.clock, self.client, sent)
        return sent

    async def post(self, channel_id: int, message: OutgoingMessage, *, part: int = 0) -> SentMessage:
        """Post to a channel once (bot.core.once)."""
        return await self.sends.post(channel_id, message, part=part)


Handler = Callable[[JobContext], Awaitable[Outcome]]
DayTest = Callable[[dt.date], bool]


@dataclass(frozen=True)
class ComplianceSource:
    """How an engine counts, as statements from its own repo module and one line of words.

    - outcomes_sql: per client and local day, what was due and what was done
      (`user_id, day, engine, due, done`; $1 start, $2 end, `{only_clients}` after its WHERE);
    - recent_logs_sql: a client's logs for a coach (`timestamp, date, engine, status, detail`; $1);
    - day_status_sql: one row, or none, about a client's local date ($1 the client, $2 the date);
    - day_line: that row as the line /today and /history show, or None when nothing was due.
    """

    outcomes_sql: str
    recent_logs_sql: str
    day_status_sql: str
    day_line: Callable[[Mapping[str, Any]], str | None]


@dataclass
class Engine:
    name: str
    label: str  # the engine as people read it: "check-in"
    actions: list[ActionSpec]
    handlers: dict[str, Handler]
    # Who its per-client actions apply to (the planner's SQL and the preview come from this).
    applies: Rule = EVERYONE
    triggerable: tuple[str, ...] = ()  # actions a coach may run now with /trigger
    compliance: ComplianceSource | None = None  # None: it is not something a client logs
    cog: str | None = None  # the extension holding its Discord side
    custom_ids: tuple[CustomId, ...] = ()  # the persistent ids on its messages
    # The messages it sends, by name, for galleries and tests: name -> builder.
    renderers: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # Its actions whose pending jobs a coach's manual resume cancels (the pause's own end).
    cancelled_by_resume: tuple[str, ...] = ()
    # What other engines may ask it for by role rather than by name (e.g. "check-in").
    roles: frozenset[str] = frozenset()
    # The charts a client can ask for with /progress, by name: (pool, client) -> PNG bytes.
    charts: Mapping[str, Callable[[asyncpg.Pool, ClientProfile], Awaitable[bytes]]] = field(
        default_factory=dict
    )
    # Beyond eligibility, whether the drop has anything to send on a day (not a rest day, a day
    # with meals): the preview asks once per client and gets a test for each day.
    sends_on: Callable[[asyncpg.Connection, ClientProfile], Awaitable[DayTest]] | None = None
    # An engine that does not count but keeps something a coach reads with a client's logs (the
    # private line): a statement with recent_logs_sql's columns, listed by /logs with the others.
    logs_sql: str | None = None
    # A conversation with the client: its last messages as lines, oldest first ((pool, client,
    # how many) -> lines), which /client show lists under the engine's label.
    conversation: Callable[[asyncpg.Pool, int, int], Awaitable[list[str]]] | None = None

    def __post_init__(self) -> None:
        for spec in self.actions:
            if spec.engine != self.name:
                raise ValueError(f"{spec.name} is declared in engine {self.name}")
            if spec.action not in self.handlers:
                raise ValueError(f"{spec.name} has no handler")
        for action in self.triggerable:
            spec = next((s for s in self.actions if s.action == action), None)
            if spec is None or spec.kind != ActionKind.drop:
                raise ValueError(f"{self.name}.{action}: only a drop of this engine can be triggered")

    def spec(self, action: str) -> ActionSpec | None:
        return next((s for s in self.actions if s.action == action), None)


class EngineRegistry:
    """The engines, in the order people see them (compliance tables, heatmap rows)."""

    def __init__(self, engines: Iterable[Engine] = ()) -> None:
        self._engines: dict[str, Engine] = {}
        for engine in engines:
            self.add(engine)

    def add(self, engine: Engine) -> None:
        if engine.name in self._engines:
            raise ValueError(f"engine {engine.name} registered twice")
        taken = {cid.prefix for e in self._engines.values() for cid in e.custom_ids}
        clash = taken & {cid.prefix for cid in engine.custom_ids}
        if clash:
            raise ValueError(f"engine {engine.name} reuses custom ids {sorted(clash)}")
        self._engines[engine.name] = engine

    def __iter__(self) -> Iterator[Engine]:
        return iter(self._engines.values())

    def get(self, engine: str) -> Engine | None:
        return self._engines.get(engine)

    def spec(self, engine: str, action: str) -> ActionSpec | None:
        found = self._engines.get(engine)
        return None if found is None else found.spec(action)

    def handler(self, engine: str, action: str) -> Handler | None:
        found = self._engines.get(engine)
        return None if found is None else found.handlers.get(action)

    def action_label(self, engine: str, action: str) -> str:
        spec = self.spec(engine, action)
        return spec.label if spec is not None else f"{engine} {action}"

    def triggerable(self) -> list[ActionSpec]:
        """The drops a coach may send now, as `engine.action` specs."""
        return [s for e in self for s in e.actions if s.action in e.triggerable]

    def tracked(self) -> list[Engine]:
        """The engines that count in compliance, in display order."""
        return [e for e in self if e.compliance is not None]

    def labels(self) -> dict[str, str]:
        """Engine name -> label, for the engines that count in compliance."""
        return {e.name: e.label for e in self.tracked()}

    def outcome_sources(self) -> list[str]:
        return [e.compliance.outcomes_sql for e in self if e.compliance is not None]

    def log_sources(self) -> dict[str, str]:
        """Engine name -> its recent-logs statement: the engines that count, and those that keep
        logs without counting (Engine.logs_sql)."""
        return {
            e.name: e.compliance.recent_logs_sql if e.compliance is not None else e.logs_sql
            for e in self
            if e.compliance is not None or e.logs_sql is not None
        }

    def log_labels(self) -> dict[str, str]:
        """Engine name -> label, for the engines whose logs /logs lists."""
        return {e.name: e.label for e in self if e.name in self.log_sources()}

    def conversations(self) -> list[Engine]:
        return [e for e in self if e.conversation is not None]

    def day_status_sources(self) -> dict[str, str]:
        return {e.name: e.compliance.day_status_sql for e in self if e.compliance is not None}

    def day_lines(self, statuses: Mapping[str, Mapping[str, Any] | None]) -> list[str]:
        """What a client did on a day, one line per engine that had something for them."""
        lines = []
        for engine in self.tracked():
            row = statuses.get(engine.name)
            line = None if row is None or engine.compliance is None else engine.compliance.day_line(row)
            if line:
                lines.append(line)
        return lines

    def cancelled_by_resume(self) -> list[tuple[str, str]]:
        """(engine, action) of the pending jobs a manual resume makes pointless."""
        return [(e.name, action) for e in self for action in e.cancelled_by_resume]

    def with_role(self, role: str) -> list[Engine]:
        return [e for e in self if role in e.roles]

    def cogs(self) -> list[str]:
        return [e.cog for e in self if e.cog is not None]
