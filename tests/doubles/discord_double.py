"""A loopback double of Discord's REST API and gateway, for driving the real discord.py client.

Why this exists: discord.py is the part of the bot we cannot unit-test by mocking our own code —
retries, rate limits, interaction acknowledgement, modal layouts and payload limits are all decided
by the library and by Discord. This module runs a small aiohttp server on 127.0.0.1 that speaks
enough of Discord's v10 REST API and gateway (HELLO/IDENTIFY/READY/RESUME, zlib-stream or
zstd-stream compression) for the *unpatched* client to log in, sync commands, send and edit
messages, and answer interactions that the test injects as a user would.

The only seams on the client side are two class attributes, set by :meth:`DiscordDouble.patch_discord`
(and by the :func:`discord_double` fixture):

* ``discord.http.Route.BASE`` -> ``double.api_base`` (every REST call, webhooks and interaction
  callbacks included, is built from it);
* ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` -> ``double.ws_url``. A non-sharded
  ``discord.Client`` never calls ``GET /gateway`` in discord.py 2.7: it connects straight to this
  hard-coded URL, so the REST seam alone is not enough. (``AutoShardedClient`` does call
  ``GET /gateway/bot``, which the double answers with its own URL.)

Everything the bot sends is checked against Discord's documented limits (see
shared/PLATFORM_FACTS.md §2-§4); a breach is answered like Discord answers it (400, code 50035) *and*
recorded in :attr:`DiscordDouble.violations`, which the fixture turns into a test failure.

Typical use (``discord_double`` fixture; build the bot with ``guild_ready_timeout=0.05``)::

    async with discord_double.running(bot):
        await bot.tree.sync(guild=discord.Object(1000))
        result = await discord_double.slash(3000, "client add", {"member": 3001}, guild_id=1000)
        assert result.ephemeral and "added" in result.content
        [dm] = discord_double.dms_to(3001)
        clicked = await discord_double.click(3001, dm, "v1:done:...")

Not modelled: MESSAGE_CREATE/UPDATE events for the bot's own messages, per-route rate-limit
buckets (only the global limit and injected 429s), voice, threads, reactions, role/channel edits,
per-guild command permission overrides, user installs. Unknown routes are answered 404 *and*
recorded as a violation, so a test notices when the bot needs something the double lacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import math
import re
import secrets
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import yarl
from aiohttp import WSMsgType, web

__all__ = [
    "ADMIN_ROLE_ID",
    "ADMIN_USER_ID",
    "ALERTS_CHANNEL_ID",
    "BOT_USER_ID",
    "CLIENT_USER_ID",
    "COACHES_CHANNEL_ID",
    "COACH_ROLE_ID",
    "COACH_USER_ID",
    "DEFAULT_GUILD_ID",
    "HONORS_CHANNEL_ID",
    "AttachmentRecord",
    "ChannelSpec",
    "CommandSync",
    "DiscordDouble",
    "DoubleUsageError",
    "EditRecord",
    "Fault",
    "GuildSpec",
    "InteractionResult",
    "MemberSpec",
    "MessageRecord",
    "ModalRecord",
    "RateLimitHit",
    "RequestRecord",
    "RoleSpec",
    "UserSpec",
    "default_guild_spec",
    "default_users",
    "discord_double",
    "discord_double_fixture",
]

# ----------------------------------------------------------------------------------------------
# Constants

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

INTERACTION_DEADLINE = 3.0  # seconds to the initial response
TOKEN_LIFETIME = 15 * 60.0  # seconds a token is valid for follow-ups and edits
NONCE_WINDOW = 5 * 60.0  # enforce_nonce window ("a few minutes" in the docs)
MAX_FILE_SIZE = 10 * 1024 * 1024  # default per-file upload limit (no boosts)
MAX_REQUEST_SIZE = 25 * 1024 * 1024  # whole request

# Defaults of the :func:`discord_double` fixture (the coaching server).
DEFAULT_GUILD_ID = 1000
COACH_ROLE_ID = 2000
ADMIN_ROLE_ID = 2001
COACH_USER_ID = 3000
CLIENT_USER_ID = 3001
ADMIN_USER_ID = 3002
COACHES_CHANNEL_ID = 4000
ALERTS_CHANNEL_ID = 4001
HONORS_CHANNEL_ID = 4002
BOT_USER_ID = 777_000
APPLICATION_ID = BOT_USER_ID  # modern apps: the bot user id is the application id

_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
_OP_DISPATCH, _OP_HEARTBEAT, _OP_IDENTIFY, _OP_PRESENCE = 0, 1, 2, 3
_OP_RESUME, _OP_REQUEST_MEMBERS, _OP_INVALID_SESSION, _OP_HELLO, _OP_HEARTBEAT_ACK = 6, 8, 9, 10, 11


class DoubleUsageError(AssertionError):
    """The *test* asked the double for something a real Discord user could not do.

    E.g. clicking a custom_id that is not on the message, invoking a command that was never synced,
    or submitting a modal value longer than its ``max_length``. It subclasses AssertionError so a
    test that does this fails loudly instead of exercising an impossible path.
    """


class _HTTPError(Exception):
    """Internal: abort a REST handler with a Discord-shaped error response."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors


# ----------------------------------------------------------------------------------------------
# Configuration


@dataclass
class UserSpec:
    """A Discord user the double knows about (interaction payloads need full user objects)."""

    id: int
    name: str
    global_name: str | None = None
    bot: bool = False


@dataclass
class RoleSpec:
    """A guild role; ``permissions`` is the raw permission integer."""

    id: int
    name: str
    permissions: int = 0
    position: int = 1


@dataclass
class MemberSpec:
    """Membership of a user in a guild.

    ``permissions`` overrides the value computed from @everyone + roles (use it for odd setups).
    ``name`` is used only when the user is not otherwise configured.
    """

    user_id: int
    name: str | None = None
    role_ids: Sequence[int] = ()
    permissions: int | None = None
    nick: str | None = None


@dataclass
class ChannelSpec:
    """A guild channel. Plain ints in :attr:`GuildSpec.channels` become text channels."""

    id: int
    name: str | None = None
    type: int = 0
    permission_overwrites: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class GuildSpec:
    """A guild the bot is in: it is announced with GUILD_CREATE after READY."""

    id: int
    name: str = "Test Guild"
    roles: list[RoleSpec] = field(default_factory=list)
    members: list[MemberSpec] = field(default_factory=list)
    channels: list[int | ChannelSpec] = field(default_factory=list)
    owner_id: int | None = None
    everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS
    bot_permissions: int = DEFAULT_BOT_PERMISSIONS


def default_users() -> list[UserSpec]:
    """Users of the default coaching server."""
    return [
        UserSpec(COACH_USER_ID, "coach"),
        UserSpec(CLIENT_USER_ID, "client"),
        UserSpec(ADMIN_USER_ID, "admin"),
    ]


def default_guild_spec() -> GuildSpec:
    """The coaching server used by the fixture: a coach, a plain member, an admin, three channels."""
    return GuildSpec(
        id=DEFAULT_GUILD_ID,
        name="The Regiment",
        owner_id=ADMIN_USER_ID,
        roles=[
            RoleSpec(COACH_ROLE_ID, "Coach", permissions=0, position=2),
            RoleSpec(ADMIN_ROLE_ID, "Admin", permissions=ADMINISTRATOR, position=3),
        ],
        members=[
            MemberSpec(COACH_USER_ID, "coach", role_ids=[COACH_ROLE_ID]),
            MemberSpec(CLIENT_USER_ID, "client"),
            MemberSpec(ADMIN_USER_ID, "admin", role_ids=[ADMIN_ROLE_ID]),
        ],
        channels=[
            ChannelSpec(COACHES_CHANNEL_ID, "coaches"),
            ChannelSpec(ALERTS_CHANNEL_ID, "alerts"),
            ChannelSpec(HONORS_CHANNEL_ID, "honors"),
        ],
    )


# ----------------------------------------------------------------------------------------------
# Records (what the tests look at)


@dataclass
class AttachmentRecord:
    """An uploaded file as the double received it."""

    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None


@dataclass
class EditRecord:
    """One edit applied to a message: the raw payload Discord received and who sent it."""

    time: float
    payload: dict[str, Any]
    via: str


@dataclass
class MessageRecord:
    """A message that exists on the double. Fields hold the *current* state (after edits).

    ``user_id`` is the DM recipient when the channel is a DM, else None. ``via`` is "rest" (channel
    message route), "interaction" (initial response, including a deferred "thinking" message) or
    "followup" (webhook follow-up). ``created`` is on the double's time function.
    """

    channel_id: int
    message_id: int
    user_id: int | None
    guild_id: int | None
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    attachments: list[AttachmentRecord]
    nonce: str | int | None
    created: float
    via: str
    flags: int = 0
    tts: bool = False
    interaction_id: int | None = None
    interaction_user_id: int | None = None
    edits: list[EditRecord] = field(default_factory=list)
    deleted: bool = False
    timestamp: str = ""
    edited_timestamp: str | None = None

    @property
    def ephemeral(self) -> bool:
        """Whether only the interaction user can see it (flag 64)."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether this is a deferred "thinking" message nobody has resolved yet."""
        return bool(self.flags & LOADING)

    def iter_components(self) -> Iterator[dict[str, Any]]:
        """Every component, depth first (rows, sections, containers and their children)."""
        yield from _walk_components(self.components)

    def custom_ids(self) -> list[str]:
        """All custom_ids on the message, in layout order."""
        return [c["custom_id"] for c in self.iter_components() if isinstance(c.get("custom_id"), str)]

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        """The component with this custom_id, or None."""
        return next((c for c in self.iter_components() if c.get("custom_id") == custom_id), None)

    def buttons(self) -> list[dict[str, Any]]:
        """All buttons (type 2) on the message."""
        return [c for c in self.iter_components() if c.get("type") == 2]


@dataclass
class ModalRecord:
    """A modal the bot opened (interaction callback type 9)."""

    custom_id: str
    title: str
    components: list[dict[str, Any]]
    interaction_id: int
    user_id: int
    channel_id: int
    guild_id: int | None
    source_message_id: int | None
    created: float

    def inputs(self) -> list[dict[str, Any]]:
        """The input components (text inputs, selects, ...) in layout order."""
        return [c for c in _walk_components(self.components) if "custom_id" in c]


@dataclass
class CommandSync:
    """One bulk overwrite of application commands (``tree.sync``)."""

    guild_id: int | None
    commands: list[dict[str, Any]]
    time: float


@dataclass
class RequestRecord:
    """One REST request as seen by the double (path is relative to ``/api/v10``)."""

    method: str
    path: str
    status: int
    time: float
    query: dict[str, str]
    payload: Any
    files: list[str]


@dataclass
class RateLimitHit:
    """A 429 the double answered because of :attr:`DiscordDouble.global_rate_limit`."""

    method: str
    path: str
    time: float
    retry_after: float
    global_: bool = True


@dataclass
class Fault:
    """An injected failure (see :meth:`DiscordDouble.fail_next`)."""

    method: str
    pattern: re.Pattern[str]
    status: int
    code: int
    message: str
    remaining: int
    retry_after: float | None
    global_: bool
    commit: bool
    hits: list[str] = field(default_factory=list)


