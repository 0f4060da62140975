"""Coaches import meal plans and cardio prescriptions from a file, and assign them to clients."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import reply
from bot.domain.errors import InputError
from bot.domain.plans import MealPlan, parse_plan
from bot.repo import clients
from bot.repo import plans as plans_repo
from cogs.coach import client_autocomplete, client_id, coach_only

MAX_PLAN_FILE = 256 * 1024


class Plans(commands.Cog):
    plans = app_commands.Group(
        name="plans", description="Meal plans and cardio prescriptions", guild_only=True
    )

    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    @plans.command(
        name="import", description="Import a meal or cardio plan (YAML/JSON); optionally assign it"
    )
    @app_commands.describe(assign_to="Give this plan to a client from their next drop on")
    @app_commands.autocomplete(assign_to=client_autocomplete)
    @coach_only
    async def import_plan(
        self, interaction: discord.Interaction, file: discord.Attachment, assign_to: str | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if file.size > MAX_PLAN_FILE:
            raise InputError(f"{file.filename}: {file.size} bytes is too large for a plan file")
        try:
            text = (await file.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{file.filename}: not a text file (UTF-8 YAML or JSON)") from None
        plan = parse_plan(text, file.filename)
        assignee = client_id(assign_to) if assign_to else None
        now = self.bot.clock.now()
        async with self.bot.pool.acquire() as conn, conn.transaction():
            if assignee is not None:
                profile = await clients.get(conn, assignee, lock=True)
                if profile is None:
                    raise InputError(f"{assign_to!r} is not a client: nothing was imported")
            version = await plans_repo.store(conn, plan, now, interaction.user.id)
            if assignee is not None and profile is not None:
                column = "meal_plan_id" if isinstance(plan, MealPlan) else "cardio_plan_id"
                await clients.upsert(conn, profile.model_copy(update={column: plan.id}), now)
        if assignee is not None and self.bot.runtime is not None:
            await self.bot.runtime.plan_client(assignee)
        what = "meal plan" if isinstance(plan, MealPlan) else "cardio plan"
        assigned = f" and assigned it to {profile.display_name or assignee}" if assignee and profile else ""
        await reply(
            interaction, f"Imported {what} **{plan.name}** (`{plan.id}`) as version {version}{assigned}."
        )

    @plans.command(name="list", description="The imported meal and cardio plans")
    @coach_only
    async def list_plans(self, interaction: discord.Interaction) -> None:
        lines = []
        async with self.bot.pool.acquire() as conn:
            for kind in ("meals", "cardio"):
                for row in await plans_repo.listing(conn, kind):
                    lines.append(f"{kind}: `{row['plan_id']}` v{row['version']} — {row['name']}")
        await reply(interaction, "\n".join(lines) or "No plans imported yet.")


async def setup(bot: Regiment) -> None:
    if bot.mode != BotMode.dispatch_only and bot.coach_guild is not None:
        await bot.add_cog(Plans(bot), guild=bot.coach_guild)
