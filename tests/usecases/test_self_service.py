"""The client's own commands as use cases (bot.usecases.self_service): someone who is not a
client is told so first; bad input changes nothing and plans nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import add_clients, profile

from bot.domain.errors import InputError
from bot.usecases import self_service

ANA = 7101


async def test_not_a_client_is_told_so_by_every_command(pool, clock, registry, snapshot) -> None:
    before = await snapshot()
    for call in (
        self_service.today(pool, registry, clock, ANA),
        self_service.stats(pool, registry, clock, ANA),
        self_service.change_timezone(pool, clock, user_id=ANA, zone="Europe/Paris"),
        self_service.set_unit(pool, clock, user_id=ANA, unit="lb"),
        self_service.set_honors(pool, clock, user_id=ANA, opt_out=True),
    ):
        with pytest.raises(InputError) as caught:
            await call
        assert str(caught.value) == self_service.NOT_A_CLIENT  # one problem: a sentence, no bullet
    assert await snapshot() == before


async def test_a_bad_zone_or_unit_changes_nothing_and_plans_nothing(pool, clock, replan, snapshot) -> None:
    await add_clients(pool, [profile(ANA, "Europe/London", dt.date(2026, 5, 1))], clock.now())
    before = await snapshot()
    with pytest.raises(InputError, match="timezone"):
        await self_service.change_timezone(pool, clock, user_id=ANA, zone="Mars/Base", replan=replan)
    with pytest.raises(InputError, match="already Europe/London"):
        await self_service.change_timezone(pool, clock, user_id=ANA, zone="europe/london", replan=replan)
    with pytest.raises(InputError, match="stone"):
        await self_service.set_unit(pool, clock, user_id=ANA, unit="stone")
    assert await snapshot() == before
    assert replan.user_ids == []


async def test_changes_are_saved_and_the_client_replanned(pool, clock, registry, replan) -> None:
    await add_clients(pool, [profile(ANA, "Europe/London", dt.date(2026, 5, 1))], clock.now())
    moved = await self_service.change_timezone(pool, clock, user_id=ANA, zone="Asia/Tokyo", replan=replan)
    assert (moved.profile.timezone, moved.profile.previous_timezone) == ("Asia/Tokyo", "Europe/London")
    assert moved.effective == dt.date(2026, 5, 6)  # 15:00 UTC is already May 5 in Tokyo
    assert replan.user_ids == [ANA]
    assert str((await self_service.set_unit(pool, clock, user_id=ANA, unit="LB")).unit) == "lb"
    assert (await self_service.set_honors(pool, clock, user_id=ANA, opt_out=True)).honors_opt_out
    today = await self_service.today(pool, registry, clock, ANA)
    assert (today.profile.unit, today.profile.honors_opt_out, today.jobs, today.done) == ("lb", True, [], [])
    stats = await self_service.stats(pool, registry, clock, ANA)
    assert (stats.today, stats.outcomes) == (dt.date(2026, 5, 4), [])
