"""jobs: planned by the engines' ticks, claimed and finished by dispatchers.

Delivery semantics: a unique key (engine, action, client, local date, seq) makes planning
idempotent; a claim (`FOR UPDATE SKIP LOCKED` + lease) hands each due job to one worker; the
outcome is recorded on the same row, fenced by the attempt number so a worker whose lease ran
out cannot overwrite the outcome of the worker that took over.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import asyncpg

from bot.domain.eligibility import Rule
from bot.domain.models import ClientProfile, Job, JobStatus
from bot.repo.eligibility import to_sql

# Planning for clients: one statement for a whole window. The caller computed, per distinct
# zone, the local dates and UTC instants that fall due in the window (the time rules live in
# Python, in one place); PostgreSQL joins them to every client governed by that zone on that
# date. The client filter is each engine's eligibility rule as SQL (bot.repo.eligibility: built
# from field names checked against the profile model, never user input).
# The zone that governs a date is the previous one before a change's effective date, the current
# one otherwise: written as two equi-joins (not one join on a CASE over both sides) so PostgreSQL
# can hash-join the due rows to the clients. bench/planning.py measured 2.3 s → 0.42 s per tick
# at 100,000 clients for the same rows planned.
# An action at a client's own time (ActionSpec.time_field) has a row per distinct time in the
# zone (`at`: the setting's and every override's) and joins on the zone AND the client's time
# (COALESCE(field, setting)), again two equi-joins: its own branches, one pair per such action.
# Parameters: $1..$7 the rows (engine, zone, action, local date, due, deadline, at), $8 now,
# $9 one client or NULL.
_ROWS = """
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::timestamptz[],
                         $6::timestamptz[], $7::time[])
        AS z(engine, tz, action, local_date, due_at, deadline, at)
"""
# The clients in the middle of a zone change, read once: each branch for the previous zone joins
# them (a nested loop over every due row would otherwise scan all the clients once per row).
_MOVED = """
    SELECT * FROM client_profiles
     WHERE timezone_effective_from IS NOT NULL AND previous_timezone IS NOT NULL
"""
# (the clients, the zone column that governs, when it governs): also the batches' claim's.
GOVERNING_ZONES = (
    (
        "client_profiles",
        "timezone",
        """NOT (c.timezone_effective_from IS NOT NULL AND c.previous_timezone IS NOT NULL
                AND z.local_date < c.timezone_effective_from)""",
    ),
    ("moved", "previous_timezone", "z.local_date < c.timezone_effective_from"),
)
# A client gets a date's jobs from their first day on, and not while paused (also the batches').
ACTIVE_ON_DATE = """c.start_date <= z.local_date
       AND NOT (c.paused AND (c.paused_until IS NULL OR z.local_date < c.paused_until))"""
_BRANCH = """
    SELECT z.engine, z.action, c.user_id, z.local_date, z.due_at, z.deadline
      FROM z JOIN {clients} c ON c.{zone} = z.tz{time_join}
     WHERE {rows}
       AND {zone_rule}
       AND {active}
       AND ($9::bigint IS NULL OR c.user_id = $9)
       AND {client_filter}"""
_INSERT = """
), ins AS (
    INSERT INTO jobs (engine, action, user_id, local_date, due_at, deadline, next_attempt_at,
                      created_at, updated_at)
    SELECT engine, action, user_id, local_date, due_at, deadline, due_at, $8, $8 FROM due
    ON CONFLICT DO NOTHING
    RETURNING due_at
)
SELECT count(*) AS planned, min(due_at) AS earliest FROM ins
"""


# For the caller's transaction only (SET LOCAL): safe behind a transaction pooler.
CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"


class OwnTime(NamedTuple):
    """An action planned at each client's own local time: `field` of their profile, `default`
    (the setting) where it is unset."""

    engine: str
    action: str
    field: str
    default: dt.time


def plan_jobs_sql(rules: Mapping[str, str], own_times: Sequence[OwnTime] = ()) -> str:
    """The planning statement for engines with these eligibility rules (engine -> SQL) and
    actions at clients' own times."""
    cases = " ".join(f"WHEN {literal(engine)} THEN ({sql})" for engine, sql in rules.items())
    client_filter = f"CASE z.engine {cases} ELSE false END"
    branches = []
    for clients, zone, zone_rule in GOVERNING_ZONES:
        branches.append(
            _BRANCH.format(
                clients=clients,
                zone=zone,
                time_join="",
                rows="z.at IS NULL",
                zone_rule=zone_rule,
                active=ACTIVE_ON_DATE,
                client_filter=client_filter,
            )
        )
        for own in own_times:
            at = f"'{own.default.isoformat()}'::time"
            branches.append(
                _BRANCH.format(
                    clients=clients,
                    zone=zone,
                    time_join=f" AND COALESCE(c.{sql_name(own.field)}, {at}) = z.at",
                    rows=f"z.engine = {literal(own.engine)} AND z.action = {literal(own.action)}",
                    zone_rule=zone_rule,
                    active=ACTIVE_ON_DATE,
                    client_filter=client_filter,
                )
            )
    return (
        "WITH z AS (" + _ROWS + "), moved AS MATERIALIZED (" + _MOVED + "), due AS ("
        + "\n    UNION ALL".join(branches)
        + _INSERT
    )  # fmt: skip


