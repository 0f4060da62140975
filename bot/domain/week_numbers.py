"""The week in numbers, as the weekly check-in DM shows it: the 7-day average bodyweight and its
change on the week before, compliance per engine, training sessions and PRs.

Pure: the data layer (bot.repo.week_numbers) reads the figures, `tally` turns them into a
`WeekNumbers` (kept as JSON in the drop's content, so the DM reads the same when it is edited or
closed), and `lines` writes them in the client's unit. The week is the 7 local days before the
check-in day; the check-in day itself is not part of it.

What counts:
- bodyweight: every weigh-in of the week (a measurement is one, paused day or not); the change
  is this week's average minus the week before's, only when both weeks have weigh-ins;
- compliance: bot.domain.compliance.rates over the week, paused days left out; an engine with
  nothing due is not shown (never "0/0"); only the engines in `labels` are shown, in its order
  (the weekly check-in leaves itself out of the labels it passes);
- sessions: the workouts delivered in the week, and how many had at least one set logged; a
  workout of a paused day counts only when something was logged (what was trained counts,
  nothing is missed on a paused day);
- PRs: the lifts logged as PRs that week (training_logs.is_pr, as the honors board reads them),
  the last of each exercise, in the order they were set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.compliance import OVERALL, DayOutcome, Rate, paused_days, rates
from bot.domain.lifting import from_kg, show_weight
from bot.domain.models import Unit

WEEK = dt.timedelta(days=7)
PRS_NAMED = 3  # PRs named in the DM; more read "and N more"


@dataclass(frozen=True)
class Lift:
    """A PR: the top set as stored (kilos) and as typed (in `unit_entered`, when it was kept)."""

    exercise: str
    weight_kg: float
    reps: int
    weight_entered: float | None = None
    unit_entered: str | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Lift:
        """From a row of bot.repo.compliance.PRS, or its copy in the drop's content."""
        entered = row.get("weight_entered")
        return cls(
            row["exercise_name"],
            float(row["weight_kg"]),
            int(row["reps"]),
            None if entered is None else float(entered),
            row.get("unit_entered"),
        )

    def to_content(self) -> dict[str, Any]:
        return {
            "exercise_name": self.exercise,
            "weight_kg": self.weight_kg,
            "reps": self.reps,
            "weight_entered": self.weight_entered,
            "unit_entered": self.unit_entered,
        }

    def weight(self, unit: Unit) -> str:
        """As typed when it was typed in `unit` ("225 lb"), else the stored kilos in plates in
        `unit`: the one rule for a PR's weight, the honors board's and the week in numbers'."""
        if self.weight_entered is not None and self.unit_entered == str(unit):
            return f"{self.weight_entered:g} {unit}"
        return show_weight(self.weight_kg, unit)

    def text(self, unit: Unit) -> str:
        return f"{self.exercise} {self.weight(unit)} × {self.reps}"


@dataclass(frozen=True)
class WeekNumbers:
    start: dt.date  # the first day of the week (the check-in day - 7); the week ends the day before it
    bodyweight_kg: float | None = None  # the average of the week's weigh-ins
    weigh_ins: int = 0
    previous_kg: float | None = None  # the average of the week before's weigh-ins
    compliance: Mapping[str, Rate] = field(default_factory=dict)  # engine -> done/due, due > 0 only
    paused_days: int = 0  # days of the week left out of compliance
    sessions: int = 0  # workouts delivered (see the module's docstring for paused days)
    trained: int = 0  # of those, the ones with at least one set logged
    prs: tuple[Lift, ...] = ()

    @property
    def end(self) -> dt.date:
        """The check-in day: the first day after the week."""
        return self.start + WEEK

    @property
    def change_kg(self) -> float | None:
        if self.bodyweight_kg is None or self.previous_kg is None:
            return None
        return self.bodyweight_kg - self.previous_kg

    def to_content(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "bodyweight_kg": self.bodyweight_kg,
            "weigh_ins": self.weigh_ins,
            "previous_kg": self.previous_kg,
            "compliance": {engine: [rate.done, rate.due] for engine, rate in self.compliance.items()},
            "paused_days": self.paused_days,
            "sessions": self.sessions,
            "trained": self.trained,
            "prs": [p.to_content() for p in self.prs],
        }

    @classmethod
    def from_content(cls, d: Mapping[str, Any]) -> WeekNumbers:
        return cls(
            start=dt.date.fromisoformat(d["start"]),
            bodyweight_kg=d.get("bodyweight_kg"),
            weigh_ins=int(d.get("weigh_ins", 0)),
            previous_kg=d.get("previous_kg"),
            compliance={engine: Rate(int(done), int(due)) for engine, (done, due) in d["compliance"].items()},
            paused_days=int(d.get("paused_days", 0)),
            sessions=int(d.get("sessions", 0)),
            trained=int(d.get("trained", 0)),
            prs=tuple(Lift.of(p) for p in d.get("prs", [])),
        )


