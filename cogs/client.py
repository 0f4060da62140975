"""Client commands, used in DMs with the bot: /today, /stats, /timezone, /units, /honors, /mydata. Each is
one call of a use case in bot.usecases.self_service and a reply."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import reply
from bot.discord_adapter.transport import to_discord_embed
from bot.usecases import export, self_service
from bot.views import render
from cogs.checks import zone_autocomplete
from cogs.downloads import parts_note, send_other_parts

dm_only = app_commands.allowed_contexts(guilds=False, dms=True, private_channels=False)


class ClientCommands(commands.Cog):
    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    async def _replan(self, user_id: int) -> None:
        """Passed to the use cases: plans the client again after a change is committed."""
        if self.bot.runtime is not None:
            await self.bot.runtime.plan_client(user_id)

    @app_commands.command(name="today", description="What is due today and what you have done")
    @dm_only
    async def today(self, interaction: discord.Interaction) -> None:
        found = await self_service.today(
            self.bot.pool, self.bot.registry, self.bot.clock, interaction.user.id
        )
        card = render.today_card(
            found.profile, found.jobs, found.done, found.now, self.bot.registry, complete=found.complete
        )
        await reply(interaction, embed=to_discord_embed(card))

    @app_commands.command(name="timezone", description="Change your timezone (from your next day on)")
    @app_commands.describe(zone="A city zone such as Europe/London, or an offset such as -03:00")
    @app_commands.autocomplete(zone=zone_autocomplete)
    @dm_only
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        changed = await self_service.change_timezone(
            self.bot.pool, self.bot.clock, user_id=interaction.user.id, zone=zone, replan=self._replan
        )
        profile = changed.profile
        await reply(
            interaction,
            f"Your timezone is now {profile.timezone}, from {changed.effective:%A %d %B}. Today runs on "
            f"{profile.previous_timezone} time, so nothing comes twice and nothing is skipped.",
        )

    @app_commands.command(name="stats", description="Your compliance over 7, 30 and 90 days, and your streak")
    @dm_only
    async def stats(self, interaction: discord.Interaction) -> None:
        found = await self_service.stats(
            self.bot.pool, self.bot.registry, self.bot.clock, interaction.user.id
        )
        name = found.profile.display_name or "you"
        embed = render.stats_embed(name, found.outcomes, found.today, self.bot.registry.labels())
        await reply(interaction, embed=to_discord_embed(embed))

    @app_commands.command(name="honors", description="Appear on the weekly honors board, or not")
    @app_commands.choices(
        show=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    @dm_only
    async def honors(self, interaction: discord.Interaction, show: str) -> None:
        await self_service.set_honors(
            self.bot.pool, self.bot.clock, user_id=interaction.user.id, opt_out=show == "off"
        )
        text = (
            "You are on the honors board when you earn it."
            if show == "on"
            else "You are off the honors board."
        )
        await reply(interaction, text)

    @app_commands.command(name="units", description="Weights in kilograms or pounds")
    @app_commands.choices(
        unit=[app_commands.Choice(name="kg", value="kg"), app_commands.Choice(name="lb", value="lb")]
    )
    @dm_only
    async def units(self, interaction: discord.Interaction, unit: str) -> None:
        profile = await self_service.set_unit(
            self.bot.pool, self.bot.clock, user_id=interaction.user.id, unit=unit
        )
        await reply(
            interaction, f"Weights are shown in {profile.unit} from now on. Your history is unchanged."
        )

    @app_commands.command(name="mydata", description="A ZIP of everything the bot holds about you")
    @dm_only
    async def mydata(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await export.export_client(self.bot.pool, self.bot.clock, interaction.user.id)
        await reply(
            interaction,
            f"Everything The Regiment holds about you: {len(found.files) - 1} file(s), README.txt says "
            f"what each one is.{parts_note(found)}",
            file=discord.File(io.BytesIO(found.data), filename=found.filename),
        )
        await send_other_parts(interaction, found)


async def setup(bot: Regiment) -> None:
    if bot.mode != BotMode.dispatch_only:
        await bot.add_cog(ClientCommands(bot))