PLAN_GLOBAL_JOB = """
INSERT INTO jobs (engine, action, user_id, local_date, due_at, deadline, next_attempt_at,
                  created_at, updated_at)
VALUES ($1, $2, NULL, $3, $4, NULL, $4, $5, $5)
ON CONFLICT DO NOTHING
RETURNING due_at
"""

# Every zone clients are in, read as a loose index scan (one probe of client_profiles_zone_user
# per distinct zone: some 600 probes, 4 ms, where a DISTINCT over every client took 90 ms at
# 100,000 clients), and the few previous zones of clients in the middle of a change (a partial
# index).
_ALL_ZONES = """
WITH RECURSIVE z AS (
    (SELECT timezone AS zone FROM client_profiles ORDER BY timezone LIMIT 1)
  UNION ALL
    SELECT (SELECT c.timezone FROM client_profiles c WHERE c.timezone > z.zone ORDER BY c.timezone LIMIT 1)
      FROM z WHERE z.zone IS NOT NULL
)
SELECT zone, NULL::text AS field, NULL::time AS at FROM z WHERE zone IS NOT NULL
UNION
SELECT previous_timezone, NULL, NULL FROM client_profiles WHERE previous_timezone IS NOT NULL
"""
_ONE_CLIENTS_ZONES = """
SELECT v.zone, NULL::text AS field, NULL::time AS at
  FROM client_profiles c, LATERAL (VALUES (c.timezone), (c.previous_timezone)) AS v(zone)
 WHERE c.user_id = $1 AND v.zone IS NOT NULL
"""


def distinct_zones_sql(fields: Sequence[str], *, one_client: bool) -> str:
    """Every zone a client is governed by (or was, before a change), as (zone, NULL, NULL); and
    for each of `fields` (a profile field of clients' own times) every (zone, field, time) a
    client set, read from the clients who set one (a partial index on the field keeps that cheap:
    the weekly check-in's review_at has one, migration 017). For one client ($1), theirs."""
    parts = [_ONE_CLIENTS_ZONES if one_client else _ALL_ZONES]
    for field in fields:
        column = f"c.{sql_name(field)}"
        parts.append(f"""
SELECT DISTINCT v.zone, {literal(field)}, {column}
  FROM client_profiles c, LATERAL (VALUES (c.timezone), (c.previous_timezone)) AS v(zone)
 WHERE {column} IS NOT NULL AND v.zone IS NOT NULL{" AND c.user_id = $1" if one_client else ""}
""")
    return "UNION ALL".join(parts)


CLIENTS_IN_ZONES = """
SELECT user_id, timezone FROM client_profiles WHERE timezone = ANY($1::text[])
"""

WATERMARK_GET = "SELECT planned_until FROM planner_watermarks WHERE planner = $1 FOR UPDATE"
WATERMARK_SET = """
INSERT INTO planner_watermarks (planner, planned_until) VALUES ($1, $2)
ON CONFLICT (planner) DO UPDATE SET planned_until = GREATEST(planner_watermarks.planned_until, $2)
"""
# FOR SHARE: wait for a tick that is planning right now, then see how far it got. (A plain read
# would see the old watermark while that tick's INSERT missed a client added meanwhile.)
WATERMARK_PEEK = "SELECT planned_until FROM planner_watermarks WHERE planner = $1 FOR SHARE"
# Held by a timezone change, so no tick re-plans the old zone under it.
WATERMARKS_SHARE = "SELECT planner FROM planner_watermarks FOR SHARE"

