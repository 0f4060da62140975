"""The coaching team: coaches as people, who has which client, and who may steer whom.

Being a coach at all is the coaches' server's rule (the coach role, or administrator). Within
it, `COACH_SCOPE` decides: `team` (the default) lets every coach see and steer every client;
`own` lets a coach act only on the clients assigned to them, and head coaches on all.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from bot.domain.models import Row


class CoachKind(StrEnum):
    head = "head"
    coach = "coach"


class Notify(StrEnum):
    """Where a coach hears about their own clients' cards and alerts: the coaches' channel
    (with a mention), their DMs, or both."""

    channel = "channel"
    dm = "dm"
    both = "both"


class Scope(StrEnum):
    team = "team"
    own = "own"


class Coach(Row):
    user_id: int
    display_name: str
    kind: CoachKind = CoachKind.coach
    notify: Notify = Notify.channel
    added_by: int | None = None
    added_at: dt.datetime
    removed_at: dt.datetime | None = None

    @property
    def is_head(self) -> bool:
        return self.kind == CoachKind.head

    @property
    def mention(self) -> str:
        return f"<@{self.user_id}>"


class Assignment(Row):
    user_id: int
    from_date: dt.date
    coach_id: int | None
    coach_name: str | None = None
    note: str | None = None
    assigned_by: int | None = None
    assigned_at: dt.datetime


def may_steer(scope: Scope, actor_id: int, actor_is_head: bool, clients_coach: int | None) -> bool:
    """Whether a coach may see and act on a client whose coach (today) is `clients_coach`."""
    return scope == Scope.team or actor_is_head or clients_coach == actor_id


def refusal(client_name: str, coach_name: str | None) -> str:
    """Why a coach in `own` scope may not act on someone else's client: what to do instead."""
    whose = f"{coach_name}'s client" if coach_name else "not assigned to you (no coach yet)"
    return (
        f"{client_name} is {whose}: coaches act only on their own clients here. Ask a head coach, "
        "or to have them handed to you with /client edit coach:."
    )


def named(coach: Coach) -> str:
    """A coach in a coaches' channel post: mentioned, unless they asked to hear by DM only (then
    named, and DMed)."""
    return coach.display_name if coach.notify == Notify.dm else f"{coach.display_name} ({coach.mention})"


def addressed(coach: Coach | None) -> str:
    """The line a coaches' channel post about a client ends with: their coach."""
    return "" if coach is None else f"\nCoach: {named(coach)}"


def wants_dm(coach: Coach) -> bool:
    return coach.notify in (Notify.dm, Notify.both)
