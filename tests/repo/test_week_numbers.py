"""The week in numbers of the weekly check-in (bot.repo.week_numbers.read, rendered by
bot.domain.week_numbers.lines): a week of logs written as the engines write them, read with the
real engines' counting statements, on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from statistics import mean
from typing import Any

import asyncpg
import pytest
from helpers import add_clients, profile, utc

from bot.config import Settings
from bot.domain.compliance import Rate
from bot.domain.lifting import KG_PER_LB
from bot.domain.models import ClientProfile, Unit
from bot.domain.week_numbers import WeekNumbers, lines
from bot.engines import build_registry, weekly
from bot.repo import week_numbers

DAY = dt.date(2026, 5, 18)  # the check-in day (a Monday): the week is 11..17 May
WEEK = [DAY - dt.timedelta(days=n) for n in range(7, 0, -1)]
BEFORE = [d - dt.timedelta(days=7) for d in WEEK]  # 4..10 May
PAUSED = dt.date(2026, 5, 14)
ANN, BOB, CY = 8101, 8102, 8103  # Ann a kg client with a full week, Bob in lb, Cy new


def registry():  # type: ignore[no-untyped-def]
    return build_registry(Settings(_env_file=None))  # type: ignore[call-arg]


def labels() -> dict[str, str]:
    """What the weekly check-in shows: every engine that counts but itself."""
    return {name: label for name, label in registry().labels().items() if name != weekly.NAME}


class Logs:
    """Rows as the engines write them (delivered drops, their logs), for one client."""

    def __init__(self, conn: asyncpg.Connection, user_id: int) -> None:
        self.conn, self.user_id = conn, user_id

    async def drop(self, engine: str, day: dt.date, content: dict[str, Any] | None = None) -> int:
        at = utc(day.year, day.month, day.day, 7)
        return await self.conn.fetchval(
            "INSERT INTO daily_drops (user_id, local_date, engine, content, deadline, delivered_at, "
            "closed_at, created_at) VALUES ($1, $2, $3, $4, $5, $5, $5, $5) RETURNING id",
            self.user_id, day, engine, content or {}, at,
        )  # fmt: skip

    async def checkin(
        self, day: dt.date, kg: float | None, status: str = "logged", typed: float | None = None
    ) -> None:
        await self.drop("checkin", day)
        await self.conn.execute(
            "INSERT INTO checkins (user_id, date, timestamp, status, bodyweight_kg, weight_entered, "
            "unit_entered) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            self.user_id, day, utc(day.year, day.month, day.day, 8), status, kg, typed,
            None if typed is None else "lb",
        )  # fmt: skip

    async def meals(self, day: dt.date, due: int, done: int) -> None:
        meals = [{"name": f"Meal {i + 1}"} for i in range(due)]
        drop = await self.drop("meals", day, {"meals": meals})
        for i in range(due):
            await self.conn.execute(
                "INSERT INTO meal_logs (user_id, date, meal_index, meal_name, status, timestamp, drop_id) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                self.user_id, day, i, meals[i]["name"], "followed" if i < done else "missed",
                utc(day.year, day.month, day.day, 20), drop,
            )  # fmt: skip

    async def cardio(self, day: dt.date, logged: bool) -> None:
        drop = await self.drop("cardio", day)
        await self.conn.execute(
            "INSERT INTO cardio_logs (user_id, date, kind, minutes, status, timestamp, drop_id) "
            "VALUES ($1, $2, 'walk', $3, $4, $5, $6)",
            self.user_id, day, 30 if logged else None, "logged" if logged else "missed",
            utc(day.year, day.month, day.day, 20), drop,
        )  # fmt: skip

    async def session(
        self,
        day: dt.date,
        sets: list[tuple[str, float, int, bool]],  # (exercise, kg, reps, is_pr)
        *,
        exercises: int = 2,
        delivered: bool = True,
        typed_lb: bool = False,
    ) -> None:
        at = utc(day.year, day.month, day.day, 6)
        listed = [{"id": f"e{i}", "name": f"Exercise {i}"} for i in range(exercises)]
        session = await self.conn.fetchval(
            "INSERT INTO training_sessions (user_id, local_date, block_id, block_version, day_index, "
            "day_title, exercises, deadline, delivered_at, created_at) "
            "VALUES ($1, $2, 'b', 1, 0, 'Day 1', $3, $4, $5, $4) RETURNING id",
            self.user_id, day, listed, at, at if delivered else None,
        )  # fmt: skip
        for name, kg, reps, is_pr in sets:
            await self.conn.execute(
                "INSERT INTO training_logs (user_id, timestamp, date, exercise_id, exercise_name, weight_kg, "
                "reps, block_id, day_index, status, session_id, weight_entered, unit_entered, is_pr) "
                "VALUES ($1, $2, $3, $4, $4, $5, $6, 'b', 0, 'logged', $7, $8, $9, $10)",
                self.user_id, at, day, name, kg, reps, session,
                round(kg / KG_PER_LB, 1) if typed_lb else kg, "lb" if typed_lb else "kg", is_pr,
            )  # fmt: skip

    async def pause(self, first: dt.date, until: dt.date) -> None:
        await self.conn.execute(
            "INSERT INTO pause_periods (user_id, paused_from, paused_until, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $4)",
            self.user_id, first, until, utc(first.year, first.month, first.day, 12),
        )  # fmt: skip


ANN_WEEK_KG = [81.8, 81.6, 81.5, 81.3, 81.2, 81.0]  # six weigh-ins; Sunday's check-in is missed
ANN_BEFORE_KG = [82.4, 82.0, 81.9]


@pytest.fixture
async def clients(pool) -> dict[int, ClientProfile]:  # type: ignore[no-untyped-def]
    found = {
        ANN: profile(ANN, "UTC", dt.date(2026, 4, 1)),
        BOB: profile(BOB, "UTC", dt.date(2026, 4, 1), unit=Unit.lb),
        CY: profile(CY, "UTC", DAY - dt.timedelta(days=1)),
    }
    await add_clients(pool, found.values(), utc(2026, 4, 1))
    async with pool.acquire() as conn:
        ann = Logs(conn, ANN)
        for day, kg in zip(WEEK, [*ANN_WEEK_KG, None], strict=True):
            await ann.checkin(day, kg, "logged" if kg is not None else "missed")
        for day, kg in zip(BEFORE, ANN_BEFORE_KG, strict=False):
            await ann.checkin(day, kg)
        await ann.checkin(DAY, 70.0)  # the check-in day itself: not part of the week
        for day in WEEK:
            await ann.meals(day, 3, 2 if day == WEEK[2] else 3)  # one meal missed on Wednesday
        for day in WEEK[:5]:
            await ann.cardio(day, day != WEEK[0])
        await ann.drop(weekly.NAME, WEEK[0])  # last week's check-in, closed: counts, but not shown
        # Workouts: two with PRs, one delivered and never logged, one never delivered.
        await ann.session(WEEK[0], [("Squat", 140, 5, True), ("Bench", 95, 5, False)])
        await ann.session(WEEK[1], [])
        await ann.session(WEEK[2], [], delivered=False)
        await ann.session(WEEK[4], [("Squat", 142.5, 3, True), ("Bench", 100, 3, True)])
        await ann.session(WEEK[5], [("Deadlift", 180, 5, True), ("Row", 80, 8, True)])
        await ann.session(BEFORE[3], [("Press", 60, 5, True)])  # the week before: not this week's PR
        await ann.session(DAY, [("Press", 62.5, 5, True)])  # the check-in day: not this week's either
        # Bob, in lb: paused on Thursday, when a check-in and a workout had already gone out.
        bob = Logs(conn, BOB)
        for day in WEEK[:3]:
            await bob.checkin(day, round(180 * KG_PER_LB, 2), typed=180)
        await bob.checkin(PAUSED, None, "missed")
        await bob.checkin(WEEK[4], round(179 * KG_PER_LB, 2), typed=179)
        await bob.session(WEEK[0], [("Squat", 225 * KG_PER_LB, 5, True)], exercises=1, typed_lb=True)
        await bob.session(PAUSED, [], exercises=1)
        await bob.pause(PAUSED, PAUSED + dt.timedelta(days=1))
    return found


async def read(pool, client: ClientProfile) -> WeekNumbers:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return await week_numbers.read(conn, registry().outcome_sources(), client, DAY)


async def test_a_full_week_in_numbers(pool, clients) -> None:  # type: ignore[no-untyped-def]
    numbers = await read(pool, clients[ANN])
    assert numbers.start == WEEK[0] and numbers.end == DAY
    assert numbers.weigh_ins == len(ANN_WEEK_KG)
    assert numbers.bodyweight_kg == pytest.approx(mean(ANN_WEEK_KG), abs=1e-3)
    assert numbers.previous_kg == pytest.approx(mean(ANN_BEFORE_KG), abs=1e-3)
    assert numbers.compliance == {
        "checkin": Rate(6, 7),
        "meals": Rate(20, 21),
        "cardio": Rate(4, 5),
        "training": Rate(6, 8),  # exercises: four sessions delivered of two exercises each
        weekly.NAME: Rate(0, 1),
    }
    assert (numbers.sessions, numbers.trained, numbers.paused_days) == (4, 3, 0)
    # The last PR of each lift, in the order they were set: Monday's Squat was beaten on Friday.
    assert [(p.exercise, p.weight_kg) for p in numbers.prs] == [
        ("Bench", 100), ("Squat", 142.5), ("Deadlift", 180), ("Row", 80),
    ]  # fmt: skip
    down = round(mean(ANN_BEFORE_KG) - mean(ANN_WEEK_KG), 1)
    assert down > 0
    assert lines(numbers, Unit.kg, labels()) == [
        f"Bodyweight: {mean(ANN_WEEK_KG):.1f} kg average (6 weigh-ins), down {down} kg from the week before",
        "Check-in 6/7 · Meals 20/21 · Cardio 4/5 · Training 6/8",
        "Training sessions: 3 of 4 logged",
        "PRs: Bench 100 kg × 3, Squat 142.5 kg × 3, Deadlift 180 kg × 5 and 1 more",
    ]
    # Kept in the drop's content as JSON, and read back the same.
    assert WeekNumbers.from_content(json.loads(json.dumps(numbers.to_content()))) == numbers


async def test_a_lb_client_reads_pounds_and_a_paused_day_is_not_counted(pool, clients) -> None:  # type: ignore[no-untyped-def]
    numbers = await read(pool, clients[BOB])
    assert numbers.paused_days == 1
    assert numbers.compliance == {"checkin": Rate(4, 4), "training": Rate(1, 1)}  # Thursday left out
    assert (numbers.sessions, numbers.trained) == (1, 1)  # Thursday's workout, never logged: left out
    assert numbers.weigh_ins == 4 and numbers.previous_kg is None
    assert lines(numbers, Unit.lb, labels()) == [
        f"Bodyweight: {mean([180, 180, 180, 179]):.1f} lb average (4 weigh-ins)",
        "Check-in 4/4 · Training 1/1 (1 paused day not counted)",
        "Training sessions: 1 of 1 logged",
        "PR: Squat 225 lb × 5",
    ]
    # The same week for a coach reading in kilos: the stored kilos, in plates.
    assert lines(numbers, Unit.kg, labels())[3] == "PR: Squat 102 kg × 5"


async def test_a_new_client_with_nothing_logged_reads_well(pool, clients) -> None:  # type: ignore[no-untyped-def]
    numbers = await read(pool, clients[CY])
    assert numbers == WeekNumbers(WEEK[0])
    assert lines(numbers, Unit.kg, labels()) == [
        "No weigh-ins this week.",
        "Nothing was due this week.",
        "No training sessions this week.",
    ]
    assert WeekNumbers.from_content(json.loads(json.dumps(numbers.to_content()))) == numbers