# Claim due work: pending jobs whose time has come (by $5: now, or a due batch's time, so that
# the jobs due before it go first), and running jobs whose lease ran out (their worker died).
# One round trip returns the jobs with their clients.
CLAIM = """
WITH picked AS (
    SELECT id, started_at IS NOT NULL AS resumed FROM jobs
     WHERE (status = 'pending' AND next_attempt_at <= $5)
        OR (status = 'running' AND lease_until <= $1)
     ORDER BY next_attempt_at, id
     LIMIT $3
     FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE jobs j
       SET status = 'running', attempts = j.attempts + 1, lease_until = $1 + $2::interval,
           claimed_by = $4, started_at = COALESCE(j.started_at, $1), updated_at = $1
      FROM picked WHERE j.id = picked.id
    RETURNING j.*, picked.resumed
)
SELECT claimed.*, to_jsonb(c) AS client
  FROM claimed LEFT JOIN client_profiles c ON c.user_id = claimed.user_id
 ORDER BY claimed.next_attempt_at, claimed.id
"""

# The next time there is work: a job's, and a batch's (bot.repo.batches), apart.
NEXT_WAKEUP = """
SELECT LEAST((SELECT min(next_attempt_at) FROM jobs WHERE status = 'pending'),
             (SELECT min(lease_until) FROM jobs WHERE status = 'running')) AS job,
       (SELECT min(due_at) FROM job_batches WHERE engine = ANY($1::text[])) AS batch
"""

# Outcomes are fenced by the claim (worker and attempt): a worker whose lease ran out, or whose
# claim was released at shutdown, cannot overwrite what the worker that took over recorded.
# Final outcomes, one or a batch that finished together (the dispatcher's group commit), each
# written only if this worker still holds that attempt of the job, running:
# (id, attempt, status, result, error, worker) per job, $7 now. The rows are locked in
# id order first, the order RENEW and RELEASE take them in (an index scan over id = ANY): taken in
# the order jobs happened to finish, a batch and the lease renewal could each hold a row the other
# waits for.
FINISH_MANY = """
WITH u AS (
    SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::jsonb[], $5::text[], $6::text[])
        AS u(id, attempts, status, result, error, worker)
), held AS (
    SELECT j.id, u.attempts, u.status, u.result, u.error
      FROM jobs j JOIN u ON u.id = j.id
     WHERE j.attempts = u.attempts AND j.claimed_by = u.worker AND j.status = 'running'
     ORDER BY j.id
       FOR UPDATE OF j
)
UPDATE jobs j
   SET status = held.status, result = held.result, last_error = held.error, finished_at = $7,
       lease_until = NULL, updated_at = $7
  FROM held
 WHERE j.id = held.id
RETURNING j.id, held.attempts
"""

RETRY = """
UPDATE jobs
   SET status = 'pending', next_attempt_at = $3, last_error = $4, lease_until = NULL, updated_at = $5
 WHERE id = $1 AND attempts = $2 AND claimed_by = $6 AND status = 'running'
RETURNING id
"""

# A batch still being worked on keeps its claim: a slow send (pacing, Discord's own retries)
# must not let the lease run out and another worker send it too.
RENEW = """
UPDATE jobs SET lease_until = $3
 WHERE id = ANY($1::bigint[]) AND claimed_by = $2 AND status = 'running'
"""

RELEASE = """
UPDATE jobs
   SET status = 'pending', attempts = attempts - 1, lease_until = NULL, claimed_by = NULL,
       updated_at = $3
 WHERE id = ANY($1::bigint[]) AND claimed_by = $2 AND status = 'running'
"""


# A due row: (zone, action, local date, due, deadline, at); `at` as above.
DueRow = tuple[str, str, dt.date, dt.datetime, dt.datetime | None, dt.time | None]


def literal(name: str) -> str:
    return f"'{sql_name(name)}'"


def sql_name(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"{name!r} is not a name")
    return name


