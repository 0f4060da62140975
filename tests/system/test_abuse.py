"""Abuse (issue 7): forged component interactions, every coach command from a non-coach, SQL
metacharacters and oversized text, NUL characters, and the Discord token when Discord rejects
it. Every case asserts that nothing was written (or exactly the one thing that should be) and
that the person is told what was wrong.

Text limits, as the bot enforces them (Discord's own caps are larger: 4,000 characters for a
modal text input, 6,000 for a string option, and a crafted request skips the client's checks):
- check-in note ("How you feel" form): at most `checkin.NOTE_MAX` = 500 characters, after
  stripping surrounding whitespace; the form's text input says so too (max_length);
- pause reason (/pause): at most 500 characters (bot.usecases.coaching.pause);
- block files: names ≤ 100, exercise names ≤ 60, notes ≤ 200 (bot.domain.blocks), files ≤ 256 KiB."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

import asyncpg
from bot_harness import CLIENT, COACH, COACH_CHANNEL, COACH_ROLE, GUILD, add_client, running_bot
from doubles.discord import DiscordDouble, InteractionResult
from helpers import all_jobs, utc
from helpers import all_rows as snapshot

from bot.core.clock import VirtualClock
from bot.engines import checkin
from bot.engines.training import LOG_ID, MODAL_ID

ROOT = Path(__file__).resolve().parents[2]
MONDAY = dt.date(2026, 5, 4)
OTHER = 3005  # another client of the bot
NEWCOMER = 5001  # a server member who is nobody's client yet
GENERIC_ERROR = "something went wrong"
FEEL = {"energy": "4", "mood": "3", "stress": "2", "soreness": "1"}


async def rows(pool: asyncpg.Pool, query: str, *args: object) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch(query, *args)]


def answer(result: InteractionResult) -> str:
    """What the user saw: the response and any follow-ups."""
    texts = [result.content or ""] + [m.content for m in result.followups]
    return "\n".join(dict.fromkeys(t for t in texts if t))  # (a deferred answer is both)


async def answered(result: InteractionResult) -> str:
    if result.deferred:
        await result.wait_followups(1)
    return answer(result)


# --- 8. forged component interactions ----------------------------------------------------------


async def test_a_forged_click_and_submit_on_another_clients_workout_write_nothing(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 4, 6)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin, schedule_days=[1, 3, 5])
    await add_client(pool, discord_double, OTHER, "UTC", MONDAY, begin)
    log_id = LOG_ID.format(user_id=CLIENT, day=MONDAY, index=0)
    modal_id = MODAL_ID.format(user_id=CLIENT, day=MONDAY, index=0)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 7, 30))
        [workout] = [m for m in discord_double.dms_to(CLIENT) if m.find_component(log_id) is not None]
        before = await snapshot(pool)
        # Another client sends the victim's button (their user id and day in its custom_id)...
        click = await discord_double.click(OTHER, workout, log_id, forged=True)
        assert click.response_type == 4 and click.ephemeral and "someone else" in answer(click)
        assert click.modal is None  # no form opened for them
        # ...and the victim's form, never shown to them, filled in.
        submit = await discord_double.submit_modal(OTHER, modal_id, {"weight": "100", "reps": "5"})
        assert submit.ephemeral and "someone else" in answer(submit)
        assert await snapshot(pool) == before
        # The owner's own log goes through: exactly one row.
        mine = await discord_double.submit_modal(CLIENT, modal_id, {"weight": "100", "reps": "5"})
        assert "Logged" in answer(mine)
    logs = await rows(pool, "SELECT user_id, exercise_id, reps FROM training_logs")
    assert logs == [{"user_id": CLIENT, "exercise_id": "back_squat", "reps": 5}]
    assert [len(discord_double.dms_to(u)) for u in (CLIENT, OTHER)] == [1, 0]  # the workout only


async def test_a_forged_click_and_submit_on_another_clients_check_in_write_nothing(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin)
    await add_client(pool, discord_double, OTHER, "UTC", MONDAY, begin)
    feel_id = checkin.FEEL_ID.format(user_id=CLIENT, day=MONDAY)
    modal_id = checkin.FEEL_MODAL_ID.format(user_id=CLIENT, day=MONDAY)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6))
        [prompt] = discord_double.dms_to(CLIENT)
        before = await snapshot(pool)
        click = await discord_double.click(OTHER, prompt, feel_id, forged=True)
        assert click.response_type == 4 and click.ephemeral and "someone else" in answer(click)
        assert click.modal is None
        body = checkin.BODY_ID.format(user_id=CLIENT, day=MONDAY)
        assert "someone else" in answer(await discord_double.click(COACH, prompt, body, forged=True))
        submit = await discord_double.submit_modal(OTHER, modal_id, {**FEEL, "note": "forged"})
        assert submit.ephemeral and "someone else" in answer(submit)
        assert await snapshot(pool) == before
        mine = await discord_double.submit_modal(CLIENT, modal_id, {**FEEL, "note": "mine"})
        assert "Saved" in answer(mine) or "complete" in answer(mine)
    assert await rows(pool, "SELECT user_id, note FROM checkins") == [{"user_id": CLIENT, "note": "mine"}]


# --- 9. every coach command from a non-coach ---------------------------------------------------

BLOCK_FILE = json.dumps(
    {
        "id": "intruder",
        "name": "Intruder",
        "days": [{"title": "D", "exercises": [{"id": "x", "name": "X", "sets": 1, "reps": 1, "rest": 1}]}],
    }
).encode()


def plausible(command: str, option: dict[str, Any]) -> object:
    """A value a coach could have typed for this option (so only the coach check can stop it)."""
    name, kind = option["name"], option["type"]
    if option.get("choices"):
        return option["choices"][0]["value"]
    if kind == 3:  # string
        by_name = {
            "client": str(CLIENT), "timezone": "Asia/Tokyo", "zone": "Asia/Tokyo",
            "start_date": "2026-05-20", "until": "2026-05-20", "effective": "2026-05-20",
            "block": "default", "schedule_days": "mon", "reason": "because", "exercise": "back_squat",
            "assign_to": str(CLIENT),
        }  # fmt: skip
        value = by_name.get(name, "none" if name.endswith("plan") else "x")
        return value[: option.get("max_length", 6000)].ljust(option.get("min_length", 0), "x")
    if kind in (4, 10):  # integer, number
        return option.get("min_value", 1)
    if kind == 5:
        return True
    if kind in (6, 9):  # user, mentionable
        return NEWCOMER
    if kind == 7:
        return COACH_CHANNEL
    if kind == 8:
        return COACH_ROLE
    if kind == 11:  # attachment: a block file, or a plan file for the plans commands
        if command.startswith("plans"):
            return ("meals.yaml", (ROOT / "examples" / "meals_cut_2200.yaml").read_bytes())
        return ("intruder.json", BLOCK_FILE)
    raise AssertionError(f"option type {kind} of {name} has no plausible value here")


def leaf_commands(commands: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every invocable path ("client add", "pause", …) with its options."""
    found = []

    def walk(prefix: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o["type"] in (1, 2)]
        if not subs:
            found.append((prefix, options))
        for sub in subs:
            walk(f"{prefix} {sub['name']}", sub.get("options") or [])

    for command in commands:
        if command.get("type", 1) == 1:
            walk(command["name"], command.get("options") or [])
    return found


