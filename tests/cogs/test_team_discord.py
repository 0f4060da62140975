"""A coaching team through Discord: /coach add, list, remove and notify, and COACH_SCOPE=own
(every coach command from one coach on another coach's client is refused and changes nothing; a
head coach steers everyone; in team scope everyone steers everyone)."""

from __future__ import annotations

import datetime as dt

import pytest
from bot_harness import ADMIN, CLIENT, COACH, COACH_ROLE, GUILD, add_client, running_bot
from helpers import all_rows, utc

from bot.core.clock import VirtualClock
from bot.domain.team import Scope
from bot.repo import cards, coaches
from bot.usecases import team as team_uc

JO = 3010  # a second coach
JOS_CLIENT = 3020
MONDAY = dt.date(2026, 5, 4)


async def set_up_team(discord_double, pool, bot, clock) -> int:  # type: ignore[no-untyped-def]
    """Admin is the head coach, Sam (COACH) and Jo coaches; CLIENT is Sam's, JOS_CLIENT Jo's,
    and CLIENT has an open card. Returns the card's number."""
    await bot.sync_commands()
    for who, name, kind in ((ADMIN, "Hana", "head"), (COACH, "Sam", "coach"), (JO, "Jo", "coach")):
        added = await discord_double.slash(
            ADMIN, "coach add", {"member": str(who), "name": name, "kind": kind}, guild_id=GUILD
        )
        assert "is on the team" in (added.content or ""), added.content
    head = team_uc.Actor(ADMIN)
    for client, coach in ((CLIENT, COACH), (JOS_CLIENT, JO)):
        await team_uc.hand_over(
            pool,
            clock,
            head,
            user_id=client,
            coach_id=coach,
            from_date=None,
            note=None,
            settings=bot.settings,
        )
    async with pool.acquire() as conn:
        card = await cards.raise_card(
            conn,
            kind="missed_days",
            user_id=CLIENT,
            scope="2026-W19",
            summary="Missed 3 days",
            now=clock.now(),
        )
    assert card is not None
    return card


def foreign_commands(card: int) -> list[tuple[str, dict[str, object]]]:
    """Every coach command about one client, aimed at Sam's client."""
    client = {"client": str(CLIENT)}
    return [
        ("trigger", {**client, "action": "checkin.drop"}),
        ("trigger", {**client, "action": "checkin.drop", "force": True}),
        ("logs", client),
        ("schedule preview", client),
        ("schedule history", client),
        ("cards list", client),
        ("cards resolve", {"card": card, "note": "done"}),
        ("cards snooze", {"card": card, "until": "2026-05-20"}),
        ("training history", client),
        ("training progress", {**client, "exercise": "squat"}),
        ("client show", client),
        ("client edit", {**client, "timezone": "Asia/Tokyo"}),
        ("client edit", {**client, "coach": str(JO)}),
        ("pause", {**client, "reason": "holiday"}),
        ("resume", client),
        ("reassign", {**client, "block": "default"}),
        ("plans import", {"file": ("plan.yaml", b"id: x"), "assign_to": str(CLIENT)}),
        ("client export", client),
        ("client delete", client),
        ("note", {**client, "text": "How was the week?"}),
    ]


async def answer_of(result) -> str:  # type: ignore[no-untyped-def]
    """The reply's text, whether the command answered at once or deferred first."""
    if result.response_type == 5:
        [followup] = await result.wait_followups(1)
        return followup.content or ""
    return result.content or ""


@pytest.fixture
async def team_world(discord_double, pool):  # type: ignore[no-untyped-def]
    begin = utc(2026, 5, 4, 10)
    await discord_double.add_member(GUILD, JO, name="Jo", role_ids=[COACH_ROLE])
    for client in (CLIENT, JOS_CLIENT):
        await add_client(pool, discord_double, client, "UTC", MONDAY, begin)
    return VirtualClock(begin)


