"""Coach tools over the schedule: a client's next runs (computed from the same time rules the
planner uses, days ahead, across DST changes) and a manual trigger that is recorded as manual
and refuses to send an action twice for a local date unless forced."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.core.engine import ActionKind, ActionSpec, EngineRegistry
from bot.domain import timezones
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile, Job
from bot.domain.plans import CardioPlan, MealPlan
from bot.repo import plans as plans_repo
from bot.usecases.coaching import client_today, require_client
from bot.views.render import ACTION_LABELS

TRIGGERABLE = ("checkin.drop", "meals.drop", "cardio.drop", "training.drop")


@dataclass(frozen=True)
class PlannedRun:
    at_utc: dt.datetime
    local: dt.datetime
    label: str


async def preview(
    conn: asyncpg.Connection, registry: EngineRegistry, profile: ClientProfile, now: dt.datetime, days: int
) -> list[PlannedRun]:
    """What will reach this client in the next `days` local days, in time order."""
    meal_plan = await plans_repo.latest(conn, "meals", profile.meal_plan_id) if profile.meal_plan_id else None
    cardio_plan = (
        await plans_repo.latest(conn, "cardio", profile.cardio_plan_id) if profile.cardio_plan_id else None
    )
    runs: list[PlannedRun] = []
    today = client_today(profile, now)
    for offset in range(days + 1):
        day = today + dt.timedelta(days=offset)
        if not profile.active_on(day):
            continue
        try:
            tz = timezones.parse_timezone(profile.zone_on(day))
        except timezones.InvalidTimezone:
            return []
        for engine in registry:
            for spec in engine.actions:
                if spec.kind == ActionKind.scan or not _applies(spec, profile, day, meal_plan, cardio_plan):
                    continue
                due = timezones.due_instant(tz, day, spec.at)
                if now <= due:
                    label = ACTION_LABELS.get(spec.name, spec.name)
                    runs.append(PlannedRun(due, due.astimezone(tz), label))
    return sorted(runs, key=lambda r: r.at_utc)


def _applies(
    spec: ActionSpec,
    profile: ClientProfile,
    day: dt.date,
    meal_plan: tuple[int, MealPlan | CardioPlan] | None,
    cardio_plan: tuple[int, MealPlan | CardioPlan] | None,
) -> bool:
    """The engines' client filters, for one client and day (the planner runs them in SQL)."""
    if spec.engine == "training":
        return day.isoweekday() in profile.schedule_days
    if spec.engine == "meals":
        return (
            meal_plan is not None and isinstance(meal_plan[1], MealPlan) and bool(meal_plan[1].meals_on(day))
        )
    if spec.engine == "cardio":
        return (
            cardio_plan is not None
            and isinstance(cardio_plan[1], CardioPlan)
            and bool(cardio_plan[1].session_on(day))
        )
    if spec.engine == "roster":
        return profile.paused and profile.paused_until == day
    if spec.engine == "flags":
        return False  # the evening review is bookkeeping, not something the client receives
    return True


@dataclass(frozen=True)
class Triggered:
    job_id: int
    local_date: dt.date
    moved_up: bool


FIND = (
    "SELECT * FROM jobs WHERE engine = $1 AND action = $2 AND user_id = $3 AND local_date = $4 ORDER BY seq"
)
MOVE_UP = """
UPDATE jobs SET next_attempt_at = $2, manual = true, requested_by = $3, updated_at = $2
 WHERE id = $1 AND status = 'pending' RETURNING id
"""
INSERT = """
INSERT INTO jobs (engine, action, user_id, local_date, seq, due_at, deadline, next_attempt_at, manual,
                  requested_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $6, true, $8, $6, $6)
RETURNING id
"""


async def trigger(
    conn: asyncpg.Connection,
    registry: EngineRegistry,
    *,
    user_id: int,
    action: str,
    force: bool,
    requested_by: int,
    now: dt.datetime,
) -> Triggered:
    """Run one action for a client now, for their local today (in the caller's transaction)."""
    if action not in TRIGGERABLE:
        raise InputError(f"{action!r} cannot be triggered; choose one of {', '.join(TRIGGERABLE)}")
    engine, name = action.split(".")
    spec = registry.spec(engine, name)
    assert spec is not None
    profile = await require_client(conn, user_id)
    day = client_today(profile, now)
    label = ACTION_LABELS.get(action, action)
    try:
        tz = timezones.parse_timezone(profile.zone_on(day))
    except timezones.InvalidTimezone as exc:
        raise InputError(
            f"This client's timezone is not valid ({exc.text!r}): fix it with /client edit"
        ) from None
    deadline = timezones.due_instant(tz, day, spec.deadline_at) if spec.deadline_at else None
    if deadline is not None and now >= deadline:
        raise InputError(
            f"Today's {label} closed at {spec.deadline_at:%H:%M} for this client; nothing to send."
        )
    jobs = [Job.from_row(r) for r in await conn.fetch(FIND, engine, name, user_id, day)]
    ran = [j for j in jobs if j.status in ("sent", "running")]
    if ran and not force:
        raise InputError(
            f"The {label} already went out for {day:%A %d %B} ({ran[-1].status}); set force to send it again."
        )
    pending = next((j for j in jobs if j.status == "pending"), None)
    if pending is not None and not ran:
        moved = await conn.fetchval(MOVE_UP, pending.id, now, requested_by)
        if moved is not None:
            return Triggered(pending.id, day, True)
    seq = max((j.seq for j in jobs), default=-1) + 1
    job_id = await conn.fetchval(INSERT, engine, name, user_id, day, seq, now, deadline, requested_by)
    return Triggered(int(job_id), day, False)
