"""The honors board's PR lines are in each client's unit (bot.repo.compliance.prs): a lb client's
PR reads as they typed it in pounds, never converted to kilos."""

from __future__ import annotations

import datetime as dt

from helpers import utc

from bot.domain.models import Unit
from bot.repo import compliance as compliance_repo

MONDAY = dt.date(2026, 5, 4)
KIM, LEE = 7301, 7302  # Kim trains in lb, Lee in kg


async def log_pr(pool, user_id: int, kg: float, typed: float | None, unit: str | None) -> None:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        session = await conn.fetchval(
            "INSERT INTO training_sessions (user_id, local_date, block_id, block_version, day_index, "
            "day_title, exercises, deadline, created_at) VALUES ($1, $2, 'b', 1, 0, 'Day 1', '[]', $3, $3) "
            "RETURNING id",
            user_id,
            MONDAY,
            utc(2026, 5, 4, 22),
        )
        await conn.execute(
            "INSERT INTO training_logs (user_id, timestamp, date, exercise_id, exercise_name, weight_kg, "
            "reps, block_id, day_index, status, session_id, weight_entered, unit_entered, is_pr) "
            "VALUES ($1, $2, $3, 'squat', 'Back Squat', $4, 5, 'b', 0, 'logged', $5, $6, $7, true)",
            user_id,
            utc(2026, 5, 4, 8),
            MONDAY,
            kg,
            session,
            typed,
            unit,
        )


async def test_pr_lines_are_in_each_clients_unit(pool) -> None:  # type: ignore[no-untyped-def]
    await log_pr(pool, KIM, 225 * 0.45359237, 225, "lb")
    await log_pr(pool, LEE, 102.5, None, None)  # logged before what was typed was kept
    async with pool.acquire() as conn:
        found = await compliance_repo.prs(
            conn, MONDAY, MONDAY + dt.timedelta(days=1), {KIM: Unit.lb, LEE: Unit.kg}
        )
        unknown = await compliance_repo.prs(conn, MONDAY, MONDAY + dt.timedelta(days=1))
    assert found == {KIM: [(MONDAY, "Back Squat 225 lb × 5")], LEE: [(MONDAY, "Back Squat 102.5 kg × 5")]}
    assert unknown[KIM] == [(MONDAY, "Back Squat 102 kg × 5")]  # no unit given: kilos, in plates
