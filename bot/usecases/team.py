"""The coaching team: adding and removing coaches, handing clients over, and the scope rule
every coach command goes through (bot.domain.team). Each function opens its own connection and
transaction and returns what the command shows, or raises InputError having changed nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol, TypeVar

import asyncpg

from bot.config import Settings
from bot.core.clock import Clock
from bot.domain import team
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile
from bot.domain.team import Assignment, Coach, CoachKind, Notify, Scope
from bot.repo import clients, coaches
from bot.usecases.coaching import client_today, parse_date

NOTE_LIMIT = 500


class HasUserId(Protocol):
    @property
    def user_id(self) -> int: ...


@dataclass(frozen=True)
class Actor:
    """The coach running a command: who, and whether they are a head coach (by the head-coach
    role, which the cog reads from Discord, or by their row)."""

    user_id: int
    head_by_role: bool = False


@dataclass(frozen=True)
class TeamLine:
    coach: Coach
    clients: int


@dataclass(frozen=True)
class Removal:
    coach: Coach
    moved: list[ClientProfile]
    to: Coach | None


@dataclass(frozen=True)
class Handover:
    profile: ClientProfile
    to: Coach
    from_date: dt.date
    previous: str | None  # the coach they had, by name


def _name(profile: ClientProfile) -> str:
    return profile.display_name or str(profile.user_id)


async def is_head(conn: asyncpg.Connection, actor: Actor) -> bool:
    if actor.head_by_role:
        return True
    coach = await coaches.get(conn, actor.user_id)
    return coach is not None and coach.is_head


async def add_coach(
    pool: asyncpg.Pool, clock: Clock, actor: Actor, *, user_id: int, display_name: str, kind: str
) -> Coach:
    """A coach joins the team. Only a head coach may add a head coach; anyone may add a coach
    while the team has no head coach yet (the first one sets it up)."""
    try:
        chosen = CoachKind(kind)
    except ValueError:
        raise InputError("kind must be head or coach") from None
    name = display_name.strip()[:80]
    if not name:
        raise InputError("a coach needs a name: give one with name:")
    async with pool.acquire() as conn, conn.transaction():
        heads = [c for c in await coaches.active(conn) if c.is_head]
        if chosen == CoachKind.head and heads and not await is_head(conn, actor):
            raise InputError("Only a head coach can add a head coach.")
        return await coaches.add(
            conn, user_id=user_id, display_name=name, kind=chosen, by=actor.user_id, now=clock.now()
        )


async def list_coaches(pool: asyncpg.Pool, clock: Clock) -> list[TeamLine]:
    day = clock.now().date()
    async with pool.acquire() as conn:
        return [
            TeamLine(c, len(await coaches.clients_of(conn, c.user_id, day)))
            for c in await coaches.active(conn)
        ]


async def set_notify(pool: asyncpg.Pool, actor: Actor, mode: str) -> Coach:
    try:
        chosen = Notify(mode)
    except ValueError:
        raise InputError("notify must be dm, channel or both") from None
    async with pool.acquire() as conn:
        coach = await coaches.set_notify(conn, actor.user_id, chosen)
    if coach is None:
        raise InputError("You are not on the team yet: a head coach adds you with /coach add.")
    return coach


async def remove_coach(
    pool: asyncpg.Pool, clock: Clock, actor: Actor, *, coach_id: int, reassign_to: int | None
) -> Removal:
    """A coach leaves. Refused while they have clients, naming them; with `reassign_to`, every
    one of them moves to that coach from their own local today, in one transaction."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        if not await is_head(conn, actor):
            raise InputError("Only a head coach can remove a coach.")
        leaving = await coaches.get(conn, coach_id)
        if leaving is None:
            raise InputError("That person is not on the team: /coach list shows who is.")
        ids = set(await coaches.clients_of(conn, coach_id, now.date()))
        theirs, _ = await clients.list_page(conn, len(ids), 0, among=ids) if ids else ([], 0)
        to: Coach | None = None
        if reassign_to is not None:
            to = await coaches.get(conn, reassign_to)
            if to is None or to.user_id == coach_id:
                raise InputError("reassign_to must be another coach on the team: /coach list shows who is.")
        if theirs and to is None:
            names = ", ".join(_name(p) for p in theirs[:20]) + (" …" if len(theirs) > 20 else "")
            raise InputError(
                f"{leaving.display_name} still has {len(theirs)} client{'s' if len(theirs) != 1 else ''} "
                f"({names}): hand them over with reassign_to:, then they can go."
            )
        for profile in theirs:
            await coaches.assign(
                conn,
                user_id=profile.user_id,
                coach_id=to.user_id if to else None,
                from_date=client_today(profile, now),
                note=f"Handed over when {leaving.display_name} left the team.",
                by=actor.user_id,
                now=now,
            )
        removed = await coaches.remove(conn, coach_id, now)
        assert removed is not None
    return Removal(removed, theirs, to)


async def require_coach(pool: asyncpg.Pool, coach_id: int) -> Coach:
    """The coach a client is given, on the team; InputError otherwise."""
    async with pool.acquire() as conn:
        coach = await coaches.get(conn, coach_id)
    if coach is None:
        raise InputError("coach: that person is not on the team: a head coach adds them with /coach add")
    return coach


