"""Self-tests of the Discord double: the real, unpatched discord.py client runs against it.

They pin down both halves of the contract: that discord.py accepts what the double sends (READY,
GUILD_CREATE, INTERACTION_CREATE, message objects, the ``with_response`` callback body) and that
the double catches what Discord would reject (limits, double acknowledgement, late responses).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import re
import time
import zlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.http import MultipartParameters, Route

from doubles.discord import (
    ADMIN_USER_ID,
    ALERTS_CHANNEL_ID,
    BOT_USER_ID,
    CLIENT_USER_ID,
    COACH_USER_ID,
    COACHES_CHANNEL_ID,
    DEFAULT_GUILD_ID,
    DiscordDouble,
    DoubleUsageError,
    discord_double_fixture,  # noqa: F401  (provides the ``discord_double`` fixture)
)
from doubles.discord.limits import NONCE_WINDOW

GUILD = discord.Object(DEFAULT_GUILD_ID)
T0 = dt.datetime(2026, 5, 4, 5, tzinfo=dt.UTC).timestamp()  # a virtual clock's start, before the wall clock


def _at(epoch_seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch_seconds, dt.UTC)


async def _send_each(
    channel: discord.abc.Messageable, now: list[float], texts: Sequence[str]
) -> list[discord.Message]:
    """Send each text one calendar second after the last (``now`` is the double's ``now_fn``)."""
    sent = []
    for text in texts:
        now[0] += 1
        sent.append(await channel.send(text))
    return sent


class Counter(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"t:btn:(?P<n>[0-9]+)"):
    """A stateless persistent button: its count lives in its custom_id."""

    def __init__(self, n: int) -> None:
        super().__init__(discord.ui.Button(label=f"Count {n}", custom_id=f"t:btn:{n}"))
        self.n = n

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Counter:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        self.n += 1
        self.item.label = f"Count {self.n}"
        self.custom_id = f"t:btn:{self.n}"
        await interaction.response.edit_message(view=self.view)


class NoteModal(discord.ui.Modal, title="Daily note"):
    """A modal in the modern shape: a Label wrapping a TextInput."""

    note: discord.ui.Label[Any] = discord.ui.Label(
        text="Your note",
        description="One line about today",
        component=discord.ui.TextInput(custom_id="note", max_length=200),
    )

    def __init__(self, sink: list[str], title: str = "Daily note") -> None:
        super().__init__(title=title, custom_id="note-modal", timeout=60)
        self.sink = sink

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.note.component, discord.ui.TextInput)
        self.sink.append(self.note.component.value)
        await interaction.response.send_message("saved", ephemeral=True)


