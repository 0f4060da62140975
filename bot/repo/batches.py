"""job_batches: a zone's due action planned as one row, turned into jobs by the claims.

The planning pass writes a job per client while its reckoning of them stays within
PLANNING_INLINE_JOBS (bot.core.planner.split_for_batches); a zone that would take it past that gets
one batch per due row instead (engine, action, zone, local date, due, deadline, time). When a batch
falls due the dispatcher's claim takes the zone's next clients in user_id order (`after_user`: the
last one taken), inserts their jobs already claimed (running, attempt 1, leased to the worker) and
moves the batch on, in one statement; the batch goes with its last client. From there a job is a
job: the same lease, fence, outcome and retries.

Who is in a batch is decided when it is claimed, by the planning statement's conditions
(bot.repo.jobs: the governing zone, first day, pause, the engine's rule, the client's own time)
as they stand then, for the clients there were when the batch fell due (one who joins before is
planned on their own too, and the key keeps it to one job; one who joins after is left out, as
planning them from the time they joined leaves them out). A key already taken (the client was
planned on their own, a coach's run, a skipped date) is passed over by the unique key, so nothing
is planned twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import asyncpg

from bot.domain.eligibility import Rule
from bot.domain.models import ClientProfile, Job, JobStatus
from bot.repo.eligibility import to_sql
from bot.repo.jobs import (
    ACTIVE_ON_DATE,
    CUSTOM_PLANS,
    GOVERNING_ZONES,
    OwnTime,
    claimed_rows,
    literal,
    sql_name,
)

# No client's user_id is below this: the cursor of a batch no client was taken from.
_BEFORE_EVERYONE = -(2**63)

ADD = """
INSERT INTO job_batches (engine, action, tz, local_date, due_at, deadline, at, created_at)
SELECT *, $8 FROM unnest($1::text[], $3::text[], $2::text[], $4::date[], $5::timestamptz[],
                         $6::timestamptz[], $7::time[])
ON CONFLICT DO NOTHING
RETURNING due_at
"""

# How many clients each zone holds, counted up to a cap (an index-only scan of at most `cap`
# entries a zone): what the pass weighs before writing a zone's jobs itself.
ZONE_SIZES = """
SELECT z.tz, (SELECT count(*) FROM (SELECT 1 FROM client_profiles c WHERE c.timezone = z.tz
                                     LIMIT $2) AS s) AS clients
  FROM unnest($1::text[]) AS z(tz)
"""

# Only this process's engines: a batch of an engine it does not have (a newer process's, during
# a rolling deploy) is left to the processes that have it.
PICK = """
SELECT * FROM job_batches WHERE due_at <= $1 AND engine = ANY($2::text[])
 ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
"""
EARLIEST = "SELECT min(due_at) FROM job_batches WHERE engine = ANY($1::text[])"

# One step of a batch's claim. Each governing zone's clients are read in user_id order from the
# batch's cursor (the zone's through client_profiles_zone_user or the primary key, whichever
# PostgreSQL finds cheaper; those mid-change through client_profiles_moving), the first $9 that
# the conditions pass are taken, their jobs inserted as claimed and the cursor moved to the last
# of them; fewer than $9 means no one is left and the batch goes.
# Parameters: $1 engine, $2 action, $3 zone, $4 local date, $5 due, $6 deadline, $7 the time
# (own times), $8 the cursor, $9 how many, $10 now, $11 the lease, $12 the worker, $13 the batch.
# Clients who joined after the batch fell due are not in it: planning them on their own (from the
# time they joined) leaves them out as well.
_BRANCH = """
    (SELECT c.user_id FROM client_profiles c, z
      WHERE c.{zone} = $3 AND c.user_id > $8
        AND c.created_at <= $5
        AND {zone_rule}
        AND {active}
        AND ({rule}){own_time}
      ORDER BY c.user_id
      LIMIT $9)"""
_STEP = """
WITH z AS NOT MATERIALIZED (SELECT $4::date AS local_date, $7::time AS at),
taken AS MATERIALIZED (
    SELECT user_id FROM ({branches}) AS d ORDER BY user_id LIMIT $9
),
ins AS (
    INSERT INTO jobs (engine, action, user_id, local_date, due_at, deadline, next_attempt_at,
                      status, attempts, lease_until, claimed_by, started_at, created_at, updated_at)
    SELECT $1, $2, user_id, $4, $5, $6, $5, 'running', 1, $10::timestamptz + $11::interval, $12, $10, $10, $10
      FROM taken
    ON CONFLICT DO NOTHING
    RETURNING *
),
moved_on AS (
    UPDATE job_batches SET after_user = (SELECT max(user_id) FROM taken)
     WHERE id = $13 AND (SELECT count(*) FROM taken) = $9
),
gone AS (
    DELETE FROM job_batches WHERE id = $13 AND (SELECT count(*) FROM taken) < $9
)
SELECT ins.*, false AS resumed, to_jsonb(c) AS client
  FROM ins LEFT JOIN client_profiles c ON c.user_id = ins.user_id
 ORDER BY ins.user_id
