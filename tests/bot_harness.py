"""Running the real bot (bot.discord_adapter.client) against the loopback Discord double, in-process.

The bot is built exactly as `python -m bot` builds it; only its clock (virtual) and its REST
base URL (the double's) differ."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
from doubles.discord import DiscordDouble
from pydantic import SecretStr

from bot.config import Settings
from bot.core.clock import Clock, VirtualClock
from bot.discord_adapter.client import BotMode, Regiment, build_bot
from bot.domain.models import ClientProfile
from bot.repo import clients

GUILD = 1000
COACH_ROLE = 2000
COACH, CLIENT, ADMIN = 3000, 3001, 3002
COACH_CHANNEL, ALERT_CHANNEL, HONORS_CHANNEL = 4000, 4001, 4002
TOKEN = "test-token.not-a-real-one"


def bot_settings(settings: Settings, double: DiscordDouble, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "discord_token": SecretStr(TOKEN),
        "discord_api_base": double.api_base,
        "discord_gateway_url": double.ws_url,
        "coach_guild_id": GUILD,
        "coach_role_id": COACH_ROLE,
        "coach_channel_id": COACH_CHANNEL,
        "alert_channel_id": ALERT_CHANNEL,
        "honors_channel_id": HONORS_CHANNEL,
        **overrides,
    }
    return settings.model_copy(update=values)


@contextlib.asynccontextmanager
async def running_bot(
    double: DiscordDouble,
    pool: asyncpg.Pool,
    clock: Clock,
    settings: Settings,
    mode: BotMode = BotMode.gateway,
) -> AsyncIterator[Regiment]:
    """A started bot; closed (as on SIGTERM) when the block ends.

    With a VirtualClock, the double's calendar clock (``now_fn``: snowflake ids, message timestamps,
    the nonce window) is the test's clock while the block runs, as Discord's calendar is the bot's."""
    calendar = double.now_fn
    if isinstance(clock, VirtualClock):
        double.now_fn = lambda: clock.now().timestamp()
    try:
        bot = build_bot(bot_settings(settings, double), pool, clock, mode, guild_ready_timeout=0.05)
        gateway: asyncio.Task[None] | None = None
        await bot.login(TOKEN)
        try:
            if mode == BotMode.gateway:
                gateway = asyncio.create_task(bot.connect())
                await asyncio.wait_for(bot.wait_until_ready(), timeout=15)
            yield bot
        finally:
            await bot.close()
            if gateway is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(gateway, timeout=10)
    finally:
        if double.now_fn is not calendar:
            double.now_fn = calendar


async def add_client(
    pool: asyncpg.Pool,
    double: DiscordDouble,
    user_id: int,
    zone: str,
    start: dt.date,
    now: dt.datetime,
    **extra: object,
) -> ClientProfile:
    """A client as onboarding leaves them: with their DM channel already open. No training days
    unless `schedule_days` is given, so tests of other engines see only their own DMs."""
    double.user(user_id)  # make sure the double knows the user
    extra.setdefault("schedule_days", [])
    extra.setdefault("dm_channel_id", double.dm_channel_id(user_id))
    profile = ClientProfile(
        user_id=user_id,
        display_name=f"client{user_id}",
        timezone=zone,
        start_date=start,
        **extra,  # type: ignore[arg-type]
    )
    async with pool.acquire() as conn:
        await clients.upsert(conn, profile, now)
    return profile


async def wait_for(predicate, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Poll (in real time) until predicate() is true."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    while not predicate():
        if loop.time() > give_up:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
