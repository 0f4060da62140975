"""The coaching team: /coach add, list, remove and notify. Coaches only, in the coaches' server;
each command is one call of bot.usecases.team and a reply."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import reply
from bot.domain.team import CoachKind, Notify
from bot.usecases import team as team_uc
from cogs.checks import actor, coach_only

KINDS = [app_commands.Choice(name=k.value, value=k.value) for k in CoachKind]
MODES = [app_commands.Choice(name=m.value, value=m.value) for m in Notify]


class Team(commands.Cog):
    coach = app_commands.Group(name="coach", description="The coaching team", guild_only=True)

    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    @coach.command(name="add", description="Put a coach on the team (head coaches see every client)")
    @app_commands.describe(member="The coach", name="How clients and coaches see them", kind="head or coach")
    @app_commands.choices(kind=KINDS)
    @coach_only
    async def coach_add(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        name: str | None = None,
        kind: str = "coach",
    ) -> None:
        added = await team_uc.add_coach(
            self.bot.pool,
            self.bot.clock,
            actor(interaction),
            user_id=member.id,
            display_name=name or member.display_name,
            kind=kind,
        )
        what = "a head coach" if added.is_head else "a coach"
        await reply(interaction, f"{added.display_name} ({added.mention}) is on the team as {what}.")

    @coach.command(name="list", description="The team, and how many clients each coach has")
    @coach_only
    async def coach_list(self, interaction: discord.Interaction) -> None:
        lines = [
            f"**{line.coach.display_name}** ({line.coach.mention}) · "
            f"{'head coach' if line.coach.is_head else 'coach'} · "
            f"{line.clients} client{'s' if line.clients != 1 else ''} · told by {line.coach.notify}"
            for line in await team_uc.list_coaches(self.bot.pool, self.bot.clock)
        ]
        text = "\n".join(lines) or "Nobody yet: add the first coach with /coach add."
        await reply(interaction, embed=discord.Embed(title="The team", description=text[:4096]))

    @coach.command(name="remove", description="Take a coach off the team (their clients first)")
    @app_commands.describe(
        coach="The coach leaving", reassign_to="Hand every one of their clients to this coach"
    )
    @coach_only
    async def coach_remove(
        self,
        interaction: discord.Interaction,
        coach: discord.Member,
        reassign_to: discord.Member | None = None,
    ) -> None:
        removed = await team_uc.remove_coach(
            self.bot.pool,
            self.bot.clock,
            actor(interaction),
            coach_id=coach.id,
            reassign_to=reassign_to.id if reassign_to else None,
        )
        moved = (
            f" Their {len(removed.moved)} client{'s' if len(removed.moved) != 1 else ''} now "
            f"{'have' if len(removed.moved) != 1 else 'has'} {removed.to.display_name} as coach."
            if removed.moved and removed.to
            else ""
        )
        await reply(interaction, f"{removed.coach.display_name} is off the team.{moved}")

    @coach.command(name="notify", description="Where you hear about your own clients' cards and alerts")
    @app_commands.choices(mode=MODES)
    @coach_only
    async def coach_notify(self, interaction: discord.Interaction, mode: str) -> None:
        coach = await team_uc.set_notify(self.bot.pool, actor(interaction), mode)
        where = {
            "channel": "in the coaches' channel",
            "dm": "by DM",
            "both": "by DM and in the coaches' channel",
        }
        await reply(interaction, f"You will hear about your clients {where[coach.notify]}.")


async def setup(bot: Regiment) -> None:
    if bot.mode != BotMode.dispatch_only and bot.coach_guild is not None:
        await bot.add_cog(Team(bot), guild=bot.coach_guild)