class OpenNoteView(discord.ui.View):
    """Persistent view whose button opens :class:`NoteModal`."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(timeout=None)
        self.sink = sink

    @discord.ui.button(label="Write note", custom_id="t:open-note")
    async def open(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(NoteModal(self.sink))


class PickView(discord.ui.View):
    """Persistent view with a string select."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="t:pick",
        options=[
            discord.SelectOption(label="Morning", value="am"),
            discord.SelectOption(label="Evening", value="pm"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}", ephemeral=True)


class DoubleBot(commands.Bot):
    """Minimal bot exercising each interaction path the double supports."""

    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE (default 2 s).
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=0.05)
        self.notes: list[str] = []
        self.errors: list[BaseException] = []
        self.clock: list[float] | None = None

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's default 5 s sleep before a *re*-IDENTIFY (it guards the real identify limit)."""

    async def setup_hook(self) -> None:
        self.add_dynamic_items(Counter)
        self.add_view(OpenNoteView(self.notes))
        self.add_view(PickView())

        @app_commands.command(name="purge", description="Admins only")
        @app_commands.default_permissions(administrator=True)
        async def purge(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("purged", ephemeral=True)

        self.tree.add_command(purge, guild=GUILD)
        coach = app_commands.Group(name="coach", description="Coach tools")

        @coach.command(name="add", description="Add a client")
        async def add(interaction: discord.Interaction, client: discord.User) -> None:
            await interaction.response.send_message(f"added {client.id} ({client.name})", ephemeral=True)
            original = await interaction.original_response()  # GET  .../messages/@original
            await original.edit(content=f"{original.content} ✓")  # PATCH .../messages/@original

        self.tree.add_command(coach, guild=GUILD)

        @self.tree.command(name="checkin", description="Daily check-in")
        @app_commands.allowed_contexts(guilds=False, dms=True, private_channels=False)
        async def checkin(interaction: discord.Interaction, habit: str) -> None:
            await interaction.response.send_message(f"checked in: {habit}", ephemeral=True)

        @checkin.autocomplete("habit")
        async def habit_choices(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            habits = ["water", "walk", "workout"]
            return [app_commands.Choice(name=h, value=h) for h in habits if h.startswith(current)]

        @self.tree.command(name="slow", description="Defers, then follows up")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send("done after thinking", ephemeral=True)
            await interaction.followup.send("and one more")

        @app_commands.command(name="misbehave", description="Breaks a rule on purpose")
        @app_commands.choices(
            how=[app_commands.Choice(name=n, value=n) for n in ("long", "title46", "twice", "late")]
        )
        async def misbehave(interaction: discord.Interaction, how: str) -> None:
            try:
                if how == "long":
                    await interaction.response.send_message("x" * 2001)
                elif how == "title46":
                    await interaction.response.send_modal(NoteModal(self.notes, title="t" * 46))
                elif how == "twice":
                    await interaction.response.send_message("first")
                    # A second handler (e.g. a second process on the same shard) answering again.
                    await discord.InteractionResponse(interaction).send_message("second")
                elif how == "late" and self.clock is not None:
                    self.clock[0] += 4.0  # the double's clock: 4 s pass before we answer
                    await interaction.response.send_message("too late")
            except discord.HTTPException as exc:
                self.errors.append(exc)

        self.tree.add_command(misbehave, guild=GUILD)


@pytest.fixture
async def bot(discord_double: DiscordDouble) -> AsyncIterator[DoubleBot]:
    client = DoubleBot()
    async with discord_double.running(client):
        await client.tree.sync(guild=GUILD)
        await client.tree.sync()
        yield client


# --------------------------------------------------------------------------- login and commands


async def test_login_ready_and_guild(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    assert bot.user is not None and bot.user.id == BOT_USER_ID and bot.user.bot
    assert bot.application_id == BOT_USER_ID
    guild = bot.get_guild(DEFAULT_GUILD_ID)
    assert guild is not None and guild.name == "The Regiment"
    assert {c.id for c in guild.text_channels} == {4000, 4001, 4002}
    role = guild.get_role(2000)
    assert role is not None and role.name == "Coach"
    assert guild.me is not None
    assert discord_double.identify_count == 1 and discord_double.connections == 1
    wanted = discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE  # type: ignore[attr-defined]
    assert discord_double._conns[0].compress == wanted
    assert discord_double.identify_payloads[0]["intents"] == bot.intents.value
    assert ("GET", "/users/@me") in {(r.method, r.path) for r in discord_double.requests}
    assert bot.latency < 1.0  # the heartbeat sent right after HELLO was ACKed


async def test_sync_records_guild_and_global_commands(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    assert [s.guild_id for s in discord_double.syncs] == [DEFAULT_GUILD_ID, None]
    assert {c["name"] for c in discord_double.commands(DEFAULT_GUILD_ID)} == {"coach", "misbehave", "purge"}
    assert {c["name"] for c in discord_double.commands()} == {"checkin", "slow"}
    ids_before = {c["name"]: c["id"] for c in discord_double.commands()}
    synced = await bot.tree.sync()  # re-syncing keeps ids, like Discord's bulk overwrite
    assert {c.name: str(c.id) for c in synced} == ids_before


async def test_slash_subcommand_in_guild_with_user_option(
    discord_double: DiscordDouble, bot: DoubleBot
) -> None:
    result = await discord_double.slash(
        COACH_USER_ID, "coach add", {"client": CLIENT_USER_ID}, guild_id=DEFAULT_GUILD_ID
    )
    assert result.response_type == 4
    assert result.content == "added 3001 (client)"
    await result.wait_edits(1)
    assert result.content == "added 3001 (client) ✓" and result.edits[0].payload["content"].endswith("✓")
    assert result.ephemeral and result.message is not None and result.message.via == "interaction"
    assert result.response_time is not None and result.response_time < 3
    assert result.channel_id == COACHES_CHANNEL_ID


async def test_slash_in_dm_and_autocomplete(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    result = await discord_double.slash(CLIENT_USER_ID, "checkin", {"habit": "water"})
    assert result.content == "checked in: water" and result.ephemeral
    assert result.payload["context"] == 1 and "guild_id" not in result.payload
    assert result.message is not None and result.message.user_id == CLIENT_USER_ID
    choices = await discord_double.autocomplete(CLIENT_USER_ID, "checkin", {"habit": "w"})
    assert [c["value"] for c in choices] == ["water", "walk", "workout"]


async def test_slash_refuses_what_a_user_could_not_do(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    with pytest.raises(DoubleUsageError, match="never synced"):
        await discord_double.slash(CLIENT_USER_ID, "nope")
    with pytest.raises(DoubleUsageError, match=r"never synced globally .*coach \(guild 1000\)"):
        await discord_double.slash(CLIENT_USER_ID, "coach add", {"client": 3000})
    with pytest.raises(DoubleUsageError, match=r"bot-DM context|guild context"):
        await discord_double.slash(CLIENT_USER_ID, "checkin", {"habit": "x"}, guild_id=DEFAULT_GUILD_ID)
    with pytest.raises(DoubleUsageError, match="required"):
        await discord_double.slash(COACH_USER_ID, "coach add", {}, guild_id=DEFAULT_GUILD_ID)
    with pytest.raises(DoubleUsageError, match="default_member_permissions"):
        await discord_double.slash(COACH_USER_ID, "purge", guild_id=DEFAULT_GUILD_ID)
    admin = await discord_double.slash(ADMIN_USER_ID, "purge", guild_id=DEFAULT_GUILD_ID)
    assert admin.content == "purged"


async def test_defer_then_followups(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    result = await discord_double.slash(CLIENT_USER_ID, "slow")
    assert result.response_type == 5 and result.deferred
    followups = await result.wait_followups(2)
    # The first follow-up resolves the "thinking" message (Discord's documented behaviour) ...
    assert followups[0] is result.message and result.content == "done after thinking"
    assert result.message is not None and not result.message.loading and result.ephemeral
    # ... the next one is a new message.
    assert followups[1].via == "followup" and followups[1].content == "and one more"
    assert not followups[1].ephemeral


# --------------------------------------------------------------------------- components and modals


async def test_dynamic_item_button_click(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    channel = bot.get_channel(COACHES_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View(timeout=None)
    view.add_item(Counter(1))
    sent = await channel.send("counter", view=view)
    record = discord_double.message(sent.id)
    assert record.via == "rest" and record.custom_ids() == ["t:btn:1"]

    result = await discord_double.click(COACH_USER_ID, record, "t:btn:1")
    assert result.response_type == 7
    assert record.custom_ids() == ["t:btn:2"] and record.buttons()[0]["label"] == "Count 2"
    assert record.edits[-1].via == "interaction"

    with pytest.raises(DoubleUsageError, match="not on message"):
        await discord_double.click(COACH_USER_ID, record, "t:btn:1")  # the old id is gone


async def test_button_opens_modal_and_submit_reaches_on_submit(
    discord_double: DiscordDouble,
    bot: DoubleBot,
) -> None:
    dm = await (await bot.fetch_user(CLIENT_USER_ID)).create_dm()
    sent = await dm.send("write your note", view=OpenNoteView(bot.notes))
    result = await discord_double.click(CLIENT_USER_ID, sent.id, "t:open-note")
    assert result.response_type == 9 and result.modal is not None
    assert result.modal.title == "Daily note"
    assert result.modal.components[0]["type"] == 18
    assert result.modal.components[0]["component"]["type"] == 4

    with pytest.raises(DoubleUsageError, match="outside min/max"):
        await discord_double.submit_modal(CLIENT_USER_ID, "note-modal", {"note": "x" * 201})
    submitted = await discord_double.submit_modal(CLIENT_USER_ID, "note-modal", {"note": "slept 8h"})
    assert bot.notes == ["slept 8h"]
    assert submitted.content == "saved" and submitted.ephemeral
    label = submitted.payload["data"]["components"][0]
    assert label["type"] == 18 and label["component"] == {
        "type": 4,
        "id": label["component"]["id"],
        "custom_id": "note",
        "value": "slept 8h",
    }


async def test_select_menu_values_reach_the_callback(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    channel = bot.get_partial_messageable(COACHES_CHANNEL_ID, guild_id=DEFAULT_GUILD_ID)
    sent = await channel.send("when do you train?", view=PickView())
    with pytest.raises(DoubleUsageError, match="not options"):
        await discord_double.click(COACH_USER_ID, sent.id, "t:pick", values=["noon"])
    result = await discord_double.click(COACH_USER_ID, sent.id, "t:pick", values=["pm"])
    assert result.content == "picked pm" and result.payload["data"]["values"] == ["pm"]
    assert result.payload["member"]["roles"] == ["2000"] and result.guild_id == DEFAULT_GUILD_ID


# --------------------------------------------------------------------------- REST messages


async def test_dm_with_embeds_and_file_is_recorded(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    first = await bot.http.start_private_message(CLIENT_USER_ID)
    again = await bot.http.start_private_message(CLIENT_USER_ID)
    assert first["id"] == again["id"] and first["type"] == 1
    assert first["recipients"][0]["id"] == str(CLIENT_USER_ID)

    user = await bot.fetch_user(CLIENT_USER_ID)
    dm = await user.create_dm()
    embed = discord.Embed(title="Today", description="Drink water").add_field(name="Goal", value="3 L")
    msg = await dm.send(
        "morning",
        embeds=[embed, discord.Embed(title="Second")],
        file=discord.File(io.BytesIO(b"report-bytes"), filename="report.txt"),
    )
    assert msg.attachments[0].filename == "report.txt" and msg.embeds[0].title == "Today"

    [record] = discord_double.dms_to(CLIENT_USER_ID)
    assert record.content == "morning" and record.user_id == CLIENT_USER_ID and record.via == "rest"
    assert [e["title"] for e in record.embeds] == ["Today", "Second"]
    assert record.attachments[0].filename == "report.txt" and record.attachments[0].data == b"report-bytes"
    assert record.nonce is not None  # discord.py always sends one, with enforce_nonce

    await msg.edit(content="morning (edited)")
    await msg.delete()
    assert (
        record.content == "morning (edited)"
        and record.deleted
        and discord_double.dms_to(CLIENT_USER_ID) == []
    )


async def test_lost_response_is_retried_and_deduped_by_nonce(
    discord_double: DiscordDouble,
    bot: DoubleBot,
) -> None:
    # 502 after the message was created: discord.py retries (after 1 s) with the same nonce.
    fault = discord_double.fail_next("POST", r"^/channels/\d+/messages$", 502, commit=True)
    channel = bot.get_partial_messageable(ALERTS_CHANNEL_ID)
    msg = await channel.send("once")
    assert len(fault.hits) == 1
    assert [m.message_id for m in discord_double.channel_messages(ALERTS_CHANNEL_ID)] == [msg.id]
    assert discord_double.suppressed_count == 1  # the retry was answered with the first message


# --------------------------------------------------------------------------- the calendar clock


async def test_nonce_dedupes_within_the_window_on_now_fn(
    discord_double: DiscordDouble, bot: DoubleBot
) -> None:
    now, elapsed = [T0], [0.0]
    discord_double.now_fn = lambda: now[0]
    discord_double.time_fn = lambda: elapsed[0]
    channel = bot.get_partial_messageable(ALERTS_CHANNEL_ID)
    a = await channel.send("alert", nonce="delivery-42")
    elapsed[0] += 3600.0  # an hour of the bot process's time is not what the window counts ...
    now[0] += NONCE_WINDOW - 1  # ... the calendar is: still inside it
    b = await channel.send("alert", nonce="delivery-42")
    assert a.id == b.id and len(discord_double.channel_messages(ALERTS_CHANNEL_ID)) == 1


async def test_nonce_window_passed_on_now_fn_sends_a_second_message(
    discord_double: DiscordDouble, bot: DoubleBot
) -> None:
    now = [T0]
    discord_double.now_fn = lambda: now[0]
    channel = bot.get_partial_messageable(ALERTS_CHANNEL_ID)
    a = await channel.send("alert", nonce="delivery-42")
    now[0] += NONCE_WINDOW + 1  # a virtual clock jumps past it in no real time at all
    b = await channel.send("alert", nonce="delivery-42")
    assert b.id != a.id and len(discord_double.channel_messages(ALERTS_CHANNEL_ID)) == 2
    assert discord_double.suppressed_count == 0


async def test_suppressed_sends_counts_each_send_the_window_answered(
    discord_double: DiscordDouble, bot: DoubleBot
) -> None:
    now = [T0]
    discord_double.now_fn = lambda: now[0]
    channel = bot.get_partial_messageable(ALERTS_CHANNEL_ID)
    first = await channel.send("alert", nonce="delivery-42")
    now[0] += 10
    await channel.send("alert", nonce="delivery-42")
    now[0] += 20
    await channel.send("alert", nonce="delivery-42")
    await channel.send("other", nonce="delivery-43")  # another nonce is another message
    assert discord_double.suppressed_count == 2
    assert [(s.channel_id, s.nonce, s.message_id, s.age) for s in discord_double.suppressed_sends] == [
        (ALERTS_CHANNEL_ID, "delivery-42", first.id, 10.0),
        (ALERTS_CHANNEL_ID, "delivery-42", first.id, 30.0),  # the window runs from the first send
    ]
    assert len(discord_double.channel_messages(ALERTS_CHANNEL_ID)) == 2


async def test_nonce_dedupe_off_creates_a_message_per_send() -> None:
    async with DiscordDouble.with_defaults(nonce_dedupe=False) as double:
        with double.patch_discord():
            async with double.running(DoubleBot()) as client:
                channel = client.get_partial_messageable(ALERTS_CHANNEL_ID)
                a = await channel.send("alert", nonce="delivery-42")
                b = await channel.send("alert", nonce="delivery-42")
    assert a.id != b.id and len(double.channel_messages(ALERTS_CHANNEL_ID)) == 2
    assert double.suppressed_count == 0 and double.suppressed_sends == []
    posts = [r.payload for r in double.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert [(p["nonce"], p["enforce_nonce"]) for p in posts] == [("delivery-42", True)] * 2
    assert double.violations == []


async def test_ids_and_timestamps_are_on_now_fn(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    now = [T0 + 0.25]
    discord_double.now_fn = lambda: now[0]
    channel = bot.get_partial_messageable(ALERTS_CHANNEL_ID)
    first = await channel.send("one")
    assert first.created_at == _at(T0 + 0.25)  # discord.py reads it from the id
    assert dt.datetime.fromisoformat(discord_double.message(first.id).timestamp) == first.created_at
    second = await channel.send("two")  # the clock stood still
    now[0] -= 60  # and now it steps back
    third = await channel.send("three")
    assert first.id < second.id < third.id
    now[0] = T0 + 3600
    edited = await first.edit(content="one, edited")
    assert edited.edited_at == _at(T0 + 3600)


async def test_installing_an_earlier_clock_restarts_ids_without_repeats(
    discord_double: DiscordDouble, bot: DoubleBot
) -> None:
    channel = bot.get_partial_messageable(ALERTS_CHANNEL_ID)
    on_wall = await channel.send("on the wall clock")  # the fixture's now_fn: time.time
    earlier = float(int(time.time()) - 180 * 86400)  # a test's virtual clock, months behind the wall
    discord_double.now_fn = lambda: earlier
    virtual = await channel.send("virtual")
    assert virtual.created_at == _at(earlier) < on_wall.created_at  # the new clock's time, not the floor
    discord_double.now_fn = time.time
    await channel.send("wall again")
    discord_double.now_fn = lambda: earlier  # the same virtual instant, installed again
    again = await channel.send("virtual again")
    assert again.id > virtual.id
    ids = [m.message_id for m in discord_double.messages]
    assert len(set(ids)) == len(ids) == 4


# --------------------------------------------------------------------------- channel history


async def test_history_after_a_time_pages_forward_oldest_first(
    discord_double: DiscordDouble, bot: DoubleBot
) -> None:
    discord_double.global_rate_limit = None
    now = [T0]
    discord_double.now_fn = lambda: now[0]
    channel = bot.get_channel(ALERTS_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    await _send_each(channel, now, [f"old {i}" for i in range(3)])
    cutoff = _at(now[0] + 0.5)
    now[0] += 1
    view = discord.ui.View(timeout=None).add_item(Counter(7))
    marked = await channel.send("marked", embed=discord.Embed(title="Due").set_footer(text="d:7"), view=view)
    later = await _send_each(channel, now, [f"new {i}" for i in range(230)])
    await later[10].delete()
    await discord_double.slash(
        ADMIN_USER_ID, "purge", guild_id=DEFAULT_GUILD_ID, channel_id=ALERTS_CHANNEL_ID
    )
    slow = await discord_double.slash(
        COACH_USER_ID, "slow", guild_id=DEFAULT_GUILD_ID, channel_id=ALERTS_CHANNEL_ID
    )
    [thinking, public] = await slow.wait_followups(2)
    assert thinking.ephemeral and not public.ephemeral

    async with asyncio.timeout(10):  # a double that ignored ``after`` would page forever
        got = [m async for m in channel.history(after=cutoff, limit=None, oldest_first=True)]

    expected = [marked.id, *(m.id for m in later if m.id != later[10].id), public.message_id]
    assert [m.id for m in got] == expected  # no old, deleted or ephemeral message; none skipped
    pages = [r.query for r in discord_double.requests if r.method == "GET" and r.path.endswith("/messages")]
    assert [q["limit"] for q in pages] == ["100", "100", "100"]  # 100 + 100 + 31
    assert pages[0]["after"] == str(discord.utils.time_snowflake(cutoff, high=True))
    assert pages[1]["after"] == str(expected[99]) and pages[2]["after"] == str(expected[199])
    first = got[0]
    assert first.author.id == BOT_USER_ID and first.embeds[0].footer.text == "d:7"
    assert isinstance(first.components[0], discord.ActionRow)
    assert [getattr(c, "custom_id", None) for c in first.components[0].children] == ["t:btn:7"]
    assert got[-1].content == "and one more" and got[-1].author.id == BOT_USER_ID


async def test_history_before_around_and_limit(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    discord_double.global_rate_limit = None
    now = [T0]
    discord_double.now_fn = lambda: now[0]
    channel = bot.get_partial_messageable(ALERTS_CHANNEL_ID, guild_id=DEFAULT_GUILD_ID)
    sent = await _send_each(channel, now, [f"m{i}" for i in range(160)])
    ids = [m.id for m in sent]

    pivot = sent[150]
    older = [m.id async for m in channel.history(before=pivot, limit=120)]
    assert older == ids[30:150][::-1]  # newest first, across two pages
    pages = [r.query for r in discord_double.requests if r.method == "GET" and "/messages" in r.path]
    assert pages == [{"limit": "100", "before": str(pivot.id)}, {"limit": "20", "before": str(ids[50])}]
    assert [m.id async for m in channel.history(before=sent[10].created_at)] == ids[:10][::-1]
    assert [m.id async for m in channel.history(limit=3)] == ids[-3:][::-1]
    assert [m.id async for m in channel.history(after=sent[5], before=sent[9])] == ids[6:9]
    assert [m.id async for m in channel.history(around=sent[80], limit=5)] == ids[78:83][::-1]
    default = await bot.http.request(
        Route("GET", "/channels/{channel_id}/messages", channel_id=ALERTS_CHANNEL_ID)
    )
    assert [int(m["id"]) for m in default] == ids[-50:][::-1]  # 50 without a limit


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"before": "yesterday"}, "before"),
        ({"before": 1, "after": 2}, "after"),
    ],
)
async def test_history_query_is_validated_like_discord(
    discord_double: DiscordDouble, bot: DoubleBot, params: dict[str, Any], field: str
) -> None:
    route = Route("GET", "/channels/{channel_id}/messages", channel_id=ALERTS_CHANNEL_ID)
    with pytest.raises(discord.HTTPException) as info:
        await bot.http.request(route, params=params)
    assert info.value.status == 400 and info.value.code == 50035
    assert f"In {field}: " in info.value.text
    [violation] = discord_double.take_violations()
    assert f"GET /channels/{ALERTS_CHANNEL_ID}/messages: {field}: " in violation
    assert await bot.http.request(route, params={"limit": 100}) == []  # the edges are valid
    assert await bot.http.request(route, params={"limit": 1, "around": 1}) == []


# --------------------------------------------------------------------------- faults and rate limits


async def test_fail_next_403_50007_raises_forbidden(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    dm = await (await bot.fetch_user(CLIENT_USER_ID)).create_dm()
    discord_double.fail_next(
        "POST", r"/channels/\d+/messages", 403, 50007, "Cannot send messages to this user"
    )
    with pytest.raises(discord.Forbidden) as info:
        await dm.send("hello")
    assert info.value.code == 50007 and info.value.status == 403
    discord_double.set_dms_open(CLIENT_USER_ID, False)
    with pytest.raises(discord.Forbidden, match="Cannot send messages to this user"):
        await dm.send("hello")
    assert discord_double.dms_to(CLIENT_USER_ID) == [] and discord_double.invalid_requests() == 2


async def test_503_is_not_retried_by_discord_py(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    # discord.py retries only 500/502/504/524; a 503 surfaces at once as DiscordServerError.
    fault = discord_double.fail_next("POST", r"/channels/\d+/messages", 503)
    with pytest.raises(discord.DiscordServerError) as info:
        await bot.get_partial_messageable(ALERTS_CHANNEL_ID).send("hi")
    assert info.value.status == 503 and len(fault.hits) == 1
    assert discord_double.channel_messages(ALERTS_CHANNEL_ID) == []


@pytest.mark.parametrize("global_", [True, False])
async def test_429_is_waited_out(discord_double: DiscordDouble, bot: DoubleBot, global_: bool) -> None:
    discord_double.fail_next("POST", r"/channels/\d+/messages", 429, retry_after=0.2, global_=global_)
    started = time.monotonic()
    await bot.get_partial_messageable(ALERTS_CHANNEL_ID).send("after the limit")
    assert time.monotonic() - started >= 0.2
    statuses = [r.status for r in discord_double.requests if r.path.endswith("/messages")]
    assert statuses == [429, 200]
    assert len(discord_double.channel_messages(ALERTS_CHANNEL_ID)) == 1


async def test_latency_is_added_to_rest_calls(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    discord_double.latency = 0.1
    started = time.monotonic()
    await bot.get_partial_messageable(ALERTS_CHANNEL_ID).send("slow network")
    assert time.monotonic() - started >= 0.1


async def test_global_rate_limit_window(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    discord_double.global_rate_limit = 5
    channel = bot.get_partial_messageable(ALERTS_CHANNEL_ID)
    await asyncio.gather(*(channel.send(f"m{i}") for i in range(6)))
    assert len(discord_double.channel_messages(ALERTS_CHANNEL_ID)) == 6
    assert discord_double.rate_limited and all(hit.global_ for hit in discord_double.rate_limited)


# --------------------------------------------------------------------------- limit checks


async def test_limit_breaches_are_400_and_violations(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    channel = bot.get_partial_messageable(ALERTS_CHANNEL_ID)
    with pytest.raises(discord.HTTPException) as info:
        await channel.send("x" * 2001)
    assert info.value.status == 400 and info.value.code == 50035

    six = [{"type": 2, "style": 1, "label": str(i), "custom_id": f"b{i}"} for i in range(6)]
    params = MultipartParameters(
        payload={"content": "row", "components": [{"type": 1, "components": six}]}, multipart=None, files=None
    )
    with pytest.raises(discord.HTTPException) as info:
        await bot.http.send_message(ALERTS_CHANNEL_ID, params=params)
    assert info.value.code == 50035

    modal = await discord_double.slash(
        COACH_USER_ID,
        "misbehave",
        {"how": "title46"},
        guild_id=DEFAULT_GUILD_ID,
        expect_response=False,
        timeout=1,
    )
    assert modal.response_type is None and modal.errors

    twice = await discord_double.slash(
        COACH_USER_ID, "misbehave", {"how": "twice"}, guild_id=DEFAULT_GUILD_ID
    )
    await discord_double.wait_for(lambda: len(bot.errors) == 2)
    assert twice.content == "first"
    assert [getattr(e, "code", None) for e in bot.errors] == [50035, 40060]

    violations = discord_double.take_violations()
    assert len(violations) == 4, violations
    assert "content: Must be 2000 or fewer" in violations[0]
    assert "Must be between 1 and 5 in length (got 6)" in violations[1]
    assert "data.title: Must be 45 or fewer" in violations[2]
    assert "answered twice" in violations[3]
    assert discord_double.channel_messages(ALERTS_CHANNEL_ID) == []


# --------------------------------------------------------------------------- components v2
# Discord's rules, from developers/components/reference.mdx ("Component Types", each component's
# "Child Components"/"Accessory Components", "Legacy Message Component Behavior"), change-log.mdx
# ("Raised Component Limits": 40 components in all) and resources/message.mdx (Create Message **,
# Edit Message *: IS_COMPONENTS_V2 forbids content/embeds/stickers/poll, can be set, never removed).

V2 = 1 << 15


def _text(content: str = "text") -> dict[str, Any]:
    return {"type": 10, "content": content}


def _btn(custom_id: str, label: str = "Go") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def _section(*texts: dict[str, Any], accessory: dict[str, Any] | None = None) -> dict[str, Any]:
    section: dict[str, Any] = {"type": 9, "components": list(texts)}
    if accessory is not None:
        section["accessory"] = accessory
    return section


def _row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


def _container(*children: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": 17, "components": list(children), **extra}


_THUMB = {"type": 11, "media": {"url": "https://example.com/a.png"}}
_SEP = {"type": 14, "divider": True, "spacing": 1}


def _params(payload: dict[str, Any]) -> MultipartParameters:
    return MultipartParameters(payload=payload, multipart=None, files=None)


class LayoutCounter(discord.ui.LayoutView):
    """A components v2 message: a container with a heading, a section whose accessory is the
    DynamicItem :class:`Counter`, and a row."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.add_item(
            discord.ui.Container(
                discord.ui.TextDisplay("## Counter\nclick the button"),
                discord.ui.Separator(),
                discord.ui.Section(discord.ui.TextDisplay("**1. Count**"), accessory=Counter(1)),
                discord.ui.ActionRow(discord.ui.Button(label="Other", custom_id="t:other")),
                accent_colour=0x2E86C1,
            )
        )


async def test_a_layout_view_is_a_v2_message_and_a_section_button_clicks(
    discord_double: DiscordDouble, bot: DoubleBot
) -> None:
    channel = bot.get_partial_messageable(COACHES_CHANNEL_ID, guild_id=DEFAULT_GUILD_ID)
    sent = await channel.send(view=LayoutCounter())
    record = discord_double.message(sent.id)
    assert record.components_v2 and record.flags & V2 and sent.flags.components_v2
    assert record.content == "" and record.embeds == []
    assert [c["type"] for c in record.iter_components()] == [17, 10, 14, 9, 10, 2, 1, 2]
    assert record.custom_ids() == ["t:btn:1", "t:other"]
    assert record.texts() == ["## Counter\nclick the button", "**1. Count**"]
    assert record.sections() == [("**1. Count**", record.find_component("t:btn:1"))]
    assert record.section("Count")[1]["custom_id"] == "t:btn:1"
    assert record.heading() == "Counter"

    # The accessory's click reaches the DynamicItem; its edit keeps the layout and the flag.
    result = await discord_double.click(COACH_USER_ID, record, "t:btn:1")
    assert result.response_type == 7 and record.components_v2
    assert record.custom_ids() == ["t:btn:2", "t:other"] and record.section("Count")[1]["label"] == "Count 2"
    assert discord_double.violations == []


async def test_components_v2_messages_discord_accepts(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    forty = _container(*[_section(_text(f"t{i}"), accessory=_btn(f"b{i}")) for i in range(13)])  # 1 + 39
    accepted = {
        "a container with text, a section, a separator and a row": {
            "components": [_container(_text(), _SEP, _section(_text(), accessory=_btn("a")), _row(_btn("b")))]
        },
        "top-level components, a thumbnail accessory, three texts": {
            "components": [_text(), _SEP, _section(_text(), _text(), _text(), accessory=_THUMB)]
        },
        "what discord.py sends: content null, embeds []": {
            "content": None,
            "embeds": [],
            "components": [_text()],
        },
        "exactly 40 components": {"components": [forty]},
        "exactly 4,000 characters of text": {"components": [_text("x" * 2000), _text("y" * 2000)]},
        "six top-level rows (the legacy five-row limit is gone)": {
            "components": [_row(_btn(f"r{i}")) for i in range(6)]
        },
        "an accent colour, a large separator and a file": {
            "components": [
                _container(_text(), {"type": 14, "spacing": 2}, accent_color=0xFFFFFF),
                {"type": 13, "file": {"url": "attachment://a.txt"}},
            ]
        },
    }
    wrong = {}
    for name, body in accepted.items():
        try:
            await bot.http.send_message(ALERTS_CHANNEL_ID, params=_params({**body, "flags": V2}))
        except discord.HTTPException as exc:
            wrong[name] = exc.text
    assert wrong == {} and discord_double.violations == []
    assert all(m.components_v2 for m in discord_double.channel_messages(ALERTS_CHANNEL_ID))


async def test_components_v2_messages_discord_refuses(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    section = _section(_text(), accessory=_btn("s"))
    refused: dict[str, tuple[dict[str, Any], str]] = {
        "content with the flag": (
            {"flags": V2, "content": "hi", "components": [_text()]},
            "content cannot be used",
        ),
        "embeds with the flag": (
            {"flags": V2, "embeds": [{"title": "t"}], "components": [_text()]},
            "embeds cannot be used",
        ),
        "stickers with the flag": (
            {"flags": V2, "sticker_ids": ["1"], "components": [_text()]},
            "sticker_ids cannot be used",
        ),
        "a container without the flag": (
            {"content": "x", "components": [_container(_text())]},
            "needs the IS_COMPONENTS_V2 flag",
        ),
        "a text display in a row without the flag": (
            {"content": "x", "components": [_row(_text())]},
            "not valid in an action row",
        ),
        "a button at the top": ({"flags": V2, "components": [_btn("b")]}, "not valid at the top"),
        "a thumbnail at the top": ({"flags": V2, "components": [_THUMB]}, "not valid at the top"),
        "a section without text": ({"flags": V2, "components": [_section(accessory=_btn("b"))]}, "1-3 text"),
        "a section with four texts": (
            {"flags": V2, "components": [_section(*[_text()] * 4, accessory=_btn("b"))]},
            "1-3 text displays (got 4)",
        ),
        "a button inside a section": (
            {"flags": V2, "components": [_section(_btn("x"), accessory=_btn("b"))]},
            "not valid in a section",
        ),
        "a section without an accessory": (
            {"flags": V2, "components": [_section(_text())]},
            "needs an accessory",
        ),
        "a row as an accessory": (
            {"flags": V2, "components": [_section(_text(), accessory=_row(_btn("b")))]},
            "as a section's accessory",
        ),
        "a container in a container": (
            {"flags": V2, "components": [_container(_container(_text()))]},
            "not valid in a container",
        ),
        "41 components": (
            {"flags": V2, "components": [_container(*[section] * 0, *[_text()] * 40)]},
            "40 or fewer components in total (got 41)",
        ),
        "4,001 characters of text": (
            {
                "flags": V2,
                "components": [_container(_text("x" * 4000), _section(_text("y"), accessory=_btn("b")))],
            },
            "4000 or fewer characters in total (got 4001)",
        ),
        "a custom_id twice, in a section and in a row": (
            {"flags": V2, "components": [_container(section, _row(_btn("s")))]},
            "cannot be duplicated",
        ),
        "a component id twice": (
            {"flags": V2, "components": [{**_text(), "id": 7}, {**_SEP, "id": 7}]},
            "id 7 is used more than once",
        ),
        "a separator spacing of 3": ({"flags": V2, "components": [{"type": 14, "spacing": 3}]}, "Spacing"),
        "an accent colour past 0xFFFFFF": (
            {"flags": V2, "components": [_container(_text(), accent_color=0x1000000)]},
            "accent_color",
        ),
        "an empty text display": ({"flags": V2, "components": [_text("")]}, "content: Must be 1 or more"),
        "six rows without the flag": (
            {"content": "x", "components": [_row(_btn(f"r{i}")) for i in range(6)]},
            "5 or fewer in length (got 6)",
        ),
    }
    wrong = {}
    for name, (body, expected) in refused.items():
        discord_double.take_violations()
        try:
            await bot.http.send_message(ALERTS_CHANNEL_ID, params=_params(body))
        except discord.HTTPException as exc:
            violations = discord_double.take_violations()
            if exc.code != 50035 or not any(expected in v for v in violations):
                wrong[name] = (exc.code, violations)
        else:
            wrong[name] = "accepted"
    assert wrong == {}
    assert discord_double.channel_messages(ALERTS_CHANNEL_ID) == []


async def test_edits_set_components_v2_once_and_never_take_it_off(
    discord_double: DiscordDouble, bot: DoubleBot
) -> None:
    layout = [_container(_text("## Now a layout"), _section(_text(), accessory=_btn("b")))]
    classic = await bot.http.send_message(
        ALERTS_CHANNEL_ID, params=_params({"content": "old", "embeds": [{"title": "t"}]})
    )
    message_id = int(classic["id"])

    async def edit(body: dict[str, Any]) -> str | None:
        try:
            await bot.http.edit_message(ALERTS_CHANNEL_ID, message_id, params=_params(body))
        except discord.HTTPException:
            [violation] = discord_double.take_violations()
            return violation
        return None

    # Taking the flag: the legacy fields must be reset to empty in the same edit.
    assert "content reset to null" in (await edit({"flags": V2, "components": layout}) or "")
    assert "embeds reset to []" in (await edit({"flags": V2, "content": None, "components": layout}) or "")
    assert "needs the IS_COMPONENTS_V2 flag" in (
        await edit({"content": None, "embeds": [], "components": layout}) or ""
    )
    assert await edit({"flags": V2, "content": None, "embeds": [], "components": layout}) is None
    record = discord_double.message(message_id)
    assert record.components_v2 and record.content == "" and record.embeds == []
    assert record.heading() == "Now a layout"
    # Once set: an edit without flags keeps it, one without the bit is refused, content too.
    assert await edit({"components": layout}) is None and record.components_v2
    assert "cannot be removed" in (await edit({"flags": 0, "components": layout}) or "")
    assert "content cannot be used" in (await edit({"content": "back to text"}) or "")
    assert "not valid at the top" in (await edit({"components": [_btn("b")]}) or "")
    assert record.components_v2 and record.texts()[0] == "## Now a layout"


async def test_late_first_response_is_unknown_interaction(
    discord_double: DiscordDouble, bot: DoubleBot
) -> None:
    clock = [0.0]
    discord_double.time_fn = lambda: clock[0]
    bot.clock = clock
    result = await discord_double.slash(
        COACH_USER_ID, "misbehave", {"how": "late"}, guild_id=DEFAULT_GUILD_ID
    )
    assert not result.responded and result.errors
    await discord_double.wait_for(lambda: bool(bot.errors))
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062
    [violation] = discord_double.take_violations()
    assert "first response after 4.00s" in violation


# --------------------------------------------------------------------------- gateway reconnects


async def test_drop_gateway_resumes_and_keeps_working(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    await discord_double.drop_gateway()
    await discord_double.wait_ready()
    assert discord_double.resume_count == 1 and discord_double.identify_count == 1
    assert discord_double.connections == 2
    result = await discord_double.slash(CLIENT_USER_ID, "checkin", {"habit": "walk"})
    assert result.content == "checked in: walk"


async def test_invalidated_session_reidentifies(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    await discord_double.drop_gateway(code=4000, invalidate=True)
    await discord_double.wait_ready()
    await discord_double.wait_for(lambda: discord_double.identify_count == 2)
    result = await discord_double.slash(
        COACH_USER_ID, "coach add", {"client": CLIENT_USER_ID}, guild_id=DEFAULT_GUILD_ID
    )
    await result.wait_edits(1)
    assert result.content == "added 3001 (client) ✓"


async def test_route_base_is_restored_after_fixture() -> None:
    assert Route.BASE == "https://discord.com/api/v10"


async def test_followup_after_token_expiry_is_rejected(discord_double: DiscordDouble, bot: DoubleBot) -> None:
    clock = [0.0]
    discord_double.time_fn = lambda: clock[0]
    result = await discord_double.slash(CLIENT_USER_ID, "checkin", {"habit": "walk"})
    clock[0] += 15 * 60 + 1
    webhook = discord.Webhook.partial(BOT_USER_ID, result.token, client=bot)
    with pytest.raises(discord.HTTPException) as info:
        await webhook.send("too late", wait=True)
    assert info.value.status == 401 and info.value.code == 50027
    [violation] = discord_double.take_violations()
    assert "tokens are valid 15 min" in violation


@pytest.mark.parametrize("compress", [None, "zlib-stream"])
async def test_raw_gateway_framing(compress: str | None) -> None:
    """Without a client library: plain text frames, or one zlib stream per connection."""
    async with DiscordDouble.with_defaults() as double, aiohttp.ClientSession() as http:
        query = {"v": "10", "encoding": "json"} | ({"compress": compress} if compress else {})
        inflater = zlib.decompressobj()

        async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
            msg = await ws.receive(timeout=5)
            if compress is None:
                assert msg.type is aiohttp.WSMsgType.TEXT
                return json.loads(msg.data)
            assert msg.type is aiohttp.WSMsgType.BINARY and msg.data.endswith(b"\x00\x00\xff\xff")
            return json.loads(inflater.decompress(msg.data))

        async with http.ws_connect(double.ws_url, params=query) as ws:
            hello = await receive(ws)
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
            await ws.send_json({"op": 1, "d": None})
            assert (await receive(ws))["op"] == 11
            await ws.send_json({"op": 2, "d": {"token": "t", "intents": 1, "properties": {}}})
            ready = await receive(ws)
            guild = await receive(ws)
            assert (ready["t"], ready["s"]) == ("READY", 1) and (guild["t"], guild["s"]) == (
                "GUILD_CREATE",
                2,
            )
            assert ready["d"]["resume_gateway_url"] == double.resume_gateway_url
            await double.wait_ready()
