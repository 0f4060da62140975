"""The scheduler cog: runs the planners and the dispatcher (bot.core.runtime) on the bot's clock, and
posts the alert buffer to the coaches' alert channel every minute."""

from __future__ import annotations

import datetime as dt

from discord.ext import commands

from bot.core.alert_buffer import post_pending
from bot.core.loops import PeriodicTask
from bot.discord_adapter.client import BotMode, Regiment

ALERT_INTERVAL = dt.timedelta(minutes=1)


class Scheduler(commands.Cog):
    def __init__(self, bot: Regiment) -> None:
        self.bot = bot
        self.alert_loop = PeriodicTask("alerts", bot.clock, ALERT_INTERVAL, self._post_alerts)

    async def cog_load(self) -> None:
        await self.bot.start_runtime()
        self.alert_loop.start()

    async def cog_unload(self) -> None:
        await self.alert_loop.stop()
        await self.bot.stop_runtime()

    async def _post_alerts(self) -> None:
        await post_pending(
            self.bot.pool, self.bot.transport, self.bot.settings.alert_channel_id, self.bot.clock
        )


async def setup(bot: Regiment) -> None:
    if bot.mode != BotMode.sync:
        await bot.add_cog(Scheduler(bot))
