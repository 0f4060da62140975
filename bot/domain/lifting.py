"""Numbers of lifting: what a client types, units, estimated 1RM and personal records.

Pure functions: no database, no Discord.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.errors import InputError
from bot.domain.inputs import unsigned
from bot.domain.models import Unit

KG_PER_LB = 0.45359237
MAX_WEIGHT_KG = 1000.0  # well past any human lift; catches a typo of an extra zero or two
MAX_REPS = 100
EPLEY_MAX_REPS = 10  # the estimate is meaningless for long sets


def to_kg(weight: float, unit: Unit) -> float:
    return weight * KG_PER_LB if unit == Unit.lb else weight


def from_kg(weight_kg: float, unit: Unit) -> float:
    return weight_kg / KG_PER_LB if unit == Unit.lb else weight_kg


def show_weight(weight_kg: float, unit: Unit) -> str:
    value = from_kg(weight_kg, unit)
    # Half a kilo / pound is the finest plate step people use.
    rounded = round(value * 2) / 2
    text = f"{rounded:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def show_bodyweight(
    weight_kg: float, unit: Unit, entered: float | None = None, entered_unit: str | None = None
) -> str:
    """A weigh-in as the client typed it (no plate rounding: 81.4 stays 81.4). What was typed in
    `unit` is shown as typed; otherwise the stored kilos, in `unit`, to one decimal."""
    if entered is not None and entered_unit == str(unit):
        value = round(float(entered), 2)
    else:
        value = round(from_kg(weight_kg, unit), 1)
    text = f"{value:.2f}".rstrip("0").removesuffix(".")
    return f"{text} {unit}"


def show_weigh_in(checkin: Mapping[str, Any], unit: Unit) -> str:
    """A check-in row's bodyweight (`bodyweight_kg`, `weight_entered`, `unit_entered`)."""
    entered = checkin.get("weight_entered")
    return show_bodyweight(
        float(checkin["bodyweight_kg"]),
        unit,
        None if entered is None else float(entered),
        checkin.get("unit_entered"),
    )


def parse_weight(text: str, unit: Unit, problems: list[str]) -> float | None:
    """A weight ≥ 0 in the client's unit: '100', '100.5' or '100,5'. None (with a problem) else."""
    raw = text.strip()
    if not raw:
        problems.append(f"weight: required (in {unit})")
        return None
    if raw.startswith("-") and unsigned(raw[1:].strip()) is not None:
        problems.append("weight: must be 0 or more")
        return None
    value = unsigned(raw)
    if value is None:
        problems.append(f"weight: {raw[:20]!r} is not a number; write it like 100 or 102.5 (in {unit})")
        return None
    if not math.isfinite(value) or to_kg(value, unit) > MAX_WEIGHT_KG:
        limit = show_weight(MAX_WEIGHT_KG, unit)
        problems.append(
            f"weight: {raw[:20]} {unit} is more than anyone lifts (limit {limit}); check for a typo"
        )
        return None
    return value


def parse_reps(text: str, problems: list[str]) -> int | None:
    raw = text.strip()
    if not raw:
        problems.append("reps: required")
        return None
    value = unsigned(raw, whole=True)
    if value is None:
        problems.append(f"reps: {raw[:20]!r} is not a whole number of reps (1 or more)")
        return None
    if not 1 <= value <= MAX_REPS:
        problems.append(f"reps: must be between 1 and {MAX_REPS}")
        return None
    return int(value)


@dataclass(frozen=True)
class TopSet:
    weight_entered: float
    unit: Unit
    reps: int

    @property
    def weight_kg(self) -> float:
        return to_kg(self.weight_entered, self.unit)


def parse_top_set(weight: str, reps: str, unit: Unit) -> TopSet:
    """Both fields at once, so the client hears about every problem in one message."""
    problems: list[str] = []
    parsed_weight = parse_weight(weight, unit, problems)
    parsed_reps = parse_reps(reps, problems)
    if problems or parsed_weight is None or parsed_reps is None:
        raise InputError(problems)
    return TopSet(parsed_weight, unit, parsed_reps)


def epley(weight_kg: float, reps: int) -> float | None:
    """Estimated one-rep max (Epley), only where it means something: 1–10 reps."""
    if not 1 <= reps <= EPLEY_MAX_REPS:
        return None
    return weight_kg if reps == 1 else weight_kg * (1 + reps / 30)


@dataclass(frozen=True)
class Best:
    """The best an exercise has seen before: heaviest weight and best estimated 1RM."""

    heaviest_kg: float | None = None
    best_e1rm_kg: float | None = None


def is_pr(weight_kg: float, reps: int, best: Best) -> bool:
    """A PR beats the heaviest weight or the best estimated 1RM. A first log sets a baseline,
    it is not a record (or every client's first week would be all PRs)."""
    if best.heaviest_kg is None:
        return False
    if weight_kg > best.heaviest_kg + 1e-9:
        return True
    estimate = epley(weight_kg, reps)
    return estimate is not None and best.best_e1rm_kg is not None and estimate > best.best_e1rm_kg + 1e-9


def reps_to_beat(reps: int) -> int:
    """At the same weight, one more rep beats the last top set. Up to 10 reps its estimated 1RM
    is higher too; past that Epley gives no estimate, so more reps at the same weight is no PR."""
    return reps + 1
