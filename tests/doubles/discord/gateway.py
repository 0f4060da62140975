"""The gateway: the websocket discord.py connects to, and the sessions behind it.

HELLO, then IDENTIFY (READY and one GUILD_CREATE per guild) or RESUME (replay of what the client
missed, then RESUMED); heartbeats are ACKed, presence updates recorded, member requests answered
with one chunk. :meth:`GatewayServer._dispatch` sends events in sequence; tests cut the connection
with :meth:`GatewayServer.drop_gateway` and send unmodelled events with
:meth:`GatewayServer.send_event`. Transport compression: zlib-stream or zstd-stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .errors import DoubleUsageError
from .state import DoubleState

_OP_DISPATCH, _OP_HEARTBEAT, _OP_IDENTIFY, _OP_PRESENCE = 0, 1, 2, 3
_OP_RESUME, _OP_REQUEST_MEMBERS, _OP_INVALID_SESSION, _OP_HELLO, _OP_HEARTBEAT_ACK = 6, 8, 9, 10, 11


def _make_compressor(kind: str | None) -> Callable[[bytes], bytes] | None:
    """Per-connection transport compression, as asked for in the ``compress`` query parameter."""
    if kind is None:
        return None
    if kind == "zlib-stream":
        zobj = zlib.compressobj()
        return lambda data: zobj.compress(data) + zobj.flush(zlib.Z_SYNC_FLUSH)
    if kind == "zstd-stream":
        try:
            import zstandard  # type: ignore[import-not-found]
        except ImportError:
            from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+

            zc = zstd.ZstdCompressor()
            return lambda data: zc.compress(data, mode=zstd.ZstdCompressor.FLUSH_BLOCK)
        cobj = zstandard.ZstdCompressor().compressobj()
        return lambda data: cobj.compress(data) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    raise ValueError(f"unsupported gateway compression {kind!r}")


class _Connection:
    """One accepted gateway websocket."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, compress: str | None) -> None:
        self.ws = ws
        self.request = request
        self.compress = compress
        self.compressor = _make_compressor(compress)
        self.session: _Session | None = None
        self.lock = asyncio.Lock()
        self.path = request.path

    @property
    def open(self) -> bool:
        return not self.ws.closed

    async def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode()
        async with self.lock:
            if self.ws.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                if self.compressor is None:
                    await self.ws.send_str(data.decode())
                else:
                    await self.ws.send_bytes(self.compressor(data))


@dataclass
class _Session:
    session_id: str
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    conn: _Connection | None = None
    invalidated: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class GatewayServer(DoubleState):
    """The gateway half of the double: connections, sessions and event dispatch."""

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        try:
            conn = _Connection(ws, request, request.query.get("compress"))
        except ValueError as exc:
            self._violate(f"gateway: {exc}")
            await ws.close(code=4000)
            return ws
        self.connections += 1
        self._conns.append(conn)
        try:
            await conn.send(
                {
                    "op": _OP_HELLO,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._on_gateway_payload(conn, json.loads(msg.data))
                else:
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._conns.remove(conn)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if self._session is session and self._ready_event is not None:
                    self._ready_event.clear()
        return ws

    async def _on_gateway_payload(self, conn: _Connection, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == _OP_HEARTBEAT:
            await conn.send({"op": _OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == _OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == _OP_RESUME:
            await self._resume(conn, data or {})
        elif op == _OP_PRESENCE:
            self.presence_updates.append(data or {})
        elif op == _OP_REQUEST_MEMBERS:
            await self._request_members(conn, data or {})

    async def _identify(self, conn: _Connection, data: dict[str, Any]) -> None:
        if self.token is not None and data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identify_count += 1
        self.identify_payloads.append(data)
        session = _Session(session_id=secrets.token_hex(16))
        self._sessions[session.session_id] = session
        if self._session is not None and self._session.conn is not None and self._session.conn is not conn:
            with contextlib.suppress(Exception):
                await self._session.conn.ws.close(code=4000)
        self._session = session
        session.conn = conn
        conn.session = session
        ready: dict[str, Any] = {
            "v": 10,
            "user": self._user_json(self.bot_user) | {"verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self.guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["discord-double"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self._dispatch("READY", ready, session)
        for guild in self.guilds.values():
            await self._dispatch("GUILD_CREATE", self._guild_json(guild), session)
        assert self._ready_event is not None
        self._ready_event.set()
        await self._notify()

    async def _resume(self, conn: _Connection, data: dict[str, Any]) -> None:
        session = self._sessions.get(str(data.get("session_id")))
        if (
            session is None
            or session.invalidated
            or (self.token is not None and data.get("token") != self.token)
        ):
            await conn.send({"op": _OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        if session.conn is not None and session.conn is not conn:
            with contextlib.suppress(Exception):
                await session.conn.ws.close(code=4000)
        self.resume_count += 1
        conn.session = session
        self._session = session
        last_seen = int(data.get("seq") or 0)
        async with session.lock:  # replay what the client missed, then go live, with no event in between
            for event in session.events:
                if event["s"] > last_seen:
                    await conn.send(event)
            session.conn = conn
        await self._dispatch("RESUMED", {}, session)
        assert self._ready_event is not None
        self._ready_event.set()
        await self._notify()

    async def _request_members(self, conn: _Connection, data: dict[str, Any]) -> None:
        gids = data.get("guild_id")
        for gid in gids if isinstance(gids, list) else [gids]:
            guild = self.guilds.get(int(gid))
            if guild is None or conn.session is None:
                continue
            members = self._guild_json(guild)["members"]
            if data.get("user_ids"):
                wanted = {str(u) for u in data["user_ids"]}
                members = [m for m in members if m["user"]["id"] in wanted]
            chunk = {"guild_id": str(guild.id), "members": members, "chunk_index": 0, "chunk_count": 1}
            if data.get("nonce"):
                chunk["nonce"] = data["nonce"]
            await self._dispatch("GUILD_MEMBERS_CHUNK", chunk, conn.session)

    async def _dispatch(self, event: str, data: dict[str, Any], session: _Session | None = None) -> None:
        session = session or self._session
        if session is None:
            raise DoubleUsageError("no gateway session: start the bot (and await double.wait_ready()) first")
        async with session.lock:
            session.seq += 1
            payload = {"op": _OP_DISPATCH, "t": event, "s": session.seq, "d": data}
            session.events.append(payload)
            del session.events[:-2000]
            conn = session.conn
            if conn is not None and conn.open:
                await conn.send(payload)

    async def drop_gateway(self, *, code: int | None = None, invalidate: bool = False) -> None:
        """Cut the current gateway connection so the client has to reconnect.

        ``code=None`` aborts the TCP connection without a close frame (a network drop); a code sends
        a close frame with it. ``invalidate=True`` also forgets the session, so the client's RESUME
        gets INVALID_SESSION and it must IDENTIFY again.
        """
        session = self._session
        if session is None or session.conn is None:
            raise DoubleUsageError("no live gateway connection to drop")
        conn = session.conn
        session.conn = None
        if invalidate:
            session.invalidated = True
        if self._ready_event is not None:
            self._ready_event.clear()
        if code is None:
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        else:
            with contextlib.suppress(Exception):
                await conn.ws.close(code=code)

    async def send_event(self, event: str, data: dict[str, Any]) -> None:
        """Dispatch an arbitrary gateway event to the bot (escape hatch for events not modelled)."""
        await self._dispatch(event, data)
