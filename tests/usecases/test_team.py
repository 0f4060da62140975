"""The coaching team as use cases (bot.usecases.team): coaches as rows, clients handed over on a
date with their history kept, removal refused while a coach has clients, and the `own` scope.
Every refusal changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import add_clients, profile

from bot.domain.errors import InputError
from bot.domain.team import Scope
from bot.repo import coaches
from bot.usecases import team as team_uc

HEAD, SAM_COACH, JO_COACH = 9001, 9002, 9003
ANA, BEN, CAL = 7101, 7102, 7103
MONDAY = dt.date(2026, 5, 4)


async def make_team(pool, clock) -> None:  # type: ignore[no-untyped-def]
    head = team_uc.Actor(HEAD)
    await team_uc.add_coach(pool, clock, head, user_id=HEAD, display_name="Hana", kind="head")
    await team_uc.add_coach(pool, clock, head, user_id=SAM_COACH, display_name="Sam", kind="coach")
    await team_uc.add_coach(pool, clock, head, user_id=JO_COACH, display_name="Jo", kind="coach")
    await add_clients(
        pool,
        [profile(u, "UTC", MONDAY, display_name=n) for u, n in ((ANA, "Ana"), (BEN, "Ben"), (CAL, "Cal"))],
        clock.now(),
    )


async def test_a_handover_on_a_date_keeps_the_history_before_it(pool, clock, settings, snapshot) -> None:
    await make_team(pool, clock)
    head = team_uc.Actor(HEAD)
    first = await team_uc.hand_over(
        pool, clock, head, user_id=ANA, coach_id=SAM_COACH, from_date=None, note=None, settings=settings
    )
    assert first.from_date == MONDAY and first.previous is None
    later = await team_uc.hand_over(
        pool, clock, head, user_id=ANA, coach_id=JO_COACH, from_date="2026-05-11", note="Knee: no jumps",
        settings=settings,
    )  # fmt: skip
    assert (later.previous, later.to.display_name) == ("Sam", "Jo")
    async with pool.acquire() as conn:
        assert (await coaches.coach_on(conn, ANA, dt.date(2026, 5, 10))).coach_id == SAM_COACH  # type: ignore[union-attr]
        on_handover = await coaches.coach_on(conn, ANA, dt.date(2026, 5, 11))
        assert on_handover is not None and (on_handover.coach_id, on_handover.note) == (
            JO_COACH,
            "Knee: no jumps",
        )
        assert [a.coach_name for a in await coaches.history(conn, ANA)] == ["Sam", "Jo"]
    before = await snapshot()
    with pytest.raises(InputError) as caught:
        await team_uc.hand_over(
            pool, clock, head, user_id=ANA, coach_id=12345, from_date="2026-05-01", note="x" * 600,
            settings=settings,
        )  # fmt: skip
    assert len(caught.value.problems) == 3, caught.value.problems  # note, not a coach, in the past
    assert "Friday 01 May" in " ".join(caught.value.problems)
    assert await snapshot() == before


async def test_removing_a_coach_with_clients_is_refused_then_moves_them_all(
    pool, clock, settings, snapshot
) -> None:
    await make_team(pool, clock)
    head = team_uc.Actor(HEAD)
    for client in (ANA, BEN):
        await team_uc.hand_over(
            pool,
            clock,
            head,
            user_id=client,
            coach_id=SAM_COACH,
            from_date=None,
            note=None,
            settings=settings,
        )
    before = await snapshot()
    with pytest.raises(InputError) as refused:
        await team_uc.remove_coach(pool, clock, head, coach_id=SAM_COACH, reassign_to=None)
    assert "Sam still has 2 clients (Ana, Ben)" in str(refused.value.problems[0])
    with pytest.raises(InputError):
        await team_uc.remove_coach(
            pool, clock, team_uc.Actor(JO_COACH), coach_id=SAM_COACH, reassign_to=JO_COACH
        )
    assert await snapshot() == before

    removal = await team_uc.remove_coach(pool, clock, head, coach_id=SAM_COACH, reassign_to=JO_COACH)
    assert sorted(p.user_id for p in removal.moved) == [ANA, BEN] and removal.to is not None
    async with pool.acquire() as conn:
        assert await coaches.clients_of(conn, JO_COACH, MONDAY) == [ANA, BEN]
        assert await coaches.get(conn, SAM_COACH) is None
        assert [a.coach_name for a in await coaches.history(conn, ANA)] == ["Jo"]  # same day: replaced
    lines = {line.coach.display_name: line.clients for line in await team_uc.list_coaches(pool, clock)}
    assert lines == {"Hana": 0, "Jo": 2}


async def test_in_own_scope_a_coach_acts_only_on_their_own_clients(pool, clock, settings) -> None:
    await make_team(pool, clock)
    own = settings.model_copy(update={"coach_scope": Scope.own})
    head = team_uc.Actor(HEAD)
    await team_uc.hand_over(
        pool, clock, head, user_id=ANA, coach_id=SAM_COACH, from_date=None, note=None, settings=own
    )
    await team_uc.hand_over(
        pool, clock, head, user_id=BEN, coach_id=JO_COACH, from_date=None, note=None, settings=own
    )

    sam = team_uc.Actor(SAM_COACH)
    await team_uc.check_scope(pool, clock, own, sam, ANA)
    with pytest.raises(InputError) as refused:
        await team_uc.check_scope(pool, clock, own, sam, BEN)
    assert refused.value.problems == [
        "Ben is Jo's client: coaches act only on their own clients here. Ask a head coach, or to have "
        "them handed to you with /client edit coach:."
    ]
    with pytest.raises(InputError, match="Cal is not assigned to you"):
        await team_uc.check_scope(pool, clock, own, sam, CAL)
    # Sam cannot hand Ben over to himself either.
    with pytest.raises(InputError):
        await team_uc.hand_over(
            pool, clock, sam, user_id=BEN, coach_id=SAM_COACH, from_date=None, note=None, settings=own
        )
    for client in (ANA, BEN, CAL):
        await team_uc.check_scope(pool, clock, own, head, client)  # a head coach sees everyone
        await team_uc.check_scope(pool, clock, settings, sam, client)  # and in team scope, everyone does
    # A coach with the head-coach role is a head coach without a row saying so.
    await team_uc.check_scope(pool, clock, own, team_uc.Actor(JO_COACH + 50, head_by_role=True), ANA)

    assert await team_uc.visible_clients(pool, clock, own, sam, everyone=True) == {ANA}
    assert await team_uc.visible_clients(pool, clock, own, head, everyone=True) is None
    assert await team_uc.visible_clients(pool, clock, settings, sam, everyone=True) is None
    assert await team_uc.visible_clients(pool, clock, settings, sam, everyone=False) == {ANA}


async def test_only_a_head_coach_adds_a_head_coach_and_bad_input_is_named(pool, clock, snapshot) -> None:
    first = await team_uc.add_coach(
        pool, clock, team_uc.Actor(HEAD), user_id=HEAD, display_name="Hana", kind="head"
    )
    assert first.is_head  # the first head coach sets the team up
    before = await snapshot()
    with pytest.raises(InputError, match="Only a head coach can add a head coach"):
        await team_uc.add_coach(
            pool, clock, team_uc.Actor(SAM_COACH), user_id=SAM_COACH, display_name="Sam", kind="head"
        )
    with pytest.raises(InputError, match="kind must be head or coach"):
        await team_uc.add_coach(
            pool, clock, team_uc.Actor(HEAD), user_id=SAM_COACH, display_name="Sam", kind="boss"
        )
    with pytest.raises(InputError, match="not on the team yet"):
        await team_uc.set_notify(pool, team_uc.Actor(SAM_COACH), "dm")
    with pytest.raises(InputError, match="notify must be"):
        await team_uc.set_notify(pool, team_uc.Actor(HEAD), "pigeon")
    assert await snapshot() == before
    assert (await team_uc.set_notify(pool, team_uc.Actor(HEAD), "both")).notify == "both"
