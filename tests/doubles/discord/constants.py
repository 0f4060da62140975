"""Discord's numeric constants the double speaks in: message flags, permission bits, the snowflake
epoch, and the names of interaction types (for violation messages)."""

from __future__ import annotations

import discord

DISCORD_EPOCH_MS = 1_420_070_400_000
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15
ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = discord.Permissions.all().value
#: @everyone in a typical server: view channels, send messages, read history, use app commands.
DEFAULT_EVERYONE_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 31)
#: What the bot's own role usually gets: the above plus embed links and attach files.
DEFAULT_BOT_PERMISSIONS = DEFAULT_EVERYONE_PERMISSIONS | (1 << 14) | (1 << 15)
#: Roughly what Discord reports as app_permissions in a DM with the bot.
DM_APP_PERMISSIONS = DEFAULT_BOT_PERMISSIONS

#: How violation messages name each interaction type.
_INTERACTION_NAMES = {1: "ping", 2: "slash command", 3: "component", 4: "autocomplete", 5: "modal submit"}
