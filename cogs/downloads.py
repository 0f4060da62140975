"""Sending a client's data export (/mydata, /client export): the first ZIP is the reply, the
photos that did not fit follow as more ZIPs, one a message. Not an extension: cogs import it."""

from __future__ import annotations

import io

import discord

from bot.discord_adapter.interactions import reply
from bot.usecases.export import Export


def parts_note(found: Export) -> str:
    more = len(found.parts) - 1
    return "" if not more else f" The photos fill {more} more ZIP file{'s' if more != 1 else ''}, sent next."


async def send_other_parts(interaction: discord.Interaction, found: Export) -> None:
    total = len(found.parts)
    for number, (name, data) in enumerate(found.parts[1:], start=2):
        await reply(
            interaction,
            f"Part {number} of {total}: photos.",
            file=discord.File(io.BytesIO(data), filename=name),
        )
