"""The database goes away and comes back: mid-run, a 60-second outage loses nothing, doubles
nothing, /healthz answers unhealthy meanwhile and healthy after, and the bot needs no restart.

The real bot (built as `python -m bot` builds it) runs against the loopback Discord double on the
virtual clock. Its pool reaches PostgreSQL through a proxy the test cuts (tests/pg_proxy.py): the
listening socket closes, so every connect is refused, and every connection the proxy carries is
reset on both sides, so the pool's connections break and their backends exit. The test keeps its
own direct pool (the `pool` fixture) to watch the jobs table meanwhile. /healthz and /metrics are
the production endpoint, wired as bot.app wires it, over real HTTP.

Timeline (virtual, UTC): the bot starts at 05:50 and plans; at 05:59:00 the check-ins of the
"sending" clients go out and the database is cut while the third DM is being created; it stays
away until 06:00:00, through the "during" clients' check-ins, the 06:00 planning tick and the
alert loop, then comes back; the "after" clients' check-ins fall due at 06:01."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import asyncpg
from bot_harness import ALERT_CHANNEL, add_client, running_bot
from doubles.discord import DiscordDouble, Fault
from helpers import all_jobs
from loguru import logger
from pg_proxy import CuttableProxy

from bot.app import _health
from bot.config import Settings
from bot.core.clock import VirtualClock
from bot.core.runtime import Runtime
from bot.db.pool import create_pool
from bot.discord_adapter.client import BotMode, Regiment
from bot.domain.models import Job, JobStatus

DAY = dt.date(2026, 5, 4)  # a Monday
BOT_APP = "regiment-under-test"  # the bot's backends, as pg_stat_activity names them
LOST_DB = "dispatcher lost the database"  # the dispatcher's warning for a failed cycle

# Clients by when their check-in (05:30 local) falls due: 05:59 UTC, being sent when the database
# goes; 06:00, during the outage; 06:01, after it. Group -> (zone, users).
GROUPS = {
    "sending": ("-00:29", list(range(15_000, 15_006))),
    "during": ("-00:30", list(range(15_100, 15_106))),
    "after": ("-00:31", list(range(15_200, 15_203))),
}
USERS = {name: users for name, (_, users) in GROUPS.items()}
EVERYONE = [user for users in USERS.values() for user in users]


def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, 4, hour, minute, second, tzinfo=dt.UTC)


# --- the set-up --------------------------------------------------------------------------------


@dataclass
class Rig:
    double: DiscordDouble
    pool: asyncpg.Pool  # the test's own pool, straight to PostgreSQL
    proxy: CuttableProxy
    clock: VirtualClock
    bot: Regiment
    runtime: Runtime
    port: int  # /healthz and /metrics
    warnings: list[str]  # the bot's log lines at WARNING and above

    async def get(self, path: str) -> tuple[int, str]:
        timeout = aiohttp.ClientTimeout(total=10)  # far above /healthz's own 2 s bound
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"http://127.0.0.1:{self.port}{path}") as resp,
        ):
            return resp.status, await resp.text()

    async def healthy(self) -> bool:
        return await self.get("/healthz") == (200, "ok\n")

    def count(self, text: str) -> int:
        return sum(text in line for line in self.warnings)

    async def bot_backends(self) -> int:
        async with self.pool.acquire() as conn:
            return await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = $1",
                BOT_APP,
            )

    async def drops(self) -> list[Job]:
        jobs = await all_jobs(self.pool)
        return [j for j in jobs if j.engine == "checkin" and j.action == "drop"]


@contextlib.asynccontextmanager
async def bot_behind_a_proxy(
    double: DiscordDouble, pool: asyncpg.Pool, database_dsn: str, settings: Settings, clock: VirtualClock
) -> AsyncIterator[Rig]:
    warnings: list[str] = []
    sink = logger.add(lambda m: warnings.append(m.record["message"]), level="WARNING")
    try:
        async with CuttableProxy(database_dsn) as proxy:
            bot_pool = await create_pool(
                proxy.dsn(database_dsn, application_name=BOT_APP), min_size=1, max_size=8, command_timeout=10
            )
            try:
                async with running_bot(double, bot_pool, clock, settings) as bot:
                    # Exactly as `python -m bot` builds it when HEALTH_PORT is set.
                    with_port = settings.model_copy(update={"health_port": 8080})
                    health = _health(with_port, bot_pool, clock, bot, BotMode.gateway)
                    assert health is not None and bot.runtime is not None
                    port = await health.start(0, host="127.0.0.1")
                    try:
                        yield Rig(double, pool, proxy, clock, bot, bot.runtime, port, warnings)
                    finally:
                        await proxy.restore()  # whatever happened, so the bot can close cleanly
                        await health.stop()
            finally:
                await bot_pool.close()
    finally:
        logger.remove(sink)


async def eventually(predicate, within: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Poll (real time) until `await predicate()` holds; fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    while not await predicate():
        if loop.time() > give_up:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.02)


def channel_of(path: str) -> int | None:
    target = re.fullmatch(r"/channels/(\d+)/messages", path)
    return int(target[1]) if target else None


def cut_while_creating_dm(rig: Rig, users: list[int], nth: int) -> list[tuple[int, int]]:
    """Cut the database at the worst moment: while the `nth` DM to `users` is being created.
    Discord creates it and answers 200: the bot has sent it and cannot record that. Returns the
    list the cut is noted in: (DM channel, connections reset)."""
    channels = {rig.double.dm_channel_id(u) for u in users}
    original = rig.double._take_fault
    sends = iter(range(1, 1_000_000))
    cuts: list[tuple[int, int]] = []

    def take(method: str, path: str) -> Fault | None:
        fault = original(method, path)
        channel = channel_of(path)
        if method == "POST" and channel in channels and next(sends) == nth:
            cuts.append((channel, rig.proxy.cut()))
        return fault

    rig.double._take_fault = take  # type: ignore[method-assign]
    return cuts


# --- the test ----------------------------------------------------------------------------------


async def test_a_60_second_database_outage_loses_nothing_doubles_nothing_and_needs_no_restart(
    discord_double, pool, database_dsn, settings
) -> None:
    begin = at(5, 50)
    clock = VirtualClock(begin)
    for zone, users in GROUPS.values():
        for user in users:
            await add_client(pool, discord_double, user, zone, DAY, begin)

    async with bot_behind_a_proxy(discord_double, pool, database_dsn, settings, clock) as rig:
        await clock.run_until(at(5, 58))
        assert await rig.healthy()
        loop = asyncio.get_running_loop()

        # 05:59:00: the database goes away in the middle of the 05:59 check-ins.
        cuts = cut_while_creating_dm(rig, USERS["sending"], nth=3)
        await clock.run_until(at(5, 59))
        assert len(cuts) == 1 and cuts[0][1] >= 1, cuts  # cut once, under live connections
        down_at = loop.time()
        # Belt and braces: no backend of the bot survives (the proxy's resets already end them).
        async with pool.acquire() as conn:
            await conn.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = $1",
                BOT_APP,
            )
        await eventually(lambda: no_bot_backends(rig))

        # Through the outage, 5 s at a time: /healthz is 503 and names the database at every step,
        # and the dispatcher fails a cycle every 5 s and carries on.
        failed_before = rig.count(LOST_DB)
        step = at(5, 59)
        while step < at(6, 0):
            step += dt.timedelta(seconds=5)
            await clock.run_until(step)
            status, text = await rig.get("/healthz")
            assert status == 503 and "database unreachable" in text, (step, status, text)
        assert rig.count(LOST_DB) - failed_before >= 12
        status, metrics = await rig.get("/metrics")  # still answers, without the database's gauges
        assert status == 200 and "regiment_database_up 0" in metrics
        assert await rig.bot_backends() == 0 and rig.proxy.open_links == 0
        # The 06:00 check-ins fell due while the database was away: due, and still waiting.
        waiting = [j for j in await rig.drops() if j.user_id in USERS["during"]]
        assert len(waiting) == len(USERS["during"])
        assert all(j.status == JobStatus.pending and j.due_at <= clock.now() for j in waiting)
        # A second of real time down at least: the outage is not merely quicker than a retry.
        await asyncio.sleep(max(0.0, 1.0 - (loop.time() - down_at)))

        # 06:00:00, 60 s later: the database is back. Nothing is restarted.
        assert clock.now() == at(6, 0)
        await rig.proxy.restore()
        await eventually(rig.healthy)
        await clock.run_until(at(6, 5))
        assert await rig.healthy()
        status, metrics = await rig.get("/metrics")
        assert status == 200 and "regiment_database_up 1" in metrics
        assert f'regiment_jobs{{status="sent"}} {len(EVERYONE)}' in metrics

        jobs = await rig.drops()
        assert_each_delivered_once(rig.double, jobs)
        by_user = {j.user_id: j for j in jobs}
        # Those due during the outage went out as soon as it ended (the dispatcher retries every
        # 5 s); those due after it, on time.
        for user in USERS["during"]:
            started = by_user[user].started_at
            assert started is not None and at(6, 0) <= started <= at(6, 0, 5), by_user[user]
        for user in USERS["after"]:
            assert (by_user[user].attempts, by_user[user].started_at) == (1, at(6, 1)), by_user[user]
        # The DM being created when the database went: Discord has it, the bot could not record
        # it. Its lease ran out at 06:01, and the retry took it as sent instead of sending another.
        [(cut_channel, _)] = cuts
        [cut_user] = [u for u in USERS["sending"] if rig.double.dm_channel_id(u) == cut_channel]
        assert by_user[cut_user].attempts == 2, by_user[cut_user]

        # The same runtime and loops carry on: none was restarted; the planner, whose 06:00 tick
        # failed, plans at 07:00; a client can use the DM that was due during the outage.
        assert rig.bot.runtime is rig.runtime
        supervisor = rig.runtime._dispatch_supervisor
        assert supervisor.task is not None and not supervisor.task.done() and supervisor.restarts == 0
        [plan] = rig.runtime.plan_loops
        assert plan.failures >= 1 and plan.restarts == 0
        await clock.run_until(at(7, 0, 30))
        assert plan.last_success == at(7, 0)
        first = USERS["during"][0]
        [dm] = rig.double.dms_to(first)
        clicked = await rig.double.click(first, dm, dm.custom_ids()[0])
        assert clicked.response_type == 9 and clicked.modal is not None
        assert rig.bot.is_ready() and await rig.healthy()
        assert rig.count("ended unexpectedly") == 0  # no supervised loop died on the way

    # Nothing else was sent: no alert (no job died), one DM per client.
    assert not discord_double.channel_messages(ALERT_CHANNEL)
    assert Counter(m.user_id for m in discord_double.messages if m.user_id) == dict.fromkeys(EVERYONE, 1)


async def no_bot_backends(rig: Rig) -> bool:
    return await rig.bot_backends() == 0


def assert_each_delivered_once(double: DiscordDouble, jobs: list[Job]) -> None:
    """One check-in job per client, `sent`, and exactly one DM, carrying that job's nonce."""
    assert sorted(j.user_id for j in jobs) == sorted(EVERYONE)
    for job in jobs:
        assert job.status == JobStatus.sent, (job.key, job.status, job.last_error)
        assert job.user_id is not None
        nonces = [dm.nonce for dm in double.dms_to(job.user_id)]
        assert nonces == [job.nonce()], (job.key, nonces)
