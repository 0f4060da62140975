"""Planning: turn an engine's local-time actions into job rows, ahead of time.

A tick plans every due instant in [watermark, now + horizon) and moves the watermark. Planning
is idempotent (unique job keys) and watermark-based, so a late, doubled or skipped tick changes
nothing, and the first tick after downtime plans what fell due while the process was away.
A tick costs a constant number of queries however many clients there are: the time rules run
once per distinct zone in Python, PostgreSQL joins the result to the clients.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from loguru import logger

from bot.core.engine import ActionKind, ActionSpec
from bot.domain import timezones
from bot.domain.eligibility import EVERYONE, Rule
from bot.repo import cards
from bot.repo import jobs as jobs_repo


@dataclass(frozen=True)
class PlanResult:
    planned: int
    earliest: dt.datetime | None
    invalid_zones: tuple[str, ...] = ()


def scan_instants(
    spec: ActionSpec, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.date, dt.datetime]]:
    """UTC instants in [start, end) for a weekly global scan (weekday and time in UTC)."""
    assert spec.weekday is not None
    found = []
    day = start.astimezone(dt.UTC).date()
    while True:
        instant = dt.datetime.combine(day, spec.at, tzinfo=dt.UTC)
        if instant >= end:
            return found
        if instant >= start and day.weekday() == spec.weekday:
            found.append((day, instant))
        day += dt.timedelta(days=1)


class Planner:
    """Plans one engine's actions."""

    def __init__(
        self, name: str, actions: Sequence[ActionSpec], horizon: dt.timedelta, applies: Rule = EVERYONE
    ) -> None:
        self.name = name
        self.actions = [s for s in actions if s.planned]  # the others are inserted on demand
        self.horizon = horizon
        self.applies = applies  # the engine's eligibility rule, for every per-client action

    async def tick(self, pool: asyncpg.Pool, now: dt.datetime) -> PlanResult:
        """Plan everything due from the watermark up to now + horizon."""
        end = now + self.horizon
        async with pool.acquire() as conn, conn.transaction():
            start = await jobs_repo.lock_watermark(conn, self.name)
            if start is None:
                start = now
            if end <= start:
                return PlanResult(0, None)
            result = await self._plan(conn, start, end, now, user_id=None)
            await jobs_repo.move_watermark(conn, self.name, end)
        if result.planned:
            logger.bind(planner=self.name).debug(
                "planned {} jobs in [{}, {})", result.planned, start.isoformat(), end.isoformat()
            )
        return result

    async def plan_client(self, pool: asyncpg.Pool, user_id: int, now: dt.datetime) -> PlanResult:
        """Plan one client's jobs in [now, watermark): after onboarding, a resume or a zone change,
        the regular ticks have already planned past instants this client now needs."""
        async with pool.acquire() as conn, conn.transaction():
            watermark = await jobs_repo.peek_watermark(conn, self.name)
            if watermark is None or watermark <= now:
                return PlanResult(0, None)
            return await self._plan(conn, now, watermark, now, user_id=user_id)

    async def _plan(
        self,
        conn: asyncpg.Connection,
        start: dt.datetime,
        end: dt.datetime,
        now: dt.datetime,
        *,
        user_id: int | None,
    ) -> PlanResult:
        planned = 0
        earliest: dt.datetime | None = None

        def note(count: int, first: dt.datetime | None) -> None:
            nonlocal planned, earliest
            planned += count
            if first is not None and (earliest is None or first < earliest):
                earliest = first

        for spec in (s for s in self.actions if s.kind == ActionKind.scan):
            if user_id is not None:
                continue
            for day, instant in scan_instants(spec, start, end):
                due = await jobs_repo.plan_global_job(conn, spec.engine, spec.action, day, instant, now)
                note(1 if due else 0, due)

        client_specs = [s for s in self.actions if s.kind != ActionKind.scan]
        if not client_specs:
            return PlanResult(planned, earliest)

        zone_names = await jobs_repo.distinct_zones(conn, user_id)
        rows, invalid = self.due_rows(zone_names, start, end)

        if rows:
            planned_now, first = await jobs_repo.plan_client_jobs(
                conn, client_specs[0].engine, self.applies, rows, now, user_id
            )
            note(planned_now, first)

        if invalid:
            await self._flag_invalid_zones(conn, invalid, now)
        return PlanResult(planned, earliest, tuple(invalid))

    def due_rows(
        self, zone_names: Sequence[str], start: dt.datetime, end: dt.datetime
    ) -> tuple[list[tuple[str, str, dt.date, dt.datetime, dt.datetime | None]], list[str]]:
        """(zone, action, local date, due, deadline) of this engine's per-client actions due in
        [start, end), once per zone (the time rules run here, in Python); and the invalid zones."""
        client_specs = [s for s in self.actions if s.kind != ActionKind.scan]
        invalid: list[str] = []
        rows: list[tuple[str, str, dt.date, dt.datetime, dt.datetime | None]] = []
        for zone_name in zone_names:
            try:
                tz = timezones.parse_timezone(zone_name)
            except timezones.InvalidTimezone:
                invalid.append(zone_name)
                continue
            for spec in client_specs:
                offset = dt.timedelta(days=spec.day_offset)
                for run_date, due in timezones.due_instants_between(tz, spec.at, start, end):
                    local_date = run_date - offset  # a close runs after the day it closes
                    rows.append((zone_name, spec.action, local_date, due, spec.deadline_on(tz, local_date)))
        return rows, invalid

    async def _flag_invalid_zones(
        self, conn: asyncpg.Connection, invalid: list[str], now: dt.datetime
    ) -> None:
        # Seed 000: "Invalid time format → skip user and flag Job Card" — once per client and
        # stored value, not once per tick; every engine's planner hits this, the key dedupes.
        for row in await jobs_repo.clients_in_zones(conn, invalid):
            await cards.raise_card(
                conn,
                kind="invalid_timezone",
                user_id=row["user_id"],
                scope=row["timezone"],
                summary=f"Timezone {row['timezone']!r} is not valid; this client gets nothing "
                "until it is fixed.",
                details={"timezone": row["timezone"]},
                urgency=1,
                now=now,
            )


