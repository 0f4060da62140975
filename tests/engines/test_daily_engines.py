"""Check-in, meals and cardio on the virtual clock with a real PostgreSQL: plans, drops at their
local times once per day, logging and its validation, missed-marking at 12:00 and 22:00."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from doubles.recording import RecordingTransport
from helpers import add_clients, all_jobs, profile, runtime, statement_logging_pool, utc
from samples import SEVERAL_ERRORS

from bot.core.clock import VirtualClock
from bot.core.dispatcher import Dispatcher
from bot.core.engine import EngineRegistry
from bot.core.runtime import Runtime
from bot.domain import timezones
from bot.domain.errors import InputError
from bot.domain.models import Unit
from bot.domain.plans import parse_plan
from bot.engines import cardio, checkin, meals
from bot.repo import plans as plans_repo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def import_examples(pool, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        for name in ("meals_cut_2200.yaml", "cardio_zone2.yaml"):
            text = (EXAMPLES / name).read_text()
            await plans_repo.store(conn, parse_plan(text, name), now, None)


async def rows(pool, table: str) -> list[dict]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY id")]


def test_a_plan_file_with_several_errors_reports_them_all() -> None:
    with pytest.raises(InputError) as caught:
        parse_plan(SEVERAL_ERRORS)
    problems = caught.value.problems
    assert "id: String should match pattern '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$'" in problems
    assert "daily[0].foods: List should have at least 1 item after validation, not 0" in problems
    assert "daily[0].kcal: Input should be greater than or equal to 0" in problems
    assert "daily[0].fat: required" in problems
    assert "daily[1].foods[0].portion: required" in problems
    assert "daily[1].sauce: unknown field (check the spelling)" in problems
    assert len(problems) == 6


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "kind: cardio\nid: c\nname: C\ndays: {mon: {kind: Walk, minutes: 10, steps: 5000}}",
            "either `minutes` or",
        ),
        ("kind: cardio\nid: c\nname: C\ndays: {funday: rest}", "days.funday"),
        ("kind: stretching\nid: s\nname: S", "must be `meals` or `cardio`"),
        ("kind: meals\nid: m\nname: M", "give either `daily`"),
    ],
)
def test_plan_mistakes_are_named(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem.replace("`", "`").replace("(", r"\(")):
        parse_plan(text)


ZONES = {
    1: "Asia/Kathmandu",
    2: "America/New_York",
    3: "Europe/Berlin",
}  # +05:45; NY and Berlin change in March


async def test_a_week_in_three_zones_each_action_once_at_its_local_time(pool, settings) -> None:
    # 2026-03-24 .. 03-31: Berlin springs forward on Sunday 29 March.
    begin = utc(2026, 3, 24)
    clock = VirtualClock(begin)
    await import_examples(pool, begin)
    start = dt.date(2026, 3, 24)
    await add_clients(
        pool,
        [
            profile(u, z, start, meal_plan_id="cut_2200", cardio_plan_id="zone2_base")
            for u, z in ZONES.items()
        ],
        begin,
    )
    engines = [checkin.build(settings), meals.build(settings), cardio.build(settings)]
    rt, transport = runtime(pool, clock, engines, settings)
    rt.start()
    await clock.run_until(utc(2026, 3, 31))
    await rt.stop()

    jobs = [j for j in await all_jobs(pool) if j.due_at < utc(2026, 3, 31)]
    keys = Counter((j.engine, j.action, j.user_id, j.local_date) for j in jobs)
    assert all(n == 1 for n in keys.values())
    local = {
        "checkin.drop": dt.time(5, 30), "meals.drop": dt.time(6), "cardio.drop": dt.time(6),
        "checkin.close": dt.time(12), "meals.close": dt.time(22), "cardio.close": dt.time(22),
    }  # fmt: skip
    for job in jobs:
        tz = timezones.parse_timezone(ZONES[job.user_id or 0])
        at = local[f"{job.engine}.{job.action}"]
        assert job.due_at == timezones.due_instant(tz, job.local_date, at)
        assert job.started_at == job.due_at, job.key  # never early, never late
    # Sundays are cardio rest days in the example plan: nothing sent, nothing missed.
    for user in ZONES:
        titles = [m.message.heading for m in transport.to_user(user)]
        assert sum(t.startswith("Check-in") for t in titles) == len(
            {j.local_date for j in jobs if j.user_id == user and j.engine == "checkin" and j.action == "drop"}
        )
        assert not any(t.startswith("Cardio — Sunday") for t in titles)
    # Nobody answered: every check-in missed at 12:00, every meal and cardio missed at 22:00.
    checkins = await rows(pool, "checkins")
    assert checkins and all(r["status"] == "missed" for r in checkins)
    # (A close whose drop never went out — Kathmandu's first 05:30 was before the run — is
    # skipped: nothing was asked, so nothing is missed.)
    closed = [j for j in jobs if j.engine == "checkin" and j.action == "close" and j.status == "sent"]
    assert len(checkins) == len(closed)
    meal_logs = await rows(pool, "meal_logs")
    assert meal_logs and all(
        r["status"] == "missed"
        and r["timestamp"].astimezone(timezones.parse_timezone(ZONES[r["user_id"]])).hour == 22
        for r in meal_logs
    )
    cardio_logs = await rows(pool, "cardio_logs")
    assert cardio_logs and all(r["status"] == "missed" for r in cardio_logs)
    assert not any(r["date"].isoweekday() == 7 for r in cardio_logs)


async def test_downtime_across_the_deadlines_still_marks_once(pool, settings) -> None:
    begin = utc(2026, 5, 3, 23)  # 04:45 in Kathmandu time (+05:45)
    clock = VirtualClock(begin)
    await import_examples(pool, begin)
    await add_clients(pool, [profile(5, "+05:45", dt.date(2026, 5, 4), meal_plan_id="cut_2200")], begin)
    engines = [checkin.build(settings), meals.build(settings), cardio.build(settings)]
    rt, transport = runtime(pool, clock, engines, settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 6))  # 11:45 local: the process goes down
    await rt.stop()
    await clock.run_until(utc(2026, 5, 4, 17, 0))  # back at 22:45 local, past both deadlines
    rt2, _ = runtime(pool, clock, engines, settings, transport)
    rt2.start()
    await clock.run_until(utc(2026, 5, 4, 20))
    await rt2.stop()
    assert [r["status"] for r in await rows(pool, "checkins")] == ["missed"]
    meal_logs = await rows(pool, "meal_logs")
    assert [r["status"] for r in meal_logs] == ["missed"] * 4
    assert all(r["timestamp"] == utc(2026, 5, 4, 17) for r in meal_logs)


async def _delivered(pool, settings, unit: str = "kg"):  # type: ignore[no-untyped-def]
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await import_examples(pool, begin)
    await add_clients(
        pool,
        [
            profile(
                7, "UTC", dt.date(2026, 5, 4), unit=unit, meal_plan_id="cut_2200", cardio_plan_id="zone2_base"
            )
        ],
        begin,
    )
    engines = [checkin.build(settings), meals.build(settings), cardio.build(settings)]
    rt, transport = runtime(pool, clock, engines, settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 8))
    return clock, rt, transport


FEEL = {"energy": "4", "mood": "5", "stress": "2", "soreness": "3", "note": "good sleep"}
BAD = [
    ("body", {"bodyweight": "abc", "sleep": "7"}, "bodyweight: 'abc' is not a number"),
    ("body", {"bodyweight": "80", "sleep": "30"}, "sleep: 30 is outside 0–16 hours"),
    ("body", {"bodyweight": "", "sleep": ""}, "bodyweight: required"),
    ("feel", {**FEEL, "energy": "7"}, "energy: 7 is outside 1–5"),
    ("feel", {**FEEL, "mood": "three"}, "mood: 'three' is not a whole number"),
    ("feel", {**FEEL, "note": "x" * 501}, "note: 500 characters at most"),
]


async def test_check_in_validation_two_parts_and_readiness(pool, settings) -> None:
    clock, rt, transport = await _delivered(pool, settings, unit="lb")
    try:
        for part, values, problem in BAD:
            with pytest.raises(InputError) as caught:
                await checkin.record(
                    pool, clock, user_id=7, day=dt.date(2026, 5, 4), part=part, values=values
                )
            assert problem in str(caught.value), (values, str(caught.value))
        assert await rows(pool, "checkins") == []
        first = await checkin.record(
            pool, clock, user_id=7, day=dt.date(2026, 5, 4), part="feel", values=FEEL
        )
        assert not first.complete
        done = await checkin.record(
            pool,
            clock,
            user_id=7,
            day=dt.date(2026, 5, 4),
            part="body",
            values={"bodyweight": "180,5", "sleep": "7.5"},
        )
        assert done.complete and done.readiness == pytest.approx((4 + 5 + (6 - 2) + (6 - 3)) / 4)
        await clock.run_until(utc(2026, 5, 4, 13))
    finally:
        await rt.stop()
    [row] = await rows(pool, "checkins")
    assert row["status"] == "logged" and float(row["bodyweight_kg"]) == pytest.approx(81.87, abs=0.01)
    assert (float(row["weight_entered"]), row["unit_entered"], float(row["sleep_hours"])) == (
        180.5,
        "lb",
        7.5,
    )
    [message] = transport.to_user(7)[:1]
    assert "Readiness" in [f.name for f in message.current.embeds[0].fields]


async def test_meals_last_answer_counts_and_cardio_validation(pool, settings) -> None:
    clock, rt, _ = await _delivered(pool, settings)
    day = dt.date(2026, 5, 4)
    try:
        await meals.answer(pool, clock, user_id=7, day=day, index=0, followed=True)
        await meals.answer(pool, clock, user_id=7, day=day, index=0, followed=False, note="pancakes at work")
        await meals.answer(pool, clock, user_id=7, day=day, index=2, followed=True)
        with pytest.raises(InputError, match="not on today's plan"):
            await meals.answer(pool, clock, user_id=7, day=day, index=9, followed=True)
        for values, problem in (
            ({"amount": "1e9"}, "minutes: '1e9' is not a whole number"),
            ({"amount": "-1"}, "minutes: '-1' is not a whole number"),
            ({"amount": "30", "avg_hr": "300"}, "average heart rate: 300 is outside 30–230"),
            ({"amount": ""}, "minutes: required"),
        ):
            with pytest.raises(InputError) as caught:
                await cardio.log_cardio(pool, clock, user_id=7, day=day, values=values)
            assert problem in str(caught.value), str(caught.value)
        assert await rows(pool, "cardio_logs") == []
        logged = await cardio.log_cardio(
            pool, clock, user_id=7, day=day, values={"amount": "36", "avg_hr": "128"}
        )
        assert (logged.log["minutes"], logged.log["avg_hr"]) == (36, 128)
        await clock.run_until(utc(2026, 5, 4, 23))
        with pytest.raises(InputError, match="closed at 22:00"):
            await meals.answer(pool, clock, user_id=7, day=day, index=1, followed=True)
    finally:
        await rt.stop()
    meal_rows = {r["meal_index"]: (r["status"], r["note"]) for r in await rows(pool, "meal_logs")}
    assert meal_rows == {
        0: ("off_plan", "pancakes at work"),
        1: ("missed", None),
        2: ("followed", None),
        3: ("missed", None),
    }
    assert [r["status"] for r in await rows(pool, "cardio_logs")] == ["logged"]


async def test_steps_prescriptions_ask_for_steps(pool, settings) -> None:
    clock, rt, _ = await _delivered(pool, settings)
    try:
        await clock.run_until(utc(2026, 5, 5, 8))  # Tuesday: 10,000 steps
        with pytest.raises(InputError, match="steps: '-1' is not a whole number"):
            await cardio.log_cardio(pool, clock, user_id=7, day=dt.date(2026, 5, 5), values={"amount": "-1"})
        logged = await cardio.log_cardio(
            pool, clock, user_id=7, day=dt.date(2026, 5, 5), values={"amount": "11250"}
        )
    finally:
        await rt.stop()
    assert (logged.log["steps"], logged.log["minutes"]) == (11250, None)


async def test_paused_and_not_started_clients_get_nothing_and_miss_nothing(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await import_examples(pool, begin)
    await add_clients(
        pool,
        [
            profile(
                8,
                "UTC",
                dt.date(2026, 5, 1),
                paused=True,
                meal_plan_id="cut_2200",
                cardio_plan_id="zone2_base",
            ),
            profile(9, "UTC", dt.date(2026, 6, 1), meal_plan_id="cut_2200", cardio_plan_id="zone2_base"),
        ],
        begin,
    )
    rt, transport = runtime(
        pool, clock, [checkin.build(settings), meals.build(settings), cardio.build(settings)], settings
    )
    rt.start()
    await clock.run_until(utc(2026, 5, 7))
    await rt.stop()
    assert transport.messages == []
    assert await all_jobs(pool) == []
    for table in ("checkins", "meal_logs", "cardio_logs"):
        assert await rows(pool, table) == []


async def test_a_missing_plan_sends_nothing_and_raises_one_card(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(
        pool,
        [profile(11, "UTC", dt.date(2026, 5, 4), meal_plan_id="gone", cardio_plan_id="also_gone")],
        begin,
    )
    rt, transport = runtime(pool, clock, [meals.build(settings), cardio.build(settings)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 6, 23))
    await rt.stop()
    assert transport.messages == []
    async with pool.acquire() as conn:
        cards = await conn.fetch("SELECT kind, summary FROM job_cards ORDER BY summary")
    assert [c["kind"] for c in cards] == ["invalid_plan", "invalid_plan"]  # one per plan, not per day
    assert "Cardio plan 'also_gone' is missing" in cards[0]["summary"]
    assert "Meal plan 'gone' is missing" in cards[1]["summary"]
    assert await rows(pool, "meal_logs") == [] and await rows(pool, "cardio_logs") == []


async def test_a_close_that_finds_its_drop_still_sending_waits_for_it(pool, settings) -> None:
    """A drop that began before 12:00 and is still sending (another worker's slow retry) used
    to make the close skip the day: the check-in stayed open and nothing was missed."""
    from bot.repo import drops

    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(1, "UTC", dt.date(2026, 5, 4))], begin)
    rt, transport = runtime(pool, clock, [checkin.build(settings)], settings)
    await rt.plan_tick(checkin.NAME)
    async with pool.acquire() as conn:  # another worker holds the 05:30 drop and is sending it
        await conn.execute(
            "UPDATE jobs SET status = 'running', attempts = 1, claimed_by = 'elsewhere', "
            "lease_until = $1 WHERE engine = 'checkin' AND action = 'drop'",
            utc(2026, 5, 4, 23),
        )
        drop, _ = await drops.open_drop(
            conn, 1, dt.date(2026, 5, 4), checkin.NAME, {"closes": "12:00"}, utc(2026, 5, 4, 12), begin
        )
    await clock.run_until(utc(2026, 5, 4, 12))
    assert await rt.dispatcher.dispatch_due() == 1
    [close] = [j for j in await all_jobs(pool) if j.action == "close"]
    assert str(close.status) == "pending" and (close.last_error or "").startswith("not yet")
    sent = await transport.send_dm(1, None, checkin.message(drop, None, Unit.kg, False), nonce="late")
    async with pool.acquire() as conn:  # the send lands; the worker records it
        part = {"channel_id": sent.channel_id, "message_id": sent.message_id, "part": 0}
        await drops.record_delivery(conn, drop.id, [part], clock.now(), False)
        await conn.execute("UPDATE jobs SET status = 'sent' WHERE engine = 'checkin' AND action = 'drop'")
    await clock.run_until(close.next_attempt_at)
    assert await rt.dispatcher.dispatch_due() == 1
    [close] = [j for j in await all_jobs(pool) if j.action == "close"]
    assert str(close.status) == "sent"
    assert [(r["status"]) for r in await rows(pool, "checkins")] == ["missed"]


async def test_a_check_in_step_is_two_statements_and_a_cardio_log_three(database_dsn, pool, settings) -> None:
    """Issue 11: the client (its unit reads the weigh-in), then the write while the drop is open,
    which returns what the refreshed message shows; cardio reads the drop first (what it asks
    for reads the answer). Nothing is written once the drop closed."""
    clock, rt, _ = await _delivered(pool, settings)
    await rt.stop()
    day = dt.date(2026, 5, 4)
    logged, texts = await statement_logging_pool(database_dsn)
    try:
        first = await checkin.record(logged, clock, user_id=7, day=day, part="feel", values=FEEL)
        assert (len(texts), first.complete, first.readiness) == (2, False, None)
        texts.clear()
        done = await checkin.record(
            logged, clock, user_id=7, day=day, part="body", values={"bodyweight": "80.5", "sleep": "7"}
        )
        assert (len(texts), done.complete, done.readiness) == (2, True, 4.0)
        fields = {f.name: f.value for f in done.messages[0].embeds[0].fields}
        assert fields["Readiness"] == "4.00 / 5" and "80.5 kg" in fields["Weigh-in & sleep ✅"]

        texts.clear()
        cardio_log = await cardio.log_cardio(logged, clock, user_id=7, day=day, values={"amount": "36"})
        assert (len(texts), cardio_log.log["minutes"]) == (3, 36)
        assert "36 min" in cardio_log.messages[0].embeds[0].description

        await clock.run_until(utc(2026, 5, 4, 12))  # the check-in closes at 12:00
        with pytest.raises(InputError, match="closed at 12:00; nothing was written"):
            await checkin.record(logged, clock, user_id=7, day=day, part="feel", values={**FEEL, "mood": "1"})
    finally:
        await logged.close()
    [row] = await rows(pool, "checkins")
    assert (row["mood"], row["status"], float(row["readiness"])) == (5, "logged", 4.0)


async def test_a_plan_drop_reads_its_plan_once_and_follows_a_new_version(
    database_dsn, pool, settings
) -> None:
    """Issue 11: once the process knows a plan's newest version, a meals or cardio drop is one
    statement before its send (the version checked as the drop is created). A version imported
    since is read and sent; a day the known version rests on is confirmed on the newest."""
    begin = utc(2026, 5, 2)  # Saturday
    clock = VirtualClock(begin)
    await import_examples(pool, begin)
    await add_clients(
        pool,
        [
            profile(
                7,
                "UTC",
                begin.date(),
                meal_plan_id="cut_2200",
                cardio_plan_id="zone2_base",
                dm_channel_id=500_000_007,
            )
        ],
        begin,
    )
    registry = EngineRegistry([meals.build(settings), cardio.build(settings)])
    transport = RecordingTransport(clock)
    rt = Runtime(pool, clock, registry, transport, settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 2, 12))  # Saturday's meals and steps: both plans read
    # A new cardio version: Sunday is no longer a rest day.
    text = (
        (EXAMPLES / "cardio_zone2.yaml")
        .read_text()
        .replace("sun: rest", "sun: {kind: Easy walk, minutes: 20}")
    )
    async with pool.acquire() as conn:
        assert await plans_repo.store(conn, parse_plan(text, "cardio_zone2.yaml"), clock.now(), None) == 2
    await clock.run_until(utc(2026, 5, 3, 5, 59))  # Saturday closed, Sunday planned
    await rt.stop()

    logged, texts = await statement_logging_pool(database_dsn)
    try:
        await clock.run_until(utc(2026, 5, 3, 6))  # Sunday 06:00: meals and cardio are due
        ran = await Dispatcher(logged, clock, registry, transport, settings).dispatch_due()
    finally:
        await logged.close()
    assert ran == 2
    plan_reads = [t for t in texts if "FROM cardio_plans WHERE plan_id = $1 ORDER BY" in t]
    meal_reads = [t for t in texts if "FROM meal_plans WHERE plan_id = $1 ORDER BY" in t]
    assert (len(meal_reads), len(plan_reads)) == (0, 1)  # meals from what it knew; cardio re-read
    work = [t for t in texts if "WITH picked AS" not in t]
    assert len(work) == 3 + 4, work  # meals: drop, delivery, outcome; cardio: the same and the read
    sunday = [m for m in transport.to_user(7) if m.at >= utc(2026, 5, 3)]
    assert sorted(m.message.embeds[0].title if m.message.embeds else m.message.heading for m in sunday) == [
        "Cardio — Sunday 03 May",
        "Meals — Sunday 03 May",
    ]
    async with pool.acquire() as conn:
        version = await conn.fetchval(
            "SELECT content->>'version' FROM daily_drops WHERE engine = 'cardio' AND local_date = $1",
            dt.date(2026, 5, 3),
        )
    assert version == "2"


async def test_a_meal_plan_reimported_after_the_process_knew_it_is_sent_in_its_new_version(
    pool, settings
) -> None:
    begin = utc(2026, 5, 4)  # Monday
    clock = VirtualClock(begin)
    await import_examples(pool, begin)
    await add_clients(pool, [profile(8, "UTC", begin.date(), meal_plan_id="cut_2200")], begin)
    rt, transport = runtime(pool, clock, [meals.build(settings)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 12))  # Monday's meals: version 1 is known
    text = (EXAMPLES / "meals_cut_2200.yaml").read_text().replace("name: Breakfast", "name: First meal")
    async with pool.acquire() as conn:
        assert await plans_repo.store(conn, parse_plan(text, "meals_cut_2200.yaml"), clock.now(), None) == 2
    await clock.run_until(utc(2026, 5, 5, 12))
    await rt.stop()
    monday, tuesday = (m.message.texts()[1] if m.message.layout else "" for m in transport.to_user(8))
    assert "**Breakfast**" in monday and "**First meal**" in tuesday


async def test_a_check_in_step_racing_the_close_waits_for_it_and_writes_nothing(pool, settings) -> None:
    """The 12:00 close holds the drop (not yet committed) when the second step comes in: the step
    waits for it, finds the check-in closed and writes nothing; the check-in stays missed."""
    clock, rt, _ = await _delivered(pool, settings)
    await rt.stop()
    await clock.run_until(utc(2026, 5, 4, 11, 59))
    day = dt.date(2026, 5, 4)
    await checkin.record(pool, clock, user_id=7, day=day, part="feel", values=FEEL)
    async with pool.acquire() as closer:
        closing = closer.transaction()
        await closing.start()
        assert await checkin.LOGBOOK.store.close_and_miss(closer, 7, day, clock.now()) is not None
        step = asyncio.create_task(
            checkin.record(
                pool, clock, user_id=7, day=day, part="body", values={"bodyweight": "80", "sleep": "7"}
            )
        )
        await asyncio.sleep(0.3)
        assert not step.done()  # waiting for the close
        await closing.commit()
        with pytest.raises(InputError, match="closed at 12:00; nothing was written"):
            await step
    [row] = await rows(pool, "checkins")
    assert (row["status"], row["bodyweight_kg"]) == ("missed", None)


async def test_a_day_the_new_plan_version_rests_on_sends_nothing(pool, settings) -> None:
    """The process knew version 1 (steps on Tuesday); version 2 rests on Tuesday: the drop made
    from what the process knew is refused by the version check, and the newest sends nothing."""
    begin = utc(2026, 5, 4)  # Monday
    clock = VirtualClock(begin)
    await import_examples(pool, begin)
    await add_clients(pool, [profile(9, "UTC", begin.date(), cardio_plan_id="zone2_base")], begin)
    rt, transport = runtime(pool, clock, [cardio.build(settings)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 12))  # Monday's walk: version 1 is known
    text = (
        (EXAMPLES / "cardio_zone2.yaml")
        .read_text()
        .replace("tue: {kind: Daily steps, steps: 10000}", "tue: rest")
    )
    async with pool.acquire() as conn:
        assert await plans_repo.store(conn, parse_plan(text, "cardio_zone2.yaml"), clock.now(), None) == 2
    await clock.run_until(utc(2026, 5, 5, 23))
    await rt.stop()
    [drop_job] = [
        j for j in await all_jobs(pool) if j.local_date == dt.date(2026, 5, 5) and j.action == "drop"
    ]
    assert (str(drop_job.status), (drop_job.result or {}).get("reason")) == ("skipped", "rest day")
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM daily_drops WHERE local_date = $1", dt.date(2026, 5, 5))
            == 0
        )
    assert len(transport.to_user(9)) == 1
