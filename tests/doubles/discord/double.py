"""The :class:`DiscordDouble` itself: the state, REST server, gateway and simulated users put
together, with its lifecycle (serve on 127.0.0.1, stop) and the hook that points discord.py at it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web

from .errors import DoubleUsageError
from .rest import RestServer
from .specs import default_guild_spec, default_users
from .user_actions import UserActions


class DiscordDouble(UserActions, RestServer):
    """Loopback Discord (REST + gateway) for the real discord.py client. See the package docstring.

    Construct, ``await start()`` (or ``async with``), point discord.py at it with
    :meth:`patch_discord`, start the bot, then drive users with :meth:`slash`, :meth:`click`,
    :meth:`submit_modal` and :meth:`autocomplete`, and inspect :attr:`messages`, :attr:`requests`,
    :attr:`violations`.
    """

    @classmethod
    def with_defaults(cls, **kwargs: Any) -> DiscordDouble:
        """A double configured like the :func:`discord_double` fixture."""
        return cls(guilds=[default_guild_spec()], users=default_users(), **kwargs)

    async def start(self) -> DiscordDouble:
        """Bind to 127.0.0.1 on a free port and serve."""
        self._ready_event = asyncio.Event()
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/", self._ws_handler)
        app.router.add_route("GET", "/resume", self._ws_handler)
        app.router.add_route("*", "/api/v{version:[0-9]+}/{tail:.*}", self._rest_handler)
        app.router.add_route("GET", "/attachments/{tail:.*}", self._attachment_handler)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Close every gateway connection and the server."""
        for conn in list(self._conns):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordDouble:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway at the double; restore on exit."""
        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.ws_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    @contextlib.asynccontextmanager
    async def running(
        self, client: discord.Client, token: str = "fake-token", ready_timeout: float = 10.0
    ) -> AsyncIterator[discord.Client]:
        """Run ``client.start(token)`` in the background until it is ready; close it on exit.

        Tip: build the client with ``guild_ready_timeout=0.05`` — discord.py otherwise waits 2 s
        after the last GUILD_CREATE before it fires on_ready.
        """
        task = asyncio.create_task(client.start(token), name="discord-double-client")
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {task, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                task.result()  # re-raise the login/connect error
                raise DoubleUsageError("client.start() returned before the client became ready")
            if ready not in done:
                raise TimeoutError(f"client not ready within {ready_timeout}s")
            yield client
        finally:
            ready.cancel()
            await client.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=5)
