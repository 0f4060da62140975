"""Coach tools over the schedule: a client's next runs (computed from the same time rules the
planner uses, days ahead, across DST changes) and a manual trigger that is recorded as manual
and refuses to send an action twice for a local date unless forced."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.core.engine import ActionKind, EngineRegistry
from bot.domain import timezones
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile
from bot.repo import jobs as jobs_repo
from bot.usecases.coaching import client_today, require_client


@dataclass(frozen=True)
class PlannedRun:
    at_utc: dt.datetime
    local: dt.datetime
    label: str


async def preview(
    conn: asyncpg.Connection, registry: EngineRegistry, profile: ClientProfile, now: dt.datetime, days: int
) -> list[PlannedRun]:
    """What will reach this client in the next `days` local days, in time order: each engine's
    previewed actions on the days its eligibility rule selects and it has something to send."""
    sends = {e.name: await e.sends_on(conn, profile) for e in registry if e.sends_on is not None}
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
            if not engine.applies.holds(profile, day) or not sends.get(engine.name, _always)(day):
                continue
            for spec in engine.actions:
                if spec.kind == ActionKind.scan or not spec.previewed:
                    continue
                due = spec.due_on(tz, day, profile)
                if now <= due:
                    runs.append(PlannedRun(due, due.astimezone(tz), spec.label))
    return sorted(runs, key=lambda r: r.at_utc)


def _always(day: dt.date) -> bool:
    return True


@dataclass(frozen=True)
class Triggered:
    job_id: int
    local_date: dt.date
    moved_up: bool


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
    triggerable = {s.name: s for s in registry.triggerable()}
    # What the autocomplete offers is the value (checkin.drop); a coach may also type the label.
    spec = triggerable.get(action) or next(
        (s for s in triggerable.values() if s.label.casefold() == action.strip().casefold()), None
    )
    if spec is None:
        raise InputError(f"{action!r} cannot be triggered; choose one of {', '.join(triggerable)}")
    engine, name = spec.engine, spec.action
    profile = await require_client(conn, user_id)
    day = client_today(profile, now)
    label = spec.label
    name_shown = profile.display_name or str(user_id)
    # The dispatcher would skip the run and use up the day's drop: refuse, and keep the job.
    if profile.paused_on(day):
        until = f" until {profile.paused_until:%A %d %B}" if profile.paused_until else ""
        raise InputError(
            f"{name_shown} is paused{until}: nothing was sent and today's {label} stays as planned. "
            "Resume them first with /resume."
        )
    if profile.start_date > day:
        raise InputError(
            f"{name_shown} starts on {profile.start_date:%A %d %B}: nothing was sent before their first day."
        )
    try:
        tz = timezones.parse_timezone(profile.zone_on(day))
    except timezones.InvalidTimezone as exc:
        raise InputError(
            f"This client's timezone is not valid ({exc.text!r}): fix it with /client edit"
        ) from None
    deadline = spec.deadline_on(tz, day)
    if deadline is not None and now >= deadline:
        raise InputError(
            f"Today's {label} closed at {spec.deadline_at:%H:%M} for this client; nothing to send."
        )
    # Twice at most: between reading the runs and writing, a dispatcher may claim the pending run
    # or a batch's claim (bot.repo.batches) make it, taking the number this run was to take; read
    # again, it is a run like any other. Another coach's run taking it is their send: refused.
    for _ in range(2):
        jobs = await jobs_repo.runs_of(conn, engine, name, user_id, day)
        ran = [j for j in jobs if j.status in ("sent", "running")]
        if ran and not force:
            raise InputError(
                f"The {label} already went out for {day:%A %d %B} ({ran[-1].status}); "
                "set force to send it again."
            )
        pending = next((j for j in jobs if j.status == "pending"), None)
        if pending is not None and not ran:
            if await jobs_repo.move_up(conn, pending.id, now, requested_by):
                return Triggered(pending.id, day, True)
            continue  # claimed meanwhile
        seq = max((j.seq for j in jobs), default=-1) + 1
        job_id = await jobs_repo.add_manual(
            conn, engine, name, user_id, day, seq, now, deadline, requested_by
        )
        if job_id is not None:
            return Triggered(job_id, day, False)
        taken = next(
            (j for j in await jobs_repo.runs_of(conn, engine, name, user_id, day) if j.seq == seq), None
        )
        if taken is not None and taken.manual:
            raise InputError(f"Another coach has just sent the {label} to {name_shown}.")
    raise InputError(f"The {label} is being sent to {name_shown} right now; try again in a moment.")
