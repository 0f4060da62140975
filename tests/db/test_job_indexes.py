"""The jobs table's keys (migration 018): one client's jobs are found by an index, whatever the
statement, and the unique keys hold for a client's jobs and for jobs of no client alike."""

from __future__ import annotations

import datetime as dt
import json
import re
from types import ModuleType
from typing import Any

import asyncpg
from helpers import utc

from bot.repo import erasure, jobs, notes, reports

NOW = utc(2026, 5, 4, 12)
DAY = dt.date(2026, 5, 4)

# A value of each parameter type these statements take.
_SAMPLES: dict[str, Any] = {
    "int2": 1,
    "int4": 1,
    "int8": 1,
    "text": "x",
    "bool": False,
    "date": DAY,
    "timestamptz": NOW,
    "interval": dt.timedelta(minutes=1),
    "jsonb": {},
    "int8[]": [1],
    "int4[]": [1],
    "text[]": ["drop", "close"],
    "date[]": [DAY],
    "timestamptz[]": [NOW],
    "jsonb[]": [{}],
}


# A condition on the client: `user_id = …`, `user_id IS NULL`, or `COALESCE(user_id, 0) = …`.
_BY_CLIENT = re.compile(r"user_id(?:, 0\))?\s*(?:=|IS NULL)")


def _per_client_statements() -> list[tuple[str, str]]:
    """Every statement of the data layer that picks jobs by their client (one client's, or those
    of no client), by module and name."""
    found = []
    modules: tuple[ModuleType, ...] = (jobs, notes, erasure, reports)
    for module in modules:
        for name, value in vars(module).items():
            if not isinstance(value, str) or "{" in value:
                continue  # a template: its filled forms are module constants too
            text = " ".join(value.split())
            touches_jobs = any(f"{verb} jobs" in text for verb in ("FROM", "UPDATE", "INTO"))
            if touches_jobs and _BY_CLIENT.search(text):
                found.append((f"{module.__name__.rsplit('.', 1)[-1]}.{name}", value))
    return found


STATEMENTS = _per_client_statements()


def test_the_per_client_statements_are_all_found() -> None:
    names = {name for name, _ in STATEMENTS}
    # A few that must be among them, so that a change to how they are found cannot empty the list.
    assert {
        "jobs.UNSTARTED",
        "jobs.RUN_DATES",
        "jobs.DROP_UNSTARTED",
        "notes.ADD_FOR_CLIENT",
        "notes.ADD_FOR_NO_CLIENT",
        "notes.ADD_NOTICE_JOB",
        "erasure.UNLINK_ALERTS",
    } <= names
    assert len(names) >= 10


# A quarter of a year of history for 1,000 clients (every engine's jobs of each day finished, a
# day ahead planned), and some jobs of no client: enough rows for PostgreSQL to choose its plans
# as it would at scale, where reading the table from end to end costs millions of rows.
HISTORY = """
INSERT INTO jobs (engine, action, user_id, local_date, due_at, next_attempt_at, status, finished_at,
                  created_at, updated_at)
SELECT e.engine, 'drop', u, d::date, d + interval '7 hours', d + interval '7 hours',
       CASE WHEN d::date > $1::date THEN 'pending' ELSE 'sent' END,
       CASE WHEN d::date > $1::date THEN NULL ELSE d + interval '7 hours' END, d, d
  FROM generate_series(1, 1000) AS u,
       generate_series($1::date - 90, $1::date + 1, interval '1 day') AS d,
       unnest(ARRAY['checkin', 'meals', 'training']) AS e(engine)
UNION ALL
SELECT 'flags', 'scan', NULL, d::date, d, d, 'sent', d, d, d
  FROM generate_series($1::date - 90, $1::date, interval '1 day') AS d
"""


# A per-client statement touches at most about a page per job of that client (its 276 jobs lie
# on 276 pages: clients' days are interleaved). Here the jobs table fills 4,758 pages, its client
# key 1,950 and its primary key 760: a statement over this bound read one of them end to end.
MOST_PAGES = 500


class _RolledBack(Exception):
    pass


