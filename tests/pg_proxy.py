"""A loopback TCP proxy in front of the test PostgreSQL that a test can cut: the database "goes
away" for whoever connects through the proxy (the bot), while the test keeps its own direct
connections.

- `cut()`: the proxy stops listening (a new connection is refused at once) and resets every
  connection it carries, on both sides: the client's pooled connections break, the server's
  backends see their client gone and exit. What a database restart or failover looks like.
- `blackhole()`: connections are accepted but nothing comes back, and what the open connections
  send is dropped: a network partition, where every connect and every query just hangs.
- `restore()`: serve again on the same port (the DSN does not change). Connections cut or held
  in the blackhole stay dead; clients reconnect.

In-process and asyncio (the bench's latency proxy, bench/_common.py, runs in its own process and
cannot be cut). Loopback only; no TLS (the DSN says sslmode=disable)."""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import Any


def upstream_of(dsn: str) -> tuple[str, Any]:
    """Where a DSN's server listens: ("unix", socket path) or ("tcp", (host, port))."""
    parsed = urllib.parse.urlsplit(dsn)
    query = urllib.parse.parse_qs(parsed.query)
    host = query.get("host", [parsed.hostname or "localhost"])[0]
    port = int(query.get("port", [parsed.port or 5432])[0])
    if host.startswith("/"):
        return "unix", f"{host}/.s.PGSQL.{port}"
    return "tcp", (host, port)


class _Link:
    """One proxied connection: the client's side (accepted) and the server's (dialled)."""

    def __init__(self, proxy: CuttableProxy) -> None:
        self.proxy = proxy
        self.client: asyncio.Transport | None = None
        self.server: asyncio.Transport | None = None
        self.held = False  # accepted during a blackhole: never connected upstream

    def abort(self) -> None:
        for side in (self.client, self.server):
            if side is not None:
                side.abort()
        self.proxy._links.discard(self)


class _ServerSide(asyncio.Protocol):
    def __init__(self, link: _Link) -> None:
        self.link = link

    def data_received(self, data: bytes) -> None:
        if not self.link.proxy.holding and self.link.client is not None:
            self.link.client.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.link.client is not None:
            self.link.client.close()
        self.link.proxy._links.discard(self.link)


class _ClientSide(asyncio.Protocol):
    def __init__(self, proxy: CuttableProxy) -> None:
        self.proxy = proxy
        self.link = _Link(proxy)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.link.client = transport
        self.proxy._links.add(self.link)
        self.proxy.accepted += 1
        if self.proxy.holding:
            self.link.held = True  # the startup packet goes nowhere: the client waits
            return
        transport.pause_reading()
        asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        kind, where = self.proxy.upstream
        try:
            if kind == "unix":
                server, _ = await loop.create_unix_connection(lambda: _ServerSide(self.link), where)
            else:
                server, _ = await loop.create_connection(lambda: _ServerSide(self.link), *where)
        except OSError:
            self.link.abort()
            return
        assert isinstance(server, asyncio.Transport)
        if self.link not in self.proxy._links:  # cut while we dialled
            server.abort()
            return
        self.link.server = server
        assert self.link.client is not None
        self.link.client.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.proxy.holding or self.link.held or self.link.server is None:
            return  # dropped, as a partitioned network drops it
        self.link.server.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.link.server is not None:
            self.link.server.close()
        self.proxy._links.discard(self.link)


class CuttableProxy:
    """`proxy = await CuttableProxy(server_dsn).start()`; `proxy.dsn(database_dsn)` routes a
    DSN of that server through it."""

    def __init__(self, server_dsn: str) -> None:
        self.upstream = upstream_of(server_dsn)
        self.port = 0
        self.accepted = 0  # connections accepted, ever
        self.holding = False
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> CuttableProxy:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ClientSide(self), "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def open_links(self) -> int:
        return len(self._links)

    def dsn(self, database_dsn: str, **server_settings: str) -> str:
        """`database_dsn`'s user and database, through the proxy. Extra keywords become server
        settings in the query string (asyncpg passes unknown parameters on), e.g.
        application_name, so the test can tell the proxied backends from its own."""
        parsed = urllib.parse.urlsplit(database_dsn)
        user = urllib.parse.quote(parsed.username or "postgres")
        password = f":{urllib.parse.quote(parsed.password)}" if parsed.password else ""
        database = parsed.path.lstrip("/") or "postgres"
        query = urllib.parse.urlencode({"sslmode": "disable", **server_settings})
        return f"postgresql://{user}{password}@127.0.0.1:{self.port}/{database}?{query}"

    def cut(self) -> int:
        """Stop listening and reset every open connection; returns how many were reset.
        Synchronous, so a test can cut from inside any callback."""
        if self._server is not None:
            self._server.close()  # the listening socket is closed now: connects are refused
            self._server = None
        links = list(self._links)
        for link in links:
            link.abort()
        return len(links)

    def blackhole(self) -> None:
        """Keep accepting, answer nothing, drop whatever the open connections send."""
        self.holding = True

    async def restore(self) -> None:
        """Serve again on the same port; connections from before (cut or held) stay dead."""
        if self.holding:
            self.holding = False
            for link in list(self._links):
                link.abort()
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        self.cut()

    async def __aenter__(self) -> CuttableProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
