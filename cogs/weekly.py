"""The weekly check-in's Discord side: its button opens one form (waist, how the week went,
wins and struggles)."""

from __future__ import annotations

import datetime as dt
import re

import discord

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import OwnedButton, RoutedModal, owned_modal, parse_day, reply
from bot.engines import weekly
from bot.engines.lifecycle import refresh

RATINGS = ("1 · a hard week", "2", "3 · an ordinary week", "4", "5 · a great week")


class ReviewModal(RoutedModal):
    def __init__(self, user_id: int, day: dt.date, unit: str) -> None:
        super().__init__(title="Weekly check-in", custom_id=weekly.FORM_ID.format(user_id=user_id, day=day))
        waist: discord.ui.TextInput[ReviewModal] = discord.ui.TextInput(
            custom_id="waist",
            max_length=6,
            required=False,
            placeholder=f"e.g. {'31.5' if unit == 'in' else '80.5'}",
        )
        rating: discord.ui.Select[ReviewModal] = discord.ui.Select(
            custom_id="rating",
            options=[
                discord.SelectOption(label=label, value=str(n)) for n, label in enumerate(RATINGS, start=1)
            ],
        )
        story: discord.ui.TextInput[ReviewModal] = discord.ui.TextInput(
            custom_id="story",
            style=discord.TextStyle.paragraph,
            max_length=weekly.STORY_LIMIT,
            required=False,
        )
        self.add_item(discord.ui.Label(text=f"Waist ({unit})", component=waist))
        self.add_item(discord.ui.Label(text="How did the week go?", component=rating))
        self.add_item(discord.ui.Label(text="Wins and struggles", component=story))


class OpenReviewButton(OwnedButton, template=weekly.OPEN_ID.pattern):
    async def handle(self, interaction: discord.Interaction) -> None:
        bot: Regiment = interaction.client  # type: ignore[assignment]
        unit = await weekly.form_unit(bot.pool, bot.clock, user_id=self.user_id, day=self.day)
        await interaction.response.send_modal(ReviewModal(self.user_id, self.day, unit))


@owned_modal
async def on_submit(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    done = await weekly.submit(
        bot.pool, bot.clock, user_id=int(match["user"]), day=parse_day(match["day"]), values=values
    )
    await reply(interaction, f"Weekly check-in sent: week {done.answers.rating}/5. Your coach will read it.")
    await refresh(bot.transport, done.drop, done.messages)


async def setup(bot: Regiment) -> None:
    if bot.mode == BotMode.gateway:
        bot.add_dynamic_items(OpenReviewButton)
        bot.modal_router.add(weekly.FORM_ID.pattern, on_submit)


async def teardown(bot: Regiment) -> None:
    bot.remove_dynamic_items(OpenReviewButton)
