"""What the bot says, independent of discord.py: the engines build these, a Transport sends them.

Keeping messages as plain data lets the simulator print them and lets tests check them against
Discord's limits without a network.

A message is one of two shapes, as on Discord:
- classic: `content`, `embeds` and up to five `rows` of buttons;
- a layout (components v2): `layout`, a tree of `Container`, `Section` (text with one button
  beside it), `TextDisplay`, `ActionRow` and `Separator`, and nothing else. Discord sends such a
  message with the IS_COMPONENTS_V2 flag, which forbids content and embeds and which an edit can
  never take off again; it allows 40 components in all (every nested one counts: `component_count`)
  and 4,000 characters of text across its text displays (`text_length`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
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


# --- components v2 ---------------------------------------------------------------------------

LAYOUT_MAX_COMPONENTS = 40  # every component of a layout message, nested ones included
LAYOUT_MAX_TEXT = 4000  # characters across all of a layout message's text displays


@dataclass(frozen=True)
class TextDisplay:
    """Markdown text (headings `## `, subtext `-# `, bold, lists), like a message's content."""

    content: str


@dataclass(frozen=True)
class Section:
    """One to three text displays with one button beside them (its accessory)."""

    texts: tuple[TextDisplay, ...]
    accessory: Button


@dataclass(frozen=True)
class ActionRow:
    """Up to five buttons side by side."""

    buttons: tuple[Button, ...]


class SeparatorSpacing(StrEnum):
    small = "small"
    large = "large"


@dataclass(frozen=True)
class Separator:
    """Space between components, with a line across unless `divider` is False."""

    divider: bool = True
    spacing: SeparatorSpacing = SeparatorSpacing.small


Block = TextDisplay | Section | ActionRow | Separator  # what a container holds


@dataclass(frozen=True)
class Container:
    """A box around its children, with a coloured bar down its left edge (like an embed's)."""

    children: tuple[Block, ...]
    accent_color: int | None = None


Component = Container | Block  # what a layout holds at its top level


def walk(layout: tuple[Component, ...]) -> Iterator[Component | Button]:
    """Every component of a layout, depth first in reading order, buttons included."""
    for component in layout:
        yield component
        if isinstance(component, Container):
            yield from walk(component.children)
        elif isinstance(component, Section):
            yield from component.texts
            yield component.accessory
        elif isinstance(component, ActionRow):
            yield from component.buttons


def component_count(layout: tuple[Component, ...]) -> int:
    """Components as Discord counts them against its 40: the container, each section, its texts
    and its button, each row and its buttons, each text and separator."""
    return sum(1 for _ in walk(layout))


def text_length(layout: tuple[Component, ...]) -> int:
    """Characters of text as Discord counts them against its 4,000: every text display's."""
    return sum(len(c.content) for c in walk(layout) if isinstance(c, TextDisplay))


def _replace_buttons(
    layout: tuple[Component, ...], change: Callable[[Button], Button]
) -> tuple[Component, ...]:
    def block(component: Component) -> Component:
        if isinstance(component, Container):
            children = tuple(block(c) for c in component.children)
            return dataclasses.replace(component, children=children)  # type: ignore[arg-type]
        if isinstance(component, Section):
            return dataclasses.replace(component, accessory=change(component.accessory))
        if isinstance(component, ActionRow):
            return dataclasses.replace(component, buttons=tuple(change(b) for b in component.buttons))
        return component

    return tuple(block(c) for c in layout)


@dataclass(frozen=True)
class OutgoingMessage:
    content: str = ""
    embeds: tuple[Embed, ...] = ()
    rows: tuple[tuple[Button, ...], ...] = ()  # action rows of buttons
    files: tuple[FileAttachment, ...] = ()
    layout: tuple[Component, ...] = ()  # components v2: then nothing else

    def __post_init__(self) -> None:
        if self.layout and (self.content or self.embeds or self.rows or self.files):
            raise ValueError("a layout message holds its text and buttons in its layout, nothing else")

    @property
    def is_layout(self) -> bool:
        """Whether this is a components v2 message (sent with the IS_COMPONENTS_V2 flag)."""
        return bool(self.layout)

    def buttons(self) -> list[Button]:
        """Every button, in reading order, whichever the shape."""
        if self.layout:
            return [c for c in walk(self.layout) if isinstance(c, Button)]
        return [b for row in self.rows for b in row]

    def texts(self) -> list[str]:
        """Every text display of a layout, in reading order (none for a classic message)."""
        return [c.content for c in walk(self.layout) if isinstance(c, TextDisplay)]

    def sections(self) -> list[Section]:
        """A layout's sections (text with a button beside it), in reading order."""
        return [c for c in walk(self.layout) if isinstance(c, Section)]

    @property
    def heading(self) -> str:
        """What the message is about: its first embed's title, or a layout's first line of text
        without its markdown heading marks, or the first line of its content."""
        if self.layout:
            texts = self.texts()
            first = texts[0].splitlines()[0] if texts and texts[0] else ""
            return first.lstrip("#").strip()
        if self.embeds and self.embeds[0].title:
            return self.embeds[0].title
        return self.content.splitlines()[0] if self.content else ""

    def with_buttons(self, change: Callable[[Button], Button]) -> OutgoingMessage:
        """This message with `change` applied to each of its buttons, wherever they are."""
        if self.layout:
            return dataclasses.replace(self, layout=_replace_buttons(self.layout, change))
        return dataclasses.replace(self, rows=tuple(tuple(change(b) for b in row) for row in self.rows))

    def as_text(self) -> str:
        """A plain rendering for the console and logs."""
        if self.layout:
            return "\n".join(_layout_lines(self.layout))
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


def _label(button: Button) -> str:
    return f"[{button.label}]"


def _layout_lines(layout: tuple[Component, ...]) -> list[str]:
    """A layout for the console: a container's edge as `│`, a section's button after its first
    line, a separator as a rule."""
    lines: list[str] = []
    for component in layout:
        if isinstance(component, Container):
            lines.extend(f"│ {line}" if line else "│" for line in _layout_lines(component.children))
        elif isinstance(component, TextDisplay):
            lines.extend(component.content.splitlines())
        elif isinstance(component, Section):
            text = "\n".join(t.content for t in component.texts).splitlines() or [""]
            lines.extend([f"{text[0]}  {_label(component.accessory)}", *text[1:]])
        elif isinstance(component, ActionRow):
            lines.append(" ".join(_label(b) for b in component.buttons))
        elif isinstance(component, Separator):
            lines.append("─" * 24 if component.divider else "")
    return lines


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
