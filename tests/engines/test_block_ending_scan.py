"""Blocks with a length on the virtual clock, with the real training and flags engines: the weekly
scan before a block's last week is over raises one block_ending card naming the day it ends and
what follows; then the client moves on to the block a coach queued, or the block repeats."""

from __future__ import annotations

import datetime as dt

from helpers import runtime, utc

from bot.core.clock import VirtualClock
from bot.domain.blocks import parse_block
from bot.engines import flags, training
from bot.repo import blocks as blocks_repo
from bot.repo import clients
from bot.usecases import coaching

MONDAY = dt.date(2026, 5, 4)
ADA, BEN = 1, 2


def block(block_id: str, name: str, length: str, days: int) -> str:
    listed = "\n".join(
        f"  - title: Day {n + 1}\n    exercises:\n"
        f"      - {{id: lift_{n}, name: Lift {n + 1}, sets: 3, reps: 5, rest: 120}}"
        for n in range(days)
    )
    return f"id: {block_id}\nname: {name}\n{length}\ndays:\n{listed}\n"


async def onboard(pool, now: dt.datetime, user_id: int, name: str, block_id: str) -> None:  # type: ignore[no-untyped-def]
    given = coaching.ClientInput(
        timezone="UTC", start_date=MONDAY.isoformat(), block_id=block_id, schedule_days="mon,wed,fri"
    )
    async with pool.acquire() as conn, conn.transaction():
        await coaching.onboard(conn, user_id=user_id, display_name=name, given=given, now=now)


async def sessions(pool, user_id: int) -> list[tuple[dt.date, str, int]]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT local_date, block_id, day_index FROM training_sessions WHERE user_id = $1 ORDER BY 1",
            user_id,
        )
    return [(r["local_date"], r["block_id"], r["day_index"]) for r in rows]


async def four_weeks_of_ada_and_ben(pool, settings) -> None:  # type: ignore[no-untyped-def]
    """Ada on a 4-week block of 5 days (her 12 sessions end on day 2), Ben on a 6-session block
    with the next block queued for the day after his sixth session (Friday 15 May); neither logs
    anything. Four Sunday scans, then Ada's workout on Monday 1 June."""
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    async with pool.acquire() as conn:
        for text in (
            block("four_weeks", "Four Weeks", "length: 4 weeks", 5),
            block("six_sessions", "Six Sessions", "length: 6 sessions", 2),
            block("next_one", "Next One", "", 2),
        ):
            await blocks_repo.store(conn, parse_block(text), begin, None)
    await onboard(pool, begin, ADA, "Ada", "four_weeks")
    await onboard(pool, begin, BEN, "Ben", "six_sessions")
    async with pool.acquire() as conn, conn.transaction():
        await coaching.reassign(
            conn, user_id=BEN, block_id="next_one", effective="2026-05-16", day_index=0, now=begin
        )
    rt, _ = runtime(pool, clock, [training.build(settings), flags.build(settings)], settings)
    rt.start()
    await clock.run_until(utc(2026, 6, 1, 8))
    await rt.stop()


async def test_the_scan_before_a_blocks_last_week_ends_raises_one_card_naming_the_day_and_what_follows(
    pool, settings
) -> None:
    await four_weeks_of_ada_and_ben(pool, settings)
    async with pool.acquire() as conn:
        cards = await conn.fetch(
            "SELECT user_id, summary, details FROM job_cards WHERE kind = 'block_ending' ORDER BY user_id"
        )
    # One card each, in the scan of Sunday 24 May (W21) for Ada, of Sunday 10 May (W19) for Ben.
    assert [(c["user_id"], c["details"]["week"]) for c in cards] == [(ADA, "2026-W21"), (BEN, "2026-W19")]
    ada_card, ben_card = (c["summary"] for c in cards)
    assert ada_card == (
        "Training block Four Weeks (4 weeks) ends on Sunday 31 May, in 7 days; then it repeats from day 1 "
        "unless you /reassign them to another block (effective:2026-06-01) (threshold 7 days)"
    )
    assert ben_card == (
        "Training block Six Sessions (6 sessions) ends on Friday 15 May, in 5 days; "
        "then Next One from Saturday 16 May (threshold 7 days)"
    )


async def test_after_its_end_a_block_repeats_from_day_one_unless_a_coach_queued_the_next(
    pool, settings
) -> None:
    await four_weeks_of_ada_and_ben(pool, settings)
    async with pool.acquire() as conn:
        ada = await clients.get(conn, ADA)
    # Ada's twelve sessions cycled days 1-5; on Monday 1 June the block starts again from day 1.
    ada_sessions = await sessions(pool, ADA)
    assert len(ada_sessions) == 13 and [i for _, _, i in ada_sessions[10:]] == [0, 1, 0]
    assert ada_sessions[-1][0] == dt.date(2026, 6, 1)
    assert ada is not None and ada.block_started_on == dt.date(2026, 6, 1)
    # Ben trained his six sessions, then the queued block from Monday 18 May.
    ben_sessions = await sessions(pool, BEN)
    assert [b for _, b, _ in ben_sessions[:6]] == ["six_sessions"] * 6
    assert ben_sessions[5][0] == dt.date(2026, 5, 15)
    assert {b for _, b, _ in ben_sessions[6:]} == {"next_one"} and ben_sessions[6][0] == dt.date(2026, 5, 18)
