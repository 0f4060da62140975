"""The state every layer of the double shares: what exists on this Discord and what was recorded.

:class:`DoubleState` holds the constructor options, guilds, users, channels, messages, commands,
interactions and records; the configuration helpers and queries tests call; snowflake ids; and
the JSON shapes of users, members, roles, guilds, channels and messages. The REST server
(rest.py), the gateway (gateway.py) and the simulated users (user_actions.py) all build on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .constants import ADMINISTRATOR, ALL_PERMISSIONS, DISCORD_EPOCH_MS
from .records import (
    CommandSync,
    InteractionResult,
    MessageRecord,
    ModalRecord,
    RateLimitHit,
    RequestRecord,
    SuppressedSend,
)
from .specs import BOT_USER_ID, ChannelSpec, GuildSpec, MemberSpec, RoleSpec, UserSpec

if TYPE_CHECKING:
    from .faults import Fault
    from .gateway import _Connection, _Session
    from .rest import _Route


class DoubleState:
    """What the double knows and has recorded; :class:`DiscordDouble` is this plus its servers."""

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
        now_fn: Callable[[], float] = time.time,
        nonce_dedupe: bool = True,
    ) -> None:
        self.bot_user = UserSpec(bot_user_id, bot_name, bot=True)
        self.application_id = application_id if application_id is not None else bot_user_id
        #: If set, REST and IDENTIFY must present this token (else 401 / close 4004).
        self.token = token
        #: Elapsed-time clock (seconds, any origin): interaction deadlines, token lifetime, the global
        #: rate-limit window and record times. These measure real time passing in the bot process,
        #: so they stay off the calendar clock below: under a test's virtual clock the calendar may
        #: jump hours while the bot awaits the database, and a 3 s deadline must not expire then.
        self.time_fn = time_fn
        self._earlier_id_ranges: list[tuple[int, int]] = []  # (first, last) id issued on earlier clocks
        self._first_id_on_clock = 0  # first and last id issued on the current now_fn (0: none yet)
        self._snowflake_floor = 0
        #: Calendar clock (UNIX epoch seconds): what Discord stamps with a date — snowflake ids (so
        #: ``discord.utils.snowflake_time(message.id)`` is the creation time on this clock), message
        #: ``timestamp``/``edited_timestamp`` and the ``enforce_nonce`` window. Tests with a virtual
        #: clock install it here (``bot_harness.running_bot`` does).
        self.now_fn = now_fn
        #: Whether ``enforce_nonce`` sends are deduplicated within NONCE_WINDOW (Discord does). Off,
        #: every send creates a message, as if the window had always passed.
        self.nonce_dedupe = nonce_dedupe
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
        # The most a user may upload (the interaction's attachment_size_limit): 10 MiB by
        # default, more for a Nitro subscriber or in a boosted server. Set per user by a test.
        self.upload_limits: dict[int, int] = {}
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
        self._nonces: dict[tuple[int, str], tuple[float, int]] = {}  # (author, nonce) -> (now_fn, id)
        #: Sends answered with the earlier message of the same nonce instead of a new one.
        self.suppressed_sends: list[SuppressedSend] = []
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

        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes = self._build_routes()

    if TYPE_CHECKING:
        # The constructor builds the route table, which the REST layer (rest.py) provides.
        def _build_routes(self) -> list[_Route]: ...

    @property
    def now_fn(self) -> Callable[[], float]:
        """The calendar clock (UNIX epoch seconds); see the constructor. Assign to install another."""
        return self._now_fn

    @now_fn.setter
    def now_fn(self, clock: Callable[[], float]) -> None:
        # Installing a clock starts a new id timeline: ids follow the clock from its present, so a
        # test's virtual May is what ids created under it encode, even after ids issued on the wall
        # clock's December (add_client opens the DM channel before running_bot installs the virtual
        # clock; without the restart every later id would carry December, and history(after=<a
        # virtual time>) would return everything). Ids stay unique: the new timeline skips the
        # range of ids issued on each earlier clock.
        if self._first_id_on_clock:
            self._earlier_id_ranges.append((self._first_id_on_clock, self._snowflake_floor))
        self._now_fn = clock
        self._first_id_on_clock = 0
        self._snowflake_floor = 0

    # ------------------------------------------------------------------ addresses

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

    @property
    def suppressed_count(self) -> int:
        """How many sends the nonce window suppressed (answered with the earlier message)."""
        return len(self.suppressed_sends)

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
        """A new id: now_fn()'s millisecond in Discord's layout, strictly after the last id on this clock.

        If the clock stands still or steps back, the id is the last one + 1 (its time then runs a
        little ahead of the clock, as a busy Discord worker's ids do within one millisecond). It
        never repeats an id issued on an earlier clock (see :attr:`now_fn`).
        """
        ms = int(self._now_fn() * 1000) - DISCORD_EPOCH_MS
        value = max(ms << 22, self._snowflake_floor + 1)
        for first, last in sorted(self._earlier_id_ranges):
            if first <= value <= last:
                value = last + 1
        if not self._first_id_on_clock:
            self._first_id_on_clock = value
        self._snowflake_floor = value
        return value

    @staticmethod
    def _iso(epoch_seconds: float) -> str:
        return dt.datetime.fromtimestamp(epoch_seconds, dt.UTC).isoformat()

    def _now_iso(self) -> str:
        """Now on the calendar clock, as Discord writes ``edited_timestamp``."""
        return self._iso(self._now_fn())

    def _snowflake_iso(self, snowflake: int) -> str:
        """The time an id encodes: Discord's message ``timestamp`` is its id's time, to the ms."""
        return self._iso(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000)

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
