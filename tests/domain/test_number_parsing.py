"""One number parser (`bot.domain.inputs.unsigned`) behind every form: the lifting fields and
`inputs.number` accept and refuse the same spellings."""

from __future__ import annotations

import math

import pytest

from bot.domain.inputs import number, unsigned
from bot.domain.lifting import parse_reps, parse_weight
from bot.domain.models import Unit


@pytest.mark.parametrize(("raw", "value"), [("72", 72.0), ("72.5", 72.5), ("72,5", 72.5), ("007", 7.0)])
def test_unsigned_accepts_ascii_decimals(raw: str, value: float) -> None:
    assert unsigned(raw) == value


@pytest.mark.parametrize(
    "raw", ["", " 72", "72\n", "-72", "+72", "1e3", "nan", "inf", "7.", ".5", "1.2.3", "²", "٣", "５"]
)
def test_unsigned_refuses_anything_else(raw: str) -> None:
    assert unsigned(raw) is None


def test_whole_refuses_a_fraction() -> None:
    assert unsigned("8", whole=True) == 8.0
    assert unsigned("8.5", whole=True) is None


def test_weight_number_and_reps_agree_on_what_is_a_number() -> None:
    for raw in ("100", "100,5", "1e2", "١٠٠", "abc"):
        lifted = parse_weight(raw, Unit.kg, [])
        general = number(raw, "weight", [], low=0, high=1000)
        assert lifted == general == unsigned(raw)


def test_weight_sign_and_limit_messages() -> None:
    problems: list[str] = []
    assert parse_weight("-5", Unit.kg, problems) is None
    assert parse_weight("1001", Unit.kg, problems) is None
    assert problems == [
        "weight: must be 0 or more",
        "weight: 1001 kg is more than anyone lifts (limit 1000 kg); check for a typo",
    ]


def test_absurdly_long_numbers_are_refused_not_raised() -> None:
    digits = "1" * 5000  # past int()'s 4300-digit limit
    assert unsigned(digits) == math.inf
    problems: list[str] = []
    assert parse_reps(digits, problems) is None
    assert problems == ["reps: must be between 1 and 100"]
    assert parse_weight(digits, Unit.lb, problems) is None
    assert number(digits, "steps", problems, low=1, high=100_000, whole=True) is None
    assert len(problems) == 3
