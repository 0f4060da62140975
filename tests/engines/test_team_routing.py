"""Work routed to the right coach: an escalation about a client names their coach in the
coaches' channel (a mention, unless they hear by DM only) and, with `/coach notify dm|both`,
reaches the coach by DM once; after a handover the new coach is named."""

from __future__ import annotations

import datetime as dt

from helpers import add_clients, profile, runtime, utc

from bot.core.clock import VirtualClock
from bot.domain.team import CoachKind, Notify
from bot.engines import checkin, flags
from bot.repo import coaches

MONDAY = dt.date(2026, 5, 4)
COACHES = 11
SAM, JO = 9002, 9003
EVE, ROY = 7, 8


async def run_silent_week(  # type: ignore[no-untyped-def]
    pool,
    settings,
    notify: dict[int, Notify],
    handover_on: dt.date | None = None,
    until: dt.datetime | None = None,
):
    settings = settings.model_copy(update={"coach_channel_id": COACHES})
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(
        pool,
        [
            profile(u, "UTC", MONDAY, display_name=n, schedule_days=[])
            for u, n in ((EVE, "Eve"), (ROY, "Roy"))
        ],
        begin,
    )
    async with pool.acquire() as conn:
        for coach, name in ((SAM, "Sam"), (JO, "Jo")):
            await coaches.add(
                conn, user_id=coach, display_name=name, kind=CoachKind.coach, by=None, now=begin
            )
            await coaches.set_notify(conn, coach, notify.get(coach, Notify.channel))
        await coaches.assign(conn, user_id=EVE, coach_id=SAM, from_date=MONDAY, note=None, by=None, now=begin)
        await coaches.assign(conn, user_id=ROY, coach_id=SAM, from_date=MONDAY, note=None, by=None, now=begin)
        if handover_on is not None:
            await coaches.assign(
                conn, user_id=ROY, coach_id=JO, from_date=handover_on, note=None, by=None, now=begin
            )
    rt, transport = runtime(pool, clock, [checkin.build(settings), flags.build(settings)], settings)
    rt.start()
    await clock.run_until(until or utc(2026, 5, 7, 12))
    await rt.stop()
    return transport


def escalations(transport, about: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        m.message.content
        for m in transport.messages_to_channel(COACHES)
        if "Escalation" in m.message.content and about in m.message.content
    ]


async def test_an_escalation_mentions_the_clients_coach(pool, settings) -> None:
    transport = await run_silent_week(pool, settings, {})
    [told] = escalations(transport, "Eve")
    assert f"Coach: Sam (<@{SAM}>)" in told
    assert transport.to_user(SAM) == []  # channel only


async def test_with_notify_dm_the_coach_also_gets_it_by_dm_once_and_is_not_pinged(pool, settings) -> None:
    transport = await run_silent_week(pool, settings, {SAM: Notify.dm})
    [told] = escalations(transport, "Eve")
    assert "Coach: Sam" in told and f"<@{SAM}>" not in told
    dms = [m.message.content for m in transport.to_user(SAM)]
    assert sum("Eve" in text for text in dms) == 1, dms


async def test_after_a_handover_the_new_coach_is_named(pool, settings) -> None:
    # Roy moves to Jo from Tuesday: the escalation (Wednesday evening) names Jo; Eve's stays Sam's.
    transport = await run_silent_week(pool, settings, {}, handover_on=dt.date(2026, 5, 5))
    [roy] = escalations(transport, "Roy")
    [eve] = escalations(transport, "Eve")
    assert f"Coach: Jo (<@{JO}>)" in roy and f"Coach: Sam (<@{SAM}>)" in eve


async def test_the_weekly_summary_has_a_section_per_coach_and_a_dm_digest_for_those_who_want_one(
    pool, settings
) -> None:
    transport = await run_silent_week(
        pool, settings, {JO: Notify.both}, handover_on=dt.date(2026, 5, 5), until=utc(2026, 5, 10, 23)
    )
    [summary] = [m for m in transport.messages_to_channel(COACHES) if m.message.embeds]
    lines = (summary.message.embeds[0].description or "").splitlines()
    jo_at, sam_at = lines.index(f"__Jo (<@{JO}>)__"), lines.index(f"__Sam (<@{SAM}>)__")
    jos = lines[jo_at + 1 : sam_at]
    sams = lines[sam_at + 1 :]
    assert jos and all(line.startswith("**Roy**") for line in jos), lines
    assert sams and all(line.startswith("**Eve**") for line in sams), lines
    digests = [m for m in transport.to_user(JO) if m.message.embeds]
    assert len(digests) == 1 and "Your clients' cards" in (digests[0].message.embeds[0].title or "")
    assert "Roy" in (digests[0].message.embeds[0].description or "")
    assert not [m for m in transport.to_user(SAM) if m.message.embeds]  # Sam hears in the channel only
