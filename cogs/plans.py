"""Coaches import meal plans and cardio prescriptions from a file, and assign them to clients.
Each command is one call of a use case in bot.usecases.plans and a reply."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import reply
from bot.usecases import plans as plans_uc
from cogs.checks import client_autocomplete, coach_only, steerable

KIND_NAMES = {"meals": "meal plan", "cardio": "cardio plan"}


class Plans(commands.Cog):
    plans = app_commands.Group(
        name="plans", description="Meal plans and cardio prescriptions", guild_only=True
    )

    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    async def _replan(self, user_id: int) -> None:
        """Passed to the use case: plans an assignee again after the import is committed."""
        if self.bot.runtime is not None:
            await self.bot.runtime.plan_client(user_id)

    @plans.command(
        name="import", description="Import a meal or cardio plan (YAML/JSON); optionally assign it"
    )
    @app_commands.describe(assign_to="Give this plan to a client from their next drop on")
    @app_commands.autocomplete(assign_to=client_autocomplete)
    @coach_only
    async def import_plan(
        self, interaction: discord.Interaction, file: discord.Attachment, assign_to: str | None = None
    ) -> None:
        assign = [await steerable(interaction, assign_to)] if assign_to else []
        await interaction.response.defer(ephemeral=True, thinking=True)
        imported = await plans_uc.import_plan(
            self.bot.pool,
            self.bot.clock,
            file,
            assign_to=assign,
            imported_by=interaction.user.id,
            replan=self._replan,
        )
        plan = imported.plan
        assigned = "".join(f" and assigned it to {p.display_name or p.user_id}" for p in imported.assigned)
        await reply(
            interaction,
            f"Imported {KIND_NAMES[plan.kind]} **{plan.name}** (`{plan.id}`) "
            f"as version {imported.version}{assigned}.",
        )

    @plans.command(name="list", description="The imported meal and cardio plans")
    @coach_only
    async def list_plans(self, interaction: discord.Interaction) -> None:
        found = await plans_uc.list_plans(self.bot.pool)
        lines = [f"{p.kind}: `{p.plan_id}` v{p.version} — {p.name}" for p in found]
        await reply(interaction, "\n".join(lines) or "No plans imported yet.")


async def setup(bot: Regiment) -> None:
    if bot.mode != BotMode.dispatch_only and bot.coach_guild is not None:
        await bot.add_cog(Plans(bot), guild=bot.coach_guild)