async def test_every_coach_command_from_a_non_coach_is_refused_and_changes_nothing(
    discord_double: DiscordDouble, pool, settings
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 8))
    # The non-coach is a client (user 3001, a plain member of the coaches' server); a newcomer
    # is in the server too, as /client add expects.
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, clock.now())
    await discord_double.add_member(GUILD, NEWCOMER)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        commands = leaf_commands(discord_double.commands(GUILD))
        names = {name for name, _ in commands}
        assert {
            "client add",
            "client edit",
            "pause",
            "resume",
            "reassign",
            "sync",
            "training import",
        } <= names
        syncs, messages = len(discord_double.syncs), len(discord_double.messages)
        before = await snapshot(pool)
        for name, options in commands:
            values = {o["name"]: plausible(name, o) for o in options}
            result = await discord_double.slash(
                CLIENT, name, values, guild_id=GUILD, check_visibility=False
            )  # as a crafted request would, whatever the client shows
            assert result.ephemeral and "Only coaches" in answer(result), (name, answer(result))
        assert await snapshot(pool) == before, "a refused command changed the database"
        assert len(discord_double.syncs) == syncs  # /sync published nothing
        # No DM and no channel post: only the refusals (ephemeral answers) were sent.
        assert all(m.ephemeral for m in discord_double.messages[messages:])
        # A coach sending the very same commands is not refused: the role is what stopped them.
        for name, options in commands:
            values = {o["name"]: plausible(name, o) for o in options}
            result = await discord_double.slash(COACH, name, values, guild_id=GUILD)
            assert "Only coaches" not in await answered(result), name
    assert len(commands) >= 10


