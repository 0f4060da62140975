"""Where a client's block run starts (onboarding, /client edit), and where /client show says a
block with a length ends: a stored pause moves the end of a block measured in weeks."""

from __future__ import annotations

import datetime as dt

from helpers import utc

from bot.core.clock import VirtualClock
from bot.domain.blocks import parse_block
from bot.repo import blocks as blocks_repo
from bot.usecases import clients as clients_uc
from bot.usecases import coaching

NOW = utc(2026, 5, 4, 15)  # Monday
FOUR_WEEKS = """
id: four_weeks
name: Four Weeks
length: 4 weeks
days:
  - title: Day 1
    exercises:
      - {id: back_squat, name: Back Squat, sets: 4, reps: 5, rest: 180}
"""


async def test_the_run_starts_with_the_client_or_the_day_a_coach_changes_the_block(pool) -> None:
    async with pool.acquire() as conn:
        await blocks_repo.store(conn, parse_block(FOUR_WEEKS), NOW, None)
        given = coaching.ClientInput(timezone="UTC", start_date="2026-05-11", block_id="four_weeks")
        added = await coaching.onboard(conn, user_id=1, display_name="Ada", given=given, now=NOW)
        assert added.block_started_on == dt.date(2026, 5, 11)
        # Not started yet: moving the start date moves the block's start with it.
        later = await coaching.edit(
            conn, user_id=1, given=coaching.ClientInput(start_date="2026-05-13"), now=NOW
        )
        assert later.block_started_on == dt.date(2026, 5, 13)
        given = coaching.ClientInput(timezone="UTC", start_date="2026-05-04")
        await coaching.onboard(conn, user_id=2, display_name="Ben", given=given, now=NOW)
        moved = await coaching.edit(
            conn, user_id=2, given=coaching.ClientInput(block_id="four_weeks"), now=utc(2026, 5, 20, 9)
        )
        assert moved.block_started_on == dt.date(2026, 5, 20)
        same = await coaching.edit(
            conn, user_id=2, given=coaching.ClientInput(block_id="four_weeks"), now=utc(2026, 5, 22, 9)
        )
        assert same.block_started_on == dt.date(2026, 5, 20), "the same block again is no new start"


async def test_client_show_says_where_the_block_ends_and_a_pause_moves_it(pool, registry, transport) -> None:
    clock = VirtualClock(NOW)
    async with pool.acquire() as conn:
        await blocks_repo.store(conn, parse_block(FOUR_WEEKS), NOW, None)
        given = coaching.ClientInput(timezone="UTC", start_date="2026-05-04", block_id="four_weeks")
        await coaching.onboard(conn, user_id=1, display_name="Ada", given=given, now=NOW)
    shown = await clients_uc.show_client(pool, registry, clock, 1)
    assert shown.block_end is not None and shown.block_end.ends_on == dt.date(2026, 5, 31)
    assert clients_uc.block_end_line(shown.block_end) == (
        "Four Weeks (4 weeks): last day Sunday 31 May, then it repeats from day 1"
    )
    # Five days away (Wednesday to Sunday) moves the last day five days back.
    await clients_uc.pause_client(
        pool, transport, VirtualClock(utc(2026, 5, 6, 9)), user_id=1, until="2026-05-11", reason=None
    )
    shown = await clients_uc.show_client(pool, registry, VirtualClock(utc(2026, 5, 12, 9)), 1)
    assert shown.block_end is not None and shown.block_end.ends_on == dt.date(2026, 6, 5)
    async with pool.acquire() as conn, conn.transaction():
        await coaching.reassign(
            conn, user_id=1, block_id="default", effective="2026-06-06", day_index=0, now=utc(2026, 5, 12, 9)
        )
    shown = await clients_uc.show_client(pool, registry, VirtualClock(utc(2026, 5, 12, 9)), 1)
    assert shown.block_end is not None
    assert clients_uc.block_end_line(shown.block_end) == (
        "Four Weeks (4 weeks): last day Friday 05 June, then Foundation (built in)"
    )