# Values a statement's constraints insist on, by statement and parameter number.
# (The jobs of no client are numbered with no client: $3 is NULL, as the notes pass it.)
_VALID = {
    "ADD_FOR_CLIENT": {9: "to_client", 10: None, 14: None},
    "ADD_FOR_NO_CLIENT": {3: None, 9: "to_coach", 10: None, 14: None},
    "ADD_NOTICE_JOB": {3: None},
}


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


async def _pages_touched(
    conn: asyncpg.Connection, name: str, sql: str, valid: dict[int, Any] | None = None
) -> int:
    """Shared buffers a statement touches when it runs (then undone)."""
    touched = 0
    valid = valid or _VALID.get(name.split(".")[-1], {})
    try:
        async with conn.transaction():
            statement = await conn.prepare("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            texts = iter(("checkin", "drop"))  # the statements take the engine, then the action
            args = [
                valid.get(number, next(texts, "x") if p.name == "text" else _SAMPLES[p.name])
                for number, p in enumerate(statement.get_parameters(), start=1)
            ]
            [explained] = json.loads(await statement.fetchval(*args))
            # A node counts its children's pages too; a data-modifying CTE the outer statement
            # does not read to the end finishes apart: the largest count over every node.
            touched = max(
                n.get("Shared Hit Blocks", 0) + n.get("Shared Read Blocks", 0)
                for n in _nodes(explained["Plan"])
            )
            raise _RolledBack
    except _RolledBack:
        pass
    return touched


async def test_a_clients_jobs_are_found_by_an_index(pool: asyncpg.Pool) -> None:
    """Each statement that picks jobs by their client, run over a realistic table, touches a few
    pages: none reads the jobs table or one of its indexes from end to end, which at 100,000
    clients and 90 days kept is 80 million rows."""
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO client_profiles (user_id, timezone, start_date, created_at, updated_at) "
            "SELECT u, 'UTC', $1, $2, $2 FROM generate_series(1, 1000) AS u",
            DAY,
            NOW,
        )
        await conn.execute(HISTORY, DAY)
        # Alerts about other clients' jobs, for the erasure's unlinking to look through.
        await conn.execute(
            "INSERT INTO alerts (kind, job_id, user_id, message, created_at) "
            "SELECT 'failed', id, NULL, 'x', $1 FROM jobs WHERE id % 500 = 0",
            NOW,
        )
        await conn.execute("VACUUM ANALYZE jobs, client_profiles, alerts")
        # The planner drops a client's jobs that have not begun: the ids it passes are those.
        pending = await conn.fetch("SELECT id FROM jobs WHERE user_id = 1 AND status = 'pending'")
        assert pending
        unstarted = {1: [r["id"] for r in pending]}
        touched = {
            name: await _pages_touched(conn, name, sql, unstarted if name == "jobs.DROP_UNSTARTED" else None)
            for name, sql in STATEMENTS
        }
    assert {name: pages for name, pages in touched.items() if pages > MOST_PAGES} == {}, touched


INSERT = """
INSERT INTO jobs (engine, action, user_id, local_date, due_at, next_attempt_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $5, $5, $5)
ON CONFLICT DO NOTHING
RETURNING id
"""


async def test_a_key_is_taken_once_for_a_client_and_once_with_no_client(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO client_profiles (user_id, timezone, start_date, created_at, updated_at) "
            "VALUES (7, 'UTC', $1, $2, $2)",
            DAY,
            NOW,
        )
        first_client = await conn.fetchval(INSERT, "checkin", "drop", 7, DAY, NOW)
        again_client = await conn.fetchval(INSERT, "checkin", "drop", 7, DAY, NOW)
        first_global = await conn.fetchval(INSERT, "checkin", "drop", None, DAY, NOW)
        again_global = await conn.fetchval(INSERT, "checkin", "drop", None, DAY, NOW)
        next_day = await conn.fetchval(INSERT, "checkin", "drop", None, DAY + dt.timedelta(days=1), NOW)
        rows = await conn.fetchval("SELECT count(*) FROM jobs")
    assert first_client is not None and again_client is None
    assert first_global is not None and again_global is None, "a job of no client was planned twice"
    assert next_day is not None
    assert rows == 3
