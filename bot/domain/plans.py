"""Meal plans and cardio prescriptions: the files coaches write, validated with every problem
located. A file says which it is with `kind: meals` or `kind: cardio`.

```yaml
kind: meals
id: cut_2200
name: Cut — 2,200 kcal
daily:                     # the same meals every day … or `days: {mon: [...], tue: [...]}`
  - name: Breakfast        # ≤ 40 characters (it is on the buttons)
    foods:
      - {name: Oats, portion: 80 g}
      - {name: Whey, portion: 30 g}
    kcal: 520
    protein: 40            # grams
    carbs: 60
    fat: 12
```

```yaml
kind: cardio
id: zone2_base
name: Zone 2 base
days:                      # a weekday that is missing, or `rest`, is a rest day
  mon: {kind: Incline walk, minutes: 35, zone: 2}
  tue: {kind: Steps, steps: 10000}
  wed: rest
```
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.validation import load_document, parse_model

ID = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_MEALS = 10  # two meals (four buttons) per row, five rows


class Food(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=60)]
    portion: Annotated[str, Field(min_length=1, max_length=40)]

    @field_validator("portion", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        """`portion: 3` (three eggs) is as good as `portion: 3 eggs`."""
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class Meal(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=40)]
    foods: Annotated[list[Food], Field(min_length=1, max_length=20)]
    kcal: Annotated[int, Field(ge=0, le=5000)]
    protein: Annotated[float, Field(ge=0, le=1000)]
    carbs: Annotated[float, Field(ge=0, le=1000)]
    fat: Annotated[float, Field(ge=0, le=1000)]


MealDay = Annotated[list[Meal], Field(min_length=1, max_length=MAX_MEALS)]


class MealPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["meals"]
    id: ID
    name: Annotated[str, Field(min_length=1, max_length=100)]
    daily: MealDay | None = None
    days: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], MealDay] | None = None

    @model_validator(mode="after")
    def _one_schedule(self) -> MealPlan:
        if (self.daily is None) == (self.days is None):
            raise ValueError(
                "give either `daily` (the same meals every day) or `days` (per weekday), not both"
            )
        return self

    @model_validator(mode="after")
    def _fits_a_message(self) -> MealPlan:
        """A day's meals are one Discord embed: 1,024 characters a meal, 6,000 in all. Refuse at
        import a plan that could not be sent, rather than fail every morning."""
        days = {"daily": self.daily} if self.daily is not None else dict(self.days or {})
        for name, meals in days.items():
            sizes = [len(meal_text(m)) + len(m.name) + 40 for m in meals or []]
            if any(size > 1000 for size in sizes):
                raise ValueError(f"{name}: a meal's foods are too long to show (shorten names or portions)")
            if sum(sizes) > 5500:
                raise ValueError(
                    f"{name}: the day's meals are too long for one message (fewer foods or shorter names)"
                )
        return self

    def meals_on(self, day: dt.date) -> list[Meal]:
        if self.daily is not None:
            return list(self.daily)
        return list((self.days or {}).get(WEEKDAYS[day.weekday()], []))  # type: ignore[call-overload]


class CardioSession(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Annotated[str, Field(min_length=1, max_length=60)]
    minutes: Annotated[int, Field(ge=1, le=600)] | None = None
    steps: Annotated[int, Field(ge=100, le=100_000)] | None = None
    zone: Annotated[int, Field(ge=1, le=5)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> CardioSession:
        if (self.minutes is None) == (self.steps is None):
            raise ValueError("give either `minutes` or `steps`")
        return self

    def describe(self) -> str:
        target = f"{self.minutes} min" if self.minutes is not None else f"{self.steps:,} steps"
        zone = f", zone {self.zone}" if self.zone else ""
        return f"{self.kind}: {target}{zone}"


class CardioPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["cardio"]
    id: ID
    name: Annotated[str, Field(min_length=1, max_length=100)]
    days: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], CardioSession | None]

    @field_validator("days", mode="before")
    @classmethod
    def _rest(cls, value: Any) -> Any:
        """`rest` is a rest day (so is a weekday left out); anything else must be a session."""
        if isinstance(value, dict):
            return {
                k: (None if isinstance(v, str) and v.strip().lower() == "rest" else v)
                for k, v in value.items()
            }
        return value

    def session_on(self, day: dt.date) -> CardioSession | None:
        return self.days.get(WEEKDAYS[day.weekday()])  # type: ignore[call-overload]


def meal_text(meal: Meal | dict[str, Any]) -> str:
    """How a meal reads in the DM: foods and portions, then kcal and macros."""
    data = meal.model_dump() if isinstance(meal, Meal) else meal
    foods = ", ".join(f"{f['name']} {f['portion']}" for f in data["foods"])
    macros = f"{data['kcal']} kcal · P {data['protein']:g} g · C {data['carbs']:g} g · F {data['fat']:g} g"
    return f"{foods}\n{macros}"


Plan = MealPlan | CardioPlan


def parse_plan(text: str, filename: str = "plan.yaml") -> Plan:
    """A meal plan or a cardio plan, by its `kind`; InputError lists every problem, located."""
    data = load_document(text, filename)
    kind = data.get("kind")
    if kind == "meals":
        return parse_model(MealPlan, data)
    if kind == "cardio":
        return parse_model(CardioPlan, data)
    from bot.domain.errors import InputError

    raise InputError("kind: required, and must be `meals` or `cardio`")
