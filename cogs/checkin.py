"""The check-in's Discord side: two persistent buttons on the 05:30 DM, each opening a short form
(a Discord modal holds at most five fields): "How you feel" — four 1–5 selects inside Labels and
an optional note — and "Weigh-in & sleep"."""

from __future__ import annotations

import datetime as dt
import re

import discord

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import OwnedButton, RoutedModal, owned_modal, parse_day, reply
from bot.engines import checkin
from bot.engines.lifecycle import refresh

SCALE = {
    "energy": ("Energy", ("1 · drained", "2 · low", "3 · okay", "4 · good", "5 · full of it")),
    "mood": ("Mood", ("1 · awful", "2 · low", "3 · neutral", "4 · good", "5 · great")),
    "stress": ("Stress", ("1 · none", "2 · a little", "3 · some", "4 · a lot", "5 · overwhelmed")),
    "soreness": ("Soreness", ("1 · none", "2 · mild", "3 · moderate", "4 · sore", "5 · very sore")),
}


class FeelModal(RoutedModal):
    def __init__(self, user_id: int, day: dt.date) -> None:
        super().__init__(
            title="How you feel", custom_id=checkin.FEEL_MODAL_ID.format(user_id=user_id, day=day)
        )
        for key, (label, options) in SCALE.items():
            select: discord.ui.Select[FeelModal] = discord.ui.Select(
                custom_id=key,
                placeholder="1 (low) to 5 (high)",
                options=[
                    discord.SelectOption(label=text, value=str(i)) for i, text in enumerate(options, start=1)
                ],
            )
            self.add_item(discord.ui.Label(text=label, component=select))
        note: discord.ui.TextInput[FeelModal] = discord.ui.TextInput(
            custom_id="note", style=discord.TextStyle.paragraph, required=False, max_length=checkin.NOTE_MAX
        )
        self.add_item(discord.ui.Label(text="Anything your coach should know?", component=note))


class BodyModal(RoutedModal):
    def __init__(self, user_id: int, day: dt.date, unit: str) -> None:
        super().__init__(
            title="Weigh-in & sleep", custom_id=checkin.BODY_MODAL_ID.format(user_id=user_id, day=day)
        )
        weight: discord.ui.TextInput[BodyModal] = discord.ui.TextInput(
            custom_id="bodyweight", max_length=8, placeholder=f"e.g. 82.4 ({unit})"
        )
        sleep: discord.ui.TextInput[BodyModal] = discord.ui.TextInput(
            custom_id="sleep", max_length=5, placeholder="e.g. 7.5"
        )
        self.add_item(discord.ui.Label(text=f"Bodyweight this morning ({unit})", component=weight))
        self.add_item(discord.ui.Label(text="Hours slept", component=sleep))


class FeelButton(OwnedButton, template=checkin.FEEL_ID.pattern):
    async def handle(self, interaction: discord.Interaction) -> None:
        bot: Regiment = interaction.client  # type: ignore[assignment]
        await checkin.LOGBOOK.require_open(bot.pool, self.user_id, self.day, bot.clock)
        await interaction.response.send_modal(FeelModal(self.user_id, self.day))


class BodyButton(OwnedButton, template=checkin.BODY_ID.pattern):
    async def handle(self, interaction: discord.Interaction) -> None:
        bot: Regiment = interaction.client  # type: ignore[assignment]
        profile, _ = await checkin.LOGBOOK.require_open(bot.pool, self.user_id, self.day, bot.clock)
        await interaction.response.send_modal(BodyModal(self.user_id, self.day, str(profile.unit)))


async def _submitted(
    part: str, interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]
) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    day = parse_day(match["day"])
    recorded = await checkin.record(
        bot.pool, bot.clock, user_id=int(match["user"]), day=day, part=part, values=values
    )
    if recorded.complete:
        text = f"Check-in complete. Readiness {recorded.readiness:.2f} / 5."
    else:
        text = "Saved. One part to go: " + ("weigh-in & sleep." if part == "feel" else "how you feel.")
    await reply(interaction, text)
    await refresh(bot.transport, recorded.drop, recorded.messages)


@owned_modal
async def on_feel(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
    await _submitted("feel", interaction, match, values)


@owned_modal
async def on_body(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
    await _submitted("body", interaction, match, values)


async def setup(bot: Regiment) -> None:
    if bot.mode == BotMode.gateway:
        bot.add_dynamic_items(FeelButton, BodyButton)
        bot.modal_router.add(checkin.FEEL_MODAL_ID.pattern, on_feel)
        bot.modal_router.add(checkin.BODY_MODAL_ID.pattern, on_body)


async def teardown(bot: Regiment) -> None:
    bot.remove_dynamic_items(FeelButton, BodyButton)