"""

# Steps of one claim at most: a step whose clients all had their jobs already takes nobody.
_STEPS = 20


@cache
def step_sql(rule: str, own_field: str | None) -> str:
    """The claim step for an engine's rule (as SQL) and, for an action at clients' own times, the
    profile field. Such a batch is the setting's time as it was when planned ($7): the clients who
    set none, and those who set that one."""
    own_time = ""
    if own_field is not None:
        column = f"c.{sql_name(own_field)}"
        own_time = f"\n        AND ({column} IS NULL OR {column} = $7)"
    # The clients their zone governs, and those mid-change whose previous zone still does.
    branches = "\n    UNION ALL".join(
        _BRANCH.format(zone=zone, zone_rule=zone_rule, active=ACTIVE_ON_DATE, rule=rule, own_time=own_time)
        for _, zone, zone_rule in GOVERNING_ZONES
    )
    return _STEP.format(branches=branches)


def upcoming_sql(rules: Mapping[str, str], own_times: Sequence[OwnTime]) -> str:
    """The batches one client ($1) would be taken into, soonest first ($2 of them; of local date
    $3 only, if given): the claim's conditions for that client as they stand, and no job of
    theirs holding the key yet."""
    cases = " ".join(f"WHEN {literal(engine)} THEN ({sql})" for engine, sql in rules.items())
    own = "".join(
        f" WHEN z.engine = {literal(o.engine)} AND z.action = {literal(o.action)}"
        f" THEN COALESCE(c.{sql_name(o.field)}, z.at) = z.at"
        for o in own_times
    )
    zones = " OR ".join(f"(c.{zone} = z.tz AND {rule})" for _, zone, rule in GOVERNING_ZONES)
    return f"""
SELECT z.engine, z.action, c.user_id, z.local_date, z.due_at, z.deadline, z.created_at
  FROM job_batches z JOIN client_profiles c ON c.user_id = $1
 WHERE c.user_id > COALESCE(z.after_user, {_BEFORE_EVERYONE})
   AND c.created_at <= z.due_at
   AND ($3::date IS NULL OR z.local_date = $3)
   AND ({zones})
   AND {ACTIVE_ON_DATE}
   AND CASE z.engine {cases} ELSE false END
   AND CASE{own} WHEN true THEN true END
   AND NOT EXISTS (SELECT 1 FROM jobs j
                    WHERE j.user_id = c.user_id AND j.engine = z.engine AND j.action = z.action
                      AND j.local_date = z.local_date AND j.seq = 0)
 ORDER BY z.due_at, z.id
 LIMIT $2"""


async def upcoming_for(
    conn: asyncpg.Connection,
    user_id: int,
    rules: Mapping[str, Rule],
    own_times: Sequence[OwnTime],
    limit: int,
    local_date: dt.date | None = None,
) -> list[Job]:
    """A client's runs still in batches (of `local_date` only, if given), as the pending jobs
    they will be (not rows yet: id 0)."""
    if not rules:
        return []  # no engine: no batch is anyone's
    sql = upcoming_sql({engine: to_sql(rule) for engine, rule in rules.items()}, own_times)
    rows = await conn.fetch(sql, user_id, limit, local_date)
    return [
        Job(**dict(r), id=0, status=JobStatus.pending, attempts=0, next_attempt_at=r["due_at"]) for r in rows
    ]


async def add(
    conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]], now: dt.datetime
) -> list[dt.datetime]:
    """Plan `rows` (engine, then a DueRow) as batches; the due times of the new ones."""
    columns = [list(col) for col in zip(*rows, strict=True)]
    return [r["due_at"] for r in await conn.fetch(ADD, *columns, now)]


async def zone_sizes(conn: asyncpg.Connection, zones: Sequence[str], cap: int) -> dict[str, int]:
    """Clients whose zone each of `zones` is, each counted up to `cap`."""
    return {r["tz"]: r["clients"] for r in await conn.fetch(ZONE_SIZES, list(zones), cap)}


async def earliest(conn: asyncpg.Connection, engines: Sequence[str]) -> dt.datetime | None:
    """When the earliest batch of these engines falls due."""
    return await conn.fetchval(EARLIEST, list(engines))


async def waiting(conn: asyncpg.Connection) -> int:
    """Batches not yet fully claimed, for /metrics."""
    return int(await conn.fetchval("SELECT count(*) FROM job_batches"))


async def claim(
    conn: asyncpg.Connection,
    rules: Mapping[str, Rule],
    own_times: Sequence[OwnTime],
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int,
    worker: str,
) -> tuple[list[tuple[Job, ClientProfile | None]], dt.datetime | None]:
    """Up to `limit` jobs claimed from the batches of these engines due at `now`, in one
    transaction; and when the earliest batch left falls due (None: none is left)."""
    own = {(o.engine, o.action): o.field for o in own_times}
    engines = list(rules)
    async with conn.transaction():
        await conn.execute(CUSTOM_PLANS)  # each zone's own plan: one zone may hold everyone
        for _ in range(_STEPS):
            batch = await conn.fetchrow(PICK, now, engines)
            if batch is None:
                break
            sql = step_sql(to_sql(rules[batch["engine"]]), own.get((batch["engine"], batch["action"])))
            after = _BEFORE_EVERYONE if batch["after_user"] is None else batch["after_user"]
            rows = await conn.fetch(
                sql, batch["engine"], batch["action"], batch["tz"], batch["local_date"], batch["due_at"],
                batch["deadline"], batch["at"], after, limit, now, lease, worker, batch["id"],
            )  # fmt: skip
            if rows:
                # The earliest left, which may be one another worker holds (SKIP LOCKED above).
                return claimed_rows(rows), await conn.fetchval(EARLIEST, engines)
        return [], await conn.fetchval(EARLIEST, engines)