async def test_in_own_scope_a_coach_is_refused_every_command_on_another_coachs_client(
    discord_double, pool, settings, team_world
) -> None:
    clock = team_world
    own = settings.model_copy(update={"coach_scope": Scope.own})
    async with running_bot(discord_double, pool, clock, own) as bot:
        card = await set_up_team(discord_double, pool, bot, clock)
        before = await all_rows(pool)
        for command, options in foreign_commands(card):
            refused = await discord_double.slash(JO, command, options, guild_id=GUILD)
            text = await answer_of(refused)
            assert "Sam's client: coaches act only on their own clients here" in text, (command, text)
        assert await all_rows(pool) == before
        assert discord_double.dms_to(CLIENT) == []

        # Jo's own client, and a head coach on anyone: allowed.
        mine = await discord_double.slash(JO, "schedule preview", {"client": str(JOS_CLIENT)}, guild_id=GUILD)
        assert mine.embeds and "Next runs" in mine.embeds[0]["title"]
        head = await discord_double.slash(ADMIN, "schedule preview", {"client": str(CLIENT)}, guild_id=GUILD)
        assert head.embeds and "Next runs" in head.embeds[0]["title"]
        sams = await discord_double.slash(COACH, "logs", {"client": str(CLIENT)}, guild_id=GUILD)
        assert sams.embeds, sams.content

        # Lists: Jo sees only Jo's cards, even asking for everyone's; the head coach sees all.
        for options in ({}, {"everyone": True}):
            jos = await discord_double.slash(JO, "cards list", options, guild_id=GUILD)
            assert "Nothing here" in jos.embeds[0]["description"], options
        heads = await discord_double.slash(ADMIN, "cards list", {"everyone": True}, guild_id=GUILD)
        assert f"#{card}" in heads.embeds[0]["description"]

        # Autocomplete: Jo is offered only Jo's client.
        offered = await discord_double.autocomplete(
            JO, "schedule preview", {"client": ""}, focused="client", guild_id=GUILD
        )
        assert [c["value"] for c in offered] == [str(JOS_CLIENT)]


async def test_in_team_scope_every_coach_steers_every_client_with_their_own_first(
    discord_double, pool, settings, team_world
) -> None:
    clock = team_world
    async with running_bot(discord_double, pool, clock, settings) as bot:
        card = await set_up_team(discord_double, pool, bot, clock)
        preview = await discord_double.slash(JO, "schedule preview", {"client": str(CLIENT)}, guild_id=GUILD)
        assert preview.embeds, preview.content
        resolved = await discord_double.slash(JO, "cards resolve", {"card": card}, guild_id=GUILD)
        assert f"Card #{card} resolved" in (resolved.content or "")
        offered = await discord_double.autocomplete(
            JO, "schedule preview", {"client": ""}, focused="client", guild_id=GUILD
        )
        assert [c["value"] for c in offered][:1] == [str(JOS_CLIENT)]
        assert str(CLIENT) in [c["value"] for c in offered]


async def test_removing_a_coach_with_clients_is_refused_then_reassigns_them_all(
    discord_double, pool, settings, team_world
) -> None:
    clock = team_world
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await set_up_team(discord_double, pool, bot, clock)
        before = await all_rows(pool)
        refused = await discord_double.slash(ADMIN, "coach remove", {"coach": str(COACH)}, guild_id=GUILD)
        assert "Sam still has 1 client (client3001)" in (refused.content or ""), refused.content
        not_head = await discord_double.slash(JO, "coach remove", {"coach": str(COACH)}, guild_id=GUILD)
        assert "Only a head coach can remove a coach" in (not_head.content or "")
        assert await all_rows(pool) == before

        moved = await discord_double.slash(
            ADMIN, "coach remove", {"coach": str(COACH), "reassign_to": str(JO)}, guild_id=GUILD
        )
        assert "Sam is off the team. Their 1 client now has Jo as coach." in (moved.content or "")
        listing = await discord_double.slash(ADMIN, "coach list", guild_id=GUILD)
        text = listing.embeds[0]["description"]
        assert "**Jo**" in text and "2 clients" in text and "Sam" not in text
        async with pool.acquire() as conn:
            assert await coaches.clients_of(conn, JO, MONDAY) == [CLIENT, JOS_CLIENT]
        told = await discord_double.slash(JO, "coach notify", {"mode": "dm"}, guild_id=GUILD)
        assert "by DM" in (told.content or "")


