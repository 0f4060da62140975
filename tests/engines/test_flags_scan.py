"""The weekly flag scan and the mid-week escalation on the virtual clock, with a real PostgreSQL
and two dispatchers: one scan a week, cards once per (client, rule, week), the honors board."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from helpers import PerfectClients, add_clients, all_jobs, profile, runtime, utc

from bot.core.clock import VirtualClock
from bot.db.pool import create_pool
from bot.domain import timezones
from bot.domain.compliance import Rate
from bot.engines import checkin, flags

MONDAY = dt.date(2026, 5, 4)
COACHES, HONORS = 11, 12


async def test_three_weeks_two_dispatchers_three_scans_cards_once_and_the_honors_board(
    pool, database_dsn, settings
) -> None:
    settings = settings.model_copy(update={"coach_channel_id": COACHES, "honors_channel_id": HONORS})
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(
        pool,
        [
            profile(1, "Europe/London", MONDAY, display_name="Ada", schedule_days=[]),  # perfect
            profile(2, "Asia/Kathmandu", MONDAY, display_name="Ben", schedule_days=[]),  # never answers
            profile(3, "America/Chicago", MONDAY, display_name="Cy", schedule_days=[], paused=True),
            profile(
                4, "UTC", MONDAY, display_name="Dee", schedule_days=[], honors_opt_out=True
            ),  # perfect, opted out
        ],
        begin,
    )
    engines = [checkin.build(settings), flags.build(settings)]
    other = await create_pool(database_dsn, max_size=6)
    try:
        first, transport = runtime(pool, clock, engines, settings, worker_id="one")
        second, _ = runtime(other, clock, engines, settings, transport, worker_id="two")
        people = PerfectClients(pool, clock, {1, 4})
        for rt in (first, second):
            rt.dispatcher.listeners.append(people.on_outcome)
            rt.start()
        await clock.run_until(utc(2026, 5, 25))
        for rt in (first, second):
            await rt.stop()
    finally:
        await other.close()

    scans = [j for j in await all_jobs(pool) if j.engine == "flags" and j.action == "scan"]
    sundays = [dt.date(2026, 5, 10), dt.date(2026, 5, 17), dt.date(2026, 5, 24)]
    assert [(j.local_date, str(j.status), j.attempts) for j in scans] == [(d, "sent", 1) for d in sundays]
    async with pool.acquire() as conn:
        cards = await conn.fetch("SELECT kind, user_id, details FROM job_cards ORDER BY id")
    per_rule_week = Counter((c["kind"], c["user_id"], c["details"].get("week")) for c in cards)
    assert all(n == 1 for n in per_rule_week.values()), per_rule_week
    assert {c["user_id"] for c in cards} == {2}, "only the client who never answers is flagged"
    assert {c["kind"] for c in cards} >= {"low_compliance", "missed_days", "no_checkin"}
    boards = transport.messages_to_channel(HONORS)
    assert len(boards) == 3
    for board, streak in zip(boards, (6, 13, 20), strict=True):
        listed = {field.name: field.value for field in board.message.embeds[0].fields}
        assert "**Ada**" in listed["Full compliance"]
        # Complete days only: Sunday's check-in is done by the 22:00 UTC scan, but the day is
        # not over, so Ada's streak runs Monday to Saturday (the client's /stats counts it).
        assert f"**Ada** — {streak}-day streak" in listed["Longest streaks"], listed
        assert all(name not in text for text in listed.values() for name in ("Ben", "Cy", "Dee"))
    summaries = transport.messages_to_channel(COACHES)
    assert sum("Weekly flag scan" in m.message.embeds[0].title for m in summaries if m.message.embeds) == 3


async def test_missing_everything_from_tuesday_escalates_on_thursday_not_sunday(pool, settings) -> None:
    settings = settings.model_copy(update={"coach_channel_id": COACHES})
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(
        pool, [profile(7, "America/New_York", MONDAY, display_name="Eve", schedule_days=[])], begin
    )
    rt, transport = runtime(pool, clock, [checkin.build(settings), flags.build(settings)], settings)
    people = PerfectClients(pool, clock, {7})
    rt.dispatcher.listeners.append(people.on_outcome)
    rt.start()
    await clock.run_until(utc(2026, 5, 5))  # Monday answered, then Eve goes silent
    people.users.clear()
    await clock.run_until(utc(2026, 5, 9, 12))
    await rt.stop()
    async with pool.acquire() as conn:
        [card] = await conn.fetch("SELECT * FROM job_cards")
    tz = timezones.parse_timezone("America/New_York")
    opened = card["opened_at"].astimezone(tz)
    assert card["kind"] == "missed_days" and (opened.date(), opened.hour, opened.minute) == (
        dt.date(2026, 5, 7),
        22,
        30,
    )
    assert "3 consecutive days" in card["summary"]
    [told] = [m for m in transport.messages_to_channel(COACHES) if "Escalation" in m.message.content]
    assert "Eve" in told.message.content


async def test_the_summary_counts_the_clients_with_something_due_and_every_open_card(pool, settings) -> None:
    # Seven on the roster, two with something due (Ada answers, Ben never does): 50% of those two,
    # not "across 7 clients". Fay's time zone is broken: the planner raised her card (it carries no
    # week), and it is still open, so the summary counts and lists it with Ben's three.
    settings = settings.model_copy(update={"coach_channel_id": COACHES})
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    later = dt.date(2026, 6, 1)
    await add_clients(
        pool,
        [
            profile(1, "UTC", MONDAY, display_name="Ada", schedule_days=[]),
            profile(2, "UTC", MONDAY, display_name="Ben", schedule_days=[]),
            profile(3, "UTC", MONDAY, display_name="Cy", schedule_days=[], paused=True),
            profile(4, "UTC", MONDAY, display_name="Gus", schedule_days=[], paused=True),
            profile(5, "UTC", later, display_name="Dee", schedule_days=[]),
            profile(6, "UTC", later, display_name="Eve", schedule_days=[]),
            profile(7, "Mars/Olympus", MONDAY, display_name="Fay", schedule_days=[]),
        ],
        begin,
    )
    rt, transport = runtime(pool, clock, [checkin.build(settings), flags.build(settings)], settings)
    people = PerfectClients(pool, clock, {1})
    rt.dispatcher.listeners.append(people.on_outcome)
    rt.start()
    await clock.run_until(utc(2026, 5, 11, 1))
    await rt.stop()

    async with pool.acquire() as conn:
        opened = await conn.fetch("SELECT kind, user_id FROM job_cards ORDER BY id")
    assert ("invalid_timezone", 7) in [(c["kind"], c["user_id"]) for c in opened]
    [summary] = [m.message.embeds[0] for m in transport.messages_to_channel(COACHES) if m.message.embeds]
    fields = {f.name: f.value for f in summary.fields}
    assert (
        fields["Roster compliance (last 7 days)"]
        == "50% across the 2 clients with something due (7 on the roster)"
    )
    assert summary.title == f"Weekly flag scan — 2026-W19: {len(opened)} card(s)"
    assert "**Fay** — Timezone 'Mars/Olympus' is not valid" in summary.description
    assert summary.description.count("**Ben**") == len(opened) - 1


def test_the_summary_says_one_client_and_nothing_due_as_people_say_them() -> None:
    def field(roster: list[Rate], clients: int) -> str:
        result = flags.ScanResult(weeks=[None] * clients, raised=[], honors=[], roster=roster)  # type: ignore[list-item]
        [compliance, _] = flags.summary_message(result, [], "2026-W19").embeds[0].fields
        return compliance.value

    assert (
        field([Rate(3, 4), Rate(0, 0)], 2) == "75% across the 1 client with something due (2 on the roster)"
    )
    assert field([Rate(0, 0)], 3) == "Nothing due (3 on the roster)"
    assert field([], 0) == "Nothing due (0 on the roster)"
