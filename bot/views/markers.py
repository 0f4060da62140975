"""The reference every message a job sends carries, so that a retry after an unknown outcome can
find the message an earlier attempt sent instead of sending it again.

Discord's nonce deduplicates a re-send only "in the past few minutes", and a message read back
from a channel's history does not carry its nonce, so the reference is written into the message
itself, where history returns it:
- on a message with buttons, in the first button's custom_id (`…:20260504~rg12.0`: invisible,
  and the custom_id patterns accept the tail), wherever that button is: in the first row, or in
  a components v2 layout beside a section or in a row inside a container;
- otherwise in the last embed's footer, or as a line of small text under the content or under a
  layout's last text (`-# ref rg12.0`): the coaches' channel posts, where a short reference does
  no harm.

The reference is the job's nonce for that part (`rg<job id>.<part>`), so every retry of a job
looks for the same one and a forced resend (a new job) gets its own.
"""

from __future__ import annotations

import dataclasses
import re

from bot.views.messages import (
    LAYOUT_MAX_TEXT,
    Button,
    Component,
    Container,
    Embed,
    OutgoingMessage,
    SeenMessage,
    TextDisplay,
    text_length,
)

_REF = re.compile(r"^[a-z0-9.]{1,25}$")
_IN_TEXT = re.compile(r"(?:^|\s)ref (?P<ref>[a-z0-9.]{1,25})$", re.MULTILINE)
_IN_CUSTOM_ID = re.compile(r"~(?P<ref>[a-z0-9.]{1,25})$")
_FOOTER_LIMIT = 2048
_CONTENT_LIMIT = 2000


def mark(message: OutgoingMessage, ref: str) -> OutgoingMessage:
    """`message` carrying `ref` where a channel's history will show it back."""
    if not _REF.match(ref):
        raise ValueError(f"a message reference is 1-25 of a-z, 0-9 and '.': {ref!r}")
    if message.buttons():
        tagged: list[Button] = []

        def tag(button: Button) -> Button:
            if tagged:
                return button
            tagged.append(button)
            return dataclasses.replace(button, custom_id=f"{button.custom_id}~{ref}")

        return message.with_buttons(tag)
    if message.layout:
        return dataclasses.replace(message, layout=_with_line(message.layout, f"-# ref {ref}"))
    if message.embeds:
        *others, last = message.embeds
        footer = f"{last.footer} · ref {ref}" if last.footer else f"ref {ref}"
        if len(footer) <= _FOOTER_LIMIT:
            return dataclasses.replace(message, embeds=(*others, _with_footer(last, footer)))
    line = f"-# ref {ref}"
    content = f"{message.content}\n{line}" if message.content else line
    if len(content) > _CONTENT_LIMIT:
        content = f"{message.content[: _CONTENT_LIMIT - len(line) - 2]}…\n{line}"
    return dataclasses.replace(message, content=content)


def refs_of(seen: SeenMessage) -> set[str]:
    """Every reference a message read back from Discord carries."""
    found = {m["ref"] for custom_id in seen.custom_ids if (m := _IN_CUSTOM_ID.search(custom_id))}
    for text in seen.texts:
        found.update(m["ref"] for m in _IN_TEXT.finditer(text))
    return found


def find(seen: list[SeenMessage], ref: str) -> SeenMessage | None:
    """The earliest message carrying `ref`, if an earlier attempt sent one."""
    return next((message for message in seen if ref in refs_of(message)), None)


def _with_footer(embed: Embed, footer: str) -> Embed:
    return dataclasses.replace(embed, footer=footer)


def _with_line(layout: tuple[Component, ...], line: str) -> tuple[Component, ...]:
    """`layout` with `line` under its last text (cut short to stay within Discord's 4,000
    characters), or as a text of its own when it has none."""
    room = LAYOUT_MAX_TEXT - text_length(layout) - len(line) - 1

    def last_text(components: tuple[Component, ...]) -> tuple[Component, ...] | None:
        for at in range(len(components) - 1, -1, -1):
            component = components[at]
            if isinstance(component, TextDisplay):
                text = component.content if room >= 0 else f"{component.content[: room - 1]}…"
                changed: Component = TextDisplay(f"{text}\n{line}")
            elif isinstance(component, Container):
                children = last_text(component.children)  # type: ignore[arg-type]
                if children is None:
                    continue
                changed = dataclasses.replace(component, children=children)  # type: ignore[arg-type]
            else:
                continue
            return (*components[:at], changed, *components[at + 1 :])
        return None

    return last_text(layout) or (*layout, TextDisplay(line))