async def test_cards_after_a_handover_name_the_new_coach_and_earlier_ones_the_old(
    discord_double, pool, settings, team_world
) -> None:
    clock = team_world
    async with running_bot(discord_double, pool, clock, settings) as bot:
        before_card = await set_up_team(discord_double, pool, bot, clock)
        await team_uc.hand_over(
            pool, clock, team_uc.Actor(ADMIN), user_id=CLIENT, coach_id=JO, from_date="2026-05-06",
            note="Knee: no jumps", settings=bot.settings,
        )  # fmt: skip
        await clock.run_until(utc(2026, 5, 6, 10))
        async with pool.acquire() as conn:
            after_card = await cards.raise_card(
                conn, kind="low_compliance", user_id=CLIENT, scope="2026-W19", summary="50%", now=clock.now()
            )
        listing = await discord_double.slash(ADMIN, "cards list", {"everyone": True}, guild_id=GUILD)
    lines = listing.embeds[0]["description"].splitlines()
    [old] = [line for line in lines if f"#{before_card}**" in line]
    [new] = [line for line in lines if f"#{after_card}**" in line]
    assert "coach Sam" in old and "coach Jo" in new, lines


async def test_a_client_gets_a_coach_when_added_and_is_handed_over_with_a_note(
    discord_double, pool, settings, team_world
) -> None:
    clock = team_world
    newcomer = 3030
    await discord_double.add_member(GUILD, newcomer, name="Nia")
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await set_up_team(discord_double, pool, bot, clock)
        not_a_coach = await discord_double.slash(
            COACH, "client add",
            {"member": str(newcomer), "timezone": "UTC", "start_date": "2026-05-05", "coach": str(CLIENT)},
            guild_id=GUILD,
        )  # fmt: skip
        assert "not on the team" in await answer_of(not_a_coach)
        async with pool.acquire() as conn:
            assert (
                await conn.fetchval("SELECT count(*) FROM client_profiles WHERE user_id = $1", newcomer) == 0
            )
        added = await discord_double.slash(
            COACH, "client add", {"member": str(newcomer), "timezone": "UTC", "start_date": "2026-05-05"},
            guild_id=GUILD,
        )  # fmt: skip
        assert "Their coach is Sam." in await answer_of(added)
        handed = await discord_double.slash(
            COACH, "client edit",
            {"client": str(newcomer), "coach": str(JO), "coach_from": "2026-05-11",
             "handover_note": "Knee: no jumps"},
            guild_id=GUILD,
        )  # fmt: skip
        assert "Jo coaches them from Monday 11 May." in (handed.content or ""), handed.content
        await clock.run_until(utc(2026, 5, 11, 10))
        shown = await discord_double.slash(JO, "client show", {"client": str(newcomer)}, guild_id=GUILD)
        [card] = await shown.wait_followups(1)
        coach_field = next(f for f in card.embeds[0]["fields"] if f["name"] == "Coach")
        assert coach_field["value"].startswith(f"Jo (<@{JO}>) since Monday 11 May"), coach_field
        assert "Handover note: Knee: no jumps" in coach_field["value"]
        assert "Before: Sam from" in coach_field["value"]
        mine = await discord_double.slash(JO, "client list", guild_id=GUILD)
        listed = mine.embeds[0]["description"]
        assert "Nia" in listed and "client3001" not in listed, listed
        everyone = await discord_double.slash(JO, "client list", {"everyone": True}, guild_id=GUILD)
        assert "client3001" in everyone.embeds[0]["description"]
