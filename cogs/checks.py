"""Checks and autocompletes the coach cogs share. Not an extension (bot.discord_adapter.client
loads CORE_EXTENSIONS and the engines' cogs): cogs import from it.

Autocomplete runs without the command's checks (discord.py), so every suggestion in a coach
command goes through `for_coaches`, which answers anyone else with nothing."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands

from bot.discord_adapter.client import Regiment
from bot.domain import timezones
from bot.domain.errors import InputError
from bot.usecases import blocks as blocks_uc
from bot.usecases import clients as clients_uc
from bot.usecases import team as team_uc


def is_coach(interaction: discord.Interaction) -> bool:
    """Coach role or administrator, in the coaches' server. Raises CheckFailure with the refusal."""
    bot: Regiment = interaction.client  # type: ignore[assignment]
    settings = bot.settings
    member = interaction.user
    allowed = (
        isinstance(member, discord.Member)
        and settings.coach_guild_id is not None
        and interaction.guild_id == settings.coach_guild_id
        and (
            member.guild_permissions.administrator
            or (
                settings.coach_role_id is not None
                and any(r.id == settings.coach_role_id for r in member.roles)
            )
        )
    )
    if not allowed:
        raise app_commands.CheckFailure("Only coaches can use this command.")
    return True


coach_only = app_commands.check(is_coach)


def is_coach_quietly(interaction: discord.Interaction) -> bool:
    """Autocomplete runs without the command's checks (discord.py): a non-coach typing a coach
    command must not see the roster, so suggestions are checked too."""
    try:
        return is_coach(interaction)
    except app_commands.CheckFailure:
        return False


Autocomplete = Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]


def for_coaches(autocomplete: Autocomplete) -> Autocomplete:
    """Autocomplete runs without the command's checks (discord.py): in a coach command, suggest
    nothing to anyone but a coach. The one place that rule lives."""

    @functools.wraps(autocomplete)
    async def suggest(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if not is_coach_quietly(interaction):
            return []
        return await autocomplete(interaction, current)

    return suggest


@for_coaches
async def client_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    found = await clients_uc.search_clients(bot.pool, current)
    found = await team_uc.mine_first(bot.pool, bot.clock, bot.settings, actor(interaction), found)
    return [
        app_commands.Choice(name=f"{c.display_name or c.user_id} ({c.timezone})"[:100], value=str(c.user_id))
        for c in found
    ]


async def zone_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Zone names, for anyone (a client's own /timezone)."""
    return [app_commands.Choice(name=z, value=z) for z in timezones.suggest(current)]


coach_zone_autocomplete = for_coaches(zone_autocomplete)  # the coach commands' timezone option


@for_coaches
async def block_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    found = await blocks_uc.search_blocks(bot.pool, current)
    return [app_commands.Choice(name=b, value=b) for b in found]


def client_id(text: str) -> int:
    """The user id a client option carries (autocomplete puts it there)."""
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(f"{text!r} is not a client: pick one from the list") from None


def actor(interaction: discord.Interaction) -> team_uc.Actor:
    """The coach running a command, with whether the head-coach role makes them a head coach."""
    bot: Regiment = interaction.client  # type: ignore[assignment]
    role = bot.settings.head_coach_role_id
    member = interaction.user
    by_role = (
        role is not None and isinstance(member, discord.Member) and any(r.id == role for r in member.roles)
    )
    return team_uc.Actor(interaction.user.id, head_by_role=by_role)


async def steerable(interaction: discord.Interaction, text: str) -> int:
    """The client a coach command names, once the scope rule (COACH_SCOPE) lets this coach act
    on them: every coach command about one client goes through here."""
    bot: Regiment = interaction.client  # type: ignore[assignment]
    user_id = client_id(text)
    await team_uc.check_scope(bot.pool, bot.clock, bot.settings, actor(interaction), user_id)
    return user_id
