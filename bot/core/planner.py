"""Planning: turn an engine's local-time actions into job rows, ahead of time.

A tick plans every due instant in [watermark, now + horizon) and moves the watermark. Planning
is idempotent (unique job keys) and watermark-based, so a late, doubled or skipped tick changes
nothing, and the first tick after downtime plans what fell due while the process was away.
A tick costs a constant number of queries however many clients there are: the time rules run
once per distinct zone in Python, PostgreSQL joins the result to the clients.

An action may run at each client's own local time (ActionSpec.time_field: the weekly check-in's
`review_at`). The zone query then also returns every (zone, time) clients set, the time rules run
once per such pair exactly as for the setting (DST gaps and overlaps, catch-up, never early), and
the insert matches clients on zone and time. After a change to one client (plan_client: a coach
moved their check-in's time or day) the planner first drops that client's jobs which have not
begun and no longer fit their schedule, then plans the new ones; a check-in whose new time has
already passed but is still open goes at once. An engine of one weekday a week (the check-in)
never reaches a client twice in seven days, whatever the coach moves: the new day's date too
close to a check-in sent or planned is recorded as skipped there and then, so the ticks pay
nothing for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import asyncpg
from loguru import logger

from bot.core.engine import ActionKind, ActionSpec, Engine
from bot.domain import timezones
from bot.domain.eligibility import EVERYONE, Rule, one_day_a_week
from bot.domain.models import ClientProfile, Job
from bot.repo import batches, cards, clients
from bot.repo import jobs as jobs_repo

DueRow = jobs_repo.DueRow


@dataclass(frozen=True)
class PlanResult:
    planned: int  # jobs
    earliest: dt.datetime | None  # of the jobs and batches
    invalid_zones: tuple[str, ...] = ()
    batches: int = 0  # a zone's due action each, made into jobs by the claims (bot.repo.batches)
    earliest_batch: dt.datetime | None = None


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


def own_times(engine: str, actions: Sequence[ActionSpec]) -> list[jobs_repo.OwnTime]:
    """The engine's planned per-client actions at each client's own time."""
    return [
        jobs_repo.OwnTime(engine, s.action, s.time_field, s.at)
        for s in actions
        if s.planned and s.kind != ActionKind.scan and s.time_field
    ]


def batch_rules(engines: Iterable[Engine]) -> tuple[dict[str, Rule], list[jobs_repo.OwnTime]]:
    """What picking a batch's clients needs of the engines (bot.repo.batches): each one's rule,
    and its actions at clients' own times; as the planner picks them."""
    rules = {engine.name: engine.applies for engine in engines}
    times = [own for engine in engines for own in own_times(engine.name, engine.actions)]
    return rules, times


PassRow = tuple[object, ...]  # an engine's name, then a DueRow


def split_for_batches(
    rows: Sequence[PassRow], sizes: Mapping[str, int], budget: int, batchable: Callable[[PassRow], bool]
) -> tuple[list[PassRow], list[PassRow]]:
    """(the rows the pass plans a job per client for, the rows it plans as batches). Zones are weighed in
    the order they fall due (then by name): a zone's batchable rows weigh its clients each, and a zone
    that would take the pass past `budget` jobs has all its batchable rows batched. Rows keep their
    order. Clients' own times other than the setting's are never batched: few clients set each, and a
    batch of them would read every client of the zone to find them."""
    by_zone: dict[object, list[PassRow]] = {}
    for row in rows:
        by_zone.setdefault(row[1], []).append(row)
    first_due = {zone: min(row[4] for row in found) for zone, found in by_zone.items()}  # type: ignore[type-var]
    batched_zones: set[object] = set()
    used = 0
    for zone in sorted(by_zone, key=lambda z: (first_due[z], z)):  # type: ignore[arg-type]
        weight = sizes.get(str(zone), 0) * sum(1 for row in by_zone[zone] if batchable(row))
        if used + weight <= budget:
            used += weight
        else:
            batched_zones.add(zone)
    inline = [row for row in rows if row[1] not in batched_zones or not batchable(row)]
    batched = [row for row in rows if row[1] in batched_zones and batchable(row)]
    return inline, batched


