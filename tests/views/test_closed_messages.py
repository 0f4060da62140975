"""Issue 13 on the renderers themselves: every button of every part of a closed drop is disabled
(a long workout is split into parts), none while it is open; /history's session line."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import utc

from bot.domain.models import DailyDrop, TrainingSession, Unit
from bot.engines import cardio, checkin, meals
from bot.engines.training_progress import SessionLine
from bot.views.messages import OutgoingMessage
from bot.views.workout import workout_messages

DAY = dt.date(2026, 5, 4)
MEAL = {"name": "Lunch", "foods": [{"name": "Rice", "portion": "200 g"}], "kcal": 600,
        "protein": 40, "carbs": 80, "fat": 10}  # fmt: skip


def drop(engine: str, content: dict) -> DailyDrop:  # type: ignore[type-arg]
    return DailyDrop(
        id=1, user_id=7, local_date=DAY, engine=engine, content={"closes": "22:00", **content},
        deadline=utc(2026, 5, 4, 22), delivered_at=utc(2026, 5, 4, 6),
    )  # fmt: skip


def long_session() -> TrainingSession:
    note = "Keep the tempo slow and controlled, pause at the bottom. " * 3
    exercises = [
        {"id": f"ex{i}", "name": f"Very long exercise name number {i}", "sets": 5, "reps": "8-12",
         "rest": 90, "note": note}
        for i in range(30)
    ]  # fmt: skip
    return TrainingSession(
        id=1, user_id=7, local_date=DAY, block_id="big", block_version=1, day_index=0,
        day_title="Everything", exercises=exercises, deadline=utc(2026, 5, 4, 22),
    )  # fmt: skip


def renders(closed: bool) -> dict[str, list[OutgoingMessage]]:
    session = long_session()
    return {
        "check-in": [checkin.message(drop("checkin", {"closes": "12:00"}), None, Unit.kg, closed)],
        "meals": [meals.message(drop("meals", {"plan_name": "P", "meals": [MEAL] * 3}), {}, closed)],
        "cardio": [
            cardio.message(drop("cardio", {"session": {"kind": "Walk", "minutes": 30}}), None, closed)
        ],
        "workout": workout_messages(
            session, {}, {}, Unit.kg, block_name="Big", deadline_local=dt.time(22), closed=closed
        ),
    }


@pytest.mark.parametrize("closed", [False, True])
def test_every_button_of_a_closed_drop_is_disabled_and_none_of_an_open_one(closed: bool) -> None:
    for name, messages in renders(closed).items():
        buttons = [b for m in messages for b in m.buttons()]  # in rows or anywhere in a layout
        assert buttons, name
        assert {b.disabled for b in buttons} == {closed}, name
    assert len(renders(closed)["workout"]) > 1  # the long workout is in parts: each part is closed


@pytest.mark.parametrize(
    ("closed", "logged", "missed", "shown"),
    [
        (False, 0, 0, "0 of 3 logged so far"),
        (False, 1, 0, "1 of 3 logged so far"),
        (False, 3, 0, "3 of 3 logged"),
        (True, 2, 1, "2 logged, 1 missed"),
        (True, 3, 0, "3 logged, 0 missed"),
    ],
)
def test_a_history_line_says_how_far_the_session_got(
    closed: bool, logged: int, missed: int, shown: str
) -> None:
    line = SessionLine(DAY, "Full body A", closed, exercises=3, logged=logged, missed=missed, prs=0)
    assert line.state == shown