@dataclass
class InteractionResult:
    """What happened to one interaction the test injected. It keeps updating after it is returned.

    ``response_type`` is the callback type (4 message, 5 deferred message, 6 deferred update,
    7 update, 8 autocomplete, 9 modal) or None if the bot never answered. ``message`` is the
    response message: the created one for 4/5, the clicked message for 6/7. ``response_time`` is
    seconds (on the double's clock) from dispatch to the first callback. ``errors`` lists callbacks
    the double rejected.
    """

    interaction_id: int
    token: str
    interaction_type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    sent_at: float
    payload: dict[str, Any]
    source_message_id: int | None = None
    response_type: int | None = None
    response_time: float | None = None
    message: MessageRecord | None = None
    modal: ModalRecord | None = None
    choices: list[dict[str, Any]] | None = None
    followups: list[MessageRecord] = field(default_factory=list)
    edits: list[EditRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _double: DiscordDouble | None = field(default=None, repr=False)

    @property
    def responded(self) -> bool:
        """Whether the interaction was acknowledged."""
        return self.response_type is not None

    @property
    def deferred(self) -> bool:
        """Whether the acknowledgement was a defer (5 or 6)."""
        return self.response_type in (5, 6)

    @property
    def content(self) -> str | None:
        """Current content of the response message, if any."""
        return self.message.content if self.message is not None else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Current embeds of the response message."""
        return self.message.embeds if self.message is not None else []

    @property
    def components(self) -> list[dict[str, Any]]:
        """Current components of the response message."""
        return self.message.components if self.message is not None else []

    @property
    def flags(self) -> int:
        """Current flags of the response message (0 without one)."""
        return self.message.flags if self.message is not None else 0

    @property
    def ephemeral(self) -> bool:
        """Whether the response message is ephemeral."""
        return self.message is not None and self.message.ephemeral

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[MessageRecord]:  # noqa: ASYNC109
        """Wait until the bot has sent ``count`` follow-ups; returns them all."""
        assert self._double is not None
        await self._double.wait_for(lambda: len(self.followups) >= count, timeout=timeout)
        return self.followups

    async def wait_edits(self, count: int = 1, timeout: float = 5.0) -> list[EditRecord]:  # noqa: ASYNC109
        """Wait until the original response has been edited ``count`` times."""
        assert self._double is not None
        await self._double.wait_for(lambda: len(self.edits) >= count, timeout=timeout)
        return self.edits


def _walk_components(components: Sequence[Any]) -> Iterator[dict[str, Any]]:
    for comp in components or []:
        if not isinstance(comp, dict):
            continue
        yield comp
        yield from _walk_components(comp.get("components") or [])
        for key in ("component", "accessory"):
            child = comp.get(key)
            if isinstance(child, dict):
                yield from _walk_components([child])


# ----------------------------------------------------------------------------------------------
# Gateway plumbing


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


# ----------------------------------------------------------------------------------------------
# Validation (Discord's documented limits, PLATFORM_FACTS §2-§3)

Problems = list[tuple[str, str]]


def _strlen(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def _check_len(problems: Problems, path: str, value: Any, maximum: int, minimum: int = 0) -> None:
    if value is None:
        if minimum > 0:
            problems.append((path, "This field is required"))
        return
    if not isinstance(value, str):
        problems.append((path, "Must be a string"))
        return
    if len(value) > maximum:
        problems.append((path, f"Must be {maximum} or fewer in length (got {len(value)})."))
    if len(value) < minimum:
        problems.append((path, f"Must be {minimum} or more in length (got {len(value)})."))


def _check_embeds(problems: Problems, embeds: Any, prefix: str) -> None:
    if not isinstance(embeds, list):
        problems.append((prefix, "Must be an array"))
        return
    if len(embeds) > 10:
        problems.append((prefix, f"Must be 10 or fewer in length (got {len(embeds)})."))
    total = 0
    for i, embed in enumerate(embeds):
        p = f"{prefix}.{i}"
        if not isinstance(embed, dict):
            problems.append((p, "Must be an object"))
            continue
        _check_len(problems, f"{p}.title", embed.get("title"), 256)
        _check_len(problems, f"{p}.description", embed.get("description"), 4096)
        total += _strlen(embed.get("title")) + _strlen(embed.get("description"))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append((f"{p}.fields", f"Must be 25 or fewer in length (got {len(fields)})."))
        for j, fld in enumerate(fields):
            _check_len(problems, f"{p}.fields.{j}.name", fld.get("name"), 256, 1)
            _check_len(problems, f"{p}.fields.{j}.value", fld.get("value"), 1024, 1)
            total += _strlen(fld.get("name")) + _strlen(fld.get("value"))
        footer = embed.get("footer") or {}
        _check_len(problems, f"{p}.footer.text", footer.get("text"), 2048)
        author = embed.get("author") or {}
        _check_len(problems, f"{p}.author.name", author.get("name"), 256)
        total += _strlen(footer.get("text")) + _strlen(author.get("name"))
    if total > 6000:
        problems.append((prefix, f"Embed size exceeds maximum size of 6000 (got {total})."))


def _check_custom_id(problems: Problems, path: str, custom_id: Any, seen: set[str]) -> None:
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
        got = len(custom_id) if isinstance(custom_id, str) else type(custom_id).__name__
        problems.append((f"{path}.custom_id", f"custom_id must be 1-100 characters (got {got})."))
        return
    if custom_id in seen:
        problems.append((f"{path}.custom_id", f"Component custom id cannot be duplicated ({custom_id!r})."))
    seen.add(custom_id)


def _check_select(
    problems: Problems, path: str, comp: dict[str, Any], seen: set[str], in_modal: bool
) -> None:
    _check_custom_id(problems, path, comp.get("custom_id"), seen)
    _check_len(problems, f"{path}.placeholder", comp.get("placeholder"), 150)
    if in_modal and comp.get("disabled"):
        problems.append((f"{path}.disabled", "disabled is not allowed for selects in modals."))
    min_v, max_v = comp.get("min_values", 1), comp.get("max_values", 1)
    if not 0 <= min_v <= 25 or not 1 <= max_v <= 25 or min_v > max_v:
        problems.append((path, f"min_values/max_values out of range ({min_v}, {max_v})."))
    if comp.get("type") == 3:
        options = comp.get("options") or []
        if not 1 <= len(options) <= 25:
            problems.append((f"{path}.options", f"Must be between 1 and 25 in length (got {len(options)})."))
        if options and max_v > len(options):
            problems.append((f"{path}.max_values", "max_values exceeds the number of options."))
        for k, opt in enumerate(options):
            _check_len(problems, f"{path}.options.{k}.label", opt.get("label"), 100, 1)
            _check_len(problems, f"{path}.options.{k}.value", opt.get("value"), 100, 1)
            _check_len(problems, f"{path}.options.{k}.description", opt.get("description"), 100)


def _check_message_component(
    problems: Problems, path: str, comp: Any, seen: set[str], v2: bool, top_level: bool
) -> None:
    if not isinstance(comp, dict):
        problems.append((path, "Must be an object"))
        return
    ctype = comp.get("type")
    if top_level and not v2 and ctype != 1:
        problems.append(
            (f"{path}.type", "Top-level components must be action rows (type 1) without IS_COMPONENTS_V2.")
        )
    if ctype == 1:
        children = comp.get("components") or []
        if not 1 <= len(children) <= 5:
            problems.append(
                (f"{path}.components", f"Must be between 1 and 5 in length (got {len(children)}).")
            )
        if (
            any(isinstance(c, dict) and c.get("type") in _SELECT_TYPES for c in children)
            and len(children) > 1
        ):
            problems.append(
                (f"{path}.components", "An action row with a select menu holds exactly one component.")
            )
        for k, child in enumerate(children):
            if isinstance(child, dict) and child.get("type") not in (2, *_SELECT_TYPES):
                problems.append(
                    (f"{path}.components.{k}.type", f"Component type {child.get('type')} is not valid here.")
                )
            _check_message_component(problems, f"{path}.components.{k}", child, seen, v2, False)
    elif ctype == 2:
        style = comp.get("style")
        _check_len(problems, f"{path}.label", comp.get("label"), 80)
        if style == 5:
            _check_len(problems, f"{path}.url", comp.get("url"), 512, 1)
            if "custom_id" in comp:
                problems.append((f"{path}.custom_id", "Link buttons cannot have a custom_id."))
        elif style == 6:
            if not comp.get("sku_id"):
                problems.append((f"{path}.sku_id", "Premium buttons need a sku_id."))
        elif style in (1, 2, 3, 4):
            _check_custom_id(problems, path, comp.get("custom_id"), seen)
            if not comp.get("label") and not comp.get("emoji"):
                problems.append((path, "A button needs a label or an emoji."))
        else:
            problems.append((f"{path}.style", f"Invalid button style {style!r}."))
    elif ctype in _SELECT_TYPES:
        _check_select(problems, path, comp, seen, in_modal=False)
    elif ctype == 9:  # section: 1-3 text displays + an accessory
        children = comp.get("components") or []
        if not 1 <= len(children) <= 3:
            problems.append((f"{path}.components", "A section holds 1-3 text displays."))
        for k, child in enumerate(children):
            _check_message_component(problems, f"{path}.components.{k}", child, seen, v2, False)
        if isinstance(comp.get("accessory"), dict):
            _check_message_component(problems, f"{path}.accessory", comp["accessory"], seen, v2, False)
    elif ctype == 10:
        _check_len(problems, f"{path}.content", comp.get("content"), 4000, 1)
    elif ctype == 17:
        for k, child in enumerate(comp.get("components") or []):
            _check_message_component(problems, f"{path}.components.{k}", child, seen, v2, False)
    elif ctype in (11, 12, 13, 14):
        pass
    else:
        problems.append((f"{path}.type", f"Component type {ctype!r} is not valid in a message."))


def _check_components(problems: Problems, components: Any, flags: int, prefix: str = "components") -> None:
    if not isinstance(components, list):
        problems.append((prefix, "Must be an array"))
        return
    v2 = bool(flags & IS_COMPONENTS_V2)
    if v2:
        total = sum(1 for _ in _walk_components(components))
        if total > 40:
            problems.append((prefix, f"Must be 40 or fewer components in total (got {total})."))
    elif len(components) > 5:
        problems.append((prefix, f"Must be 5 or fewer in length (got {len(components)})."))
    seen: set[str] = set()
    for i, comp in enumerate(components):
        _check_message_component(problems, f"{prefix}.{i}", comp, seen, v2, True)


def _check_message_payload(
    payload: Mapping[str, Any], n_files: int, *, creating: bool
) -> tuple[Problems, bool]:
    """Problems with a message body, and whether it is empty (Discord's 50006)."""
    problems: Problems = []
    flags = int(payload.get("flags") or 0)
    _check_len(problems, "content", payload.get("content"), 2000)
    if "embeds" in payload and payload["embeds"] is not None:
        _check_embeds(problems, payload["embeds"], "embeds")
    if "components" in payload and payload["components"] is not None:
        _check_components(problems, payload["components"], flags)
    attachments = payload.get("attachments") or []
    if max(len(attachments), n_files) > 10:
        problems.append(
            ("attachments", f"Must be 10 or fewer in length (got {max(len(attachments), n_files)}).")
        )
    nonce = payload.get("nonce")
    if isinstance(nonce, str) and len(nonce) > 25:
        problems.append(("nonce", f"Must be 25 or fewer in length (got {len(nonce)})."))
    if flags & IS_COMPONENTS_V2 and (payload.get("content") or payload.get("embeds")):
        problems.append(("content", "content and embeds cannot be used with IS_COMPONENTS_V2."))
    empty = creating and not (
        payload.get("content")
        or payload.get("embeds")
        or payload.get("components")
        or n_files
        or payload.get("sticker_ids")
        or payload.get("poll")
    )
    return problems, empty


def _check_modal_input(problems: Problems, path: str, comp: Any, seen: set[str], legacy: bool) -> None:
    if not isinstance(comp, dict):
        problems.append((path, "This field is required"))
        return
    ctype = comp.get("type")
    if ctype == 4:
        _check_custom_id(problems, path, comp.get("custom_id"), seen)
        if comp.get("style", 1) not in (1, 2):
            problems.append((f"{path}.style", "Text input style must be 1 or 2."))
        if legacy:
            _check_len(problems, f"{path}.label", comp.get("label"), 45, 1)
        _check_len(problems, f"{path}.placeholder", comp.get("placeholder"), 100)
        min_len, max_len = comp.get("min_length"), comp.get("max_length")
        if min_len is not None and not 0 <= min_len <= 4000:
            problems.append((f"{path}.min_length", "min_length must be 0-4000."))
        if max_len is not None and not 1 <= max_len <= 4000:
            problems.append((f"{path}.max_length", "max_length must be 1-4000."))
        if min_len is not None and max_len is not None and min_len > max_len:
            problems.append((path, "min_length is greater than max_length."))
        value = comp.get("value")
        _check_len(problems, f"{path}.value", value, 4000)
        if isinstance(value, str) and max_len is not None and len(value) > max_len:
            problems.append((f"{path}.value", "value is longer than max_length."))
    elif ctype in _SELECT_TYPES:
        _check_select(problems, path, comp, seen, in_modal=True)
    elif ctype == 19:  # file upload
        _check_custom_id(problems, path, comp.get("custom_id"), seen)
        if not 0 <= comp.get("min_values", 1) <= 10 or not 1 <= comp.get("max_values", 1) <= 10:
            problems.append((path, "File upload min/max_values must be within 0-10."))
    elif ctype == 21:  # radio group
        _check_custom_id(problems, path, comp.get("custom_id"), seen)
        if not 2 <= len(comp.get("options") or []) <= 10:
            problems.append((f"{path}.options", "A radio group has 2-10 options."))
    elif ctype == 22:  # checkbox group
        _check_custom_id(problems, path, comp.get("custom_id"), seen)
        if not 1 <= len(comp.get("options") or []) <= 10:
            problems.append((f"{path}.options", "A checkbox group has 1-10 options."))
    elif ctype == 23:  # checkbox
        _check_custom_id(problems, path, comp.get("custom_id"), seen)
    else:
        problems.append((f"{path}.type", f"Component type {ctype!r} is not valid in a modal."))


def _check_modal(data: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    cid = data.get("custom_id")
    if not isinstance(cid, str) or not 1 <= len(cid) <= 100:
        problems.append(("data.custom_id", "custom_id must be 1-100 characters."))
    _check_len(problems, "data.title", data.get("title"), 45, 1)
    comps = data.get("components")
    if not isinstance(comps, list) or not 1 <= len(comps) <= 5:
        n = len(comps) if isinstance(comps, list) else 0
        problems.append(("data.components", f"Must be between 1 and 5 in length (got {n})."))
        comps = comps if isinstance(comps, list) else []
    seen: set[str] = set()
    for i, comp in enumerate(comps):
        p = f"data.components.{i}"
        ctype = comp.get("type") if isinstance(comp, dict) else None
        if ctype == 18:
            _check_len(problems, f"{p}.label", comp.get("label"), 45, 1)
            _check_len(problems, f"{p}.description", comp.get("description"), 100)
            _check_modal_input(problems, f"{p}.component", comp.get("component"), seen, legacy=False)
        elif ctype == 10:
            _check_len(problems, f"{p}.content", comp.get("content"), 4000, 1)
        elif ctype == 1:
            children = comp.get("components") or []
            if len(children) != 1:
                problems.append((f"{p}.components", "A modal action row holds exactly one text input."))
            for k, child in enumerate(children):
                _check_modal_input(problems, f"{p}.components.{k}", child, seen, legacy=True)
        else:
            problems.append((f"{p}.type", f"Component type {ctype!r} is not valid at the top of a modal."))
    return problems


def _check_commands(commands: Any) -> Problems:
    problems: Problems = []
    if not isinstance(commands, list):
        return [("", "Must be an array")]
    names: set[tuple[str, int]] = set()
    chat_inputs = 0
    for i, cmd in enumerate(commands):
        p = str(i)
        ctype = cmd.get("type", 1)
        name = cmd.get("name")
        if (
            not isinstance(name, str)
            or not _COMMAND_NAME.match(name)
            or (ctype == 1 and name != name.lower())
        ):
            problems.append((f"{p}.name", f"Invalid command name {name!r}."))
        if (name, ctype) in names:
            problems.append((f"{p}.name", f"Application command names must be unique ({name!r})."))
        names.add((name, ctype))
        if ctype == 1:
            chat_inputs += 1
            _check_len(problems, f"{p}.description", cmd.get("description"), 100, 1)
            _check_options(problems, f"{p}.options", cmd.get("options") or [], depth=0)
    if chat_inputs > 100:
        problems.append(("", "Maximum number of application commands reached (100)."))
    return problems


def _check_options(problems: Problems, prefix: str, options: list[dict[str, Any]], depth: int) -> None:
    if len(options) > 25:
        problems.append((prefix, f"Must be 25 or fewer in length (got {len(options)})."))
    seen_optional = False
    for i, opt in enumerate(options):
        p = f"{prefix}.{i}"
        name = opt.get("name")
        if not isinstance(name, str) or not _COMMAND_NAME.match(name) or name != name.lower():
            problems.append((f"{p}.name", f"Invalid option name {name!r}."))
        _check_len(problems, f"{p}.description", opt.get("description"), 100, 1)
        if len(opt.get("choices") or []) > 25:
            problems.append((f"{p}.choices", "Must be 25 or fewer in length."))
        otype = opt.get("type")
        if otype in (1, 2):
            if (otype == 2 and depth > 0) or (otype == 1 and depth > 1):
                problems.append((f"{p}.type", "Sub-command nesting is too deep."))
            _check_options(problems, f"{p}.options", opt.get("options") or [], depth + 1)
        elif opt.get("required"):
            if seen_optional:
                problems.append(
                    (f"{p}.required", "Required options must be placed before non-required options.")
                )
        else:
            seen_optional = True


def _nest_problems(problems: Problems) -> dict[str, Any]:
    """Discord's 50035 ``errors`` shape: nested by field path, leaves hold ``_errors``."""
    root: dict[str, Any] = {}
    for path, message in problems:
        node = root
        for part in [p for p in path.split(".") if p]:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_INVALID", "message": message})
    return root


# ----------------------------------------------------------------------------------------------
# The double


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    template: str
    handler: Callable[..., Any]


@dataclass
class _Ctx:
    """What a REST handler gets."""

    method: str
    path: str
    groups: tuple[str, ...]
    query: Mapping[str, str]
    payload: Any
    files: list[tuple[int, str, bytes, str | None]]
    arrived: float


class DiscordDouble:
    """Loopback Discord (REST + gateway) for the real discord.py client. See the module docstring.

    Construct, ``await start()`` (or ``async with``), point discord.py at it with
    :meth:`patch_discord`, start the bot, then drive users with :meth:`slash`, :meth:`click`,
    :meth:`submit_modal` and :meth:`autocomplete`, and inspect :attr:`messages`, :attr:`requests`,
    :attr:`violations`.
    """

    def __init__(
        self,
        guilds: Sequence[GuildSpec] = (),
        users: Sequence[UserSpec] = (),
        *,
        bot_user_id: int = BOT_USER_ID,
        bot_name: str = "Regiment",
        application_id: int | None = None,
        token: str | None = None,
        time_fn: Callable[[], float] = time.monotonic,
        heartbeat_interval_ms: int = 41_250,
        global_rate_limit: int | None = 50,
        latency: float = 0.0,
    ) -> None:
        self.bot_user = UserSpec(bot_user_id, bot_name, bot=True)
        self.application_id = application_id if application_id is not None else bot_user_id
        #: If set, REST and IDENTIFY must present this token (else 401 / close 4004).
        self.token = token
        #: Clock for deadlines, the nonce window, the rate-limit window and record times.
        self.time_fn = time_fn
        self.heartbeat_interval_ms = heartbeat_interval_ms
        #: Requests per second before a global 429 (None: unlimited). Interaction and webhook
        #: routes are exempt, as on Discord.
        self.global_rate_limit = global_rate_limit
        #: Seconds added before every REST request is handled.
        self.latency = latency

        self.users: dict[int, UserSpec] = {self.bot_user.id: self.bot_user}
        for u in users:
            self.users[u.id] = u
        self.guilds: dict[int, GuildSpec] = {}
        self._channels: dict[int, dict[str, Any]] = {}
        for g in guilds:
            self.add_guild(g)
        self._dm_channels: dict[int, int] = {}  # user id -> DM channel id
        # Files a user attached to a slash command (ATTACHMENT options), served at /attachments/.
        self._uploads: dict[int, tuple[str, bytes]] = {}
        self.dms_closed: set[int] = set()

        # Records
        self.messages: list[MessageRecord] = []
        self._messages_by_id: dict[int, MessageRecord] = {}
        self.requests: list[RequestRecord] = []
        self.violations: list[str] = []
        self.rate_limited: list[RateLimitHit] = []
        self.unsupported: list[str] = []
        self.syncs: list[CommandSync] = []
        self.modals: dict[str, ModalRecord] = {}
        self.interactions: dict[int, InteractionResult] = {}
        self._by_token: dict[str, InteractionResult] = {}
        self._global_commands: list[dict[str, Any]] = []
        self._guild_commands: dict[int, list[dict[str, Any]]] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}
        self._nonces: dict[tuple[int, str], tuple[float, int]] = {}
        self._faults: list[Fault] = []
        self._window: list[float] = []

        # Gateway
        self.connections = 0
        self.identify_count = 0
        self.resume_count = 0
        self.identify_payloads: list[dict[str, Any]] = []
        self.presence_updates: list[dict[str, Any]] = []
        self._sessions: dict[str, _Session] = {}
        self._session: _Session | None = None
        self._conns: list[_Connection] = []
        self._ready_event: asyncio.Event | None = None
        self._changed: asyncio.Condition | None = None

        self._last_snowflake = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes = self._build_routes()

    # ------------------------------------------------------------------ lifecycle and addresses

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

    async def _attachment_handler(self, request: web.Request) -> web.StreamResponse:
        """The CDN: files attached to slash commands and to messages the bot sent."""
        parts = request.match_info["tail"].split("/")
        try:
            attachment_id = int(parts[-2])
        except (IndexError, ValueError):
            return web.Response(status=404)
        if attachment_id in self._uploads:
            return web.Response(body=self._uploads[attachment_id][1])
        for message in self.messages:
            for attachment in message.attachments:
                if attachment.id == attachment_id:
                    return web.Response(body=attachment.data)
        return web.Response(status=404)

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

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return f"{self.base_url}/api/v10"

    @property
    def ws_url(self) -> str:
        """The gateway URL (what ``GET /gateway`` returns)."""
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        """The ``resume_gateway_url`` sent in READY (a different path, so resumes are visible)."""
        return f"ws://127.0.0.1:{self.port}/resume"

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

    # ------------------------------------------------------------------ configuration helpers

    def add_guild(self, spec: GuildSpec) -> None:
        """Register a guild (before the bot identifies, or it will only appear on re-identify)."""
        self.guilds[spec.id] = spec
        for m in spec.members:
            if m.user_id not in self.users:
                self.users[m.user_id] = UserSpec(m.user_id, m.name or f"user{m.user_id}")
        for i, ch in enumerate(spec.channels):
            chs = ch if isinstance(ch, ChannelSpec) else ChannelSpec(ch)
            self._channels[chs.id] = {
                "id": str(chs.id),
                "type": chs.type,
                "guild_id": str(spec.id),
                "name": chs.name or f"channel-{chs.id}",
                "position": i,
                "permission_overwrites": chs.permission_overwrites,
                "topic": None,
                "nsfw": False,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "parent_id": None,
                "flags": 0,
            }

    async def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        name: str | None = None,
        role_ids: Sequence[int] = (),
        permissions: int | None = None,
    ) -> MemberSpec:
        """Make a user a member of a guild while the bot runs (a client joining the server).

        Until then USER options naming them resolve to a plain user, not a member — as on Discord.
        GUILD_MEMBER_ADD is dispatched when the bot identified with the GUILD_MEMBERS intent.
        """
        guild = self.guilds[guild_id]
        if user_id not in self.users:
            self.users[user_id] = UserSpec(user_id, name or f"user{user_id}")
        spec = MemberSpec(user_id, name, list(role_ids), permissions)
        guild.members = [m for m in guild.members if m.user_id != user_id] + [spec]
        if self._session is not None and self._intents() & (1 << 1):
            await self._dispatch(
                "GUILD_MEMBER_ADD", {"guild_id": str(guild_id), **self._member_json(guild, spec)}
            )
        return spec

    async def remove_member(self, guild_id: int, user_id: int) -> None:
        """Remove a member (left or kicked); GUILD_MEMBER_REMOVE with the GUILD_MEMBERS intent."""
        guild = self.guilds[guild_id]
        guild.members = [m for m in guild.members if m.user_id != user_id]
        if self._session is not None and self._intents() & (1 << 1):
            payload = {"guild_id": str(guild_id), "user": self._user_json(self.user(user_id))}
            await self._dispatch("GUILD_MEMBER_REMOVE", payload)

    def _intents(self) -> int:
        return int(self.identify_payloads[-1].get("intents", 0)) if self.identify_payloads else 0

    def user(self, user_id: int) -> UserSpec:
        """The user with this id, created with a generated name if unknown."""
        if user_id not in self.users:
            self.users[user_id] = UserSpec(user_id, f"user{user_id}")
        return self.users[user_id]

    def set_dms_open(self, user_id: int, is_open: bool) -> None:
        """Whether the user accepts DMs; closed DMs answer 403 50007 like Discord."""
        if is_open:
            self.dms_closed.discard(user_id)
        else:
            self.dms_closed.add(user_id)

    def dm_channel_id(self, user_id: int) -> int:
        """The DM channel between the bot and the user (created on first use, then stable)."""
        if user_id not in self._dm_channels:
            cid = self._snowflake()
            self._dm_channels[user_id] = cid
            self._channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self._user_json(self.user(user_id))],
            }
        return self._dm_channels[user_id]

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        code: int = 0,
        message: str = "",
        times: int = 1,
        retry_after: float | None = None,
        global_: bool = False,
        commit: bool = False,
    ) -> Fault:
        """Answer the next ``times`` matching requests with an error instead of handling them.

        ``method`` may be "*". ``path_regex`` is searched in the path after ``/api/v10``.
        For 429, ``retry_after`` (default 0.05 s) goes in the body; ``global_`` picks the
        global-limit shape (``global: true``, X-RateLimit-Global, scope "global") instead of a
        per-route one (scope "user"). With ``commit=True`` the request is processed first and
        *then* the error is returned — a lost response, which is what nonces exist for.
        """
        fault = Fault(
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=status,
            code=code,
            message=message or _default_status_message(status),
            remaining=times,
            retry_after=retry_after,
            global_=global_,
            commit=commit,
        )
        self._faults.append(fault)
        return fault

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method in ("*", method) and fault.pattern.search(path):
                fault.remaining -= 1
                fault.hits.append(f"{method} {path}")
                return fault
        return None

    # ------------------------------------------------------------------ queries for tests

    def dms_to(
        self, user_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[MessageRecord]:
        """Messages in the bot's DM channel with this user, oldest first.

        By default only what stays in the user's DM history: ephemeral interaction responses (they
        vanish) and deleted messages are left out; ask for them explicitly.
        """
        return [
            m
            for m in self.messages
            if m.user_id == user_id
            and (include_ephemeral or not m.ephemeral)
            and (include_deleted or not m.deleted)
        ]

    def channel_messages(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[MessageRecord]:
        """Messages in a channel, oldest first (same defaults as :meth:`dms_to`)."""
        return [
            m
            for m in self.messages
            if m.channel_id == channel_id
            and (include_ephemeral or not m.ephemeral)
            and (include_deleted or not m.deleted)
        ]

    def message(self, message_id: int) -> MessageRecord:
        """A message by id (KeyError if the double never saw it)."""
        return self._messages_by_id[message_id]

    def invalid_requests(self) -> int:
        """401/403/429 answers so far — Discord bans an IP at 10,000 per 10 minutes."""
        return sum(1 for r in self.requests if r.status in (401, 403, 429))

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Commands currently registered (global when guild_id is None)."""
        return list(self._global_commands if guild_id is None else self._guild_commands.get(guild_id, []))

    def take_violations(self) -> list[str]:
        """Return and clear the recorded violations (for tests that provoke them on purpose)."""
        out = list(self.violations)
        self.violations.clear()
        return out

    def assert_no_violations(self) -> None:
        """Fail with every recorded violation listed."""
        if self.violations:
            listing = "\n".join(f"  - {v}" for v in self.violations)
            raise AssertionError(f"Discord double recorded {len(self.violations)} violation(s):\n{listing}")

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` holds (raises TimeoutError); re-checked after every handled request."""
        assert self._changed is not None, "start() the double first"
        async with asyncio.timeout(timeout):
            while not predicate():
                # Woken by every handled request; the short poll also catches state that changes in the
                # bot *after* it read a response (e.g. an exception it recorded).
                async with self._changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.02)

    async def wait_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until a client has a live session (READY or RESUMED sent on the current socket)."""
        assert self._ready_event is not None, "start() the double first"
        async with asyncio.timeout(timeout):
            await self._ready_event.wait()

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    def _violate(self, text: str) -> None:
        self.violations.append(text)

    # ------------------------------------------------------------------ ids and JSON shapes

    def _snowflake(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = max(ms << 22, self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    @staticmethod
    def _now_iso() -> str:
        return dt.datetime.now(dt.UTC).isoformat()

    def _user_json(self, u: UserSpec) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(u.id),
            "username": u.name,
            "discriminator": "0",
            "global_name": u.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "primary_guild": None,
        }
        if u.bot:
            data["bot"] = True
        return data

    def _member_spec(self, guild: GuildSpec, user_id: int) -> MemberSpec | None:
        if user_id == self.bot_user.id:
            return MemberSpec(user_id, self.bot_user.name, permissions=guild.bot_permissions)
        return next((m for m in guild.members if m.user_id == user_id), None)

    def member_permissions(self, guild_id: int, user_id: int) -> int:
        """Guild-level permissions of a member: @everyone | roles, everything for admins/owner."""
        guild = self.guilds[guild_id]
        member = self._member_spec(guild, user_id)
        if member is None:
            return 0
        if member.permissions is not None:
            perms = member.permissions
        else:
            perms = guild.everyone_permissions
            for role in guild.roles:
                if role.id in member.role_ids:
                    perms |= role.permissions
        if guild.owner_id == user_id or perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def _member_json(self, guild: GuildSpec, member: MemberSpec, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in member.role_ids],
            "nick": member.nick,
            "avatar": None,
            "banner": None,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self._user_json(self.user(member.user_id))
        return data

    def _role_json(self, role: RoleSpec) -> dict[str, Any]:
        return {
            "id": str(role.id),
            "name": role.name,
            "permissions": str(role.permissions),
            "position": role.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def _guild_json(self, guild: GuildSpec) -> dict[str, Any]:
        everyone = RoleSpec(guild.id, "@everyone", guild.everyone_permissions, position=0)
        members = [self._member_json(guild, m) for m in guild.members]
        bot_member = self._member_spec(guild, self.bot_user.id)
        assert bot_member is not None
        members.append(self._member_json(guild, bot_member))
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id or self.bot_user.id),
            "roles": [self._role_json(r) for r in [everyone, *guild.roles]],
            "emojis": [],
            "stickers": [],
            "features": [],
            "member_count": len(members),
            "members": members,
            "channels": [
                {k: v for k, v in ch.items() if k != "guild_id"}
                for ch in self._channels.values()
                if ch.get("guild_id") == str(guild.id)
            ],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "afk_timeout": 300,
            "afk_channel_id": None,
            "system_channel_id": None,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "application_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
        }

    def _message_json(self, m: MessageRecord) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(m.message_id),
            "channel_id": str(m.channel_id),
            "type": 0,
            "content": m.content,
            "author": self._user_json(self.bot_user),
            "timestamp": m.timestamp,
            "edited_timestamp": m.edited_timestamp,
            "tts": m.tts,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(a.id),
                    "filename": a.filename,
                    "size": len(a.data),
                    "url": f"{self.base_url}/attachments/{m.channel_id}/{a.id}/{a.filename}",
                    "proxy_url": f"{self.base_url}/attachments/{m.channel_id}/{a.id}/{a.filename}",
                    "content_type": a.content_type,
                    "description": a.description,
                }
                for a in m.attachments
            ],
            "embeds": m.embeds,
            "components": m.components,
            "pinned": False,
            "flags": m.flags,
        }
        if m.guild_id is not None:
            data["guild_id"] = str(m.guild_id)
        if m.nonce is not None:
            data["nonce"] = m.nonce
        if m.interaction_id is not None:
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
            result = self.interactions.get(m.interaction_id)
            if result is not None:
                data["interaction_metadata"] = {
                    "id": str(result.interaction_id),
                    "type": result.interaction_type,
                    "user": self._user_json(self.user(result.user_id)),
                    "authorizing_integration_owners": {"0": str(result.guild_id or 0)},
                }
        return data

    def _channel_json(self, channel_id: int) -> dict[str, Any]:
        return dict(self._channels[channel_id])

    # ------------------------------------------------------------------ message store

    def _assign_component_ids(self, components: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Discord numbers every component (``id``) when the bot does not; do the same."""
        comps = json.loads(json.dumps(components))
        used = {c["id"] for c in _walk_components(comps) if isinstance(c.get("id"), int)}
        counter = itertools.count(1)
        for c in _walk_components(comps):
            if not isinstance(c.get("id"), int):
                n = next(counter)
                while n in used:
                    n = next(counter)
                c["id"] = n
        return comps

    def _attachments_from(
        self, payload: Mapping[str, Any], files: list[tuple[int, str, bytes, str | None]]
    ) -> list[AttachmentRecord]:
        meta = {
            int(a["id"]): a
            for a in payload.get("attachments") or []
            if isinstance(a, dict) and str(a.get("id", "")).isdigit() and int(a["id"]) < 1000
        }
        out = []
        for index, filename, data, ctype in sorted(files):
            info = meta.get(index, {})
            out.append(
                AttachmentRecord(
                    id=self._snowflake(),
                    filename=info.get("filename") or filename,
                    data=data,
                    content_type=ctype,
                    description=info.get("description"),
                )
            )
        return out

    def _create_message(
        self,
        channel_id: int,
        payload: Mapping[str, Any],
        files: list[tuple[int, str, bytes, str | None]],
        *,
        via: str,
        interaction: InteractionResult | None = None,
        extra_flags: int = 0,
    ) -> MessageRecord:
        channel = self._channels[channel_id]
        recipient = int(channel["recipients"][0]["id"]) if channel["type"] == 1 else None
        guild_id = int(channel["guild_id"]) if "guild_id" in channel else None
        allowed = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2
        flags = (int(payload.get("flags") or 0) & allowed) | extra_flags
        if interaction is None:
            flags &= ~EPHEMERAL  # only interaction responses can be ephemeral
        record = MessageRecord(
            channel_id=channel_id,
            message_id=self._snowflake(),
            user_id=recipient,
            guild_id=guild_id,
            content=payload.get("content") or "",
            embeds=list(payload.get("embeds") or []),
            components=self._assign_component_ids(list(payload.get("components") or [])),
            attachments=self._attachments_from(payload, files),
            nonce=payload.get("nonce"),
            created=self.time_fn(),
            via=via,
            flags=flags,
            tts=bool(payload.get("tts")),
            interaction_id=interaction.interaction_id if interaction else None,
            interaction_user_id=interaction.user_id if interaction else None,
            timestamp=self._now_iso(),
        )
        self.messages.append(record)
        self._messages_by_id[record.message_id] = record
        channel["last_message_id"] = str(record.message_id)
        return record

    def _apply_edit(
        self,
        record: MessageRecord,
        payload: Mapping[str, Any],
        files: list[tuple[int, str, bytes, str | None]],
        via: str,
    ) -> None:
        if "content" in payload:
            record.content = payload["content"] or ""
        if "embeds" in payload:
            record.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            record.components = self._assign_component_ids(list(payload["components"] or []))
        if "attachments" in payload or files:
            keep_ids = {
                int(a["id"]) for a in payload.get("attachments") or [] if isinstance(a, dict) and "id" in a
            }
            kept = (
                [a for a in record.attachments if a.id in keep_ids]
                if "attachments" in payload
                else record.attachments
            )
            record.attachments = kept + self._attachments_from(payload, files)
        if payload.get("flags") is not None:
            # Only SUPPRESS_EMBEDS can be toggled by an edit; IS_COMPONENTS_V2 can be set, never removed.
            new = int(payload["flags"])
            record.flags = (record.flags & ~SUPPRESS_EMBEDS) | (new & (SUPPRESS_EMBEDS | IS_COMPONENTS_V2))
        record.flags &= ~LOADING
        record.edited_timestamp = self._now_iso()
        record.edits.append(EditRecord(self.time_fn(), dict(payload), via))

    def _validate_message(
        self, context: str, payload: Mapping[str, Any], n_files: int, *, creating: bool, base_flags: int = 0
    ) -> None:
        if base_flags & IS_COMPONENTS_V2:
            payload = {**payload, "flags": int(payload.get("flags") or 0) | IS_COMPONENTS_V2}
        problems, empty = _check_message_payload(payload, n_files, creating=creating)
        if problems:
            text = "; ".join(f"{p}: {m}" for p, m in problems)
            self._violate(f"{context}: {text}")
            raise _HTTPError(400, 50035, "Invalid Form Body", _nest_problems(problems))
        if empty:
            self._violate(f"{context}: empty message (no content, embeds, components or files)")
            raise _HTTPError(400, 50006, "Cannot send an empty message")

    # ------------------------------------------------------------------ REST server

    def _build_routes(self) -> list[_Route]:
        table: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/users/(\d+)", self._get_user),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("GET", r"/applications/(\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(\d+)/commands", self._put_commands),
            ("GET", r"/applications/(\d+)/guilds/(\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._put_commands),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("POST", r"/channels/(\d+)/typing", self._typing),
            ("GET", r"/channels/(\d+)/messages", self._list_messages),
            ("POST", r"/channels/(\d+)/messages", self._post_message),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._get_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._patch_message),
            ("DELETE", r"/channels/(\d+)/messages/(\d+)", self._delete_message),
            ("GET", r"/guilds/(\d+)", self._get_guild),
            ("GET", r"/guilds/(\d+)/channels", self._get_guild_channels),
            ("GET", r"/guilds/(\d+)/roles", self._get_guild_roles),
            ("GET", r"/guilds/(\d+)/members/(\d+)", self._get_member),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._interaction_callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._execute_webhook),
            ("GET", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._get_webhook_message),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._patch_webhook_message),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._delete_webhook_message),
        ]
        return [_Route(m, re.compile(f"^{p}$"), f"{m} {p}", h) for m, p, h in table]

    @staticmethod
    def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
        # Exactly "application/json" (no charset): discord.py's json_or_text compares the header verbatim.
        resp = web.Response(
            body=json.dumps(body).encode(), status=status, content_type="application/json", headers=headers
        )
        return resp

    @staticmethod
    def _error_response(err: _HTTPError) -> web.Response:
        body: dict[str, Any] = {"message": err.message, "code": err.code}
        if err.errors:
            body["errors"] = err.errors
        return DiscordDouble._json(err.status, body)

    def _fault_response(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            retry_after = fault.retry_after if fault.retry_after is not None else 0.05
            headers = {
                "Retry-After": str(max(1, math.ceil(retry_after))),
                "X-RateLimit-Scope": "global" if fault.global_ else "user",
                "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
            }
            if fault.global_:
                headers["X-RateLimit-Global"] = "true"
            else:
                headers.update(
                    {
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                        "X-RateLimit-Bucket": "fault",
                    }
                )
            body = {
                "message": fault.message,
                "retry_after": retry_after,
                "global": fault.global_,
                "code": fault.code,
            }
            return self._json(429, body, headers)
        if fault.status >= 500 and not fault.code:
            return web.Response(status=fault.status, text=fault.message)
        return self._error_response(_HTTPError(fault.status, fault.code, fault.message))

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[int, str, bytes, str | None]]]:
        files: list[tuple[int, str, bytes, str | None]] = []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                data = bytes(await part.read(decode=False))
                name = part.name or ""
                if name == "payload_json":
                    payload = json.loads(data)
                elif m := re.fullmatch(r"files\[(\d+)\]", name):
                    files.append(
                        (
                            int(m.group(1)),
                            part.filename or f"file{m.group(1)}",
                            data,
                            part.headers.get("Content-Type"),
                        )
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        return json.loads(raw), files

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        method = request.method
        arrived = self.time_fn()
        if self.latency:
            await asyncio.sleep(self.latency)
        record = RequestRecord(method, path, 0, arrived, dict(request.query), None, [])
        self.requests.append(record)
        try:
            payload, files = await self._read_body(request)
            record.payload, record.files = payload, [f[1] for f in files]
            resp = await self._dispatch_rest(request, method, path, payload, files, arrived)
        except _HTTPError as err:
            resp = self._error_response(err)
        except Exception as exc:
            # A bug in the double: fail fast with a 400 (a 5xx would make discord.py retry for 25 s).
            self._violate(f"internal error in the Discord double handling {method} {path}: {exc!r}")
            resp = self._error_response(_HTTPError(400, 0, f"discord double internal error: {exc!r}"))
        record.status = resp.status
        await self._notify()
        return resp

    async def _dispatch_rest(
        self,
        request: web.Request,
        method: str,
        path: str,
        payload: Any,
        files: list[tuple[int, str, bytes, str | None]],
        arrived: float,
    ) -> web.Response:
        exempt = path.startswith(("/interactions/", "/webhooks/"))
        if not exempt:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bot ") or (self.token is not None and auth != f"Bot {self.token}"):
                raise _HTTPError(401, 0, "401: Unauthorized")
            limited = self._check_global_limit(method, path, arrived)
            if limited is not None:
                return limited
        if files:
            sizes = [len(f[2]) for f in files]
            if max(sizes) > MAX_FILE_SIZE or sum(sizes) > MAX_REQUEST_SIZE:
                self._violate(
                    f"{method} {path}: upload too large (files {sizes} bytes; Discord allows "
                    f"{MAX_FILE_SIZE} per file and {MAX_REQUEST_SIZE} per request by default)"
                )
                raise _HTTPError(413, 40005, "Request entity too large")
        fault = self._take_fault(method, path)
        if fault is not None and not fault.commit:
            return self._fault_response(fault)
        for route in self._routes:
            if route.method != method:
                continue
            match = route.pattern.match(path)
            if match is None:
                continue
            ctx = _Ctx(method, path, match.groups(), request.query, payload, files, arrived)
            resp: web.Response = await route.handler(ctx)
            bucket = hashlib.sha1(route.template.encode()).hexdigest()[:16]
            resp.headers.update(
                {
                    "X-RateLimit-Limit": "1000",
                    "X-RateLimit-Remaining": "999",
                    "X-RateLimit-Reset-After": "1.000",
                    "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                    "X-RateLimit-Bucket": bucket,
                }
            )
            if fault is not None:
                return self._fault_response(fault)
            return resp
        self.unsupported.append(f"{method} {path}")
        self._violate(
            f"unsupported route {method} {path}: the double does not emulate it (extend discord_double.py)"
        )
        raise _HTTPError(404, 0, "404: Not Found")

    def _check_global_limit(self, method: str, path: str, now: float) -> web.Response | None:
        if not self.global_rate_limit:
            return None
        self._window = [t for t in self._window if now - t < 1.0]
        if len(self._window) >= self.global_rate_limit:
            retry_after = max(0.001, 1.0 - (now - self._window[0]))
            self.rate_limited.append(RateLimitHit(method, path, now, retry_after))
            body = {
                "message": "You are being rate limited.",
                "retry_after": round(retry_after, 3),
                "global": True,
                "code": 0,
            }
            headers = {
                "Retry-After": str(max(1, math.ceil(retry_after))),
                "X-RateLimit-Global": "true",
                "X-RateLimit-Scope": "global",
                "Via": "1.1 google",
            }
            return self._json(429, body, headers)
        self._window.append(now)
        return None

    # --- users, gateway, application

    async def _get_me(self, ctx: _Ctx) -> web.Response:
        body = self._user_json(self.bot_user) | {
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
        }
        return self._json(200, body)

    async def _get_user(self, ctx: _Ctx) -> web.Response:
        uid = int(ctx.groups[0])
        if uid not in self.users:
            raise _HTTPError(404, 10013, "Unknown User")
        return self._json(200, self._user_json(self.users[uid]))

    async def _create_dm(self, ctx: _Ctx) -> web.Response:
        payload = ctx.payload or {}
        try:
            uid = int(payload["recipient_id"])
        except (KeyError, TypeError, ValueError):
            raise _HTTPError(
                400, 50035, "Invalid Form Body", _nest_problems([("recipient_id", "required")])
            ) from None
        return self._json(200, self._channel_json(self.dm_channel_id(uid)))

    async def _get_gateway(self, ctx: _Ctx) -> web.Response:
        return self._json(200, {"url": self.ws_url.rstrip("/")})

    async def _get_gateway_bot(self, ctx: _Ctx) -> web.Response:
        return self._json(
            200,
            {
                "url": self.ws_url.rstrip("/"),
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.identify_count,
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            },
        )

    async def _get_application(self, ctx: _Ctx) -> web.Response:
        owner = next((u for u in self.users.values() if not u.bot), self.bot_user)
        return self._json(
            200,
            {
                "id": str(self.application_id),
                "name": self.bot_user.name,
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": self._user_json(owner),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "bot": self._user_json(self.bot_user),
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "tags": [],
            },
        )

    # --- application commands

    def _command_scope(self, ctx: _Ctx) -> int | None:
        if int(ctx.groups[0]) != self.application_id:
            raise _HTTPError(403, 50001, "Missing Access")
        if len(ctx.groups) > 1:
            gid = int(ctx.groups[1])
            if gid not in self.guilds:
                raise _HTTPError(403, 50001, "Missing Access")
            return gid
        return None

    async def _get_commands(self, ctx: _Ctx) -> web.Response:
        return self._json(200, self.commands(self._command_scope(ctx)))

    async def _put_commands(self, ctx: _Ctx) -> web.Response:
        gid = self._command_scope(ctx)
        problems = _check_commands(ctx.payload)
        if problems:
            self._violate("command sync: " + "; ".join(f"{p}: {m}" for p, m in problems))
            raise _HTTPError(400, 50035, "Invalid Form Body", _nest_problems(problems))
        stored = []
        for cmd in ctx.payload:
            ctype = cmd.get("type", 1)
            key = (gid, cmd["name"], ctype)
            if key not in self._command_ids:
                self._command_ids[key] = self._snowflake()
            full = {
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                "contexts": None,
                "integration_types": [0],
                "options": [],
                "description": "",
                **cmd,
                "id": str(self._command_ids[key]),
                "application_id": str(self.application_id),
                "version": str(self._snowflake()),
                "type": ctype,
            }
            if gid is not None:
                full["guild_id"] = str(gid)
            stored.append(full)
        if gid is None:
            self._global_commands = stored
        else:
            self._guild_commands[gid] = stored
        self.syncs.append(CommandSync(gid, stored, self.time_fn()))
        return self._json(200, stored)

    # --- channels and messages

    def _channel_or_404(self, channel_id: int) -> dict[str, Any]:
        if channel_id not in self._channels:
            raise _HTTPError(404, 10003, "Unknown Channel")
        return self._channels[channel_id]

    def _message_or_404(self, channel_id: int, message_id: int) -> MessageRecord:
        record = self._messages_by_id.get(message_id)
        if record is None or record.channel_id != channel_id or record.deleted:
            raise _HTTPError(404, 10008, "Unknown Message")
        return record

    async def _get_channel(self, ctx: _Ctx) -> web.Response:
        cid = int(ctx.groups[0])
        self._channel_or_404(cid)
        return self._json(200, self._channel_json(cid))

    async def _typing(self, ctx: _Ctx) -> web.Response:
        self._channel_or_404(int(ctx.groups[0]))
        return web.Response(status=204)

    async def _list_messages(self, ctx: _Ctx) -> web.Response:
        cid = int(ctx.groups[0])
        self._channel_or_404(cid)
        limit = int(ctx.query.get("limit", 50))
        visible = self.channel_messages(cid)
        return self._json(200, [self._message_json(m) for m in reversed(visible)][:limit])

    async def _post_message(self, ctx: _Ctx) -> web.Response:
        cid = int(ctx.groups[0])
        channel = self._channel_or_404(cid)
        payload = ctx.payload or {}
        self._validate_message(f"POST /channels/{cid}/messages", payload, len(ctx.files), creating=True)
        if channel["type"] == 1 and int(channel["recipients"][0]["id"]) in self.dms_closed:
            raise _HTTPError(403, 50007, "Cannot send messages to this user")
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            key = (self.bot_user.id, str(nonce))
            now = self.time_fn()
            seen = self._nonces.get(key)
            if seen is not None and now - seen[0] < NONCE_WINDOW:
                original = self._messages_by_id[seen[1]]
                if original.deleted:
                    raise _HTTPError(404, 10008, "Unknown Message")
                return self._json(200, self._message_json(original))
        record = self._create_message(cid, payload, ctx.files, via="rest")
        if nonce is not None and payload.get("enforce_nonce"):
            self._nonces[(self.bot_user.id, str(nonce))] = (self.time_fn(), record.message_id)
        return self._json(200, self._message_json(record))

    async def _get_message(self, ctx: _Ctx) -> web.Response:
        cid, mid = int(ctx.groups[0]), int(ctx.groups[1])
        self._channel_or_404(cid)
        record = self._message_or_404(cid, mid)
        if record.ephemeral:
            raise _HTTPError(404, 10008, "Unknown Message")
        return self._json(200, self._message_json(record))

    async def _patch_message(self, ctx: _Ctx) -> web.Response:
        cid, mid = int(ctx.groups[0]), int(ctx.groups[1])
        self._channel_or_404(cid)
        record = self._message_or_404(cid, mid)
        if record.ephemeral:
            raise _HTTPError(404, 10008, "Unknown Message")
        payload = ctx.payload or {}
        self._validate_message(
            f"PATCH /channels/{cid}/messages/{mid}",
            payload,
            len(ctx.files),
            creating=False,
            base_flags=record.flags,
        )
        self._apply_edit(record, payload, ctx.files, via="rest")
        return self._json(200, self._message_json(record))

    async def _delete_message(self, ctx: _Ctx) -> web.Response:
        cid, mid = int(ctx.groups[0]), int(ctx.groups[1])
        self._channel_or_404(cid)
        record = self._message_or_404(cid, mid)
        if record.ephemeral:
            raise _HTTPError(404, 10008, "Unknown Message")
        record.deleted = True
        return web.Response(status=204)

    # --- guilds

    def _guild_or_404(self, gid: int) -> GuildSpec:
        if gid not in self.guilds:
            raise _HTTPError(404, 10004, "Unknown Guild")
        return self.guilds[gid]

    async def _get_guild(self, ctx: _Ctx) -> web.Response:
        guild = self._guild_or_404(int(ctx.groups[0]))
        body = self._guild_json(guild)
        for key in (
            "members",
            "channels",
            "threads",
            "voice_states",
            "presences",
            "joined_at",
            "large",
            "member_count",
        ):
            body.pop(key, None)
        return self._json(200, body)

    async def _get_guild_channels(self, ctx: _Ctx) -> web.Response:
        gid = int(ctx.groups[0])
        self._guild_or_404(gid)
        return self._json(200, [ch for ch in self._channels.values() if ch.get("guild_id") == str(gid)])

    async def _get_guild_roles(self, ctx: _Ctx) -> web.Response:
        guild = self._guild_or_404(int(ctx.groups[0]))
        return self._json(200, self._guild_json(guild)["roles"])

    async def _get_member(self, ctx: _Ctx) -> web.Response:
        guild = self._guild_or_404(int(ctx.groups[0]))
        member = self._member_spec(guild, int(ctx.groups[1]))
        if member is None:
            raise _HTTPError(404, 10007, "Unknown Member")
        return self._json(200, self._member_json(guild, member))

    # --- interactions: callback

    async def _interaction_callback(self, ctx: _Ctx) -> web.Response:
        iid, token = int(ctx.groups[0]), ctx.groups[1]
        result = self.interactions.get(iid)
        if result is None or result.token != token:
            raise _HTTPError(404, 10062, "Unknown interaction")
        body = ctx.payload or {}
        rtype = body.get("type")
        label = f"interaction {iid} ({_INTERACTION_NAMES.get(result.interaction_type, '?')})"
        if result.response_type is not None:
            text = f"{label}: answered twice (callback type {rtype} after type {result.response_type})"
            self._violate(text)
            result.errors.append(text)
            raise _HTTPError(400, 40060, "Interaction has already been acknowledged.")
        elapsed = ctx.arrived - result.sent_at
        if elapsed > INTERACTION_DEADLINE:
            text = f"{label}: first response after {elapsed:.2f}s (limit {INTERACTION_DEADLINE:.0f}s)"
            self._violate(text)
            result.errors.append(text)
            raise _HTTPError(404, 10062, "Unknown interaction")
        allowed = _ALLOWED_CALLBACKS.get(result.interaction_type, set())
        if rtype not in allowed:
            text = f"{label}: callback type {rtype} is not valid (allowed: {sorted(allowed)})"
            self._violate(text)
            result.errors.append(text)
            raise _HTTPError(400, 50035, "Invalid Form Body", _nest_problems([("type", text)]))
        data = body.get("data") or {}
        resource: dict[str, Any] | None = {"type": rtype}
        violations_before = len(self.violations)
        try:
            if rtype == 4:
                self._validate_message(f"{label} response", data, len(ctx.files), creating=True)
                result.message = self._create_message(
                    result.channel_id, data, ctx.files, via="interaction", interaction=result
                )
            elif rtype == 5:
                flags = int(data.get("flags") or 0)
                if flags & ~EPHEMERAL:
                    raise self._reject(
                        result, f"{label}: a deferred response only accepts the EPHEMERAL flag"
                    )
                result.message = self._create_message(
                    result.channel_id,
                    {"flags": flags},
                    [],
                    via="interaction",
                    interaction=result,
                    extra_flags=LOADING,
                )
            elif rtype in (6, 7):
                source = self._messages_by_id.get(result.source_message_id or 0)
                if rtype == 7:
                    if source is None:
                        raise self._reject(result, f"{label}: UPDATE_MESSAGE without a message to update")
                    self._validate_message(
                        f"{label} update", data, len(ctx.files), creating=False, base_flags=source.flags
                    )
                    self._apply_edit(source, data, ctx.files, via="interaction")
                result.message = source
                if rtype == 6:
                    resource = None
            elif rtype == 8:
                choices = data.get("choices") or []
                problems: Problems = []
                if len(choices) > 25:
                    problems.append(("data.choices", f"Must be 25 or fewer in length (got {len(choices)})."))
                for i, ch in enumerate(choices):
                    _check_len(problems, f"data.choices.{i}.name", ch.get("name"), 100, 1)
                    if isinstance(ch.get("value"), str):
                        _check_len(problems, f"data.choices.{i}.value", ch.get("value"), 100)
                if problems:
                    raise self._reject(
                        result,
                        f"{label} autocomplete: " + "; ".join(f"{p}: {m}" for p, m in problems),
                        problems,
                    )
                result.choices = choices
                resource = None
            elif rtype == 9:
                problems = _check_modal(data)
                if problems:
                    raise self._reject(
                        result, f"{label} modal: " + "; ".join(f"{p}: {m}" for p, m in problems), problems
                    )
                modal = ModalRecord(
                    custom_id=data["custom_id"],
                    title=data["title"],
                    components=json.loads(json.dumps(data["components"])),
                    interaction_id=result.interaction_id,
                    user_id=result.user_id,
                    channel_id=result.channel_id,
                    guild_id=result.guild_id,
                    source_message_id=result.source_message_id,
                    created=self.time_fn(),
                )
                self.modals[modal.custom_id] = modal
                result.modal = modal
                resource = None
        except _HTTPError as err:
            result.errors.extend(
                self.violations[violations_before:] or [f"{err.status} {err.code} {err.message}"]
            )
            raise
        result.response_type = rtype
        result.response_time = ctx.arrived - result.sent_at
        if ctx.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        msg = result.message if rtype in (4, 5, 7) else None
        interaction_info: dict[str, Any] = {"id": str(iid), "type": result.interaction_type}
        if msg is not None:
            interaction_info.update(
                response_message_id=str(msg.message_id),
                response_message_loading=msg.loading,
                response_message_ephemeral=msg.ephemeral,
            )
        out: dict[str, Any] = {"interaction": interaction_info}
        if resource is not None:
            if msg is not None:
                resource["message"] = self._message_json(msg)
            out["resource"] = resource
        return self._json(200, out)

    def _reject(self, result: InteractionResult, text: str, problems: Problems | None = None) -> _HTTPError:
        self._violate(text)
        return _HTTPError(400, 50035, "Invalid Form Body", _nest_problems(problems or [("", text)]))

    # --- interactions: webhooks (follow-ups, @original)

    def _webhook_interaction(self, ctx: _Ctx, what: str) -> InteractionResult:
        app_id, token = int(ctx.groups[0]), ctx.groups[1]
        result = self._by_token.get(token)
        if app_id != self.application_id or result is None:
            raise _HTTPError(404, 10015, "Unknown Webhook")
        age = ctx.arrived - result.sent_at
        if age > TOKEN_LIFETIME:
            text = (
                f"interaction {result.interaction_id}: {what} {age:.0f}s after the interaction "
                "(tokens are valid 15 min)"
            )
            self._violate(text)
            result.errors.append(text)
            raise _HTTPError(401, 50027, "Invalid Webhook Token")
        if result.response_type is None:
            text = f"interaction {result.interaction_id}: {what} before the interaction was acknowledged"
            self._violate(text)
            result.errors.append(text)
            raise _HTTPError(404, 10015, "Unknown Webhook")
        return result

    def _webhook_target(self, result: InteractionResult, which: str) -> MessageRecord:
        if which == "@original":
            record = result.message
        else:
            record = self._messages_by_id.get(int(which))
            if (
                record is not None
                and record.interaction_id != result.interaction_id
                and record is not result.message
            ):
                record = None
        if record is None or record.deleted:
            raise _HTTPError(404, 10008, "Unknown Message")
        return record

    async def _execute_webhook(self, ctx: _Ctx) -> web.Response:
        result = self._webhook_interaction(ctx, "follow-up")
        payload = ctx.payload or {}
        label = f"interaction {result.interaction_id} follow-up"
        original = result.message
        if result.response_type == 5 and original is not None and original.loading and not original.deleted:
            # Discord: a follow-up sent while the deferred "thinking" message is unresolved resolves it,
            # keeping the ephemerality chosen at defer time.
            self._validate_message(label, payload, len(ctx.files), creating=True)
            self._apply_edit(
                original, {k: v for k, v in payload.items() if k != "flags"}, ctx.files, via="followup"
            )
            result.edits.append(original.edits[-1])
            record = original
        else:
            self._validate_message(label, payload, len(ctx.files), creating=True)
            record = self._create_message(
                result.channel_id, payload, ctx.files, via="followup", interaction=result
            )
        result.followups.append(record)
        if ctx.query.get("wait") in ("1", "true", "True"):
            return self._json(200, self._message_json(record))
        return web.Response(status=204)

    async def _get_webhook_message(self, ctx: _Ctx) -> web.Response:
        result = self._webhook_interaction(ctx, "fetching a response")
        return self._json(200, self._message_json(self._webhook_target(result, ctx.groups[2])))

    async def _patch_webhook_message(self, ctx: _Ctx) -> web.Response:
        result = self._webhook_interaction(ctx, "editing a response")
        record = self._webhook_target(result, ctx.groups[2])
        payload = ctx.payload or {}
        self._validate_message(
            f"interaction {result.interaction_id} edit",
            payload,
            len(ctx.files),
            creating=False,
            base_flags=record.flags,
        )
        self._apply_edit(record, payload, ctx.files, via="interaction")
        if record is result.message:
            result.edits.append(record.edits[-1])
        return self._json(200, self._message_json(record))

    async def _delete_webhook_message(self, ctx: _Ctx) -> web.Response:
        result = self._webhook_interaction(ctx, "deleting a response")
        record = self._webhook_target(result, ctx.groups[2])
        record.deleted = True
        return web.Response(status=204)

    # ------------------------------------------------------------------ gateway server

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

    # ------------------------------------------------------------------ driving interactions

    def _context_for(
        self, user_id: int, guild_id: int | None, channel_id: int | None
    ) -> tuple[int, dict[str, Any]]:
        """Channel id and the context part of an interaction payload (DM or guild)."""
        user = self.user(user_id)
        if guild_id is None:
            if channel_id is not None and self._channels.get(channel_id, {}).get("guild_id"):
                guild_id = int(self._channels[channel_id]["guild_id"])
        if guild_id is None:
            cid = self.dm_channel_id(user_id)
            if channel_id is not None and channel_id != cid:
                raise DoubleUsageError(f"channel {channel_id} is not the DM channel of user {user_id}")
            channel = self._channel_json(cid)
            return cid, {
                "user": self._user_json(user),
                "channel": channel,
                "channel_id": str(cid),
                "context": 1,
                "authorizing_integration_owners": {"0": "0"},
                "app_permissions": str(DM_APP_PERMISSIONS),
            }
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise DoubleUsageError(f"guild {guild_id} is not configured on the double")
        member = self._member_spec(guild, user_id)
        if member is None:
            raise DoubleUsageError(f"user {user_id} is not a member of guild {guild_id}")
        if channel_id is None:
            channel_id = next(
                int(c["id"]) for c in self._channels.values() if c.get("guild_id") == str(guild_id)
            )
        elif self._channels.get(channel_id, {}).get("guild_id") != str(guild_id):
            raise DoubleUsageError(f"channel {channel_id} is not in guild {guild_id}")
        member_json = self._member_json(guild, member) | {
            "permissions": str(self.member_permissions(guild_id, user_id))
        }
        return channel_id, {
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "guild_locale": "en-US",
            "member": member_json,
            "channel": self._channel_json(channel_id),
            "channel_id": str(channel_id),
            "context": 0,
            "authorizing_integration_owners": {"0": str(guild_id)},
            "app_permissions": str(self.member_permissions(guild_id, self.bot_user.id)),
        }

    async def _send_interaction(
        self,
        itype: int,
        user_id: int,
        data: dict[str, Any],
        *,
        guild_id: int | None,
        channel_id: int | None,
        message: MessageRecord | None = None,
        locale: str = "en-US",
        timeout: float,  # noqa: ASYNC109 - the wait is part of the simulated user
        expect_response: bool,
    ) -> InteractionResult:
        cid, context = self._context_for(user_id, guild_id, channel_id)
        if self._session is None:
            raise DoubleUsageError("no gateway session: start the bot (and await double.wait_ready()) first")
        try:  # a user acts on a connected bot; right after drop_gateway() this waits for the reconnect
            await self.wait_ready(timeout)
        except TimeoutError:
            raise DoubleUsageError(f"the bot did not (re)connect to the gateway within {timeout}s") from None
        iid = self._snowflake()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            **context,
        }
        if message is not None:
            payload["message"] = self._message_json(message)
        result = InteractionResult(
            interaction_id=iid,
            token=token,
            interaction_type=itype,
            user_id=user_id,
            channel_id=cid,
            guild_id=int(context["guild_id"]) if "guild_id" in context else None,
            sent_at=self.time_fn(),
            payload=payload,
            source_message_id=message.message_id if message is not None else None,
            _double=self,
        )
        self.interactions[iid] = result
        self._by_token[token] = result
        await self._dispatch("INTERACTION_CREATE", payload)
        try:
            await self.wait_for(
                lambda: result.response_type is not None or bool(result.errors), timeout=timeout
            )
        except TimeoutError:
            if expect_response:
                self._violate(
                    f"interaction {iid} ({_INTERACTION_NAMES[itype]}) by user {user_id}: no response within "
                    f"{timeout}s (Discord shows 'This interaction failed')"
                )
        return result

    def _find_command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        candidates = []
        if guild_id is not None:
            candidates += [
                c for c in self._guild_commands.get(guild_id, []) if c["name"] == name and c["type"] == 1
            ]
        candidates += [c for c in self._global_commands if c["name"] == name and c["type"] == 1]
        if not candidates:
            known = sorted(
                {c["name"] for c in self._global_commands}
                | {f"{c['name']} (guild {gid})" for gid, cmds in self._guild_commands.items() for c in cmds}
            )
            raise DoubleUsageError(
                f"/{name} was never synced {f'to guild {guild_id} or ' if guild_id else ''}globally "
                f"(synced commands: {known or 'none'}); call tree.sync() first"
            )
        return candidates[0]

    def _check_visible(self, command: dict[str, Any], user_id: int, guild_id: int | None) -> None:
        contexts = command.get("contexts")
        if guild_id is None:
            if "guild_id" in command:
                raise DoubleUsageError(f"/{command['name']} is a guild command; it cannot be used in DMs")
            if contexts is not None and 1 not in contexts:
                raise DoubleUsageError(
                    f"/{command['name']} does not allow the bot-DM context (contexts={contexts})"
                )
            if command.get("dm_permission") is False:
                raise DoubleUsageError(f"/{command['name']} has dm_permission=false")
            return
        if contexts is not None and 0 not in contexts:
            raise DoubleUsageError(
                f"/{command['name']} does not allow the guild context (contexts={contexts})"
            )
        required = command.get("default_member_permissions")
        if required is not None:
            perms = self.member_permissions(guild_id, user_id)
            if int(required) & ~perms:
                raise DoubleUsageError(
                    f"user {user_id} lacks default_member_permissions={required} for /{command['name']}; "
                    "Discord would not show the command (pass check_visibility=False to force it)"
                )

    def _build_options(
        self,
        defs: list[dict[str, Any]],
        given: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        resolved: dict[str, dict[str, Any]],
        guild_id: int | None,
        *,
        autocomplete_focus: str | None,
        command: str,
    ) -> list[dict[str, Any]]:
        if given is None:
            given = {}
        if not isinstance(given, Mapping):  # raw Discord-shaped options, passed through
            return [dict(o) for o in given]
        by_name = {d["name"]: d for d in defs}
        out = []
        for name, value in given.items():
            d = by_name.get(name)
            if d is None:
                raise DoubleUsageError(f"/{command} has no option {name!r} (options: {sorted(by_name)})")
            otype = d["type"]
            opt: dict[str, Any] = {"name": name, "type": otype}
            if autocomplete_focus is not None:
                opt["value"] = value if name != autocomplete_focus else str(value)
                if name == autocomplete_focus:
                    opt["focused"] = True
                out.append(opt)
                continue
            opt["value"] = self._option_value(d, value, resolved, guild_id, command)
            out.append(opt)
        if autocomplete_focus is None:
            missing = [d["name"] for d in defs if d.get("required") and d["name"] not in given]
            if missing:
                raise DoubleUsageError(f"/{command}: required option(s) {missing} missing")
        elif autocomplete_focus not in given:
            raise DoubleUsageError(f"focused option {autocomplete_focus!r} must be in options")
        return out

    def _option_value(
        self,
        d: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        guild_id: int | None,
        command: str,
    ) -> Any:
        otype = d["type"]
        if otype == 11:  # ATTACHMENT: pass (filename, bytes); the bot downloads it from the CDN
            filename, data = value
            attachment_id = self._snowflake()
            self._uploads[attachment_id] = (filename, bytes(data))
            url = f"{self.base_url}/attachments/uploads/{attachment_id}/{filename}"
            resolved.setdefault("attachments", {})[str(attachment_id)] = {
                "id": str(attachment_id),
                "filename": filename,
                "size": len(data),
                "url": url,
                "proxy_url": url,
                "content_type": "application/octet-stream",
            }
            return str(attachment_id)
        if otype == 6 or (otype == 9 and int(value) in self.users):
            uid = int(value)
            resolved.setdefault("users", {})[str(uid)] = self._user_json(self.user(uid))
            if guild_id is not None:
                member = self._member_spec(self.guilds[guild_id], uid)
                if member is not None:
                    resolved.setdefault("members", {})[str(uid)] = self._member_json(
                        self.guilds[guild_id], member, with_user=False
                    ) | {"permissions": str(self.member_permissions(guild_id, uid))}
            return str(uid)
        if otype in (8, 9):
            guild = self.guilds.get(guild_id or 0)
            role = next((r for r in guild.roles if r.id == int(value)), None) if guild else None
            if role is None:
                raise DoubleUsageError(f"/{command}: role {value} is not in guild {guild_id}")
            resolved.setdefault("roles", {})[str(role.id)] = self._role_json(role)
            return str(role.id)
        if otype == 7:
            cid = int(value)
            if cid not in self._channels:
                raise DoubleUsageError(f"/{command}: unknown channel {cid}")
            ch = self._channels[cid]
            resolved.setdefault("channels", {})[str(cid)] = {
                "id": str(cid),
                "name": ch.get("name"),
                "type": ch["type"],
                "permissions": str(ALL_PERMISSIONS),
            }
            return str(cid)
        if otype == 4:
            value = int(value)
        elif otype == 10:
            value = float(value)
        elif otype == 5:
            value = bool(value)
        elif otype == 3:
            value = str(value)
            if len(value) < d.get("min_length", 0) or len(value) > d.get("max_length", 6000):
                raise DoubleUsageError(f"/{command}: {d['name']}={value!r} violates its length limits")
        if d.get("choices") and value not in [c["value"] for c in d["choices"]]:
            raise DoubleUsageError(f"/{command}: {d['name']}={value!r} is not one of its choices")
        if otype in (4, 10) and (
            (d.get("min_value") is not None and value < d["min_value"])
            or (d.get("max_value") is not None and value > d["max_value"])
        ):
            raise DoubleUsageError(f"/{command}: {d['name']}={value!r} is outside its min/max")
        return value

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        guild_id: int | None,
        user_id: int,
        *,
        focus: str | None,
        check_visibility: bool,
    ) -> dict[str, Any]:
        parts = name.split()
        command = self._find_command(parts[0], guild_id)
        if check_visibility:
            self._check_visible(command, user_id, guild_id)
        resolved: dict[str, dict[str, Any]] = {}
        defs = command.get("options") or []
        path: list[dict[str, Any]] = []
        for part in parts[1:]:
            sub = next((o for o in defs if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                raise DoubleUsageError(
                    f"/{name}: {part!r} is not a subcommand (have {[o['name'] for o in defs]})"
                )
            path.append({"name": part, "type": sub["type"], "options": []})
            defs = sub.get("options") or []
        if any(o["type"] in (1, 2) for o in defs):
            raise DoubleUsageError(f"/{name} needs a subcommand: {[o['name'] for o in defs]}")
        leaf = self._build_options(defs, options, resolved, guild_id, autocomplete_focus=focus, command=name)
        nested = leaf
        for node in reversed(path):
            node["options"] = nested
            nested = [node]
        data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1, "options": nested}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(
        self,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the user waits for the bot
        expect_response: bool = True,
        check_visibility: bool = True,
    ) -> InteractionResult:
        """Invoke a synced slash command as ``user_id`` and wait for the first response.

        ``name`` may include subcommands ("client add"). ``options`` maps option names to values
        (ids for USER/ROLE/CHANNEL options — resolved users/members/roles/channels are filled in)
        or is a raw list of Discord option objects. ``guild_id=None`` means the bot's DM.
        """
        data = self._command_data(
            name, options, guild_id, user_id, focus=None, check_visibility=check_visibility
        )
        return await self._send_interaction(
            2,
            user_id,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
            timeout=timeout,
            expect_response=expect_response,
        )

    async def autocomplete(
        self,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        focused: str | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the user waits for the bot
    ) -> list[dict[str, Any]]:
        """Send an autocomplete interaction; returns the choices the bot offered.

        With a mapping, ``focused`` names the option being typed (default: the last one).
        """
        if isinstance(options, Mapping):
            focused = focused or list(options)[-1]
        data = self._command_data(
            name, options, guild_id, user_id, focus=focused or "", check_visibility=True
        )
        result = await self._send_interaction(
            4, user_id, data, guild_id=guild_id, channel_id=channel_id, timeout=timeout, expect_response=True
        )
        return result.choices or []

    async def click(
        self,
        user_id: int,
        message: MessageRecord | int,
        custom_id: str,
        *,
        values: Sequence[str] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the user waits for the bot
        expect_response: bool = True,
        forged: bool = False,
    ) -> InteractionResult:
        """Click a button (or pick ``values`` in a select) on a message the bot sent.

        ``forged=True`` skips the checks Discord's client would make (whose DM it is), to send
        what a crafted request could: the bot must refuse it itself."""
        record = message if isinstance(message, MessageRecord) else self.message(message)
        record = self._messages_by_id[record.message_id]
        if record.deleted:
            raise DoubleUsageError(f"message {record.message_id} was deleted")
        comp = record.find_component(custom_id)
        if comp is None:
            raise DoubleUsageError(
                f"custom_id {custom_id!r} is not on message {record.message_id} "
                f"(it has {record.custom_ids()})"
            )
        if comp.get("disabled"):
            raise DoubleUsageError(f"component {custom_id!r} is disabled")
        if record.ephemeral and record.interaction_user_id not in (None, user_id):
            raise DoubleUsageError(
                f"message {record.message_id} is ephemeral for user {record.interaction_user_id}"
            )
        if record.user_id is not None and record.user_id != user_id and not forged:
            raise DoubleUsageError(f"message {record.message_id} is in the DM of user {record.user_id}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"]}
        if "id" in comp:
            data["id"] = comp["id"]
        if comp["type"] in _SELECT_TYPES:
            if values is None:
                raise DoubleUsageError(f"{custom_id!r} is a select: pass values=[...]")
            if comp["type"] == 3:
                allowed = [o["value"] for o in comp.get("options", [])]
                bad = [v for v in values if v not in allowed]
                if bad:
                    raise DoubleUsageError(f"values {bad} are not options of {custom_id!r} ({allowed})")
            data["values"] = list(values)
        elif values is not None:
            raise DoubleUsageError(f"{custom_id!r} is a button; values do not apply")
        return await self._send_interaction(
            3,
            user_id,
            data,
            guild_id=record.guild_id,
            channel_id=record.channel_id if record.guild_id is not None else None,
            message=record,
            timeout=timeout,
            expect_response=expect_response,
        )

    async def submit_modal(
        self,
        user_id: int,
        modal_custom_id: str,
        values: Mapping[str, str | Sequence[str]],
        message: MessageRecord | int | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the user waits for the bot
        expect_response: bool = True,
    ) -> InteractionResult:
        """Submit a modal as ``user_id``.

        If the bot showed a modal with this custom_id, the submission mirrors its layout (Labels,
        legacy rows, text displays), fills unspecified inputs with their defaults and enforces what
        the Discord client would (required, min/max length, select options). Otherwise Labels are
        built from ``values`` (str -> text input, list -> string select).
        """
        shown = self.modals.get(modal_custom_id)
        if shown is not None:
            if shown.user_id != user_id:
                raise DoubleUsageError(
                    f"modal {modal_custom_id!r} was shown to user {shown.user_id}, not {user_id}"
                )
            components = self._mirror_modal(shown, values)
            guild_id = shown.guild_id if guild_id is None else guild_id
            channel_id = channel_id or (shown.channel_id if shown.guild_id is not None else None)
            if message is None and shown.source_message_id is not None:
                message = shown.source_message_id
        else:
            components = []
            for i, (cid, value) in enumerate(values.items()):
                if isinstance(value, str):
                    inner: dict[str, Any] = {"type": 4, "id": 2 * i + 2, "custom_id": cid, "value": value}
                else:
                    inner = {"type": 3, "id": 2 * i + 2, "custom_id": cid, "values": list(value)}
                components.append({"type": 18, "id": 2 * i + 1, "component": inner})
        record = None
        if message is not None:
            record = message if isinstance(message, MessageRecord) else self.message(message)
            if guild_id is None and record.guild_id is not None:
                guild_id, channel_id = record.guild_id, record.channel_id
        data = {"custom_id": modal_custom_id, "components": components}
        return await self._send_interaction(
            5,
            user_id,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            message=record,
            timeout=timeout,
            expect_response=expect_response,
        )

    def _mirror_modal(
        self, shown: ModalRecord, values: Mapping[str, str | Sequence[str]]
    ) -> list[dict[str, Any]]:
        known = {c["custom_id"] for c in shown.inputs()}
        unknown = sorted(set(values) - known)
        if unknown:
            raise DoubleUsageError(
                f"modal {shown.custom_id!r} has no inputs {unknown} (it has {sorted(known)})"
            )
        ids = itertools.count(1)

        def submit(comp: dict[str, Any]) -> dict[str, Any]:
            cid = comp["custom_id"]
            ctype = comp["type"]
            out: dict[str, Any] = {"type": ctype, "id": comp.get("id", next(ids)), "custom_id": cid}
            if ctype == 4:
                value = values.get(cid, comp.get("value") or "")
                if not isinstance(value, str):
                    raise DoubleUsageError(f"text input {cid!r} takes a string")
                if comp.get("required", True) and not value:
                    raise DoubleUsageError(f"text input {cid!r} is required")
                if value and (
                    len(value) < (comp.get("min_length") or 0) or len(value) > comp.get("max_length", 4000)
                ):
                    raise DoubleUsageError(f"text input {cid!r}: {len(value)} chars outside min/max length")
                out["value"] = value
            else:
                raw = values.get(cid, [])
                chosen = [raw] if isinstance(raw, str) else list(raw)
                if ctype == 3:
                    allowed = [o["value"] for o in comp.get("options", [])]
                    if any(v not in allowed for v in chosen):
                        raise DoubleUsageError(f"select {cid!r}: {chosen} not within options {allowed}")
                if comp.get("required", True) and len(chosen) < max(1, comp.get("min_values", 1)):
                    raise DoubleUsageError(
                        f"select {cid!r} needs at least {comp.get('min_values', 1)} value(s)"
                    )
                out["values"] = chosen
            return out

        result = []
        for top in shown.components:
            ttype = top.get("type")
            if ttype == 18:
                result.append(
                    {"type": 18, "id": top.get("id", next(ids)), "component": submit(top["component"])}
                )
            elif ttype == 1:
                result.append(
                    {
                        "type": 1,
                        "id": top.get("id", next(ids)),
                        "components": [submit(c) for c in top.get("components", [])],
                    }
                )
            elif ttype == 10:
                result.append({"type": 10, "id": top.get("id", next(ids))})
        return result


