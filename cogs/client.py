"""Client commands, used in DMs with the bot: /today, /timezone, /units."""

from __future__ import annotations

import datetime as dt

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import reply
from bot.discord_adapter.transport import to_discord_embed
from bot.domain.errors import InputError
from bot.repo import clients
from bot.repo import compliance as compliance_repo
from bot.repo import daily as daily_repo
from bot.repo import jobs as jobs_repo
from bot.usecases import coaching
from bot.views import render
from cogs.coach import zone_autocomplete

dm_only = app_commands.allowed_contexts(guilds=False, dms=True, private_channels=False)


async def _profile(bot: Regiment, user_id: int):  # type: ignore[no-untyped-def]
    async with bot.pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
    if profile is None:
        raise InputError("You are not a client of The Regiment yet: your coach adds you.")
    return profile


class ClientCommands(commands.Cog):
    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    @app_commands.command(name="today", description="What is due today and what you have done")
    @dm_only
    async def today(self, interaction: discord.Interaction) -> None:
        profile = await _profile(self.bot, interaction.user.id)
        now = self.bot.clock.now()
        today = coaching.client_today(profile, now)
        async with self.bot.pool.acquire() as conn:
            jobs = await jobs_repo.for_client_on(conn, profile.user_id, today)
            status = await daily_repo.day_status(conn, profile.user_id, today)
        await reply(interaction, embed=to_discord_embed(render.today_card(profile, jobs, status, now)))

    @app_commands.command(name="timezone", description="Change your timezone (from your next day on)")
    @app_commands.describe(zone="A city zone such as Europe/London, or an offset such as -03:00")
    @app_commands.autocomplete(zone=zone_autocomplete)
    @dm_only
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        await _profile(self.bot, interaction.user.id)
        now = self.bot.clock.now()
        async with self.bot.pool.acquire() as conn, conn.transaction():
            profile, effective = await coaching.change_timezone(
                conn, user_id=interaction.user.id, zone=zone, now=now
            )
        if self.bot.runtime is not None:
            await self.bot.runtime.plan_client(profile.user_id)
        await reply(
            interaction,
            f"Your timezone is now {profile.timezone}, from {effective:%A %d %B}. Today runs on "
            f"{profile.previous_timezone} time, so nothing comes twice and nothing is skipped.",
        )

    @app_commands.command(name="stats", description="Your compliance over 7, 30 and 90 days, and your streak")
    @dm_only
    async def stats(self, interaction: discord.Interaction) -> None:
        profile = await _profile(self.bot, interaction.user.id)
        today = coaching.client_today(profile, self.bot.clock.now())
        async with self.bot.pool.acquire() as conn:
            found = await compliance_repo.outcomes(
                conn, today - dt.timedelta(days=90), today, [profile.user_id]
            )
        embed = render.stats_embed(profile.display_name or "you", found.get(profile.user_id, []), today)
        await reply(interaction, embed=to_discord_embed(embed))

    @app_commands.command(name="honors", description="Appear on the weekly honors board, or not")
    @app_commands.choices(
        show=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    @dm_only
    async def honors(self, interaction: discord.Interaction, show: str) -> None:
        await _profile(self.bot, interaction.user.id)
        async with self.bot.pool.acquire() as conn:
            await clients.set_honors_opt_out(conn, interaction.user.id, show == "off", self.bot.clock.now())
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
        await _profile(self.bot, interaction.user.id)
        async with self.bot.pool.acquire() as conn, conn.transaction():
            profile = await coaching.set_unit(
                conn, user_id=interaction.user.id, unit=unit, now=self.bot.clock.now()
            )
        await reply(
            interaction, f"Weights are shown in {profile.unit} from now on. Your history is unchanged."
        )


async def setup(bot: Regiment) -> None:
    if bot.mode != BotMode.dispatch_only:
        await bot.add_cog(ClientCommands(bot))
