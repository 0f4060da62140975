"""Client rosters for the simulator: a YAML/JSON file of client profiles, or a demo roster."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.domain import timezones
from bot.domain.models import ClientProfile, Unit
from bot.domain.weekdays import parse_weekdays

# ≥ 8 zones: half-hour and 45-minute offsets, both hemispheres' DST, a 30-minute DST shift,
# the date line, and a fixed offset.
DEMO_ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Tokyo",
    "America/Sao_Paulo",
    "Pacific/Auckland",
    "+05:30",
    "Africa/Lagos",
)


class RosterEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(gt=0)
    display_name: str = ""
    timezone: str
    start_date: dt.date
    paused: bool = False
    paused_until: dt.date | None = None
    block_id: str | None = None
    schedule_days: list[int] = [1, 3, 5]
    day_index: int = Field(default=0, ge=0)
    unit: Unit = Unit.kg
    meal_plan_id: str | None = None
    cardio_plan_id: str | None = None

    _days = field_validator("schedule_days", mode="before")(classmethod(lambda cls, v: parse_weekdays(v)))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return timezones.canonical_name(value)  # InvalidTimezone is a ValueError: reported by field

    def profile(self) -> ClientProfile:
        return ClientProfile(**self.model_dump())


class RosterError(ValueError):
    pass


def load_roster(path: Path) -> list[RosterEntry]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    if not isinstance(data, list):
        raise RosterError(f"{path}: a roster is a list of client profiles")
    entries, problems = [], []
    for index, item in enumerate(data):
        try:
            entries.append(RosterEntry.model_validate(item))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = ".".join(str(p) for p in error["loc"])
                problems.append(f"[{index}].{loc}: {error['msg']}")
    if problems:
        raise RosterError(f"{path}:\n  " + "\n  ".join(problems))
    return entries


def demo_roster(count: int, start: dt.date, seed: int) -> list[RosterEntry]:
    """Clients spread over DEMO_ZONES; one in ten paused, one in twelve starting two days late."""
    rng = random.Random(seed)
    schedules = ([1, 3, 5], [1, 2, 4, 5], [2, 4, 6], [1, 2, 3, 4, 5])
    entries = []
    for i in range(count):
        entries.append(
            RosterEntry(
                user_id=10_000 + i,
                display_name=f"client{i:04d}",
                timezone=DEMO_ZONES[i % len(DEMO_ZONES)],
                start_date=start + dt.timedelta(days=2 if i % 12 == 11 else 0),
                paused=(i % 10 == 9),
                schedule_days=rng.choice(schedules),
                unit=Unit.lb if i % 3 == 0 else Unit.kg,
                block_id=("steel_block_A", "upper_lower_4", None)[i % 3],
                meal_plan_id="cut_2200" if i % 4 != 3 else None,
                cardio_plan_id="zone2_base" if i % 5 != 4 else None,
            )
        )
    return entries
