"""The private line's Discord side: `/note <client> <text>` for coaches (answered once the note's
fate is known, or queued after a few seconds), and under each note the client's Reply button,
which opens a form. Both work across restarts: the button and the form are routed by custom_id."""

from __future__ import annotations

import datetime as dt
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import OwnedButton, RoutedModal, owned_modal, parse_day, reply
from bot.engines import notes
from bot.usecases.triggers import Wake
from bot.views.notes import NOTE_LIMIT
from cogs.checks import client_autocomplete, coach_only, steerable


def _wake(bot: Regiment) -> Wake | None:
    return bot.runtime.dispatcher.notify if bot.runtime is not None else None


class Notes(commands.Cog):
    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    @app_commands.command(name="note", description="Send a client a private note from you; they can reply")
    @app_commands.autocomplete(client=client_autocomplete)
    @app_commands.describe(
        client="The client", text=f"What to say (up to {NOTE_LIMIT:,} characters; a long note goes in parts)"
    )
    @coach_only
    async def note(
        self, interaction: discord.Interaction, client: str, text: app_commands.Range[str, 1, NOTE_LIMIT]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # it waits for the delivery
        user_id = await steerable(interaction, client)
        queued = await notes.send_note(
            self.bot.pool, self.bot.clock, user_id=user_id, author_id=interaction.user.id,
            author_name=interaction.user.display_name, text=text, wake=_wake(self.bot),
        )  # fmt: skip
        outcome = await notes.await_outcome(self.bot.pool, self.bot.settings, queued)
        await reply(interaction, outcome.text)


class ReplyModal(RoutedModal):
    def __init__(self, user_id: int, day: dt.date, index: int, coach_name: str | None) -> None:
        to = f"Coach {coach_name}" if coach_name else "your coach"
        super().__init__(
            title=f"Reply to {to}",
            custom_id=notes.REPLY_FORM_ID.format(user_id=user_id, day=day, index=index),
        )
        text: discord.ui.TextInput[ReplyModal] = discord.ui.TextInput(
            custom_id="reply", style=discord.TextStyle.paragraph, max_length=NOTE_LIMIT
        )
        self.add_item(discord.ui.Label(text="Your reply", component=text))


class ReplyButton(OwnedButton, template=notes.REPLY_ID.pattern):
    async def handle(self, interaction: discord.Interaction) -> None:
        bot: Regiment = interaction.client  # type: ignore[assignment]
        assert self.index is not None
        form = await notes.reply_form(bot.pool, user_id=self.user_id, day=self.day, index=self.index)
        await interaction.response.send_modal(ReplyModal(self.user_id, self.day, self.index, form.coach_name))


@owned_modal
async def on_reply(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    replied = await notes.reply_to_note(
        bot.pool, bot.clock, user_id=int(match["user"]), day=parse_day(match["day"]),
        index=int(match["index"]), text=values.get("reply"), wake=_wake(bot),
    )  # fmt: skip
    await reply(interaction, replied.text)


async def setup(bot: Regiment) -> None:
    if bot.mode == BotMode.gateway:
        bot.add_dynamic_items(ReplyButton)
        bot.modal_router.add(notes.REPLY_FORM_ID.pattern, on_reply)
    if bot.mode != BotMode.dispatch_only and bot.coach_guild is not None:
        await bot.add_cog(Notes(bot), guild=bot.coach_guild)


async def teardown(bot: Regiment) -> None:
    bot.remove_dynamic_items(ReplyButton)