_INTERACTION_NAMES = {1: "ping", 2: "slash command", 3: "component", 4: "autocomplete", 5: "modal submit"}
_ALLOWED_CALLBACKS: dict[int, set[int]] = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


def _default_status_message(status: int) -> str:
    return {
        400: "Bad Request",
        401: "401: Unauthorized",
        403: "Missing Permissions",
        404: "404: Not Found",
        429: "You are being rate limited.",
        500: "500: Internal Server Error",
        502: "502: Bad Gateway",
        503: "503: Service Unavailable",
        504: "504: Gateway Timeout",
    }.get(status, f"HTTP {status}")


# ----------------------------------------------------------------------------------------------
# pytest fixture


async def _discord_double() -> AsyncIterator[DiscordDouble]:
    """A started :class:`DiscordDouble` with the default coaching server, discord.py pointed at it.

    Guild 1000 "The Regiment": role Coach 2000 and Admin 2001 (administrator); members coach 3000
    (Coach), client 3001 (no role), admin 3002 (Admin, owner); text channels 4000 coaches,
    4001 alerts, 4002 honors. Sets ``discord.http.Route.BASE`` and the default gateway URL for the
    test and restores them after. Fails the test at teardown if any violation was recorded.
    """
    double = DiscordDouble.with_defaults()
    async with double:
        with double.patch_discord():
            yield double
    if double.violations:
        listing = "\n".join(f"  - {v}" for v in double.violations)
        pytest.fail(
            f"Discord double recorded {len(double.violations)} violation(s):\n{listing}", pytrace=False
        )


#: The fixture. ``from discord_double import discord_double`` in a conftest makes it available.
discord_double = pytest.fixture(_discord_double, name="discord_double")
#: The same fixture under another import name: a test module can import this one and still take a
#: ``discord_double`` parameter without shadowing an imported name (ruff F811).
discord_double_fixture = pytest.fixture(_discord_double, name="discord_double")
