"""What the bot says, independent of discord.py: the engines build these, a Transport sends them.

Keeping messages as plain data lets the simulator print them and lets tests check them against
Discord's limits without a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ButtonStyle(StrEnum):
    primary = "primary"
    secondary = "secondary"
    success = "success"
    danger = "danger"


@dataclass(frozen=True)
class Button:
    label: str
    custom_id: str
    style: ButtonStyle = ButtonStyle.primary
    disabled: bool = False


@dataclass(frozen=True)
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Embed:
    title: str = ""
    description: str = ""
    fields: tuple[EmbedField, ...] = ()
    footer: str = ""
    color: int | None = None


@dataclass(frozen=True)
class FileAttachment:
    filename: str
    data: bytes


@dataclass(frozen=True)
class OutgoingMessage:
    content: str = ""
    embeds: tuple[Embed, ...] = ()
    rows: tuple[tuple[Button, ...], ...] = ()  # action rows of buttons
    files: tuple[FileAttachment, ...] = ()

    def as_text(self) -> str:
        """A plain rendering for the console and logs."""
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            if embed.title:
                parts.append(f"**{embed.title}**")
            if embed.description:
                parts.append(embed.description)
            parts.extend(f"- {f.name}: {f.value}" for f in embed.fields)
            if embed.footer:
                parts.append(f"_{embed.footer}_")
        buttons = [b.label for row in self.rows for b in row]
        if buttons:
            parts.append("[" + "] [".join(buttons) + "]")
        parts.extend(f"(file {f.filename}, {len(f.data)} bytes)" for f in self.files)
        return "\n".join(parts)


@dataclass(frozen=True)
class SentMessage:
    channel_id: int
    message_id: int


@dataclass(frozen=True)
class SeenMessage:
    """A message of the bot's read back from a channel's history: what can carry a reference."""

    channel_id: int
    message_id: int
    custom_ids: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()  # the content and every embed footer

    @property
    def sent(self) -> SentMessage:
        return SentMessage(self.channel_id, self.message_id)
