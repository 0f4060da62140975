"""Delivery over discord.py.

- DMs go through the DM channel id cached on the client (one request per delivery); opening
  a DM channel is paced separately, because bots that open many DMs at once get error 40003.
- Every send carries the job's nonce; discord.py adds `enforce_nonce`, so a retry after a crash
  between "sent" and "recorded" returns the first message instead of posting again.
- Sends are paced below Discord's global limit by a token bucket; 429s are left to discord.py.
- Errors become outcomes: DMs closed, no mutual guild or unknown user → RecipientUnreachable
  (no retry); a stale cached DM channel → the DM is opened again and the send retried once;
  5xx, a 429 that discord.py passes on, timeouts, connection errors → TransientDeliveryError;
  other 4xx → PermanentDeliveryError.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import aiohttp
import discord

from bot.core.delivery import PermanentDeliveryError, RecipientUnreachable, TransientDeliveryError
from bot.discord_adapter.ratelimit import TokenBucket
from bot.views import messages as plain
from bot.views.messages import Button, ButtonStyle, Embed, OutgoingMessage, SeenMessage, SentMessage

# How much of a channel's history a retry reads back to find an earlier attempt's message (from
# the job's first attempt on: a few messages in a DM, more in a busy coaches' channel).
HISTORY_LIMIT = 500
UNREACHABLE_CODES = {50007, 50278, 10013}  # DMs closed, no mutual guild, unknown user
STALE_CHANNEL_CODES = {10003, 50001}  # unknown channel, missing access: the cached DM channel is gone

_STYLES = {
    ButtonStyle.primary: discord.ButtonStyle.primary,
    ButtonStyle.secondary: discord.ButtonStyle.secondary,
    ButtonStyle.success: discord.ButtonStyle.success,
    ButtonStyle.danger: discord.ButtonStyle.danger,
}


def _button(button: Button, row: int | None = None) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        label=button.label,
        custom_id=button.custom_id,
        style=_STYLES[button.style],
        disabled=button.disabled,
        row=row,
    )


class StaticView(discord.ui.View):
    """Buttons only: their clicks are routed by DynamicItem templates, never by this view, so
    discord.py must not keep it in memory (a bot sending thousands of DMs would leak them)."""

    def __init__(self, rows: tuple[tuple[Button, ...], ...]) -> None:
        super().__init__(timeout=None)
        for index, row in enumerate(rows):
            for button in row:
                self.add_item(_button(button, index))

    def is_dispatchable(self) -> bool:
        return False


_SPACING = {
    plain.SeparatorSpacing.small: discord.SeparatorSpacing.small,
    plain.SeparatorSpacing.large: discord.SeparatorSpacing.large,
}


def _item(component: plain.Component) -> discord.ui.Item[discord.ui.LayoutView]:
    if isinstance(component, plain.TextDisplay):
        return discord.ui.TextDisplay(component.content)
    if isinstance(component, plain.Section):
        texts = [discord.ui.TextDisplay(t.content) for t in component.texts]
        return discord.ui.Section(*texts, accessory=_button(component.accessory))  # type: ignore[arg-type]
    if isinstance(component, plain.ActionRow):
        return discord.ui.ActionRow(*(_button(b) for b in component.buttons))  # type: ignore[arg-type]
    if isinstance(component, plain.Separator):
        return discord.ui.Separator(visible=component.divider, spacing=_SPACING[component.spacing])
    return discord.ui.Container(*(_item(c) for c in component.children), accent_colour=component.accent_color)


class StaticLayout(discord.ui.LayoutView):
    """A components v2 message (discord.py sends it with the IS_COMPONENTS_V2 flag). Like
    StaticView, never dispatched: the DynamicItem templates route its buttons' clicks."""

    def __init__(self, layout: tuple[plain.Component, ...]) -> None:
        super().__init__(timeout=None)
        for component in layout:
            self.add_item(_item(component))

    def is_dispatchable(self) -> bool:
        return False


def to_discord_embed(embed: Embed) -> discord.Embed:
    out = discord.Embed(title=embed.title or None, description=embed.description or None, color=embed.color)
    for field in embed.fields:
        out.add_field(name=field.name, value=field.value, inline=field.inline)
    if embed.footer:
        out.set_footer(text=embed.footer)
    return out


def message_kwargs(message: OutgoingMessage) -> dict[str, object]:
    """discord.py's keyword arguments for sending `message` or editing a message to it. A layout
    goes as a LayoutView with content None and no embeds: on an edit that is what Discord asks of
    a message taking the IS_COMPONENTS_V2 flag (the legacy fields reset to empty), and it keeps
    the flag on one that has it."""
    if message.is_layout:
        return {"content": None, "embeds": [], "view": StaticLayout(message.layout)}
    kwargs: dict[str, object] = {
        "content": message.content or None,
        "embeds": [to_discord_embed(e) for e in message.embeds],
    }
    if message.rows:
        kwargs["view"] = StaticView(message.rows)
    if message.files:
        kwargs["files"] = [discord.File(io.BytesIO(f.data), filename=f.filename) for f in message.files]
    return kwargs


