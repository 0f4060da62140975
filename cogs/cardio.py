"""The cardio's Discord side: "Log cardio" opens a form asking for minutes or steps (whichever was
prescribed) and, optionally, the average heart rate."""

from __future__ import annotations

import datetime as dt
import re

import discord

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import OwnedButton, RoutedModal, owned_modal, parse_day, reply
from bot.engines import cardio
from bot.engines.lifecycle import refresh


class CardioModal(RoutedModal):
    def __init__(self, user_id: int, day: dt.date, wanted: str, describe: str) -> None:
        super().__init__(title="Log cardio", custom_id=cardio.MODAL_ID.format(user_id=user_id, day=day))
        amount: discord.ui.TextInput[CardioModal] = discord.ui.TextInput(
            custom_id="amount", max_length=7, placeholder=describe[:100]
        )
        hr: discord.ui.TextInput[CardioModal] = discord.ui.TextInput(
            custom_id="avg_hr", max_length=3, required=False, placeholder="e.g. 128 (optional)"
        )
        self.add_item(discord.ui.Label(text="Minutes" if wanted == "minutes" else "Steps", component=amount))
        self.add_item(discord.ui.Label(text="Average heart rate", component=hr))


class LogCardioButton(OwnedButton, template=cardio.LOG_ID.pattern):
    async def handle(self, interaction: discord.Interaction) -> None:
        bot: Regiment = interaction.client  # type: ignore[assignment]
        form = await cardio.log_form(bot.pool, bot.clock, user_id=self.user_id, day=self.day)
        await interaction.response.send_modal(
            CardioModal(self.user_id, self.day, form.wanted, form.prescription)
        )


@owned_modal
async def on_log(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    logged = await cardio.log_cardio(
        bot.pool, bot.clock, user_id=int(match["user"]), day=parse_day(match["day"]), values=values
    )
    log = logged.log
    amount = f"{log['minutes']} min" if log["minutes"] is not None else f"{log['steps']:,} steps"
    await reply(interaction, f"Cardio logged: {amount}.")
    await refresh(bot.transport, logged.drop, logged.messages)


async def setup(bot: Regiment) -> None:
    if bot.mode == BotMode.gateway:
        bot.add_dynamic_items(LogCardioButton)
        bot.modal_router.add(cardio.MODAL_ID.pattern, on_log)


async def teardown(bot: Regiment) -> None:
    bot.remove_dynamic_items(LogCardioButton)
