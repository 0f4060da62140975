"""The training dispatcher on the virtual clock with a real PostgreSQL: block files, the 07:00
drop on training days only, day_index, top-set logging and its validation, 22:00 missed rows."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from doubles.recording import RecordingTransport
from helpers import add_clients, all_jobs, profile, runtime, statement_logging_pool, utc
from samples import BAD_INPUTS, FIVE_ERRORS

from bot.core.clock import VirtualClock
from bot.core.dispatcher import Dispatcher
from bot.core.engine import EngineRegistry
from bot.core.runtime import Runtime
from bot.domain import timezones
from bot.domain.blocks import parse_block
from bot.domain.errors import InputError
from bot.domain.lifting import Best, epley, is_pr, parse_top_set
from bot.domain.models import Unit
from bot.engines import training
from bot.repo import blocks as blocks_repo
from bot.repo import clients

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MONDAY = dt.date(2026, 5, 4)
MWF = [1, 3, 5]


async def log_rows(pool) -> list[dict]:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch("SELECT * FROM training_logs ORDER BY date, exercise_id")]


async def import_example(pool, name: str, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    path = EXAMPLES / name
    async with pool.acquire() as conn:
        await blocks_repo.store(conn, parse_block(path.read_text(), path.name), now, None)


def test_a_block_file_with_five_errors_reports_all_five_with_locations() -> None:
    with pytest.raises(InputError) as caught:
        parse_block(FIVE_ERRORS)
    problems = caught.value.problems
    assert len(problems) == 5, problems
    assert any(p.startswith("id:") for p in problems)
    assert any(p.startswith("days[0].exercises[0].sets:") for p in problems)
    assert any(p.startswith("days[0].exercises[1].reps:") and "range" in p for p in problems)
    assert "days[0].exercises[2].rest: required" in problems
    assert "days[0].exercises[3].rpe: unknown field (check the spelling)" in problems


@pytest.mark.parametrize("text", ["", "[1, 2]", "id: x\nname: y\ndays: [", "{]"])
def test_garbage_files_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_block(text, "block.json" if text.startswith("{") else "block.yaml")
    assert str(caught.value)


def test_the_cli_reports_every_problem_and_imports_nothing(tmp_path: Path, database_dsn: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FIVE_ERRORS)
    env = {"DATABASE_URL": database_dsn, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "blocks", "import", str(bad)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "5 problem(s), nothing imported" in proc.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "blocks", "import", str(EXAMPLES / "steel_block_A.yaml")],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "imported steel_block_A" in ok.stdout and "version 1" in ok.stdout


async def test_reimporting_makes_a_new_version_and_delivered_sessions_keep_theirs(pool) -> None:
    now = utc(2026, 5, 1)
    await import_example(pool, "steel_block_A.yaml", now)
    text = (EXAMPLES / "steel_block_A.yaml").read_text().replace("Day 1 — Squat & Bench", "Day 1 — Renamed")
    async with pool.acquire() as conn:
        version = await blocks_repo.store(conn, parse_block(text), now, None)
        latest = await blocks_repo.latest(conn, "steel_block_A")
    assert version == 2 and latest is not None and latest[1].days[0].title == "Day 1 — Renamed"


async def test_workouts_arrive_at_seven_on_training_days_and_cycle_the_block(pool, settings) -> None:
    begin = utc(2026, 5, 3)
    clock = VirtualClock(begin)
    await import_example(pool, "steel_block_A.yaml", begin)
    await add_clients(
        pool,
        [
            profile(1, "Asia/Kathmandu", MONDAY, block_id="steel_block_A", schedule_days=MWF),
            profile(2, "America/Chicago", MONDAY, block_id="steel_block_A", schedule_days=MWF),
        ],
        begin,
    )
    rt, transport = runtime(pool, clock, [training.build(settings)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 10, 12))  # first week
    async with pool.acquire() as conn:
        await conn.execute("UPDATE client_profiles SET paused = true WHERE user_id = 2")
    await clock.run_until(utc(2026, 5, 17, 12))  # second week: client 2 paused
    await rt.stop()

    for user, zone, weeks in ((1, "Asia/Kathmandu", 2), (2, "America/Chicago", 1)):
        tz = timezones.parse_timezone(zone)
        received = transport.to_user(user)
        local = [m.at.astimezone(tz) for m in received]
        assert all((t.hour, t.minute) == (7, 0) for t in local), local
        assert [t.isoweekday() for t in local] == [1, 3, 5] * weeks
        titles = [m.message.heading for m in received]
        cycle = ["Day 1 — Squat & Bench", "Day 2 — Deadlift & Press", "Day 3 — Volume"]
        assert titles == cycle * weeks
        buttons = [s.accessory.label for s in received[0].message.sections()]  # beside each
        assert buttons == [
            "Log Back Squat",
            "Log Bench Press",
            "Log Barbell Row",
            "Log Plank (seconds as reps)",
        ]
    async with pool.acquire() as conn:
        assert (await clients.get(conn, 1)).day_index == 0  # type: ignore[union-attr]  # six drops: cycled twice
        assert (await clients.get(conn, 2)).day_index == 0  # type: ignore[union-attr]
    drops = [j for j in await all_jobs(pool) if j.action == "drop"]
    assert {j.user_id for j in drops if j.local_date > dt.date(2026, 5, 10)} == {1}


async def _deliver_monday(pool, settings, zone: str = "UTC"):  # type: ignore[no-untyped-def]
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(7, zone, MONDAY, schedule_days=MWF, unit="lb")], begin)
    rt, transport = runtime(pool, clock, [training.build(settings)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 8))
    return clock, rt, transport


async def test_bad_top_sets_are_refused_with_their_problem_and_nothing_is_written(pool, settings) -> None:
    clock, rt, _ = await _deliver_monday(pool, settings)
    try:
        for weight, reps, problem in BAD_INPUTS:
            with pytest.raises(InputError) as caught:
                await training.log_top_set(
                    pool, clock, settings, user_id=7, day=MONDAY, index=0, weight=weight, reps=reps
                )
            assert problem in str(caught.value), (weight, reps, str(caught.value))
        with pytest.raises(InputError) as both:
            await training.log_top_set(
                pool, clock, settings, user_id=7, day=MONDAY, index=0, weight="x", reps="y"
            )
        assert len(both.value.problems) == 2  # every problem in one answer
        assert await log_rows(pool) == []
    finally:
        await rt.stop()


async def test_a_top_set_is_one_row_with_every_seed_column_and_a_correction_replaces_it(
    pool, settings
) -> None:
    clock, rt, _ = await _deliver_monday(pool, settings)
    try:
        first = await training.log_top_set(
            pool, clock, settings, user_id=7, day=MONDAY, index=0, weight="225,5", reps="5"
        )
        assert first.log.unit_entered == Unit.lb and first.log.weight_entered == 225.5
        await clock.run_until(utc(2026, 5, 4, 9))
        await training.log_top_set(
            pool, clock, settings, user_id=7, day=MONDAY, index=0, weight="230", reps="4"
        )
    finally:
        await rt.stop()
    [row] = await log_rows(pool)
    seed_columns = ("user_id", "timestamp", "date", "exercise_id", "exercise_name", "weight_kg", "reps",
                    "block_id", "day_index", "status")  # fmt: skip
    assert all(row[c] is not None for c in seed_columns)
    assert (row["user_id"], row["date"], row["exercise_id"], row["exercise_name"]) == (
        7,
        MONDAY,
        "back_squat",
        "Back Squat",
    )
    assert (float(row["weight_kg"]), row["reps"], row["status"]) == (
        pytest.approx(104.326, abs=1e-3),
        4,
        "logged",
    )
    assert (row["block_id"], row["day_index"], row["timestamp"]) == ("default", 0, utc(2026, 5, 4, 9))


async def test_at_22_unlogged_exercises_are_missed_once_even_after_downtime(pool, settings) -> None:
    clock, rt, transport = await _deliver_monday(pool, settings, zone="Europe/Berlin")
    await training.log_top_set(pool, clock, settings, user_id=7, day=MONDAY, index=1, weight="135", reps="8")
    await clock.run_until(utc(2026, 5, 4, 19, 30))  # 21:30 in Berlin: the process goes down
    await rt.stop()
    await clock.run_until(utc(2026, 5, 4, 21, 30))  # back at 23:30
    rt2, _ = runtime(pool, clock, [training.build(settings)], settings, transport)
    rt2.start()
    await clock.run_until(utc(2026, 5, 5, 12))
    await rt2.stop()
    rows = await log_rows(pool)
    assert sorted((r["exercise_id"], r["status"]) for r in rows) == [
        ("back_squat", "missed"), ("barbell_row", "missed"), ("bench_press", "logged"),
    ]  # fmt: skip
    assert all(r["weight_kg"] is None and r["reps"] is None for r in rows if r["status"] == "missed")
    [close] = [j for j in await all_jobs(pool) if j.action == "close"]
    assert close.status == "sent" and close.started_at == utc(2026, 5, 4, 21, 30)
    [workout] = transport.to_user(7)
    assert "Logging closed at 22:00: 1 logged, 2 missed." in workout.current.texts()[-1]
    with pytest.raises(InputError, match="closed at 22:00"):
        await training.log_top_set(
            pool, clock, settings, user_id=7, day=MONDAY, index=0, weight="1", reps="1"
        )
    assert len(await log_rows(pool)) == 3


async def test_prs_and_the_last_top_set_shown_on_the_next_workout(pool, settings) -> None:
    clock, rt, transport = await _deliver_monday(pool, settings)
    first = await training.log_top_set(
        pool, clock, settings, user_id=7, day=MONDAY, index=0, weight="200", reps="5"
    )
    assert first.log.is_pr is False  # a first log is a baseline
    await clock.run_until(utc(2026, 5, 6, 8))  # Wednesday: Full body B
    await clock.run_until(utc(2026, 5, 8, 8))  # Friday: Full body A again
    friday = transport.to_user(7)[-1].message
    squat = next(t for t in friday.texts() if "Back Squat" in t)
    assert "last 200 lb × 5 · beat it: 200 lb × 6" in squat
    pr = await training.log_top_set(
        pool, clock, settings, user_id=7, day=dt.date(2026, 5, 8), index=0, weight="200", reps="6"
    )
    await rt.stop()
    assert pr.log.is_pr is True
    async with pool.acquire() as conn:
        [shown] = await training.render_session(conn, pr.session, Unit.lb, settings)
    assert "🏆" in next(t for t in shown.texts() if "Back Squat" in t)


def test_epley_and_pr_rules() -> None:
    assert epley(100, 1) == 100 and epley(100, 10) == pytest.approx(133.333, abs=1e-3)
    assert epley(100, 11) is None
    best = Best(heaviest_kg=100, best_e1rm_kg=epley(100, 5))
    assert is_pr(102.5, 1, best)  # heavier
    assert is_pr(100, 6, best)  # more reps at the same weight: a better estimate
    assert not is_pr(100, 5, best)
    assert not is_pr(90, 12, best)  # no estimate past 10 reps, and not heavier


async def test_a_missing_block_falls_back_to_default_with_one_card(pool, settings) -> None:
    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(
        pool, [profile(9, "UTC", MONDAY, block_id="gone", schedule_days=[1, 2, 3, 4, 5])], begin
    )
    rt, transport = runtime(pool, clock, [training.build(settings)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 7, 8))
    await rt.stop()
    assert [m.message.heading for m in transport.to_user(9)] == [
        "Full body A",
        "Full body B",
        "Full body A",
        "Full body B",
    ]
    async with pool.acquire() as conn:
        cards = await conn.fetch("SELECT kind, user_id FROM job_cards")
    assert [(c["kind"], c["user_id"]) for c in cards] == [("invalid_block", 9)]


async def test_a_reassigned_client_gets_the_new_block_on_their_next_training_day(pool, settings) -> None:
    from bot.usecases import coaching

    begin = utc(2026, 5, 4)
    clock = VirtualClock(begin)
    await add_clients(pool, [profile(11, "UTC", MONDAY, schedule_days=MWF)], begin)
    rt, transport = runtime(pool, clock, [training.build(settings)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 12))
    await import_example(pool, "upper_lower_4day.json", clock.now())
    async with pool.acquire() as conn:
        await coaching.reassign(
            conn, user_id=11, block_id="upper_lower_4", effective=None, day_index=1, now=clock.now()
        )
    await clock.run_until(utc(2026, 5, 8, 12))
    await rt.stop()
    titles = [m.message.heading for m in transport.to_user(11)]
    assert titles == ["Full body A", "Lower A", "Upper B"]


# --- issue 11: a workout drop and a top-set log in few round trips --------------------------


async def test_a_workout_drop_is_two_statements_besides_its_claim_and_outcome_and_a_log_two(
    database_dsn, pool, settings
) -> None:
    """With the block known to the process, the drop writes its session (with its close job and
    last top sets) in one statement and records the delivery with the day index in another; the
    dispatcher adds the claim and the outcome. A top-set log is two statements."""
    begin = utc(2026, 5, 4, 4)
    clock = VirtualClock(begin)
    await import_example(pool, "steel_block_A.yaml", begin)
    zones = {1: "Europe/Berlin", 2: "Europe/London"}  # 07:00 local is 05:00 and 06:00 UTC
    await add_clients(
        pool,
        [
            profile(u, z, MONDAY, block_id="steel_block_A", schedule_days=MWF, dm_channel_id=500_000_000 + u)
            for u, z in zones.items()
        ],
        begin,
    )
    async with pool.acquire() as conn:  # London's squat a week earlier: shown, then beaten
        earlier = await conn.fetchval(
            "INSERT INTO training_sessions (user_id, local_date, block_id, block_version, day_index, "
            "day_title, exercises, deadline, created_at) VALUES (2, $1, 'steel_block_A', 1, 0, 'Day 1', "
            "'[]', $2, $2) RETURNING id",
            MONDAY - dt.timedelta(days=7),
            utc(2026, 4, 27, 21),
        )
        await conn.execute(
            "INSERT INTO training_logs (user_id, timestamp, date, exercise_id, exercise_name, weight_kg, "
            "reps, block_id, day_index, status, session_id) VALUES (2, $1, $2, 'back_squat', "
            "'Back Squat', 95, 5, 'steel_block_A', 0, 'logged', $3)",
            utc(2026, 4, 27, 8),
            MONDAY - dt.timedelta(days=7),
            earlier,
        )
    registry = EngineRegistry([training.build(settings)])
    transport = RecordingTransport(clock)
    rt = Runtime(pool, clock, registry, transport, settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 5, 30))  # Berlin's workout: the block is read once
    await rt.stop()
    assert len(transport.to_user(1)) == 1

    logged, texts = await statement_logging_pool(database_dsn)
    try:
        await clock.run_until(utc(2026, 5, 4, 6))
        ran = await Dispatcher(logged, clock, registry, transport, settings).dispatch_due()
        assert ran == 1 and len(transport.to_user(2)) == 1
        assert "last 95 kg × 5" in "\n".join(transport.to_user(2)[0].message.texts())
        # Claims are shared by a batch (one found the job, the others found nothing more).
        work = [t for t in texts if "WITH picked AS" not in t]
        assert len(work) == 3, work  # the session, the delivery, the outcome
        assert "INSERT INTO training_sessions" in work[0] and "FOR UPDATE" not in work[0]

        texts.clear()  # the "Log" button's form: prefilled with last week's top set
        form = await training.log_form(logged, clock, user_id=2, day=MONDAY, index=0)
        assert (form.exercise, form.values, len(texts)) == ("Back Squat", ("95", "5"), 1)

        texts.clear()
        logged_set = await training.log_top_set(
            logged, clock, settings, user_id=2, day=MONDAY, index=0, weight="100", reps="5"
        )
        assert len(texts) == 2, texts
        again = await training.log_form(logged, clock, user_id=2, day=MONDAY, index=0)
        assert again.values == ("100", "5")  # now this session's log

        await clock.run_until(utc(2026, 5, 4, 21))  # 22:00 in London: closed to both
        with pytest.raises(InputError, match=r"closed at 22:00\.$"):
            await training.log_form(logged, clock, user_id=2, day=MONDAY, index=1)
        texts.clear()
        with pytest.raises(InputError, match=r"closed at 22:00; nothing was written\."):
            await training.log_top_set(
                logged, clock, settings, user_id=2, day=MONDAY, index=1, weight="60", reps="5"
            )
        assert len(texts) == 1  # refused on what the first statement read
    finally:
        await logged.close()
    assert logged_set.log.weight_kg == 100 and logged_set.log.is_pr
    async with pool.acquire() as conn:
        [shown] = await training.render_session(conn, logged_set.session, Unit.kg, settings)
    assert "100 kg × 5" in "\n".join(shown.texts())
    async with pool.acquire() as conn:
        assert (await clients.get(conn, 2)).day_index == 1  # type: ignore[union-attr]
        jobs = await conn.fetch("SELECT action FROM jobs WHERE user_id = 2 ORDER BY action")
    assert [j["action"] for j in jobs] == ["close", "drop"]


async def _session_from_a_stale_claim(pool, settings, change: str):  # type: ignore[no-untyped-def]
    """Monday's session made from the claim's copy of the client (UTC, day 0, the block known to
    the process) after `change` (SQL SET clause) moved the client's row on since the claim."""
    now = utc(2026, 5, 4, 7)
    await import_example(pool, "steel_block_A.yaml", now)
    stale = profile(3, "UTC", MONDAY, block_id="steel_block_A", schedule_days=MWF)
    await add_clients(pool, [stale], now)
    async with pool.acquire() as conn:
        await conn.execute(f"UPDATE client_profiles SET {change} WHERE user_id = 3")
        known = training.KnownBlocks()
        found = await blocks_repo.latest(conn, "steel_block_A")
        assert found is not None
        known.put("steel_block_A", found)
        session, fresh = await training.open_session(conn, stale, MONDAY, settings, now, known)
    assert fresh
    return session


