"""What /history and /progress (the training cog's reading commands) show a client or their coach:
the recent workouts and what was logged each day on every engine, the charts any engine declares
and the lifts. Each function takes the pool and returns data or a PNG."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

import asyncpg

from bot.core.clock import Clock
from bot.core.engine import EngineRegistry
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile
from bot.repo import clients
from bot.repo import compliance as compliance_repo
from bot.repo import training as training_repo
from bot.usecases.coaching import client_today
from bot.views import charts


async def client(pool: asyncpg.Pool, user_id: int) -> ClientProfile:
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
    if profile is None:
        raise InputError("Not a client of The Regiment.")
    return profile


@dataclass(frozen=True)
class SessionLine:
    local_date: dt.date
    day_title: str
    closed: bool
    exercises: int
    logged: int
    missed: int
    prs: int

    @property
    def state(self) -> str:
        """How far the session got: "3 of 3 logged" / "1 of 3 logged so far" while it is open,
        "2 logged, 1 missed" once it closed."""
        if self.closed:
            return f"{self.logged} logged, {self.missed} missed"
        if self.logged >= self.exercises:
            return f"{self.logged} of {self.exercises} logged"
        return f"{self.logged} of {self.exercises} logged so far"


@dataclass(frozen=True)
class History:
    profile: ClientProfile
    sessions: list[SessionLine]
    days: list[tuple[dt.date, list[str]]]  # the last 7 local days with anything, newest first


async def history(pool: asyncpg.Pool, registry: EngineRegistry, clock: Clock, user_id: int) -> History:
    profile = await client(pool, user_id)
    today = client_today(profile, clock.now())
    sources = registry.day_status_sources()
    async with pool.acquire() as conn:
        rows = await training_repo.recent_sessions(conn, profile.user_id, 10)
        days = []
        for day in (today - dt.timedelta(days=n) for n in range(7)):
            lines = registry.day_lines(
                await compliance_repo.day_statuses(conn, sources, profile.user_id, day)
            )
            if lines:
                days.append((day, lines))
    sessions = [
        SessionLine(
            local_date=r["local_date"],
            day_title=r["day_title"],
            closed=r["closed_at"] is not None,
            exercises=r["exercises"],
            logged=r["logged"],
            missed=r["missed"],
            prs=r["prs"],
        )
        for r in rows
    ]
    return History(profile, sessions, days)


async def exercise_choices(
    pool: asyncpg.Pool, registry: EngineRegistry, user_id: int, current: str
) -> list[tuple[str, str]]:
    """(label, value) for the /progress autocomplete: the engines' charts, then logged exercises."""
    async with pool.acquire() as conn:
        rows = await training_repo.exercises_logged(conn, user_id, current)
    declared = [
        (f"{name} ({engine.label})", name)
        for engine in registry
        for name in engine.charts
        if current.lower() in name
    ]
    return (declared + [(r["name"][:100], r["exercise_id"]) for r in rows])[:25]


async def chart(pool: asyncpg.Pool, registry: EngineRegistry, profile: ClientProfile, what: str) -> bytes:
    """The PNG for /progress: a chart an engine declares (bodyweight, readiness), or an exercise's
    top sets."""
    for engine in registry:
        if what in engine.charts:
            return await engine.charts[what](pool, profile)
    title_name = profile.display_name or str(profile.user_id)
    async with pool.acquire() as conn:
        rows = await training_repo.exercise_history(conn, profile.user_id, what)
        named = await training_repo.exercises_logged(conn, profile.user_id, what)
    if not rows:
        raise InputError(f"No logged top sets for {what!r} yet: the chart appears after the first log.")
    name = next((r["name"] for r in named if r["exercise_id"] == what), what)
    points = [charts.LiftPoint(r["date"], float(r["weight_kg"]), r["reps"], r["is_pr"]) for r in rows]
    return await asyncio.to_thread(charts.lift_chart, f"{name} — {title_name}", points, profile.unit)
