"""The discord.py bot: resources injected, extensions loaded in `setup_hook`, one error path.

Modes:
- `gateway`: the full bot, the one process that holds the gateway (all of its shards:
  `SHARD_COUNT` switches to AutoShardedBot): interactions, planning, dispatching.
- `dispatch_only`: REST only, never connects to the gateway (a second gateway connection for
  the same shard would receive every interaction too); it plans and dispatches jobs.
- `sync`: logs in to sync application commands, runs nothing.

Intents: only `guilds` (roles and channels of the coaches' server). Slash commands, buttons and
modals arrive as interactions whatever the intents; no message content, members or presences.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import asyncpg
import discord
import yarl
from discord import app_commands
from discord.ext import commands
from loguru import logger

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.engine import EngineRegistry
from bot.core.runtime import Runtime
from bot.discord_adapter.interactions import ModalRouter, report_error
from bot.discord_adapter.transport import DiscordTransport
from bot.engines import build_registry
from bot.usecases import reachability

# The cogs that belong to no engine; each engine names its own cog in its declaration.
CORE_EXTENSIONS = (
    "cogs.scheduler",
    "cogs.coach",
    "cogs.team",
    "cogs.client",
    "cogs.plans",
    "cogs.operations",
)


def extensions(registry: EngineRegistry) -> list[str]:
    return [*CORE_EXTENSIONS, *registry.cogs()]


class BotMode(StrEnum):
    gateway = "gateway"
    dispatch_only = "dispatch-only"
    sync = "sync"


def intents() -> discord.Intents:
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


class RegimentMixin:
    """What our bot adds to discord.py's Bot / AutoShardedBot (chosen by SHARD_COUNT)."""

    settings: Settings
    pool: asyncpg.Pool
    clock: Clock
    mode: BotMode
    registry: EngineRegistry
    transport: DiscordTransport
    modal_router: ModalRouter
    runtime: Runtime | None
    tree: app_commands.CommandTree[Any]

    def _init_regiment(
        self, settings: Settings, pool: asyncpg.Pool | None, clock: Clock, mode: BotMode
    ) -> None:
        self.settings = settings
        self.pool = pool  # type: ignore[assignment]  # None only in sync mode, which never queries
        self.clock = clock
        self.mode = mode
        self.registry = build_registry(settings)
        self.transport = DiscordTransport(
            self,  # type: ignore[arg-type]
            send_rate=settings.send_rate_per_second,
            dm_open_rate=settings.dm_open_rate_per_second,
        )
        self.modal_router = ModalRouter()
        self.runtime = None
        self.tree.on_error = self._on_app_command_error  # type: ignore[method-assign]

    @property
    def coach_guild(self) -> discord.Object | None:
        gid = self.settings.coach_guild_id
        return discord.Object(gid) if gid else None

    async def setup_hook(self) -> None:
        names = extensions(self.registry)
        for extension in names:
            await self.load_extension(extension)  # type: ignore[attr-defined]
        logger.info("loaded {} extension(s) in {} mode", len(names), self.mode)

    async def _on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Modal submits first: they must be answered within 3 s.
        await self.modal_router.dispatch(interaction)
        # Any interaction proves the client can be reached again (seed: "restored the next time
        # the client interacts"). One cheap UPDATE that matches nothing in the usual case.
        if self.mode != BotMode.sync and interaction.user is not None:
            await self._restore_reachability(interaction)

    async def _restore_reachability(self, interaction: discord.Interaction) -> None:
        channel = interaction.channel
        in_dm = isinstance(channel, discord.DMChannel | discord.PartialMessageable) and (
            getattr(channel, "type", None) == discord.ChannelType.private
        )
        try:
            if await reachability.restore(
                self.pool, self.clock, interaction.user.id, channel.id if in_dm and channel else None
            ):
                logger.info("client {} is reachable again", interaction.user.id)
        except Exception as exc:  # never let bookkeeping break the interaction itself
            logger.warning("could not check reachability of {}: {}", interaction.user.id, exc)

    async def sync_commands(self) -> tuple[int, int]:
        """Push the command tree: coach commands to the coaches' server, client commands globally."""
        guild = self.coach_guild
        coach = await self.tree.sync(guild=guild) if guild else []
        global_ = await self.tree.sync()
        logger.info("synced {} coach command(s) and {} global command(s)", len(coach), len(global_))
        return len(coach), len(global_)

    async def start_runtime(self) -> None:
        if self.mode == BotMode.sync or self.runtime is not None:
            return
        self.runtime = Runtime(self.pool, self.clock, self.registry, self.transport, self.settings)
        self.runtime.start()

    async def stop_runtime(self) -> None:
        if self.runtime is not None:
            runtime, self.runtime = self.runtime, None
            await runtime.stop(self.settings.shutdown_grace_seconds)

    async def close(self) -> None:
        # Stop planning and hand back claims before the HTTP session goes away.
        await self.stop_runtime()
        await super().close()  # type: ignore[misc]


class RegimentBot(RegimentMixin, commands.Bot):
    def __init__(
        self, settings: Settings, pool: asyncpg.Pool | None, clock: Clock, mode: BotMode, **options: Any
    ) -> None:
        commands.Bot.__init__(
            self, command_prefix=commands.when_mentioned, intents=intents(), help_command=None, **options
        )
        self._init_regiment(settings, pool, clock, mode)


class ShardedRegimentBot(RegimentMixin, commands.AutoShardedBot):
    def __init__(
        self, settings: Settings, pool: asyncpg.Pool | None, clock: Clock, mode: BotMode, **options: Any
    ) -> None:
        commands.AutoShardedBot.__init__(
            self,
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            shard_count=settings.shard_count,
            **options,
        )
        self._init_regiment(settings, pool, clock, mode)


Regiment = RegimentBot | ShardedRegimentBot


def build_bot(
    settings: Settings, pool: asyncpg.Pool | None, clock: Clock, mode: BotMode, **options: Any
) -> Regiment:
    """The bot for `mode`; `options` go to discord.py (tests shorten guild_ready_timeout)."""
    if settings.discord_api_base:
        # A REST proxy (nirn-proxy) or, in tests, the loopback Discord double.
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        # discord.py connects to this constant, not to what GET /gateway answers.
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
    cls = ShardedRegimentBot if settings.shard_count else RegimentBot
    return cls(settings, pool, clock, mode, **options)