def classify(exc: BaseException) -> Exception:
    """Map a discord.py / network error to our delivery outcome."""
    if isinstance(exc, discord.HTTPException):
        if exc.code in UNREACHABLE_CODES:
            return RecipientUnreachable(f"{exc.status} {exc.code}: {exc.text}")
        if exc.status >= 500 or exc.status == 429:
            return TransientDeliveryError(f"{exc.status} {exc.code}: {exc.text}")
        return PermanentDeliveryError(f"{exc.status} {exc.code}: {exc.text}")
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return TransientDeliveryError(f"{type(exc).__name__}: {exc}")
    return exc if isinstance(exc, Exception) else RuntimeError(str(exc))


class _StaleChannel(Exception):
    """The cached DM channel id no longer works."""


class DiscordTransport:
    def __init__(self, client: discord.Client, *, send_rate: float, dm_open_rate: float) -> None:
        self.client = client
        # A burst of 2: rate + burst must stay under Discord's 50 requests in any one second
        # (bench/delivery.py saw 429s at 48/s with the default burst of rate/5).
        self.sends = TokenBucket(send_rate, burst=2)
        self.dm_opens = TokenBucket(dm_open_rate, burst=1)

    async def open_dm(self, user_id: int) -> int:
        await self.dm_opens.acquire()
        try:
            channel = await self.client.create_dm(discord.Object(user_id))
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            raise classify(exc) from exc
        return channel.id

    async def send_dm(
        self, user_id: int, channel_id: int | None, message: OutgoingMessage, *, nonce: str
    ) -> SentMessage:
        if channel_id is None:
            channel_id = await self.open_dm(user_id)
        try:
            return await self._send(channel_id, message, nonce)
        except _StaleChannel:
            # The cached channel is gone: open the DM again (the caller stores the new id).
            return await self._send(await self.open_dm(user_id), message, nonce)

    async def _send(self, channel_id: int, message: OutgoingMessage, nonce: str) -> SentMessage:
        channel = self.client.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        await self.sends.acquire()
        try:
            sent = await channel.send(nonce=nonce, **message_kwargs(message))  # type: ignore[arg-type]
        except discord.HTTPException as exc:
            if exc.code in STALE_CHANNEL_CODES:
                raise _StaleChannel from exc
            raise classify(exc) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise classify(exc) from exc
        return SentMessage(channel_id, sent.id)

    async def edit_message(self, channel_id: int, message_id: int, message: OutgoingMessage) -> None:
        channel = self.client.get_partial_messageable(channel_id)
        await self.sends.acquire()
        kwargs = message_kwargs(message)
        kwargs.setdefault("view", None)
        kwargs.pop("files", None)
        try:
            await channel.get_partial_message(message_id).edit(**kwargs)  # type: ignore[arg-type]
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            raise classify(exc) from exc

    async def post_channel(
        self, channel_id: int, message: OutgoingMessage, *, nonce: str | None = None
    ) -> SentMessage:
        channel = self.client.get_partial_messageable(channel_id)
        await self.sends.acquire()
        extra = {"nonce": nonce} if nonce else {}
        try:
            sent = await channel.send(**message_kwargs(message), **extra)  # type: ignore[arg-type]
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            raise classify(exc) from exc
        return SentMessage(channel_id, sent.id)

    async def recent_dm(self, user_id: int, channel_id: int | None, since: dt.datetime) -> list[SeenMessage]:
        if channel_id is None:
            channel_id = await self.open_dm(user_id)
        try:
            return await self.recent_posts(channel_id, since)
        except PermanentDeliveryError:
            # A stale cached channel: the DM opened again is where an earlier attempt sent.
            return await self.recent_posts(await self.open_dm(user_id), since)

    async def recent_posts(self, channel_id: int, since: dt.datetime) -> list[SeenMessage]:
        channel = self.client.get_partial_messageable(channel_id)
        me = self.client.user.id if self.client.user is not None else None
        found: list[SeenMessage] = []
        try:
            await self.sends.acquire()
            async for message in channel.history(after=since, limit=HISTORY_LIMIT, oldest_first=True):
                if message.author.id == me:
                    found.append(seen(message))
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            raise classify(exc) from exc
        return found


def seen(message: discord.Message) -> SeenMessage:
    """What of a message read back can carry a reference: its buttons' custom_ids (in action rows,
    or anywhere in a components v2 layout: in containers, rows, beside sections), its content, its
    embed footers and a layout's text displays."""
    custom_ids: list[str] = []
    texts: list[str] = [message.content, *(embed.footer.text or "" for embed in message.embeds)]
    pending: list[object] = list(message.components)
    while pending:
        component = pending.pop(0)
        custom_id = getattr(component, "custom_id", None)
        if isinstance(custom_id, str):
            custom_ids.append(custom_id)
        if isinstance(component, discord.TextDisplay):
            texts.append(component.content)
        # Depth first, in reading order: a container's or a section's children, then its accessory.
        nested = list(getattr(component, "children", None) or [])
        accessory = getattr(component, "accessory", None)
        if accessory is not None:
            nested.append(accessory)
        pending[:0] = nested
    return SeenMessage(message.channel.id, message.id, tuple(custom_ids), tuple(texts))
