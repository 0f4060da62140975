"""The coach's client commands as use cases (bot.usecases.clients): bad input changes nothing and
tells nobody; the welcome and pause DMs go through bot.core.dm (the DM channel is remembered), and
a DM that does not go through is reported, not raised."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import add_clients, profile

from bot.core.delivery import RecipientUnreachable, TransientDeliveryError
from bot.domain.errors import InputError
from bot.repo import clients
from bot.usecases import clients as clients_uc
from bot.usecases.coaching import ClientInput

SAM = 7001
GOOD = ClientInput(timezone="Europe/London", start_date="2026-05-05")


async def test_onboarding_bad_input_changes_nothing_and_sends_nothing(
    pool, clock, transport, replan, snapshot, registry
) -> None:
    before = await snapshot()
    bad = ClientInput(timezone="Mars/Base", start_date="2026-05-01", schedule_days="funday", unit="stone")
    with pytest.raises(InputError) as caught:
        await clients_uc.add_client(
            pool,
            transport,
            clock,
            user_id=SAM,
            display_name="Sam",
            given=bad,
            registry=registry,
            replan=replan,
        )
    assert len(caught.value.problems) == 4, caught.value.problems
    assert await snapshot() == before
    assert transport.attempts == [] and replan.user_ids == []


async def test_onboarding_plans_welcomes_and_remembers_the_dm_channel(
    pool, clock, transport, replan, registry
) -> None:
    added = await clients_uc.add_client(
        pool,
        transport,
        clock,
        user_id=SAM,
        display_name="Sam",
        given=GOOD,
        registry=registry,
        replan=replan,
    )
    assert added.told == clients_uc.Told.sent and replan.user_ids == [SAM]
    [welcome] = transport.to_user(SAM)
    assert welcome.nonce == clients_uc.one_off_nonce("w", SAM)
    assert welcome.message.embeds[0].title == "Welcome to The Regiment"
    text = welcome.message.embeds[0].description or ""
    assert "starts Tuesday 05 May" in text and "local time (Europe/London)" in text, text
    # The card shows the profile as it now is: with the DM channel the welcome opened.
    assert added.profile.dm_channel_id == transport.dm_channel_for(SAM)
    async with pool.acquire() as conn:
        stored = await clients.get(conn, SAM)
    assert stored is not None and stored.dm_channel_id == transport.dm_channel_for(SAM)
    with pytest.raises(InputError, match="already a client"):
        await clients_uc.add_client(
            pool, transport, clock, user_id=SAM, display_name="Sam", given=GOOD, registry=registry
        )
    assert len(transport.to_user(SAM)) == 1


@pytest.mark.parametrize(
    ("error", "told"),
    [
        (RecipientUnreachable("50007: cannot send messages to this user"), clients_uc.Told.dms_closed),
        (TransientDeliveryError("503"), clients_uc.Told.not_taken),
    ],
)
async def test_a_welcome_that_does_not_go_through_is_reported_and_the_client_stays(
    pool, clock, transport, registry, error, told
) -> None:
    transport.fail_next(SAM, error)
    added = await clients_uc.add_client(
        pool, transport, clock, user_id=SAM, display_name="Sam", given=GOOD, registry=registry
    )
    assert added.told == told and added.profile.dm_channel_id is None
    async with pool.acquire() as conn:
        assert await clients.get(conn, SAM) is not None


async def test_a_bad_pause_changes_nothing_and_tells_nobody(pool, clock, transport, replan, snapshot) -> None:
    await add_clients(pool, [profile(SAM, "UTC", dt.date(2026, 5, 1))], clock.now())
    before = await snapshot()
    for until, reason, problem in (
        ("2026-05-04", None, "not after today"),
        ("soon", None, "YYYY-MM-DD"),
        (None, "x" * 501, "reason"),
    ):
        with pytest.raises(InputError, match=problem):
            await clients_uc.pause_client(
                pool, transport, clock, user_id=SAM, until=until, reason=reason, replan=replan
            )
    with pytest.raises(InputError, match="not a client"):
        await clients_uc.pause_client(pool, transport, clock, user_id=SAM + 1, until=None, reason=None)
    with pytest.raises(InputError, match="not paused"):
        await clients_uc.resume_client(pool, clock, user_id=SAM, replan=replan)
    with pytest.raises(InputError, match="no block 'nope'"):
        await clients_uc.reassign_client(
            pool, clock, user_id=SAM, block_id="nope", effective=None, day_index=0
        )
    assert await snapshot() == before
    assert transport.attempts == [] and replan.user_ids == []


async def test_pause_tells_the_client_once_and_resume_lifts_it(pool, clock, transport, replan) -> None:
    await add_clients(pool, [profile(SAM, "UTC", dt.date(2026, 5, 1))], clock.now())
    paused = await clients_uc.pause_client(
        pool, transport, clock, user_id=SAM, until="2026-05-10", reason="travel", replan=replan
    )
    assert paused.told == clients_uc.Told.sent and paused.profile.paused_until == dt.date(2026, 5, 10)
    [notice] = transport.to_user(SAM)
    assert notice.nonce == clients_uc.one_off_nonce("p", SAM, clock.now().timestamp())
    assert "until Sunday 10 May" in (notice.message.embeds[0].description or "")
    resumed = await clients_uc.resume_client(pool, clock, user_id=SAM, replan=replan)
    assert not resumed.paused and replan.user_ids == [SAM, SAM]


async def test_show_list_and_search(pool, clock, registry) -> None:
    await add_clients(
        pool,
        [
            profile(SAM, "UTC", dt.date(2026, 5, 1), display_name="Sam"),
            profile(SAM + 1, "Asia/Tokyo", dt.date(2026, 5, 1)),
        ],
        clock.now(),
    )
    with pytest.raises(InputError, match="not a client"):
        await clients_uc.show_client(pool, registry, clock, SAM + 2)
    shown = await clients_uc.show_client(pool, registry, clock, SAM)
    assert (shown.profile.user_id, shown.today, shown.outcomes, shown.last_logs) == (
        SAM,
        dt.date(2026, 5, 4),
        [],
        [],
    )
    page = await clients_uc.list_clients(pool, clock, page=1, per_page=1)
    assert (len(page.profiles), page.total) == (1, 2)
    assert [m.user_id for m in await clients_uc.search_clients(pool, "sa")] == [SAM]