# --- 10. SQL metacharacters, long text, NUL ----------------------------------------------------

NASTY = "Robert'); DROP TABLE jobs;-- \\' \\\" \" ' `; -- /* */ %s $1 \\x00 ₿ 😀 שלום e\u0301 漢字 \u200d"


def nasty(length: int) -> str:
    """`length` characters of SQL metacharacters and unicode, no surrounding whitespace, no NUL."""
    text = (NASTY * (length // len(NASTY) + 1))[:length]
    return "[" + text[1:-1] + "]"


async def test_a_check_in_note_with_sql_and_unicode_is_stored_verbatim_and_a_long_one_refused(
    discord_double, pool, settings
) -> None:
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin)
    feel_id = checkin.FEEL_ID.format(user_id=CLIENT, day=MONDAY)
    modal_id = checkin.FEEL_MODAL_ID.format(user_id=CLIENT, day=MONDAY)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6))
        before = await snapshot(pool)
        # A crafted submit (the form was never shown, so Discord's length check is skipped).
        long = await discord_double.submit_modal(CLIENT, modal_id, {**FEEL, "note": nasty(4000)})
        text = answer(long)
        assert long.ephemeral and "note" in text and str(checkin.NOTE_MAX) in text, text
        assert await snapshot(pool) == before

        [prompt] = discord_double.dms_to(CLIENT)
        opened = await discord_double.click(CLIENT, prompt, feel_id)
        assert opened.modal is not None
        note_input = next(c for c in opened.modal.inputs() if c["custom_id"] == "note")
        assert note_input["max_length"] == checkin.NOTE_MAX  # the form itself says so
        note = nasty(checkin.NOTE_MAX)
        ok = await discord_double.submit_modal(CLIENT, modal_id, {**FEEL, "note": note})
        assert "Saved" in answer(ok), answer(ok)
    [row] = await rows(pool, "SELECT note FROM checkins")
    assert row["note"].encode() == note.encode()  # byte for byte
    assert len(await all_jobs(pool)) >= 2  # the jobs table is still there


async def test_a_check_in_note_with_a_nul_character_gets_a_clear_answer(
    discord_double, pool, settings
) -> None:
    """PostgreSQL text cannot hold U+0000, and a crafted submit can carry one. The client must be
    told (or the character dropped), not shown "something went wrong"."""
    begin = utc(2026, 5, 4, 5)
    clock = VirtualClock(begin)
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, begin)
    modal_id = checkin.FEEL_MODAL_ID.format(user_id=CLIENT, day=MONDAY)
    async with running_bot(discord_double, pool, clock, settings):
        await clock.run_until(utc(2026, 5, 4, 6))
        before = await snapshot(pool)
        result = await discord_double.submit_modal(CLIENT, modal_id, {**FEEL, "note": "slept\x00 badly"})
        text = answer(result)
    assert GENERIC_ERROR not in text, f"the client was told: {text!r}"
    saved = await rows(pool, "SELECT note FROM checkins")
    if saved:  # accepted: stored without the NUL
        assert saved == [{"note": "slept badly"}] and "Saved" in text
    else:  # refused: says which field, and nothing changed
        assert "note" in text and await snapshot(pool) == before