async def plan_all_client_jobs(
    conn: asyncpg.Connection,
    rules: dict[str, Rule],
    rows: Sequence[tuple[Any, ...]],
    now: dt.datetime,
    own_times: Sequence[OwnTime] = (),
    user_id: int | None = None,
) -> tuple[int, dt.datetime | None]:
    """Insert the jobs of `rows` (engine, then a DueRow) for every client the zone governs that
    day, whose own time it is (actions in `own_times`) and the engine's rule selects (and only
    `user_id`, if given); (how many were new, the earliest)."""
    columns = [list(col) for col in zip(*rows, strict=True)]
    sql = plan_jobs_sql({engine: to_sql(rule) for engine, rule in rules.items()}, own_times)
    if own_times:
        # A plan for the rows at hand: after five runs PostgreSQL may settle on a generic plan that
        # guesses one due row and scans every client once per row (clients' own times make dozens
        # of rows an hour): 1.5 s instead of 0.1 s a tick at 100,000 clients.
        await conn.execute(CUSTOM_PLANS)
    record = await conn.fetchrow(sql, *columns, now, user_id)
    return record["planned"], record["earliest"]


async def plan_client_jobs(
    conn: asyncpg.Connection,
    engine: str,
    applies: Rule,
    rows: list[DueRow],
    now: dt.datetime,
    user_id: int | None,
    own_times: Sequence[OwnTime] = (),
) -> tuple[int, dt.datetime | None]:
    """One engine's jobs of `rows` (see plan_all_client_jobs)."""
    return await plan_all_client_jobs(
        conn, {engine: applies}, [(engine, *row) for row in rows], now, own_times, user_id
    )


async def plan_global_job(
    conn: asyncpg.Connection, engine: str, action: str, day: dt.date, due: dt.datetime, now: dt.datetime
) -> dt.datetime | None:
    """A global job (the weekly scan); its due time if it is new."""
    return await conn.fetchval(PLAN_GLOBAL_JOB, engine, action, day, due, now)


# zone -> the clients' own times set there, per profile field.
ZoneTimes = dict[str, dict[str, set[dt.time]]]


async def distinct_zones(
    conn: asyncpg.Connection, user_id: int | None, time_fields: Sequence[str] = ()
) -> ZoneTimes:
    """Every zone a client is governed by (or was, before a change), with the times clients there
    set in each of `time_fields` (of `user_id` only, if given): one statement."""
    sql = distinct_zones_sql(time_fields, one_client=user_id is not None)
    found: ZoneTimes = {}
    for r in await conn.fetch(sql, *([] if user_id is None else [user_id])):
        times = found.setdefault(r["zone"], {})
        if r["field"] is not None:
            times.setdefault(r["field"], set()).add(r["at"])
    return found


async def clients_in_zones(conn: asyncpg.Connection, zones: list[str]) -> list[asyncpg.Record]:
    return list(await conn.fetch(CLIENTS_IN_ZONES, zones))


async def lock_watermark(conn: asyncpg.Connection, planner: str) -> dt.datetime | None:
    return await conn.fetchval(WATERMARK_GET, planner)


async def move_watermark(conn: asyncpg.Connection, planner: str, until: dt.datetime) -> None:
    await conn.execute(WATERMARK_SET, planner, until)


async def peek_watermark(conn: asyncpg.Connection, planner: str) -> dt.datetime | None:
    return await conn.fetchval(WATERMARK_PEEK, planner)


async def lock_watermarks(conn: asyncpg.Connection, planners: list[str]) -> dict[str, dt.datetime]:
    """Every listed planner's watermark, locked for the caller's transaction (absent: never ran)."""
    rows = await conn.fetch(
        "SELECT planner, planned_until FROM planner_watermarks WHERE planner = ANY($1::text[]) FOR UPDATE",
        planners,
    )
    return {r["planner"]: r["planned_until"] for r in rows}


async def move_watermarks(conn: asyncpg.Connection, until: dict[str, dt.datetime]) -> None:
    await conn.execute(
        """
        INSERT INTO planner_watermarks (planner, planned_until)
        SELECT * FROM unnest($1::text[], $2::timestamptz[])
        ON CONFLICT (planner) DO UPDATE
           SET planned_until = GREATEST(planner_watermarks.planned_until, EXCLUDED.planned_until)
        """,
        list(until),
        list(until.values()),
    )


