"""Training block files: the format coaches write, validated with every problem located.

```yaml
id: steel_block_A          # letters, digits, _ and -; re-importing an id makes a new version
name: Steel Block A
days:                      # in order; clients cycle through them on their training weekdays
  - title: Lower A
    exercises:
      - id: back_squat     # stable: history and "last top set" follow it across days and blocks
        name: Back Squat
        sets: 4
        reps: 5            # a number, or a range such as "8-10"
        rest: 180          # seconds, required (seed 001: rest is shown with every exercise)
        note: Brace, sit between the hips   # optional
```
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.validation import load_document, parse_model

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"
MAX_EXERCISES_PER_DAY = 25
_RANGE = re.compile(r"^\s*(\d{1,3})\s*[-–]\s*(\d{1,3})\s*$")


class Exercise(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=60)]
    sets: Annotated[int, Field(ge=1, le=20, strict=True)]
    reps: str
    rest: Annotated[int, Field(ge=0, le=1800, strict=True)]
    note: Annotated[str, Field(max_length=200)] | None = None

    @field_validator("reps", mode="before")
    @classmethod
    def _reps(cls, value: Any) -> str:
        if isinstance(value, bool):
            raise ValueError("must be a number of reps such as 5, or a range such as 8-10")
        if isinstance(value, int):
            if not 1 <= value <= 100:
                raise ValueError("must be between 1 and 100")
            return str(value)
        if isinstance(value, str):
            text = value.strip()
            if text.isdigit() and 1 <= int(text) <= 100:
                return str(int(text))
            match = _RANGE.match(text)
            if match and 1 <= int(match[1]) < int(match[2]) <= 100:
                return f"{int(match[1])}-{int(match[2])}"
        raise ValueError("must be a number of reps such as 5, or a range such as 8-10")


class TrainingDay(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[str, Field(min_length=1, max_length=100)]
    exercises: Annotated[list[Exercise], Field(min_length=1, max_length=MAX_EXERCISES_PER_DAY)]

    @model_validator(mode="after")
    def _unique_ids(self) -> TrainingDay:
        seen: set[str] = set()
        for exercise in self.exercises:
            if exercise.id in seen:
                raise ValueError(f"exercise id {exercise.id!r} appears twice in this day")
            seen.add(exercise.id)
        return self


class Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    days: Annotated[list[TrainingDay], Field(min_length=1, max_length=14)]


def parse_block(text: str, filename: str = "block.yaml") -> Block:
    """Parse and validate a block file; InputError lists every problem with its location."""
    return parse_model(Block, load_document(text, filename))


DEFAULT_BLOCK = Block(
    id="default",
    name="Foundation (built in)",
    days=[
        TrainingDay(
            title="Full body A",
            exercises=[
                Exercise(id="back_squat", name="Back Squat", sets=3, reps="5", rest=180),
                Exercise(id="bench_press", name="Bench Press", sets=3, reps="5", rest=180),
                Exercise(id="barbell_row", name="Barbell Row", sets=3, reps="8", rest=120),
            ],
        ),
        TrainingDay(
            title="Full body B",
            exercises=[
                Exercise(id="deadlift", name="Deadlift", sets=1, reps="5", rest=240),
                Exercise(id="overhead_press", name="Overhead Press", sets=3, reps="5", rest=180),
                Exercise(id="pull_up", name="Pull-up", sets=3, reps="6-10", rest=120),
            ],
        ),
    ],
)