async def test_a_block_file_with_a_nul_character_gets_a_clear_answer(discord_double, pool, settings) -> None:
    """A JSON block file may spell U+0000 as \\u0000; it passes validation today and then cannot be
    stored. The coach must be told which field, and nothing imported."""
    clock = VirtualClock(utc(2026, 5, 4, 8))
    block = json.loads(BLOCK_FILE)
    block["name"] = "Strength\u0000block"
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        before = await snapshot(pool)
        result = await discord_double.slash(
            COACH, "training import", {"file": ("b.json", json.dumps(block).encode())}, guild_id=GUILD
        )
        text = await answered(result)
    assert GENERIC_ERROR not in text, f"the coach was told: {text!r}"
    assert "name" in text and await snapshot(pool) == before


async def test_a_pause_reason_with_sql_is_stored_verbatim_and_a_long_one_refused(
    discord_double, pool, settings
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 8))
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        before = await snapshot(pool)
        too_long = await discord_double.slash(
            COACH, "pause", {"client": str(CLIENT), "reason": nasty(4000)}, guild_id=GUILD
        )
        text = await answered(too_long)
        assert "reason" in text and "500" in text, text  # bot.usecases.coaching.pause: 500 characters at most
        assert await snapshot(pool) == before
        assert discord_double.dms_to(CLIENT) == []  # not told about a pause that did not happen

        reason = nasty(500)
        ok = await discord_double.slash(
            COACH, "pause", {"client": str(CLIENT), "reason": reason}, guild_id=GUILD
        )
        assert "paused" in await answered(ok)
    [row] = await rows(pool, "SELECT paused, pause_reason FROM client_profiles WHERE user_id = $1", CLIENT)
    assert row["paused"] is True and row["pause_reason"].encode() == reason.encode()
    assert len(discord_double.dms_to(CLIENT)) == 1  # one "Your plan is paused"


async def test_a_pause_reason_with_a_nul_character_gets_a_clear_answer(
    discord_double, pool, settings
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 8))
    await add_client(pool, discord_double, CLIENT, "UTC", MONDAY, clock.now())
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        before = await snapshot(pool)
        result = await discord_double.slash(
            COACH, "pause", {"client": str(CLIENT), "reason": "travel\x00ling"}, guild_id=GUILD
        )
        text = await answered(result)
    assert GENERIC_ERROR not in text, f"the coach was told: {text!r}"
    [row] = await rows(pool, "SELECT paused, pause_reason FROM client_profiles WHERE user_id = $1", CLIENT)
    if row["paused"]:  # accepted: stored without the NUL
        assert row["pause_reason"] == "travelling"
    else:  # refused: says which field, and nothing changed
        assert "reason" in text and await snapshot(pool) == before


# --- 11. the token never printed, even when Discord rejects it --------------------------------

SECRET = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.rejected-secret-token-value"


async def test_a_token_discord_rejects_is_never_printed(discord_double, database_dsn) -> None:
    discord_double.fail_next("GET", r"^/users/@me$", 401, message="401: Unauthorized")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(
        DISCORD_TOKEN=SECRET,
        DISCORD_API_BASE=discord_double.api_base,
        DISCORD_GATEWAY_URL=discord_double.ws_url,
        DATABASE_URL=database_dsn,
        COACH_GUILD_ID=str(GUILD),
        LOG_LEVEL="DEBUG",  # the chattiest level: still no token
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    output = (out + err).decode(errors="replace")
    assert [r.status for r in discord_double.requests if r.path == "/users/@me"] == [401]
    assert proc.returncode not in (0, None), output
    assert SECRET not in output
    for part in SECRET.split("."):  # not even a piece of it
        assert part not in output
    assert "DISCORD_TOKEN" in err.decode() and "401" in err.decode(), output  # says what to fix
    assert discord_double.identify_count == 0  # never reached the gateway
