"""The reference every message a job sends carries, so that a retry after an unknown outcome can
find the message an earlier attempt sent instead of sending it again.

Discord's nonce deduplicates a re-send only "in the past few minutes", and a message read back
from a channel's history does not carry its nonce, so the reference is written into the message
itself, where history returns it:
- on a message with buttons, in the first button's custom_id (`…:20260504~rg12.0`: invisible,
  and the custom_id patterns accept the tail);
- otherwise in the last embed's footer, or as a line of small text under the content
  (`-# ref rg12.0`): the coaches' channel posts, where a short reference does no harm.

The reference is the job's nonce for that part (`rg<job id>.<part>`), so every retry of a job
looks for the same one and a forced resend (a new job) gets its own.
"""

from __future__ import annotations

import dataclasses
import re

from bot.views.messages import Embed, OutgoingMessage, SeenMessage

_REF = re.compile(r"^[a-z0-9.]{1,25}$")
_IN_TEXT = re.compile(r"(?:^|\s)ref (?P<ref>[a-z0-9.]{1,25})$", re.MULTILINE)
_IN_CUSTOM_ID = re.compile(r"~(?P<ref>[a-z0-9.]{1,25})$")
_FOOTER_LIMIT = 2048
_CONTENT_LIMIT = 2000


def mark(message: OutgoingMessage, ref: str) -> OutgoingMessage:
    """`message` carrying `ref` where a channel's history will show it back."""
    if not _REF.match(ref):
        raise ValueError(f"a message reference is 1-25 of a-z, 0-9 and '.': {ref!r}")
    if message.rows and message.rows[0]:
        first, *others = message.rows[0]
        tagged = dataclasses.replace(first, custom_id=f"{first.custom_id}~{ref}")
        return dataclasses.replace(message, rows=((tagged, *others), *message.rows[1:]))
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