class Planner:
    """Plans one engine's actions."""

    def __init__(
        self, name: str, actions: Sequence[ActionSpec], horizon: dt.timedelta, applies: Rule = EVERYONE
    ) -> None:
        self.name = name
        self.actions = [s for s in actions if s.planned]  # the others are inserted on demand
        self.horizon = horizon
        self.applies = applies  # the engine's eligibility rule, for every per-client action
        self.client_specs = [s for s in self.actions if s.kind != ActionKind.scan]
        self.own_times = own_times(name, actions)
        self.time_fields = sorted({own.field for own in self.own_times})
        # One weekday a week: the drop whose runs are kept to one in any seven days.
        drops = [s for s in self.client_specs if s.kind == ActionKind.drop]
        self.once = drops[0] if drops and one_day_a_week(applies) else None
        # Jobs that a change to a client may have put at the wrong time or on the wrong day.
        self.movable = self.client_specs if self.own_times or self.once else []

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
        the regular ticks have already planned past instants this client now needs. After a
        change of their own time or weekday, their jobs that have not begun and no longer fit go
        first (re-timed: planned again where they now fall)."""
        async with pool.acquire() as conn, conn.transaction():
            watermark = await jobs_repo.peek_watermark(conn, self.name)
            if watermark is None:
                return PlanResult(0, None)
            client = await clients.get(conn, user_id) if self.movable else None
            if client is not None:
                await self._drop_misplaced(conn, client, watermark)
                if self.once is not None:
                    await self._keep_one_a_week(conn, client, self.once, now)
            if watermark <= now:
                # A catch-up between two of its chunks: what it planned already was checked above,
                # and its next chunks plan the rest from the client's row as it is now.
                return PlanResult(0, None)
            return await self._plan(conn, now, watermark, now, user_id=user_id)

    async def _drop_misplaced(
        self, conn: asyncpg.Connection, client: ClientProfile, watermark: dt.datetime
    ) -> None:
        user_id = client.user_id
        jobs = await jobs_repo.unstarted(
            conn, user_id, self.name, [s.action for s in self.movable], watermark
        )
        misplaced = [job.id for job in jobs if not self._fits(client, job)]
        if misplaced:
            await jobs_repo.drop_unstarted(conn, misplaced)

    def _fits(self, client: ClientProfile, job: Job) -> bool:
        """Whether a planned job is still what the client's schedule asks: the rule still picks
        its day and it is due at the client's time. (Paused or not started: it still fits; the
        dispatcher skips it.)"""
        spec = next((s for s in self.movable if s.action == job.action), None)
        try:
            tz = timezones.parse_timezone(client.zone_on(job.local_date))
        except timezones.InvalidTimezone:
            return True
        if spec is None:
            return True
        return (
            self.applies.holds(client, job.local_date)
            and spec.due_on(tz, job.local_date, client) == job.due_at
        )

    async def _keep_one_a_week(
        self, conn: asyncpg.Connection, client: ClientProfile, drop: ActionSpec, now: dt.datetime
    ) -> None:
        """After a change: a date the rule now picks that lies within six days of a run of the drop
        that went out or has begun (a coach's own run too), and could still be planned (active,
        not past its deadline), gets its jobs recorded as skipped (what was planned there and has
        not begun goes), so the client does not get a second check-in in seven days."""
        try:
            today = timezones.local_date(timezones.parse_timezone(client.timezone), now)
        except timezones.InvalidTimezone:
            return
        week = dt.timedelta(days=7)
        runs = await jobs_repo.run_dates(
            conn, client.user_id, self.name, drop.action, today - 2 * week, today + 2 * week
        )
        rows = []
        for ran in runs:
            for days in range(-6, 7):
                day = ran + dt.timedelta(days=days)
                if day in runs or not client.active_on(day) or not self.applies.holds(client, day):
                    continue
                try:
                    tz = timezones.parse_timezone(client.zone_on(day))
                except timezones.InvalidTimezone:
                    continue
                closes = drop.deadline_on(tz, day)
                if closes is not None and closes <= now:
                    continue  # past: never planned anyway
                why = {"reason": "one check-in a week", "had_one_on": ran.isoformat()}
                rows += [
                    (spec.action, day, spec.due_on(tz, day, client), spec.deadline_on(tz, day), why)
                    for spec in self.client_specs
                ]
        if rows:
            await jobs_repo.skip_ahead(conn, self.name, client.user_id, rows, now)

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
            earliest = _earlier(earliest, first)

        for spec in (s for s in self.actions if s.kind == ActionKind.scan):
            if user_id is not None:
                continue
            for day, instant in scan_instants(spec, start, end):
                due = await jobs_repo.plan_global_job(conn, spec.engine, spec.action, day, instant, now)
                note(1 if due else 0, due)

        if not self.client_specs:
            return PlanResult(planned, earliest)

        zones = await jobs_repo.distinct_zones(conn, user_id, self.time_fields)
        rows, invalid = self.due_rows(zones, start, end)
        if user_id is not None:
            rows += self.still_open_rows(zones, now)

        if rows:
            planned_now, first = await jobs_repo.plan_client_jobs(
                conn, self.name, self.applies, rows, now, user_id, self.own_times
            )
            note(planned_now, first)

        if invalid:
            await self._flag_invalid_zones(conn, invalid, now)
        return PlanResult(planned, earliest, tuple(invalid))

    def due_rows(
        self,
        zones: Mapping[str, Mapping[str, Collection[dt.time]]],
        start: dt.datetime,
        end: dt.datetime,
        specs: Sequence[ActionSpec] | None = None,
    ) -> tuple[list[DueRow], list[str]]:
        """(zone, action, local date, due, deadline, at) of this engine's per-client actions
        due in [start, end), once per zone and, for an action at clients' own times, once per
        time set there (`at`; the time rules run here, in Python); and the invalid zones."""
        invalid: list[str] = []
        rows: list[DueRow] = []
        chosen = self.client_specs if specs is None else specs
        for zone_name, own in zones.items():
            try:
                tz = timezones.parse_timezone(zone_name)
            except timezones.InvalidTimezone:
                invalid.append(zone_name)
                continue
            times = [
                [spec.at] if spec.time_field is None else sorted({spec.at, *own.get(spec.time_field, ())})
                for spec in chosen
            ]
            # Every time of the zone in one look-up (most hours, none of them is due there).
            due_at: dict[dt.time, list[tuple[dt.date, dt.datetime]]] = {}
            every_time = tuple(sorted({at for ats in times for at in ats}))
            if not every_time:
                continue  # an engine with no per-client action (the notes): nothing is due
            for at, run_date, due in timezones.due_times_between(tz, every_time, start, end):
                due_at.setdefault(at, []).append((run_date, due))
            if not due_at:
                continue
            for spec, ats in zip(chosen, times, strict=True):
                offset = dt.timedelta(days=spec.day_offset)
                for at in ats:
                    for run_date, due in due_at.get(at, ()):
                        local_date = run_date - offset  # a close runs after the day it closes
                        deadline = spec.deadline_on(tz, local_date)
                        if spec.time_field is not None and deadline is not None and due >= deadline:
                            continue  # a client's own time past its deadline: nothing to send
                        row_at = None if spec.time_field is None else at
                        rows.append((zone_name, spec.action, local_date, due, deadline, row_at))
        return rows, invalid

    def still_open_rows(
        self, zones: Mapping[str, Mapping[str, Collection[dt.time]]], now: dt.datetime
    ) -> list[DueRow]:
        """For one client just changed: their drops at their own time that fell due before now
        and are still open (a coach moved the time or the day to one already past). Planned now,
        they go at once: late, never early, never past the deadline; one already planned or sent
        for that day keeps its key, so nothing goes twice."""
        found: list[DueRow] = []
        for spec in self.client_specs:
            if spec.time_field is None or spec.kind != ActionKind.drop or spec.deadline_at is None:
                continue
            since = now - dt.timedelta(days=spec.deadline_days + 2)
            rows, _ = self.due_rows(zones, since, now, [spec])
            found += [row for row in rows if row[4] is not None and row[4] > now]
        return found

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


def _earlier(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return b if a is None else a if b is None else min(a, b)


# The most of the schedule one transaction of the pass plans. After downtime the pass plans what
# fell due meanwhile in pieces of this size, each committed with its watermark: at 100,000 clients
# in one zone a day at once took 19 s (bench/RESULTS.md §15) and two days would pass the statement
# timeout (DB_COMMAND_TIMEOUT, 30 s) every time, so planning would never catch up.
CATCH_UP_CHUNK = dt.timedelta(hours=6)


class PlanningPass:
    """Every engine's hourly planning in one transaction and a constant number of statements (watermarks,
    zones, the zones' sizes, one INSERT of jobs for all engines, one of batches, watermarks again),
    however many engines and clients there are. The jobs written a client at a time are kept within a
    budget of `inline_jobs` (as split_for_batches reckons them); the zones past it are planned as
    batches (bot.repo.batches). Each engine keeps its own watermark, so one added later starts from now.
    A window longer than CATCH_UP_CHUNK (after downtime) is planned chunk by chunk, a transaction each."""

    def __init__(self, planners: Sequence[Planner], inline_jobs: int) -> None:
        self.planners = list(planners)
        self.inline_jobs = inline_jobs  # PLANNING_INLINE_JOBS: past it, zones go as batches
        self._defaults = {(own.engine, own.action): own.default for p in planners for own in p.own_times}

    async def tick(
        self,
        pool: asyncpg.Pool,
        now: dt.datetime,
        on_chunk: Callable[[PlanResult], None] | None = None,
    ) -> PlanResult:
        """Plan every engine up to now + its horizon; `on_chunk` hears each committed chunk (the
        runtime wakes the dispatcher for it: after downtime, what is due now goes at once)."""
        planned = batched = 0
        earliest: dt.datetime | None = None
        earliest_batch: dt.datetime | None = None
        invalid: set[str] = set()
        while True:
            result, more = await self._chunk(pool, now)
            if on_chunk is not None and (result.planned or result.batches):
                on_chunk(result)
            planned += result.planned
            batched += result.batches
            earliest = _earlier(earliest, result.earliest)
            earliest_batch = _earlier(earliest_batch, result.earliest_batch)
            invalid.update(result.invalid_zones)
            if not more:
                return PlanResult(planned, earliest, tuple(sorted(invalid)), batched, earliest_batch)

    def _batchable(self, row: PassRow) -> bool:
        at = row[6]
        return at is None or self._defaults.get((row[0], row[2])) == at

    async def _split(
        self, conn: asyncpg.Connection, rows: list[PassRow]
    ) -> tuple[list[PassRow], list[PassRow]]:
        """The rows to plan a job per client for, and those to plan as batches (split_for_batches):
        one statement counts the clients of the zones that could be batched."""
        zones = sorted({str(row[1]) for row in rows if self._batchable(row)})
        if not zones:
            return rows, []
        sizes = await batches.zone_sizes(conn, zones, self.inline_jobs + 1)
        return split_for_batches(rows, sizes, self.inline_jobs, self._batchable)

    async def _chunk(self, pool: asyncpg.Pool, now: dt.datetime) -> tuple[PlanResult, bool]:
        """One transaction: every engine from its watermark up to CATCH_UP_CHUNK further (or its
        end); whether any engine has more to plan after it."""
        planned = batched_rows = 0
        earliest: dt.datetime | None = None
        earliest_batch: dt.datetime | None = None
        async with pool.acquire() as conn, conn.transaction():
            marks = await jobs_repo.lock_watermarks(conn, [p.name for p in self.planners])
            until = {p.name: now + p.horizon for p in self.planners}
            starts = {p.name: marks.get(p.name) or now for p in self.planners}
            windows = {
                name: (start, min(until[name], start + CATCH_UP_CHUNK))
                for name, start in starts.items()
                if until[name] > start
            }
            if not windows:
                return PlanResult(0, None), False
            more = any(end < until[name] for name, (_, end) in windows.items())
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
                            earliest = _earlier(earliest, due)
            fields = sorted({field for p in active for field in p.time_fields})
            zones = await jobs_repo.distinct_zones(conn, None, fields)
            rows: list[tuple[object, ...]] = []
            invalid: set[str] = set()
            for planner in active:
                start, end = windows[planner.name]
                found, bad = planner.due_rows(zones, start, end)
                rows += [(planner.name, *row) for row in found]
                invalid.update(bad)
            inline, batched = await self._split(conn, rows)
            if inline:
                rules = {p.name: p.applies for p in active}
                times = [own for p in active for own in p.own_times]
                count, first = await jobs_repo.plan_all_client_jobs(conn, rules, inline, now, times)
                planned += count
                earliest = _earlier(earliest, first)
            if batched:
                dues = await batches.add(conn, batched, now)
                batched_rows = len(dues)
                if dues:
                    earliest_batch = min(dues)
                    earliest = _earlier(earliest, earliest_batch)
            if invalid:
                await active[0]._flag_invalid_zones(conn, sorted(invalid), now)
            await jobs_repo.move_watermarks(conn, {name: end for name, (_, end) in windows.items()})
        if planned or batched_rows:
            logger.debug(
                "planned {} jobs and {} batches for {} engine(s)", planned, batched_rows, len(active)
            )
        result = PlanResult(planned, earliest, tuple(sorted(invalid)), batched_rows, earliest_batch)
        return result, more
