"""Pauses in the flag scan, the evening escalation and the compliance figures, on the virtual
clock with the real check-in, pauses and flags engines: a pause the coach set with /pause is
stored, and its days are neither due nor missed after it has ended."""

from __future__ import annotations

import datetime as dt

from helpers import PerfectClients, add_clients, profile, runtime, utc

from bot.core.clock import VirtualClock
from bot.core.engine import EngineRegistry
from bot.engines import checkin, flags, pauses
from bot.usecases import clients as clients_uc
from bot.usecases import self_service
from bot.views import render

MONDAY = dt.date(2026, 5, 4)
COACHES, COACH = 11, 900
ADA = 7


async def start(pool, settings):  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={"coach_channel_id": COACHES})
    clock = VirtualClock(utc(2026, 5, 4))
    await add_clients(pool, [profile(ADA, "UTC", MONDAY, display_name="Ada", schedule_days=[])], clock.now())
    engines = [checkin.build(settings), pauses.build(settings), flags.build(settings)]
    rt, transport = runtime(pool, clock, engines, settings)
    answers = PerfectClients(pool, clock, {ADA})  # Ada completes each check-in as it arrives
    rt.dispatcher.listeners.append(answers.on_outcome)
    rt.start()
    return rt, transport, clock, answers, EngineRegistry(engines)


async def test_back_from_a_two_week_holiday_she_is_not_flagged_on_her_first_evening(pool, settings) -> None:
    # Ada checks in Monday to Thursday, forgets Friday and Saturday while packing, and is paused
    # for two weeks from Sunday. Back on the third Sunday she misses her first check-in too. Before
    # the pause was stored, that evening's scan counted sixteen days without a check-in.
    rt, transport, clock, answers, _ = await start(pool, settings)
    await clock.run_until(utc(2026, 5, 8))
    answers.users.clear()
    await clock.run_until(utc(2026, 5, 10, 1))
    paused = await clients_uc.pause_client(
        pool, transport, clock, user_id=ADA, until="2026-05-24", reason="holiday", by=COACH
    )
    assert paused.profile.paused_until == dt.date(2026, 5, 24)
    await clock.run_until(utc(2026, 5, 25, 1))  # her first day back, its scan and its evening
    await rt.stop()

    async with pool.acquire() as conn:
        cards = await conn.fetch("SELECT kind, summary FROM job_cards")
        [period] = await conn.fetch("SELECT * FROM pause_periods")
        reviewed = await conn.fetchval(
            "SELECT count(*) FROM jobs WHERE engine = 'flags' AND action = 'escalate' AND status = 'sent'"
            " AND local_date = '2026-05-24'"
        )
    assert [dict(c) for c in cards] == []
    assert reviewed == 1, "the evening review ran on her first day back"
    assert (period["paused_from"], period["paused_until"], period["reason"], period["paused_by"]) == (
        dt.date(2026, 5, 10),
        dt.date(2026, 5, 24),
        "holiday",
        COACH,
    )
    [welcome] = [
        m for m in transport.messages if m.message.embeds and m.message.embeds[0].title == "Welcome back"
    ]
    assert (welcome.user_id, welcome.at.date()) == (ADA, dt.date(2026, 5, 24))


async def test_back_from_a_long_weekend_away_she_is_not_escalated_on_her_first_evening(
    pool, settings
) -> None:
    # Misses Thursday and Friday, away Saturday to Monday, misses Tuesday: one missed day since the
    # pause, not a run of three reaching across it.
    rt, transport, clock, answers, _ = await start(pool, settings)
    await clock.run_until(utc(2026, 5, 7))
    answers.users.clear()
    await clock.run_until(utc(2026, 5, 9, 1))
    await clients_uc.pause_client(
        pool, transport, clock, user_id=ADA, until="2026-05-12", reason=None, by=COACH
    )
    await clock.run_until(utc(2026, 5, 13, 1))
    await rt.stop()

    async with pool.acquire() as conn:
        cards = await conn.fetch("SELECT kind, summary FROM job_cards")
        reviews = await conn.fetch(
            "SELECT local_date, result FROM jobs WHERE engine = 'flags' AND action = 'escalate' "
            "AND status = 'sent' ORDER BY local_date"
        )
    assert [dict(c) for c in cards] == []
    assert [r["local_date"] for r in reviews][-1] == dt.date(2026, 5, 12)
    assert all(r["result"]["escalated"] is False for r in reviews)
    assert not [m for m in transport.messages_to_channel(COACHES) if "Escalation" in m.message.content]


async def test_a_week_with_a_pause_counts_only_its_active_days_in_stats_and_the_weekly_summary(
    pool, settings
) -> None:
    # Wednesday's check-in goes out and is missed at noon; the coach pauses Ada at 13:00 until
    # Friday. Her week is Monday, Tuesday, Friday and Saturday: 4 of 4, not 4 of 5 (80%).
    rt, transport, clock, answers, registry = await start(pool, settings)
    await clock.run_until(utc(2026, 5, 6))
    answers.users.clear()
    await clock.run_until(utc(2026, 5, 6, 13))
    await clients_uc.pause_client(
        pool, transport, clock, user_id=ADA, until="2026-05-08", reason=None, by=COACH
    )
    await clock.run_until(utc(2026, 5, 7, 23))
    answers.users.add(ADA)
    await clock.run_until(utc(2026, 5, 11, 1))
    await rt.stop()

    async with pool.acquire() as conn:
        missed = await conn.fetchval("SELECT count(*) FROM checkins WHERE status = 'missed'")
        cards = await conn.fetch("SELECT kind FROM job_cards")
    assert missed == 1 and [c["kind"] for c in cards] == []
    [summary] = [m.message.embeds[0] for m in transport.messages_to_channel(COACHES) if m.message.embeds]
    fields = {f.name: f.value for f in summary.fields}
    assert (
        fields["Roster compliance (last 7 days)"]
        == "100% across the 1 client with something due (1 on the roster)"
    )
    stats = await self_service.stats(pool, registry, clock, ADA)
    lines, streak = render.compliance_lines(stats.outcomes, stats.today, registry.labels())
    assert lines[0].split()[:2] == ["check-in", "100%"], lines
    assert streak == 5, "Monday, Tuesday, Friday, Saturday, Sunday: the pause is stepped over"
