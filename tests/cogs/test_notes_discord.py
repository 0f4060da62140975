"""The private line through Discord: `/note` DMs the client "Coach Sam: …" with a Reply button,
the bot restarts, the client clicks Reply and submits the form, and the reply reaches the coach
the way they hear (by DM here); a note to a client whose DMs are closed is reported to the coach
by `/note` itself, and nothing else tells them twice."""

from __future__ import annotations

import datetime as dt

from bot_harness import CLIENT, COACH, GUILD, add_client, running_bot
from helpers import all_jobs, utc

from bot.core.clock import VirtualClock
from bot.domain.team import CoachKind, Notify
from bot.engines import notes
from bot.repo import cards, clients, coaches

MONDAY = dt.date(2026, 5, 4)


async def set_up(pool, discord_double, clock, notify: Notify) -> None:  # type: ignore[no-untyped-def]
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, clock.now())
    async with pool.acquire() as conn:
        await coaches.add(
            conn, user_id=COACH, display_name="Sam", kind=CoachKind.coach, by=None, now=clock.now()
        )
        await coaches.set_notify(conn, COACH, notify)
        await coaches.assign(
            conn, user_id=CLIENT, coach_id=COACH, from_date=MONDAY, note=None, by=None, now=clock.now()
        )


async def answer(result) -> str:  # type: ignore[no-untyped-def]
    """/note defers, then answers once it knows what became of the note."""
    assert result.response_type == 5 and result.ephemeral
    [followup] = await result.wait_followups(1, timeout=20)
    return followup.content or ""


async def test_a_note_and_its_reply_round_trip_across_a_restart(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, discord_double, clock, Notify.dm)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        sent = await discord_double.slash(
            COACH, "note", {"client": str(CLIENT), "text": "Great week. Keep the protein up."}, guild_id=GUILD
        )
        assert await answer(sent) == f"Note delivered to client{CLIENT}. Their reply will reach you here."
        [note] = discord_double.dms_to(CLIENT)
        assert note.content == "**Coach Sam:** Great week. Keep the protein up."
        [button] = note.buttons()
        assert button["label"] == "Reply"

    # A restart between the note and the click: the button and its form are routed by custom_id.
    async with running_bot(discord_double, pool, clock, settings):
        opened = await discord_double.click(CLIENT, note, button["custom_id"])
        assert opened.response_type == 9 and opened.modal is not None
        assert opened.modal.title == "Reply to Coach Sam"
        done = await discord_double.submit_modal(
            CLIENT, opened.modal.custom_id, {"reply": "Thanks coach, the knee is fine."}
        )
        assert done.ephemeral and done.content == "Sent to Coach Sam."
        await discord_double.wait_for(lambda: len(discord_double.dms_to(COACH)) == 1, timeout=10)
        [to_coach] = discord_double.dms_to(COACH)
        assert (to_coach.content or "").startswith(f"**client{CLIENT}:** Thanks coach, the knee is fine.")
        assert "In reply to the note of Monday 04 May: “Great week. Keep the protein up.”" in (
            to_coach.content or ""
        )
        # Someone else's click is refused and writes nothing.
        stranger = await discord_double.click(COACH, note, button["custom_id"], forged=True)
        assert stranger.ephemeral and "belongs to someone else" in (stranger.content or "")

        # The thread, in /logs and in /client show.
        logs = await discord_double.slash(COACH, "logs", {"client": str(CLIENT)}, guild_id=GUILD)
        listed = logs.embeds[0]["description"].splitlines()
        assert listed == [
            "`Mon 04 May` notes **reply to Sam** — Thanks coach, the knee is fine.",
            "`Mon 04 May` notes **note from Sam** — Great week. Keep the protein up.",
        ]
        only = await discord_double.slash(
            COACH, "logs", {"client": str(CLIENT), "engine": "notes"}, guild_id=GUILD
        )
        assert only.embeds[0]["description"].splitlines() == listed
        shown = await discord_double.slash(COACH, "client show", {"client": str(CLIENT)}, guild_id=GUILD)
        [card] = await shown.wait_followups(1)
        thread = next(f for f in card.embeds[0]["fields"] if f["name"] == "Notes")
        assert thread["value"].splitlines() == [
            "`Mon 04 May` **Coach Sam**: Great week. Keep the protein up.",
            f"`Mon 04 May` **client{CLIENT}**: Thanks coach, the knee is fine.",
        ]

    thread = await notes.recent_thread(pool, CLIENT)
    assert [(line.to_client, line.state, line.body) for line in thread] == [
        (True, "delivered", "Great week. Keep the protein up."),
        (False, "delivered", "Thanks coach, the knee is fine."),
    ]
    assert sorted((j.action, str(j.status)) for j in await all_jobs(pool)) == [
        ("to_client", "sent"),
        ("to_coach", "sent"),
    ]
    assert discord_double.channel_messages(bot.settings.coach_channel_id or 0) == []  # DM only
    assert len(discord_double.dms_to(CLIENT)) == 1  # the note once, across the restart


async def test_a_note_to_a_client_whose_dms_are_closed_is_reported_to_the_coach(
    discord_double, pool, settings
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 9))
    await set_up(pool, discord_double, clock, Notify.dm)
    discord_double.set_dms_open(CLIENT, False)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        sent = await discord_double.slash(
            COACH, "note", {"client": str(CLIENT), "text": "How is the knee?"}, guild_id=GUILD
        )
        said = await answer(sent)
        assert said.startswith(f"client{CLIENT}'s DMs are closed: the note was not delivered.")
        assert "allow DMs from the server's members" in said
        await clock.run_until(clock.now() + dt.timedelta(minutes=5))  # past the notice's minute
    assert discord_double.dms_to(CLIENT) == []
    assert discord_double.dms_to(COACH) == []  # told once, by /note
    async with pool.acquire() as conn:
        profile = await clients.get(conn, CLIENT)
        open_cards = await cards.list_cards(conn, today=MONDAY, user_id=CLIENT)
    assert profile is not None and not profile.reachable
    assert [c.kind for c in open_cards] == ["unreachable"]
    [line] = await notes.recent_thread(pool, CLIENT)
    assert (line.state, line.why) == ("not delivered", "dms_closed")
