"""Body measurements of the weekly check-in: the waist, asked of everyone, and the others a coach
may choose per client. Lengths are stored in cm and asked in the client's unit (inches for a
client who weighs in lb). Pure rules: names, sane ranges, parsing and wording."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.inputs import number
from bot.domain.models import Unit

CM_PER_INCH = 2.54
WAIST = "waist"


@dataclass(frozen=True)
class Measurement:
    name: str
    low_cm: float  # the sane range for an adult, in cm
    high_cm: float


MEASUREMENTS: dict[str, Measurement] = {
    m.name: m
    for m in (
        Measurement(WAIST, 40.0, 250.0),
        Measurement("hips", 50.0, 250.0),
        Measurement("chest", 50.0, 250.0),
        Measurement("arm", 15.0, 80.0),
        Measurement("thigh", 25.0, 120.0),
    )
}
#: What a coach may add besides the waist. A modal holds five questions: the first form asks the
#: waist and two of these beside the week's rating and story, the photos form the other two.
OPTIONAL = tuple(name for name in MEASUREMENTS if name != WAIST)
MAX_OPTIONAL = 4


def length_unit(unit: Unit | str) -> str:
    return "in" if Unit(unit) == Unit.lb else "cm"


def to_cm(value: float, unit: Unit | str) -> float:
    return round(value * CM_PER_INCH if Unit(unit) == Unit.lb else value, 1)


def from_cm(cm: float, unit: Unit | str) -> float:
    return round(cm / CM_PER_INCH if Unit(unit) == Unit.lb else cm, 1)


def shown(cm: float, unit: Unit | str) -> str:
    """A length for people: "80.5 cm", "31.7 in"."""
    return f"{from_cm(float(cm), unit):g} {length_unit(unit)}"


def parse_choice(text: str) -> list[str]:
    """A coach's choice of measurements besides the waist: "hips, chest" (or "none"). Raises
    ValueError naming what is wrong."""
    cleaned = text.strip().lower()
    if cleaned in ("", "none", "waist"):
        return []
    chosen: list[str] = []
    for raw in cleaned.replace(";", ",").replace(" ", ",").split(","):
        name = raw.strip()
        if not name or name == WAIST:
            continue
        if name not in OPTIONAL:
            raise ValueError(f"{name[:20]!r} is not a measurement: choose from {', '.join(OPTIONAL)}")
        if name not in chosen:
            chosen.append(name)
    if len(chosen) > MAX_OPTIONAL:
        raise ValueError(f"at most {MAX_OPTIONAL} measurements besides the waist")
    return chosen


def parse(raw: str, name: str, unit: Unit | str, problems: list[str]) -> tuple[float, str] | None:
    """An optional length typed in the client's unit: (cm, as typed), or None (empty, or a
    problem added to `problems`)."""
    spec = MEASUREMENTS[name]
    typed = raw.strip().replace(",", ".")
    low, high = from_cm(spec.low_cm, unit), from_cm(spec.high_cm, unit)
    value = number(
        typed, name, problems, low=round(low), high=round(high), required=False, unit=length_unit(unit)
    )
    if value is None:
        return None
    return to_cm(value, unit), typed
