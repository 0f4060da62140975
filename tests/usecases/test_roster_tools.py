"""The coach's roster tools as use cases (bot.usecases.cards, reports, triggers): bad input
changes nothing; the trigger's suggestions come from the registry."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import add_clients, all_jobs, profile

from bot.domain.errors import InputError
from bot.usecases import cards as cards_uc
from bot.usecases import reports as reports_uc
from bot.usecases import triggers as triggers_uc

KIM, COACH = 7301, 9001


async def open_card(pool, now: dt.datetime) -> int:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        return await conn.fetchval(
            "INSERT INTO job_cards (kind, user_id, dedupe_key, urgency, summary, opened_at) "
            "VALUES ('no_checkin', $1, 'no_checkin:test', 2, 'no check-in', $2) RETURNING id",
            KIM,
            now,
        )


async def test_bad_card_changes_change_nothing(pool, clock, snapshot) -> None:
    await add_clients(pool, [profile(KIM, "UTC", dt.date(2026, 5, 1))], clock.now())
    card = await open_card(pool, clock.now())
    before = await snapshot()
    with pytest.raises(InputError, match="note"):
        await cards_uc.resolve_card(pool, clock, card_id=card, by=COACH, note="x" * 501)
    with pytest.raises(InputError, match="There is no open card #999"):
        await cards_uc.resolve_card(pool, clock, card_id=999, by=COACH, note=None)
    for until, problem in (("2026-05-04", "not in the future"), ("tomorrow", "YYYY-MM-DD")):
        with pytest.raises(InputError, match=problem):
            await cards_uc.snooze_card(pool, clock, card_id=card, by=COACH, until=until)
    assert await snapshot() == before

    snoozed = await cards_uc.snooze_card(pool, clock, card_id=card, by=COACH, until="2026-05-06")
    assert (snoozed.status, snoozed.snoozed_until) == ("snoozed", dt.date(2026, 5, 6))
    assert (await cards_uc.list_cards(pool, clock, status="open")).cards == []
    [listed] = (await cards_uc.list_cards(pool, clock, user_id=KIM, status="snoozed")).cards
    assert listed.id == card
    resolved = await cards_uc.resolve_card(pool, clock, card_id=card, by=COACH, note="called")
    assert (resolved.status, resolved.resolved_by, resolved.note) == ("resolved", COACH, "called")


async def test_reports_refuse_bad_input(pool, clock, registry) -> None:
    with pytest.raises(InputError, match="Name a client, a day, or both"):
        await reports_uc.schedule_history(pool, clock, user_id=None, day=None, retention_days=90)
    with pytest.raises(InputError, match="day: 'monday' is not a date"):
        await reports_uc.schedule_history(pool, clock, user_id=KIM, day="monday", retention_days=90)
    for call in (
        reports_uc.schedule_preview(pool, registry, clock, user_id=KIM, days=3),
        reports_uc.client_logs(pool, registry, user_id=KIM, engine=None, page=1, per_page=10),
    ):
        with pytest.raises(InputError, match="not a client"):
            await call
    await add_clients(pool, [profile(KIM, "UTC", dt.date(2026, 5, 1))], clock.now())
    history = await reports_uc.schedule_history(
        pool, clock, user_id=None, day="2026-05-04", retention_days=90
    )
    assert history.jobs == []
    preview = await reports_uc.schedule_preview(pool, registry, clock, user_id=KIM, days=1)
    assert "check-in" in [r.label for r in preview.runs]  # tomorrow's: today's was before 15:00
    assert preview.runs == sorted(preview.runs, key=lambda r: r.at_utc)
    report = await reports_uc.deliveries(pool, clock)
    assert (report.stats["sent"], report.unreachable) == (0, [])


async def test_logs_of_one_engine_by_its_label(pool, clock, registry) -> None:
    await add_clients(pool, [profile(KIM, "UTC", dt.date(2026, 5, 1))], clock.now())
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO checkins (user_id, date, status, bodyweight_kg, timestamp) "
            "VALUES ($1, '2026-05-04', 'logged', 80.5, $2)",
            KIM,
            clock.now(),
        )
    every = await reports_uc.client_logs(pool, registry, user_id=KIM, engine=None, page=1, per_page=10)
    checkins = await reports_uc.client_logs(
        pool, registry, user_id=KIM, engine="check-in", page=1, per_page=10
    )
    meals = await reports_uc.client_logs(pool, registry, user_id=KIM, engine="meals", page=1, per_page=10)
    by_name = await reports_uc.client_logs(pool, registry, user_id=KIM, engine="checkin", page=1, per_page=10)
    assert [r["engine"] for r in every.rows] == [r["engine"] for r in checkins.rows] == ["checkin"]
    assert by_name.rows == checkins.rows and meals.rows == []
    with pytest.raises(InputError, match="'steps' is not something clients log; choose one of check-in"):
        await reports_uc.client_logs(pool, registry, user_id=KIM, engine="steps", page=1, per_page=10)
    assert reports_uc.logged_engines(registry) == registry.log_labels()  # the notes too
    assert reports_uc.logged_engines(registry, "CHECK") == {
        "checkin": "check-in",
        "weekly": "weekly check-in",
    }


def test_the_trigger_suggests_the_registrys_drops(registry) -> None:
    every = triggers_uc.triggerable(registry)
    assert [s.name for s in every] == [s.name for s in registry.triggerable()]
    assert {s.name for s in every} >= {"checkin.drop", "training.drop"}
    assert [s.name for s in triggers_uc.triggerable(registry, "WORK")] == ["training.drop"]
    assert [s.name for s in triggers_uc.triggerable(registry, "checkin.")] == ["checkin.drop"]
    assert triggers_uc.triggerable(registry, "nothing like it") == []


async def test_a_bad_trigger_queues_nothing_and_wakes_nobody(pool, clock, registry, snapshot) -> None:
    await add_clients(pool, [profile(KIM, "UTC", dt.date(2026, 5, 1))], clock.now())
    woken: list[dt.datetime] = []
    before = await snapshot()
    for user_id, action, problem in (
        (KIM, "checkin.close", "cannot be triggered"),
        (KIM, "x", "cannot be triggered"),
        (KIM, "checkin.drop", "closed at 12:00"),  # 15:00 UTC: today's check-in has closed
        (KIM + 1, "training.drop", "not a client"),
    ):
        with pytest.raises(InputError, match=problem):
            await triggers_uc.trigger_now(
                pool, registry, clock, user_id=user_id, action=action, force=False,
                requested_by=COACH, wake=woken.append,
            )  # fmt: skip
    assert await snapshot() == before and woken == []

    sent = await triggers_uc.trigger_now(
        pool, registry, clock, user_id=KIM, action="training.drop", force=False, requested_by=COACH,
        wake=woken.append,
    )  # fmt: skip
    assert (sent.local_date, sent.moved_up, woken) == (dt.date(2026, 5, 4), False, [clock.now()])
    [job] = await all_jobs(pool)
    assert (job.id, job.manual, job.requested_by) == (sent.job_id, True, COACH)