async def assign_new_client(
    pool: asyncpg.Pool, clock: Clock, actor: Actor, *, user_id: int, coach_id: int | None
) -> Coach | None:
    """A client just onboarded gets `coach_id`, or the coach who added them when they are on the
    team (a coach outside the team leaves the client without one)."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        coach = await coaches.get(conn, coach_id if coach_id is not None else actor.user_id)
        profile = await clients.get(conn, user_id)
        if coach is None or profile is None:
            return None
        since = min(profile.start_date, client_today(profile, now))
        await coaches.assign(
            conn,
            user_id=user_id,
            coach_id=coach.user_id,
            from_date=since,
            note=None,
            by=actor.user_id,
            now=now,
        )
    return coach


@dataclass(frozen=True)
class CoachLine:
    """Who coaches a client, as /client show says it: now, the handover note, and before."""

    current: Assignment | None
    history: list[Assignment]


async def coach_line(pool: asyncpg.Pool, clock: Clock, profile: ClientProfile) -> CoachLine:
    async with pool.acquire() as conn:
        return CoachLine(
            await coach_of(conn, profile, clock.now()), await coaches.history(conn, profile.user_id)
        )


async def hand_over(
    pool: asyncpg.Pool,
    clock: Clock,
    actor: Actor,
    *,
    user_id: int,
    coach_id: int,
    from_date: str | None,
    note: str | None,
    settings: Settings,
) -> Handover:
    """Give a client a coach from a date (default: the client's today). The history before it
    stays with the coach they had; the handover note is shown to the new coach."""
    now = clock.now()
    note = (note or "").strip() or None
    problems = []
    if note is not None and len(note) > NOTE_LIMIT:
        problems.append(f"the handover note is {len(note)} characters; keep it to {NOTE_LIMIT}")
    async with pool.acquire() as conn, conn.transaction():
        profile = await clients.get(conn, user_id, lock=True)
        if profile is None:
            raise InputError("that person is not a client yet: add them with /client add")
        await require_in_scope(conn, settings, actor, profile, now)
        to = await coaches.get(conn, coach_id)
        if to is None:
            problems.append("that person is not on the team: a head coach adds them with /coach add")
        today = client_today(profile, now)
        day = today
        if from_date:
            chosen = parse_date(from_date, "from", problems)
            if chosen is not None and chosen < today:
                problems.append(
                    f"from: a handover starts today ({today:%A %d %B}) or later, not {chosen:%A %d %B}"
                )
            day = chosen or today
        if problems:
            raise InputError(problems)
        assert to is not None
        before = await coaches.coach_on(conn, user_id, day)
        await coaches.assign(
            conn, user_id=user_id, coach_id=to.user_id, from_date=day, note=note, by=actor.user_id, now=now
        )
    return Handover(profile, to, day, before.coach_name if before else None)


async def coach_of(conn: asyncpg.Connection, profile: ClientProfile, now: dt.datetime) -> Assignment | None:
    """The client's coach on their local today."""
    return await coaches.coach_on(conn, profile.user_id, client_today(profile, now))


async def require_in_scope(
    conn: asyncpg.Connection, settings: Settings, actor: Actor, profile: ClientProfile, now: dt.datetime
) -> None:
    """Refuse (InputError) a coach acting on a client who is not theirs, in `own` scope."""
    if settings.coach_scope == Scope.team:
        return
    assignment = await coach_of(conn, profile, now)
    coach_id = assignment.coach_id if assignment else None
    if not team.may_steer(settings.coach_scope, actor.user_id, await is_head(conn, actor), coach_id):
        raise InputError(team.refusal(_name(profile), assignment.coach_name if assignment else None))


async def check_scope(
    pool: asyncpg.Pool, clock: Clock, settings: Settings, actor: Actor, user_id: int
) -> None:
    """The scope rule for a command about one client (nothing to check for someone who is not a
    client: the command itself says so)."""
    if settings.coach_scope == Scope.team:
        return
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
        if profile is not None:
            await require_in_scope(conn, settings, actor, profile, clock.now())


async def visible_clients(
    pool: asyncpg.Pool, clock: Clock, settings: Settings, actor: Actor, *, everyone: bool
) -> set[int] | None:
    """The clients a list shows: None for all of them (the team view), else the actor's own
    ("mine", the default). In `own` scope a coach who is not a head coach sees only their own,
    whatever they ask; in `team` scope a coach with nobody assigned sees the team's."""
    async with pool.acquire() as conn:
        head = await is_head(conn, actor)
        if everyone and (settings.coach_scope == Scope.team or head):
            return None
        mine = set(await coaches.clients_of(conn, actor.user_id, clock.now().date()))
    if not mine and (settings.coach_scope == Scope.team or head):
        return None  # a coach with nobody assigned (a team not set up yet) sees the team's
    return mine


M = TypeVar("M", bound=HasUserId)


async def mine_first(
    pool: asyncpg.Pool, clock: Clock, settings: Settings, actor: Actor, found: list[M]
) -> list[M]:
    """Suggestions for a coach: their own clients first; in `own` scope (not a head coach) only
    theirs, since they could not act on the others."""
    async with pool.acquire() as conn:
        head = await is_head(conn, actor)
        mine = set(await coaches.clients_of(conn, actor.user_id, clock.now().date()))
    if settings.coach_scope == Scope.own and not head:
        return [m for m in found if m.user_id in mine]
    return sorted(found, key=lambda m: m.user_id not in mine)  # stable: the search's order within
