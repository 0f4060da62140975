"""The expected weekly bodyweight change a coach types into /client edit: the forms accepted, the
messages for the others, and an edit that is refused writes nothing."""

from __future__ import annotations

import pytest
from helpers import add_clients, profile, utc

from bot.domain.errors import InputError
from bot.usecases import coaching

NOW = utc(2026, 5, 4, 15)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("-0.5 to -0.25", (-0.5, -0.25)),
        ("-0.25 to -0.5", (-0.5, -0.25)),
        ("-0.5..-0.25", (-0.5, -0.25)),
        ("+0.25 to +0.5 kg/week", (0.25, 0.5)),
        ("0,1 TO 0,3 kg per week", (0.1, 0.3)),
        ("\u22120.5 to \u22120.25", (-0.5, -0.25)),  # a pasted minus sign
        ("0.25\u20130.5", (0.25, 0.5)),  # an en dash between
        ("0 to 0", (0.0, 0.0)),
        ("-2 to 2", (-2.0, 2.0)),
        ("none", None),
        (" None ", None),
    ],
)
def test_the_forms_a_coach_writes(typed: str, expected: tuple[float, float] | None) -> None:
    problems: list[str] = []
    assert coaching.parse_weight_change(typed, problems) == expected
    assert problems == []


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("-0.5", "weight change: '-0.5' is not a range; write the range in kg per week, such as "
         '"-0.5 to -0.25" (none to remove it)'),
        ("-0.5 - -0.25", "weight change: '-0.5 - -0.25' is not a range"),
        ("lose some", "weight change: 'lose some' is not a range"),
        ("1e3 to 2", "weight change: '1e3 to 2' is not a range"),
        ("nan to inf", "weight change: 'nan to inf' is not a range"),
        ("-3 to -1", "weight change: -3 kg/week is outside -2 to +2 kg/week"),
        ("0.125 to 0.25", "weight change: 0.125 to 0.25 has more than 2 decimals"),
        ("-1 to -0.5 lb", "weight change: write the range in kg per week"),
    ],
)  # fmt: skip
def test_anything_else_says_what_to_write(typed: str, problem: str) -> None:
    problems: list[str] = []
    assert coaching.parse_weight_change(typed, problems) is False
    [found] = problems
    assert found.startswith(problem), found


async def test_edit_stores_the_range_clears_it_and_a_refused_edit_writes_nothing(pool, snapshot) -> None:
    await add_clients(pool, [profile(1, "UTC", utc(2026, 5, 4).date())], NOW)
    async with pool.acquire() as conn:
        edited = await coaching.edit(
            conn, user_id=1, given=coaching.ClientInput(weight_change="-0.5 to -0.25"), now=NOW
        )
        assert (edited.weekly_change_min_kg, edited.weekly_change_max_kg) == (-0.5, -0.25)
        before = await snapshot()
        bad = coaching.ClientInput(unit="lb", weight_change="-5 to 5")
        with pytest.raises(InputError, match="outside -2 to \\+2 kg/week"):
            await coaching.edit(conn, user_id=1, given=bad, now=NOW)
        assert await snapshot() == before
        cleared = await coaching.edit(
            conn, user_id=1, given=coaching.ClientInput(weight_change="none"), now=NOW
        )
        assert (cleared.weekly_change_min_kg, cleared.weekly_change_max_kg) == (None, None)
