"""What the double is configured with: users, guilds, roles, members and channels, and the default
coaching server the :func:`discord_double` fixture starts with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .constants import ADMINISTRATOR, DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS

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