class PlanningPass:
    """Every engine's hourly planning in one transaction and a constant number of statements
    (watermarks, zones, one INSERT for all engines, watermarks again), however many engines and
    clients there are. Each engine keeps its own watermark, so one added later starts from now."""

    def __init__(self, planners: Sequence[Planner]) -> None:
        self.planners = list(planners)

    async def tick(self, pool: asyncpg.Pool, now: dt.datetime) -> PlanResult:
        planned = 0
        earliest: dt.datetime | None = None
        async with pool.acquire() as conn, conn.transaction():
            marks = await jobs_repo.lock_watermarks(conn, [p.name for p in self.planners])
            windows = {
                p.name: (marks.get(p.name) or now, now + p.horizon)
                for p in self.planners
                if now + p.horizon > (marks.get(p.name) or now)
            }
            if not windows:
                return PlanResult(0, None)
            active = [p for p in self.planners if p.name in windows]
            for planner in active:  # the weekly scan: a global job, planned on its own
                start, end = windows[planner.name]
                for spec in (s for s in planner.actions if s.kind == ActionKind.scan):
                    for day, instant in scan_instants(spec, start, end):
                        due = await jobs_repo.plan_global_job(
                            conn, spec.engine, spec.action, day, instant, now
                        )
                        if due is not None:
                            planned += 1
                            earliest = due if earliest is None else min(earliest, due)
            zone_names = await jobs_repo.distinct_zones(conn, None)
            rows: list[tuple[str, str, str, dt.date, dt.datetime, dt.datetime | None]] = []
            invalid: set[str] = set()
            for planner in active:
                start, end = windows[planner.name]
                found, bad = planner.due_rows(zone_names, start, end)
                rows += [(planner.name, *row) for row in found]
                invalid.update(bad)
            if rows:
                rules = {p.name: p.applies for p in active}
                count, first = await jobs_repo.plan_all_client_jobs(conn, rules, rows, now)
                planned += count
                if first is not None:
                    earliest = first if earliest is None else min(earliest, first)
            if invalid:
                await active[0]._flag_invalid_zones(conn, sorted(invalid), now)
            await jobs_repo.move_watermarks(conn, {name: end for name, (_, end) in windows.items()})
        if planned:
            logger.debug("planned {} jobs for {} engine(s)", planned, len(active))
        return PlanResult(planned, earliest, tuple(sorted(invalid)))