async def hold_watermarks(conn: asyncpg.Connection) -> None:
    """Hold every planner's watermark (FOR SHARE) for the caller's transaction."""
    await conn.execute(WATERMARKS_SHARE)


async def claim(
    conn: asyncpg.Connection,
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int,
    worker: str,
    due_by: dt.datetime | None = None,
) -> list[tuple[Job, ClientProfile | None]]:
    """Up to `limit` due jobs (pending ones due by `due_by`, if earlier than now), claimed."""
    due = now if due_by is None else min(now, due_by)
    return claimed_rows(await conn.fetch(CLAIM, now, lease, limit, worker, due))


def claimed_rows(rows: Sequence[asyncpg.Record]) -> list[tuple[Job, ClientProfile | None]]:
    """A claim's rows (the job's columns, `resumed` and the client as JSON) as jobs and clients."""
    claimed = []
    for row in rows:
        client = row["client"]
        claimed.append((Job.from_row(row), None if client is None else ClientProfile.model_validate(client)))
    return claimed


class Wakeup(NamedTuple):
    job: dt.datetime | None
    batch: dt.datetime | None


async def next_wakeup(conn: asyncpg.Connection, engines: Sequence[str]) -> Wakeup:
    """The next job's time, and the next batch's of these engines (bot.repo.batches)."""
    row = await conn.fetchrow(NEXT_WAKEUP, list(engines))
    return Wakeup(row["job"], row["batch"])


