"""The bot as a real process (`python -m bot …`) against the loopback Discord double and a real
PostgreSQL: command sync from the command line, and SIGTERM in the middle of a dispatch."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from pathlib import Path

from bot_harness import GUILD, TOKEN, add_client
from helpers import all_jobs

from bot.core.clock import WallClock

ROOT = Path(__file__).resolve().parents[2]


def bot_env(double, database_dsn: str, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(
        DISCORD_TOKEN=TOKEN,
        DISCORD_API_BASE=double.api_base,
        DISCORD_GATEWAY_URL=double.ws_url,
        DATABASE_URL=database_dsn,
        COACH_GUILD_ID=str(GUILD),
        COACH_ROLE_ID="2000",
        LOG_LEVEL="INFO",
        **extra,
    )
    return env


async def start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def until(predicate, within: float) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    while not await predicate():
        if loop.time() > give_up:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_sync_from_the_command_line(discord_double, database_dsn) -> None:
    proc = await start(bot_env(discord_double, database_dsn), "sync")
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, out.decode()
    assert {c["name"] for c in discord_double.commands(GUILD)} >= {"client", "pause", "resume", "reassign"}
    assert {c["name"] for c in discord_double.commands(None)} >= {"today", "timezone", "units", "stats"}
    assert discord_double.identify_count == 0  # syncing never opens a gateway connection
    assert TOKEN not in out.decode()


async def test_sigterm_mid_dispatch_loses_nothing_and_doubles_nothing(
    discord_double, pool, database_dsn
) -> None:
    now = WallClock().now()
    today = now.date()
    users = list(range(8000, 8030))
    for user in users:
        await add_client(pool, discord_double, user, "UTC", today - dt.timedelta(days=1), now)
    async with pool.acquire() as conn:
        # Thirty prompts due a moment ago, as a planner would have left them.
        await conn.executemany(
            """INSERT INTO jobs (engine, action, user_id, local_date, due_at, deadline, next_attempt_at,
                                 created_at, updated_at)
               VALUES ('checkin', 'drop', $1, $2, $3, $4, $3, $3, $3)""",
            [(u, today, now - dt.timedelta(seconds=5), now + dt.timedelta(hours=1)) for u in users],
        )
    # Slow sends (4/s) and a one-second grace: SIGTERM catches most of them in flight.
    env = bot_env(discord_double, database_dsn, SEND_RATE_PER_SECOND="4", SHUTDOWN_GRACE_SECONDS="1")

    async def delivered() -> int:
        return sum(len(discord_double.dms_to(u)) for u in users)

    first = await start(env, "run")
    try:
        await until(lambda: _at_least(delivered, 6), within=60)
    except AssertionError:
        first.kill()
        out, _ = await first.communicate()
        raise AssertionError("the bot never delivered:\n" + out.decode()[-3000:]) from None
    first.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(first.communicate(), timeout=30)
    log = out.decode()
    assert first.returncode == 0, log
    assert "released" in log and "stopped" in log

    jobs = [j for j in await all_jobs(pool) if j.engine == "checkin" and j.action == "drop"]
    statuses = {str(j.status) for j in jobs}
    assert statuses <= {"sent", "pending"}, statuses  # nothing left claimed by a dead process
    assert 6 <= sum(j.status == "sent" for j in jobs) < len(users)

    second = await start(env, "run")

    async def all_sent() -> bool:
        return all(
            j.status == "sent" for j in await all_jobs(pool) if j.engine == "checkin" and j.action == "drop"
        )

    await until(all_sent, within=60)
    second.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(second.communicate(), timeout=30)
    assert second.returncode == 0, out.decode()
    for user in users:
        assert len(discord_double.dms_to(user)) == 1, (
            f"user {user} got {len(discord_double.dms_to(user))} DMs"
        )


async def _at_least(count, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await count() >= n


async def test_an_unreachable_database_at_start_up_is_one_line_naming_it(discord_double) -> None:
    """It used to be "fatal error" and a 49-line traceback."""
    closed_port = "postgresql://coach:hunter2@127.0.0.1:1/regiment"
    for command in ("run", "migrate"):
        proc = await start(bot_env(discord_double, closed_port), command)
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
        lines = output.decode().strip().splitlines()
        assert proc.returncode == 3, lines
        assert len(lines) == 1, lines
        assert "cannot reach the database at 127.0.0.1:1/regiment" in lines[0]
        assert "hunter2" not in lines[0] and "coach" not in lines[0] and "Traceback" not in lines[0]
