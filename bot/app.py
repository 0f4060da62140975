"""Process entrypoints: resources are built here, injected, and closed in reverse order.

`run_bot` is `python -m bot` / `python -m bot run [--dispatch-only]`; SIGTERM and SIGINT stop
planning, let in-flight jobs finish or hand them back within SHUTDOWN_GRACE_SECONDS, close the
gateway, the HTTP session and the pool, in that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
from loguru import logger

from bot.config import Settings
from bot.core.clock import Clock, WallClock
from bot.core.health import Health
from bot.db.lifecycle import open_database
from bot.discord_adapter.client import BotMode, Regiment, build_bot
from bot.domain.blocks import parse_block
from bot.domain.errors import InputError
from bot.domain.plans import parse_plan
from bot.usecases import blocks as blocks_uc
from bot.usecases import plans as plans_uc
from bot.usecases.files import InvalidFile, LocalFile, read_and_parse

T = TypeVar("T")


async def migrate_only(settings: Settings) -> None:
    async with open_database(settings):
        pass


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)


async def run_bot(
    settings: Settings,
    *,
    dispatch_only: bool = False,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    token = settings.token()  # refuse early, before starting a database, without a token
    clock = clock or WallClock()
    stop = stop or asyncio.Event()
    _install_signal_handlers(stop)
    mode = BotMode.dispatch_only if dispatch_only else BotMode.gateway
    async with open_database(settings) as pool:
        bot = build_bot(settings, pool, clock, mode)
        health = _health(settings, pool, clock, bot, mode)
        try:
            if health is not None:
                port = await health.start(settings.health_port or 0)
                logger.info("health endpoint on port {}", port)
            await bot.login(token)  # runs setup_hook: extensions load, the scheduler starts
            gateway = None if mode == BotMode.dispatch_only else asyncio.create_task(bot.connect())
            waiter = asyncio.create_task(stop.wait())
            watched = {waiter} if gateway is None else {waiter, gateway}
            done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
            if gateway is not None and gateway in done and gateway.exception() is not None:
                raise gateway.exception()  # type: ignore[misc]
            logger.info("shutting down")
        finally:
            await bot.close()  # stops the runtime first (grace period), then the gateway and HTTP
            if health is not None:
                await health.stop()
            logger.info("stopped")


def _health(settings: Settings, pool: object, clock: Clock, bot: Regiment, mode: BotMode) -> Health | None:
    if settings.health_port is None:
        return None

    def connected() -> bool | None:
        if mode == BotMode.dispatch_only:
            return None
        return bot.is_ready() and not bot.is_closed() and bot.ws is not None and bot.ws.open

    stale = dt.timedelta(seconds=max(120.0, 3 * settings.dispatcher_max_sleep_seconds))
    return Health(pool, clock, lambda: bot.runtime, connected, stale_after=stale)  # type: ignore[arg-type]


async def sync_commands(settings: Settings) -> None:
    """Log in, push the command tree, log out. No database, no gateway."""
    bot = build_bot(settings, None, WallClock(), BotMode.sync)
    try:
        await bot.login(settings.token())
        await bot.sync_commands()
    finally:
        await bot.close()


def _problems(path: Path, exc: Exception) -> None:
    if isinstance(exc, OSError):
        print(f"{path}: cannot read it ({exc})", file=sys.stderr)
    elif isinstance(exc, InvalidFile):
        print(f"{path}: {len(exc.problems)} problem(s), nothing imported:\n{exc}", file=sys.stderr)
    else:
        print(f"{path}: {exc}", file=sys.stderr)


def _checked(path: Path, what: str, parse: Callable[[str, str], object]) -> LocalFile | None:
    """The file, once it reads and validates by the import's own rules, before any database is
    opened (so a coach can check a file offline); None, with every problem printed, if not."""
    try:
        file = LocalFile(path)
        asyncio.run(read_and_parse(file, what, parse))
    except (OSError, InvalidFile) as exc:
        _problems(path, exc)
        return None
    return file


def _run_import(settings: Settings, path: Path, use_case: Callable[[asyncpg.Pool], Awaitable[T]]) -> T | None:
    """Run an import use case against the database; print every problem and return None on error."""

    async def run() -> T:
        async with open_database(settings) as pool:
            return await use_case(pool)

    try:
        return asyncio.run(run())
    except (OSError, InputError) as exc:
        _problems(path, exc)
        return None


def import_block_file(settings: Settings, path: Path) -> int:
    """`python -m bot blocks import FILE`: every problem is printed and nothing is written."""
    file = _checked(path, "block", parse_block)
    if file is None:
        return 2
    imported = _run_import(settings, path, lambda pool: blocks_uc.import_block(pool, WallClock(), file))
    if imported is None:
        return 2
    block = imported.block
    print(f"imported {block.id} ({block.name}) as version {imported.version}: {len(block.days)} day(s)")
    return 0


def import_plan_file(settings: Settings, path: Path, assign: list[int]) -> int:
    """`python -m bot plans import FILE [--assign USER_ID …]`: all or nothing."""
    file = _checked(path, "plan", parse_plan)
    if file is None:
        return 2
    imported = _run_import(
        settings, path, lambda pool: plans_uc.import_plan(pool, WallClock(), file, assign_to=assign)
    )
    if imported is None:
        return 2
    plan = imported.plan
    print(f"imported {plan.kind} plan {plan.id} ({plan.name}) as version {imported.version}")
    return 0
