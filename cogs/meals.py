"""The meals' Discord side: "✓ <meal>" (followed) updates the message at once; "✗ <meal>" (off
plan) opens a form for an optional note. The last answer before the deadline counts."""

from __future__ import annotations

import datetime as dt
import re

import discord

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import OwnedButton, RoutedModal, owned_modal, parse_day, reply
from bot.discord_adapter.transport import message_kwargs
from bot.engines import meals
from bot.engines.lifecycle import refresh


class OffPlanModal(RoutedModal):
    def __init__(self, user_id: int, day: dt.date, index: int, meal: str) -> None:
        custom_id = meals.NOTE_MODAL_ID.format(user_id=user_id, day=day, index=index)
        super().__init__(title=f"Off plan: {meal}"[:45], custom_id=custom_id)
        note: discord.ui.TextInput[OffPlanModal] = discord.ui.TextInput(
            custom_id="note", style=discord.TextStyle.paragraph, required=False, max_length=meals.NOTE_MAX,
            placeholder="What did you eat instead? (optional)",
        )  # fmt: skip
        self.add_item(discord.ui.Label(text="Note for your coach", component=note))


class FollowedButton(OwnedButton, template=meals.FOLLOWED_ID.pattern):
    async def handle(self, interaction: discord.Interaction) -> None:
        bot: Regiment = interaction.client  # type: ignore[assignment]
        assert self.index is not None
        answered = await meals.answer(
            bot.pool, bot.clock, user_id=self.user_id, day=self.day, index=self.index, followed=True
        )
        # Answer by updating the message the button is on: one request, no extra DM.
        await interaction.response.edit_message(**message_kwargs(answered.messages[0]))  # type: ignore[arg-type]


class OffPlanButton(OwnedButton, template=meals.OFF_PLAN_ID.pattern):
    async def handle(self, interaction: discord.Interaction) -> None:
        bot: Regiment = interaction.client  # type: ignore[assignment]
        assert self.index is not None
        name = await meals.off_plan_form(
            bot.pool, bot.clock, user_id=self.user_id, day=self.day, index=self.index
        )
        await interaction.response.send_modal(OffPlanModal(self.user_id, self.day, self.index, name))


@owned_modal
async def on_note(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    user_id, day, index = int(match["user"]), parse_day(match["day"]), int(match["index"])
    answered = await meals.answer(
        bot.pool,
        bot.clock,
        user_id=user_id,
        day=day,
        index=index,
        followed=False,
        note=values.get("note", ""),
    )
    await reply(interaction, f"Noted: {answered.meal} was off plan. Thanks for being honest.")
    await refresh(bot.transport, answered.drop, answered.messages)


async def setup(bot: Regiment) -> None:
    if bot.mode == BotMode.gateway:
        bot.add_dynamic_items(FollowedButton, OffPlanButton)
        bot.modal_router.add(meals.NOTE_MODAL_ID.pattern, on_note)


async def teardown(bot: Regiment) -> None:
    bot.remove_dynamic_items(FollowedButton, OffPlanButton)