async def test_a_client_row_changed_since_the_claim_takes_the_locked_path(pool, settings) -> None:
    """A coach moved the client to day 2 since the claim: the session trains day 2, as the
    client's row says when the session is written."""
    session = await _session_from_a_stale_claim(pool, settings, "day_index = 2")
    assert (session.day_index, session.day_title) == (2, "Day 3 — Volume")


async def test_a_zone_changed_since_the_claim_takes_the_locked_path(pool, settings) -> None:
    """The client moved to Tokyo since the claim: the session closes at 22:00 in Tokyo."""
    session = await _session_from_a_stale_claim(pool, settings, "timezone = 'Asia/Tokyo'")
    assert session.deadline == utc(2026, 5, 4, 13)


async def test_a_block_reimported_after_the_process_knew_it_trains_the_new_version(pool, settings) -> None:
    begin = utc(2026, 5, 3)
    clock = VirtualClock(begin)
    await import_example(pool, "steel_block_A.yaml", begin)
    await add_clients(pool, [profile(4, "UTC", MONDAY, block_id="steel_block_A", schedule_days=MWF)], begin)
    rt, transport = runtime(pool, clock, [training.build(settings)], settings)
    rt.start()
    await clock.run_until(utc(2026, 5, 4, 12))  # Monday's workout: version 1 is known
    text = (
        (EXAMPLES / "steel_block_A.yaml").read_text().replace("Day 2 — Deadlift & Press", "Day 2 — Renamed")
    )
    async with pool.acquire() as conn:
        assert await blocks_repo.store(conn, parse_block(text), clock.now(), None) == 2
    await clock.run_until(utc(2026, 5, 6, 12))  # Wednesday's
    await rt.stop()
    assert [m.message.heading for m in transport.to_user(4)] == ["Day 1 — Squat & Bench", "Day 2 — Renamed"]
    async with pool.acquire() as conn:
        versions = await conn.fetch(
            "SELECT block_version FROM training_sessions WHERE user_id = 4 ORDER BY local_date"
        )
    assert [v["block_version"] for v in versions] == [1, 2]


async def test_a_top_set_racing_the_close_waits_for_it_and_writes_nothing(pool, settings) -> None:
    """The 22:00 close holds the session (not yet committed) when the log's write comes: the write
    waits for it, finds the session closed and writes nothing; the close's missed rows stand."""
    clock, rt, _ = await _deliver_monday(pool, settings)
    await rt.stop()
    await clock.run_until(utc(2026, 5, 4, 21, 59))
    async with pool.acquire() as closer, pool.acquire() as conn:
        session = await training.repo.get_session(conn, 7, MONDAY)
        assert session is not None
        closing = closer.transaction()
        await closing.start()
        await training.repo.close_and_miss(closer, 7, MONDAY, clock.now())
        top_set = parse_top_set("100", "5", Unit.lb)
        write = asyncio.create_task(
            training.repo.log_top_set(conn, session, session.exercises[0], top_set, False, clock.now())
        )
        await asyncio.sleep(0.3)
        assert not write.done()  # waiting for the close
        await closing.commit()
        assert await write is None
    assert {r["status"] for r in await log_rows(pool)} == {"missed"}
