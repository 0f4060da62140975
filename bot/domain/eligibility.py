"""Who an engine's actions apply to on a local date: one rule per engine, read two ways.

The planner needs the rule as SQL over every client at once (`bot.repo.eligibility.to_sql`);
`/schedule preview` and `/trigger` need it for one client and day (`Rule.holds`). Both readings
come from the same small expression, so they cannot drift apart; a test evaluates random clients
both ways against PostgreSQL.

Rules name fields of `ClientProfile`; a misspelt field fails at import, not at planning time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.models import ClientProfile


def _known(field: str) -> str:
    if field not in ClientProfile.model_fields:
        raise ValueError(f"{field!r} is not a field of a client profile")
    return field


@dataclass(frozen=True)
class Everyone:
    """Every active client (the planner and dispatcher already leave out paused and not-started
    clients)."""

    def holds(self, client: ClientProfile, day: dt.date) -> bool:
        return True


@dataclass(frozen=True)
class HasValue:
    """The client has something set, e.g. a meal plan."""

    field: str

    def __post_init__(self) -> None:
        _known(self.field)

    def holds(self, client: ClientProfile, day: dt.date) -> bool:
        return getattr(client, self.field) is not None


@dataclass(frozen=True)
class IsTrue:
    field: str

    def __post_init__(self) -> None:
        _known(self.field)

    def holds(self, client: ClientProfile, day: dt.date) -> bool:
        return bool(getattr(client, self.field))


@dataclass(frozen=True)
class WeekdayIn:
    """The local date's ISO weekday (Monday = 1) is in a list field, e.g. the training days."""

    field: str

    def __post_init__(self) -> None:
        _known(self.field)

    def holds(self, client: ClientProfile, day: dt.date) -> bool:
        return day.isoweekday() in getattr(client, self.field)


@dataclass(frozen=True)
class IsLocalDate:
    """A date field equals the local date, e.g. the day a pause ends."""

    field: str

    def __post_init__(self) -> None:
        _known(self.field)

    def holds(self, client: ClientProfile, day: dt.date) -> bool:
        return getattr(client, self.field) == day


@dataclass(frozen=True)
class IsWeekday:
    """The local date's ISO weekday is the client's own (a field), or `default` when it is unset:
    the weekly check-in's day, which a coach may change per client."""

    field: str
    default: int

    def __post_init__(self) -> None:
        _known(self.field)
        if not 1 <= self.default <= 7:
            raise ValueError(f"ISO weekday {self.default} is not 1-7")

    def holds(self, client: ClientProfile, day: dt.date) -> bool:
        own = getattr(client, self.field)
        return day.isoweekday() == (own if own is not None else self.default)


@dataclass(frozen=True)
class AllOf:
    rules: tuple[Rule, ...]

    def holds(self, client: ClientProfile, day: dt.date) -> bool:
        return all(rule.holds(client, day) for rule in self.rules)


Rule = Everyone | HasValue | IsTrue | WeekdayIn | IsWeekday | IsLocalDate | AllOf
EVERYONE = Everyone()


def one_day_a_week(rule: Rule) -> bool:
    """Whether the rule picks one weekday in seven (IsWeekday, alone or with others). When a coach
    moves that day, the planner still keeps each client to one run in any seven days."""
    match rule:
        case IsWeekday():
            return True
        case AllOf(rules):
            return any(one_day_a_week(r) for r in rules)
    return False


def all_of(*rules: Rule) -> Rule:
    return rules[0] if len(rules) == 1 else AllOf(tuple(rules))
