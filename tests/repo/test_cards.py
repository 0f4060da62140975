"""job_cards in the database: card numbers stay dense however often a card is raised again, and
the weekly summary's query finds every card still open."""

from __future__ import annotations

import datetime as dt

from helpers import add_clients, profile, utc

from bot.repo import cards


async def test_raising_the_same_card_thirty_times_burns_no_card_number(pool) -> None:
    # Every planning tick raises the set-up cards again (an invalid time zone, an unknown block):
    # a duplicate must not use up an id, or the coaches see #1 and then #31.
    now = utc(2026, 5, 4)
    async with pool.acquire() as conn:
        first = [
            await cards.raise_card(
                conn, kind="invalid_timezone", user_id=None, scope="Mars/Olympus", summary="bad zone", now=now
            )
            for _ in range(30)
        ]
        second = await cards.raise_card(
            conn, kind="invalid_block", user_id=None, scope="b-404", summary="unknown block", now=now
        )
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM job_cards ORDER BY id")]
    assert first == [1] + [None] * 29
    assert second == 2
    assert ids == [1, 2]


async def test_open_or_of_week_lists_this_weeks_cards_and_every_card_still_open(pool) -> None:
    now = utc(2026, 5, 10, 22)
    today = dt.date(2026, 5, 10)
    await add_clients(
        pool,
        [profile(1, "UTC", dt.date(2026, 5, 4), display_name="Ada"), profile(2, "UTC", dt.date(2026, 5, 4))],
        now,
    )
    async with pool.acquire() as conn:

        async def card(kind: str, user_id: int, scope: str, **details: str) -> int:
            opened = await cards.raise_card(
                conn, kind=kind, user_id=user_id, scope=scope, summary=kind, details=details, now=now
            )
            assert opened is not None
            return opened

        this_week = await card("low_compliance", 1, "2026-W19", week="2026-W19")
        zone = await card("invalid_timezone", 2, "Mars/Olympus")  # raised by the planner, no week
        old = await card("no_checkin", 1, "2026-W18", week="2026-W18")  # last week's, still open
        gone = await card("missed_days", 1, "2026-W17", week="2026-W17")
        later = await card("readiness_down", 1, "2026-W16", week="2026-W16")
        due = await card("compliance_drop", 1, "2026-W15", week="2026-W15")
        await cards.resolve(conn, gone, by=99, now=now, note=None)
        await cards.snooze(conn, later, by=99, until=today + dt.timedelta(days=3))
        await cards.snooze(conn, due, by=99, until=today)  # its day has come: open again
        listed = await cards.open_or_of_week(conn, "2026-W19", today)
    assert sorted(c.id for c in listed) == sorted([this_week, zone, old, due])
    assert {c.id: c.display_name for c in listed}[this_week] == "Ada"