def _kg(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def tally(
    day: dt.date,
    outcomes: Iterable[DayOutcome],
    *,
    bodyweight_kg: float | None,
    weigh_ins: int,
    previous_kg: float | None,
    sessions: Iterable[tuple[dt.date, int]],
    prs: Sequence[Lift],
) -> WeekNumbers:
    """The week before `day` from what the data layer read: the client's outcomes over the week,
    the two weeks' average weights, (local date, sets logged) per workout delivered that week,
    and the week's PRs, oldest first."""
    start = day - WEEK
    listed = [o for o in outcomes if start <= o.day < day]
    paused = paused_days(listed)
    week = {e: r for e, r in rates(listed, start, day).items() if e != OVERALL and r.due > 0}
    delivered = [n for when, n in sessions if start <= when < day and (when not in paused or n > 0)]
    last_of_each: dict[str, Lift] = {}
    for lift in prs:
        last_of_each.pop(lift.exercise, None)  # a later PR of the same lift replaces it, at its place in time
        last_of_each[lift.exercise] = lift
    return WeekNumbers(
        start=start,
        bodyweight_kg=_kg(bodyweight_kg) if weigh_ins else None,
        weigh_ins=weigh_ins,
        previous_kg=_kg(previous_kg),
        compliance=week,
        paused_days=len(paused),
        sessions=len(delivered),
        trained=sum(1 for logged in delivered if logged > 0),
        prs=tuple(last_of_each.values()),
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _bodyweight_line(numbers: WeekNumbers, unit: Unit) -> str:
    if numbers.bodyweight_kg is None or numbers.weigh_ins == 0:
        return "No weigh-ins this week."
    line = (
        f"Bodyweight: {from_kg(numbers.bodyweight_kg, unit):.1f} {unit} average "
        f"({_plural(numbers.weigh_ins, 'weigh-in')})"
    )
    change = numbers.change_kg
    if change is None:
        return line
    shown = round(from_kg(change, unit), 1)
    if shown == 0:
        return f"{line}, the same as the week before"
    return f"{line}, {'down' if shown < 0 else 'up'} {abs(shown):.1f} {unit} from the week before"


def _compliance_line(numbers: WeekNumbers, labels: Mapping[str, str]) -> str:
    cells = [
        f"{label[:1].upper()}{label[1:]} {rate.done}/{rate.due}"
        for engine, label in labels.items()
        if (rate := numbers.compliance.get(engine)) is not None and rate.due > 0
    ]
    if not cells:
        paused = f" (paused {_plural(numbers.paused_days, 'day')})" if numbers.paused_days else ""
        return f"Nothing was due this week{paused}."
    paused = f" ({_plural(numbers.paused_days, 'paused day')} not counted)" if numbers.paused_days else ""
    return " · ".join(cells) + paused


def _training_line(numbers: WeekNumbers) -> str:
    if numbers.sessions == 0:
        return "No training sessions this week."
    return f"Training sessions: {numbers.trained} of {numbers.sessions} logged"


def _prs_line(numbers: WeekNumbers, unit: Unit) -> str | None:
    if not numbers.prs:
        return None
    named = ", ".join(p.text(unit) for p in numbers.prs[:PRS_NAMED])
    more = len(numbers.prs) - PRS_NAMED
    label = "PR" if len(numbers.prs) == 1 else "PRs"
    return f"{label}: {named}" + (f" and {more} more" if more > 0 else "")


def lines(numbers: WeekNumbers, unit: Unit, labels: Mapping[str, str]) -> list[str]:
    """The week in numbers, one line per figure, in `unit` (kg or lb). `labels`: engine name ->
    label of the engines to show in the compliance line, in display order (registry.labels()
    without the weekly check-in itself). PRs get a line only when there were some."""
    found = [
        _bodyweight_line(numbers, unit),
        _compliance_line(numbers, labels),
        _training_line(numbers),
        _prs_line(numbers, unit),
    ]
    return [line for line in found if line is not None]