async def finish(
    conn: asyncpg.Connection,
    job: Job,
    status: JobStatus,
    now: dt.datetime,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Record a final outcome (in the caller's transaction, with the rows that go with it: an
    alert, a card); False if this worker no longer holds the job."""
    return bool(await finish_many(conn, [Outcome(job, status, result, error)], now))


class Outcome(NamedTuple):
    """A final outcome to record: the job as claimed (its attempt and worker fence the write)."""

    job: Job
    status: JobStatus
    result: dict[str, Any] | None
    error: str | None


async def finish_many(
    conn: asyncpg.Connection, outcomes: Sequence[Outcome], now: dt.datetime
) -> set[tuple[int, int]]:
    """Record final outcomes in one statement; the (id, attempt) of each job this worker still
    held (the others' leases ran out and another worker took them)."""
    rows = await conn.fetch(
        FINISH_MANY,
        [o.job.id for o in outcomes],
        [o.job.attempts for o in outcomes],
        [str(o.status) for o in outcomes],
        [o.result for o in outcomes],
        [o.error for o in outcomes],
        [o.job.claimed_by for o in outcomes],
        now,
    )
    return {(r["id"], r["attempts"]) for r in rows}


async def retry_at(
    conn: asyncpg.Connection, job: Job, when: dt.datetime, error: str, now: dt.datetime
) -> bool:
    return await conn.fetchval(RETRY, job.id, job.attempts, when, error, now, job.claimed_by) is not None


async def renew(conn: asyncpg.Connection, job_ids: list[int], worker: str, lease_until: dt.datetime) -> None:
    await conn.execute(RENEW, job_ids, worker, lease_until)


async def release(conn: asyncpg.Connection, job_ids: list[int], worker: str, now: dt.datetime) -> None:
    """Give claims back (shutdown): another worker picks them up at once, not after the lease."""
    await conn.execute(RELEASE, job_ids, worker, now)


FOR_CLIENT_ON = """
SELECT * FROM jobs WHERE user_id = $1 AND local_date = $2 ORDER BY due_at, id
"""

NEXT_FOR_CLIENT = """
SELECT * FROM jobs WHERE user_id = $1 AND status = 'pending' ORDER BY next_attempt_at, id LIMIT $2
"""


async def for_client_on(conn: asyncpg.Connection, user_id: int, local_date: dt.date) -> list[Job]:
    return [Job.from_row(r) for r in await conn.fetch(FOR_CLIENT_ON, user_id, local_date)]


async def next_for_client(conn: asyncpg.Connection, user_id: int, limit: int = 10) -> list[Job]:
    return [Job.from_row(r) for r in await conn.fetch(NEXT_FOR_CLIENT, user_id, limit)]


ENSURE = """
INSERT INTO jobs (engine, action, user_id, local_date, due_at, deadline, next_attempt_at,
                  created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, NULL, $5, $6, $6)
ON CONFLICT DO NOTHING
"""


def ensure_fragment(
    engine: str, action: str, user_id: str, local_date: str, due_at: str, now: str, *, when: str = "true"
) -> str:
    """The same insert as `ensure`, to run inside another statement's CTE (one round trip):
    the arguments are that statement's parameter references, e.g. "$3"; `when`, an SQL condition
    in that statement (the job is made only if it holds)."""
    return (
        "INSERT INTO jobs (engine, action, user_id, local_date, due_at, deadline, next_attempt_at, "
        f"created_at, updated_at) SELECT {engine}, {action}, {user_id}, {local_date}, {due_at}, "
        f"NULL::timestamptz, {due_at}, {now}, {now} WHERE {when} ON CONFLICT DO NOTHING"
    )


async def ensure(
    conn: asyncpg.Connection,
    engine: str,
    action: str,
    user_id: int,
    local_date: dt.date,
    due_at: dt.datetime,
    now: dt.datetime,
) -> None:
    """Make sure a follow-up job exists (e.g. the close of a session that was delivered)."""
    await conn.execute(ENSURE, engine, action, user_id, local_date, due_at, now)


# A coach's /trigger: the runs of one action for a client's local date, moving a pending one up,
# or adding a manual run after them.
RUNS_OF = """
SELECT * FROM jobs WHERE engine = $1 AND action = $2 AND user_id = $3 AND local_date = $4 ORDER BY seq
"""
MOVE_UP = """
UPDATE jobs SET next_attempt_at = $2, manual = true, requested_by = $3, updated_at = $2
 WHERE id = $1 AND status = 'pending' RETURNING id
"""
ADD_MANUAL = """
INSERT INTO jobs (engine, action, user_id, local_date, seq, due_at, deadline, next_attempt_at, manual,
                  requested_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $6, true, $8, $6, $6)
ON CONFLICT DO NOTHING
RETURNING id
"""


async def runs_of(
    conn: asyncpg.Connection, engine: str, action: str, user_id: int, local_date: dt.date
) -> list[Job]:
    return [Job.from_row(r) for r in await conn.fetch(RUNS_OF, engine, action, user_id, local_date)]


async def move_up(conn: asyncpg.Connection, job_id: int, now: dt.datetime, requested_by: int) -> bool:
    """Make a pending job due now, as a coach's manual run; False if it is no longer pending."""
    return await conn.fetchval(MOVE_UP, job_id, now, requested_by) is not None


async def add_manual(
    conn: asyncpg.Connection,
    engine: str,
    action: str,
    user_id: int,
    local_date: dt.date,
    seq: int,
    now: dt.datetime,
    deadline: dt.datetime | None,
    requested_by: int,
) -> int | None:
    """The new run's id; None if that number was taken meanwhile (a batch's claim made the run)."""
    return await conn.fetchval(
        ADD_MANUAL, engine, action, user_id, local_date, seq, now, deadline, requested_by
    )


async def due_before(conn: asyncpg.Connection, end: dt.datetime) -> list[Job]:
    """Every job due before `end`, in due order (the simulator's record of a run)."""
    return [
        Job.from_row(r)
        for r in await conn.fetch("SELECT * FROM jobs WHERE due_at < $1 ORDER BY due_at, id", end)
    ]


async def count_by_status(conn: asyncpg.Connection) -> dict[str, int]:
    """For /metrics."""
    rows = await conn.fetch("SELECT status, count(*) AS n FROM jobs GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


async def retry_depth(conn: asyncpg.Connection) -> int:
    """Jobs waiting for a retry, for /metrics."""
    return int(await conn.fetchval("SELECT count(*) FROM jobs WHERE status = 'pending' AND attempts > 0"))


# Pending jobs of a client from a local date on: dropped when a zone change makes them wrong
# (the planner then plans them again in the new zone). Manual runs are left alone.
DROP_PENDING_FROM = """
DELETE FROM jobs
 WHERE user_id = $1 AND local_date >= $2 AND status = 'pending' AND attempts = 0 AND NOT manual
"""


async def drop_pending_from(conn: asyncpg.Connection, user_id: int, local_date: dt.date) -> int:
    result = await conn.execute(DROP_PENDING_FROM, user_id, local_date)
    return int(result.split()[-1])


# A client's jobs of some actions that have not begun (pending, never attempted, not a coach's
# run), due before a bound: the planner checks them against the client's schedule after a change.
UNSTARTED = """
SELECT * FROM jobs
 WHERE user_id = $1 AND engine = $2 AND action = ANY($3::text[]) AND due_at < $4
   AND status = 'pending' AND attempts = 0 AND NOT manual
 ORDER BY due_at, id
"""
# Those that no longer fit go, unless something of their engine and local date has begun (the
# close of a check-in already delivered stays, whatever day the check-in moved to) or the
# dispatcher took them meanwhile.
DROP_UNSTARTED = """
DELETE FROM jobs j
 WHERE j.id = ANY($1::bigint[]) AND j.status = 'pending' AND j.attempts = 0 AND NOT j.manual
   AND NOT EXISTS (
        SELECT 1 FROM jobs s
         WHERE s.user_id = j.user_id AND s.local_date = j.local_date AND s.engine = j.engine
           AND (s.status <> 'pending' OR s.attempts > 0 OR s.manual))
RETURNING id
"""


async def unstarted(
    conn: asyncpg.Connection, user_id: int, engine: str, actions: Sequence[str], before: dt.datetime
) -> list[Job]:
    return [Job.from_row(r) for r in await conn.fetch(UNSTARTED, user_id, engine, list(actions), before)]


async def drop_unstarted(conn: asyncpg.Connection, job_ids: Sequence[int]) -> list[int]:
    """Delete these jobs if they still have not begun (see DROP_UNSTARTED); the ids that went."""
    return [r["id"] for r in await conn.fetch(DROP_UNSTARTED, list(job_ids))]


# One weekday a week, however the coach moves it: the local dates of a client's runs of a drop
# that went out or have begun (a coach's own run counts), around a change.
RUN_DATES = """
SELECT DISTINCT local_date FROM jobs
 WHERE user_id = $1 AND local_date BETWEEN $4 AND $5 AND engine = $2 AND action = $3
   AND (status IN ('running', 'sent') OR (status = 'pending' AND (attempts > 0 OR manual)))
 ORDER BY local_date
"""
# The new day's date too close to one of those: what was planned there and has not begun goes,
# and its jobs are recorded as skipped in advance, so neither this planning nor a later tick
# plans them (the key is taken); /schedule history says why.
DROP_UNSTARTED_ON = """
DELETE FROM jobs
 WHERE user_id = $2 AND engine = $1 AND local_date = ANY($3::date[]) AND action = ANY($4::text[])
   AND status = 'pending' AND attempts = 0 AND NOT manual
"""
SKIP_AHEAD = """
INSERT INTO jobs (engine, action, user_id, local_date, due_at, deadline, next_attempt_at, status,
                  result, finished_at, created_at, updated_at)
SELECT $1, action, $2, local_date, due_at, deadline, due_at, 'skipped', result::jsonb, $7, $7, $7
  FROM unnest($3::text[], $4::date[], $5::timestamptz[], $6::timestamptz[], $8::text[])
       AS r(action, local_date, due_at, deadline, result)
ON CONFLICT DO NOTHING
"""


async def run_dates(
    conn: asyncpg.Connection, user_id: int, engine: str, action: str, first: dt.date, last: dt.date
) -> list[dt.date]:
    return [r["local_date"] for r in await conn.fetch(RUN_DATES, user_id, engine, action, first, last)]


async def skip_ahead(
    conn: asyncpg.Connection,
    engine: str,
    user_id: int,
    rows: Sequence[tuple[str, dt.date, dt.datetime, dt.datetime | None, dict[str, Any]]],
    now: dt.datetime,
) -> None:
    """Record jobs (action, local date, due, deadline, result) as skipped before they run: what
    was planned on those dates and has not begun goes first (two statements)."""
    actions, dates, dues, deadlines, results = (list(col) for col in zip(*rows, strict=True))
    await conn.execute(DROP_UNSTARTED_ON, engine, user_id, sorted(set(dates)), sorted(set(actions)))
    texts = [json.dumps(r) for r in results]
    await conn.execute(SKIP_AHEAD, engine, user_id, actions, dates, dues, deadlines, now, texts)


# --- Retention ---------------------------------------------------------------------------------
# Finished jobs only serve history (/schedule history, /deliveries) once they are past any window
# the bot looks back over; they are deleted in small batches, oldest first, each batch its own
# short statement. SKIP LOCKED: a row another transaction holds is left for the next batch, never
# waited for. Pending and running jobs are never touched (status is spelled out, not inferred
# from finished_at). Nothing plans behind its watermark, and a batch's claim makes the jobs of a
# batch still waiting, claimed as soon as it is due (only a batch left unclaimed longer than the
# retention could meet a key deleted meanwhile), so a deleted job's key is not planned again.
# jobs_finished (001: finished_at WHERE finished_at IS NOT NULL) serves the scan:
# `finished_at < $1` implies the index's predicate. The ids go on as an array (`= ANY(ARRAY(…))`):
# index lookups by primary key whatever the planner guesses of the batch (a join on the CTE can
# come out as a hash join over the whole table in a generic plan).
# An alert (alerts.job_id REFERENCES jobs, no ON DELETE) keeps its text but lets go of a job being
# deleted, in the same statement: an unposted one must still reach the coaches, and a posted one
# goes by its own age (DELETE_POSTED_ALERTS_BEFORE). Its dedupe key (job_id, kind) is moot once
# the job is gone: a deleted job cannot fail again.
FINISHED_STATUSES = ("sent", "skipped", "expired", "failed", "dead")

DELETE_FINISHED_BEFORE = """
WITH doomed AS (
    SELECT id FROM jobs
     WHERE status IN ('sent', 'skipped', 'expired', 'failed', 'dead') AND finished_at < $1
     ORDER BY finished_at
     LIMIT $2
     FOR UPDATE SKIP LOCKED
), detached AS (
    UPDATE alerts SET job_id = NULL WHERE job_id = ANY(ARRAY(SELECT id FROM doomed)) RETURNING id
), gone AS (
    DELETE FROM jobs WHERE id = ANY(ARRAY(SELECT id FROM doomed)) RETURNING id
)
SELECT (SELECT count(*) FROM gone) AS jobs, (SELECT count(*) FROM detached) AS detached
"""

# Alerts already posted to the alert channel (the channel is their record) once older than the
# cutoff; unposted ones are work still to do and stay. alerts_posted (008) serves the scan.
DELETE_POSTED_ALERTS_BEFORE = """
DELETE FROM alerts
 WHERE id = ANY(ARRAY(
    SELECT id FROM alerts WHERE posted_at < $1 ORDER BY posted_at LIMIT $2 FOR UPDATE SKIP LOCKED
 ))
"""


async def delete_finished_before(conn: asyncpg.Connection, cutoff: dt.datetime, limit: int) -> int:
    """Delete up to `limit` finished jobs that finished before `cutoff`, oldest first (their
    alerts let go of them); return how many went. Fewer than `limit`: none left to take now."""
    record = await conn.fetchrow(DELETE_FINISHED_BEFORE, cutoff, limit)
    return int(record["jobs"])


async def delete_posted_alerts_before(conn: asyncpg.Connection, cutoff: dt.datetime, limit: int) -> int:
    """Delete up to `limit` alerts posted before `cutoff`; return how many went."""
    result = await conn.execute(DELETE_POSTED_ALERTS_BEFORE, cutoff, limit)
    return int(result.split()[-1])


DROP_PENDING = """
DELETE FROM jobs WHERE user_id = $1 AND engine = $2 AND action = $3 AND status = 'pending'
"""


async def drop_pending(conn: asyncpg.Connection, user_id: int, engine: str, action: str) -> None:
    """A client's pending jobs of one action go (a manual resume cancels the pause's end)."""
    await conn.execute(DROP_PENDING, user_id, engine, action)


IS_RUNNING = """
SELECT EXISTS (SELECT 1 FROM jobs WHERE engine = $1 AND action = $2 AND user_id = $3
                                    AND local_date = $4 AND status = 'running')
"""


async def is_running(
    conn: asyncpg.Connection, engine: str, action: str, user_id: int, local_date: dt.date
) -> bool:
    """Whether a worker holds a run of that action for the client's date right now."""
    return bool(await conn.fetchval(IS_RUNNING, engine, action, user_id, local_date))
