"""The simulator's coaching team: a head coach and two coaches share the demo roster, one client
is handed over halfway through the run, and one coach hears about their clients by DM too."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.domain.team import CoachKind, Notify
from bot.repo import coaches

# (user id, name, kind, notify): ids far from the demo clients'.
TEAM = (
    (9_000_001, "Coach Hana", CoachKind.head, Notify.channel),
    (9_000_002, "Coach Sam", CoachKind.coach, Notify.channel),
    (9_000_003, "Coach Jo", CoachKind.coach, Notify.both),
)


async def set_up(
    conn: asyncpg.Connection, client_ids: list[int], start: dt.date, days: int, now: dt.datetime
) -> str | None:
    """The team, the clients spread over it in turn, and one handover (from the second coach to
    the third) on the middle day of the run; returns what the handover was, to print."""
    for user_id, name, kind, notify in TEAM:
        await coaches.add(conn, user_id=user_id, display_name=name, kind=kind, by=None, now=now)
        await coaches.set_notify(conn, user_id, notify)
    for index, client in enumerate(client_ids):
        coach = TEAM[index % len(TEAM)][0]
        await coaches.assign(
            conn, user_id=client, coach_id=coach, from_date=start, note=None, by=None, now=now
        )
    handed = [c for i, c in enumerate(client_ids) if i % len(TEAM) == 1][:1]
    if not handed or days < 2:
        return None
    day = start + dt.timedelta(days=days // 2)
    await coaches.assign(
        conn,
        user_id=handed[0],
        coach_id=TEAM[2][0],
        from_date=day,
        note="Handed over mid-run",
        by=None,
        now=now,
    )
    return f"client {handed[0]} moves from {TEAM[1][1]} to {TEAM[2][1]} on {day:%A %d %B}"
