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
length: 4 weeks            # optional: "N weeks" (1–52) or "N sessions" (1–365); none: it never ends
```

A block with a length ends: after its weeks (paused days do not count: a pause moves the end
back), or after its number of delivered sessions. Then the client moves on to the block a coach
queued with /reassign, or, when none is queued, the block repeats from its first day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.validation import load_document, parse_model

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"
MAX_EXERCISES_PER_DAY = 25
_RANGE = re.compile(r"^\s*(\d{1,3})\s*[-–]\s*(\d{1,3})\s*$")
_LENGTH = re.compile(r"^\s*(\d{1,4})\s*(weeks?|sessions?)\s*$", re.IGNORECASE)
MAX_WEEKS = 52
MAX_SESSIONS = 365
LENGTH_HELP = 'must be a number of weeks or of sessions, such as "4 weeks" or "12 sessions"'


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


LengthUnit = Literal["weeks", "sessions"]


@dataclass(frozen=True)
class BlockLength:
    count: int
    unit: LengthUnit

    def __str__(self) -> str:
        return f"{self.count} {self.unit if self.count != 1 else self.unit[:-1]}"


def parse_length(value: Any) -> BlockLength:
    """ "4 weeks", "1 week", "12 sessions" (any case); ValueError saying what to write."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(LENGTH_HELP)
    match = _LENGTH.match(value)
    if match is None:
        raise ValueError(LENGTH_HELP)
    count = int(match[1])
    unit: LengthUnit = "weeks" if match[2].lower().startswith("week") else "sessions"
    limit = MAX_WEEKS if unit == "weeks" else MAX_SESSIONS
    if not 1 <= count <= limit:
        raise ValueError(f"{count} {unit} is outside 1–{limit} {unit}")
    return BlockLength(count, unit)


class Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    days: Annotated[list[TrainingDay], Field(min_length=1, max_length=14)]
    length: str | None = None  # "4 weeks" or "12 sessions", as parse_length writes it

    @field_validator("length", mode="before")
    @classmethod
    def _length(cls, value: Any) -> str | None:
        return None if value is None else str(parse_length(value))

    @property
    def length_parts(self) -> BlockLength | None:
        return None if self.length is None else parse_length(self.length)


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


# --- where a block with a length ends -----------------------------------------------------------

_ONE_DAY = dt.timedelta(days=1)
_HORIZON_DAYS = 3 * 366  # past this, with every day paused or no training day, it never ends


def _nth_day(first: dt.date, n: int, counts: Callable[[dt.date], bool]) -> dt.date | None:
    """The n-th day from `first` on (n ≥ 1) for which `counts` holds; None past the horizon."""
    day, found = first, 0
    for _ in range(_HORIZON_DAYS):
        if counts(day):
            found += 1
            if found == n:
                return day
        day += _ONE_DAY
    return None


def cycle(
    length: BlockLength,
    started_on: dt.date,
    today: dt.date,
    *,
    sessions: Sequence[dt.date],
    training_days: Collection[int],
    paused: Callable[[dt.date], bool],
) -> tuple[dt.date, dt.date] | None:
    """(first day, last day) of the run of a block that is under way on `today`: the block started
    on `started_on` and repeats from the day after each end until a coach moves the client on.

    `sessions`: the local dates of the sessions delivered on this block since `started_on`, in
    order; `training_days`: ISO weekdays; `paused`: whether the client is (or will be) paused on
    a date. Weeks count the days not paused; sessions count those delivered, and the ones still
    to come fall on the next training days not paused (from today, or tomorrow when today's was
    delivered). None when the end cannot be reached (an open pause, no training day)."""
    start = started_on
    done = sorted(day for day in sessions if day >= started_on)
    for _ in range(_HORIZON_DAYS):
        if length.unit == "weeks":
            end = _nth_day(start, 7 * length.count, lambda day: not paused(day))
        else:
            mine = [day for day in done if day >= start]
            if len(mine) >= length.count:
                end = mine[length.count - 1]
            else:
                first = max(start, today, mine[-1] + _ONE_DAY if mine else start)
                end = _nth_day(
                    first,
                    length.count - len(mine),
                    lambda day: day.isoweekday() in training_days and not paused(day),
                )
        if end is None:
            return None
        if end >= today:
            return start, end
        start = end + _ONE_DAY
    return None


@dataclass(frozen=True)
class BlockEnd:
    """Where a client's current block ends, and what comes after it (for the block_ending card)."""

    block_id: str
    name: str
    length: str  # "4 weeks"
    ends_on: dt.date  # its last day
    next_name: str | None = None  # the block a coach queued with /reassign; None: it repeats
    next_from: dt.date | None = None  # when that one starts (the day after the end, or later)


def block_end(
    block: Block,
    started_on: dt.date,
    today: dt.date,
    *,
    sessions: Sequence[dt.date],
    training_days: Collection[int],
    paused: Callable[[dt.date], bool],
    next_name: str | None = None,
    next_from: dt.date | None = None,
) -> BlockEnd | None:
    """The end of the run of `block` under way on `today` (None for a block without a length, or
    one whose end cannot be reached). A block queued to start before that end cuts it short."""
    length = block.length_parts
    if length is None:
        return None
    run = cycle(length, started_on, today, sessions=sessions, training_days=training_days, paused=paused)
    if run is None:
        return None
    ends_on = run[1]
    if next_from is not None and next_from <= ends_on:
        ends_on = next_from - _ONE_DAY
    if next_name is None:
        next_from = None
    return BlockEnd(block.id, block.name, str(length), ends_on, next_name, next_from)
