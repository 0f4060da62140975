"""The message store: creating and editing the messages the bot sends, after checking each body
against Discord's limits (a breach is recorded and answered 400, as Discord does), and the pages of
a channel's history that Get Channel Messages returns."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from .constants import EPHEMERAL, IS_COMPONENTS_V2, LOADING, SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS
from .errors import _HTTPError
from .limits import _check_message_payload, _nest_problems
from .records import AttachmentRecord, EditRecord, InteractionResult, MessageRecord, _walk_components
from .state import DoubleState


class MessageStore(DoubleState):
    """Messages as REST calls, interaction responses and follow-ups create and edit them."""

    def _assign_component_ids(self, components: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Discord numbers every component (``id``) when the bot does not; do the same."""
        comps = json.loads(json.dumps(components))
        # An id of 0 "will be treated as empty and replaced by the API".
        used = {c["id"] for c in _walk_components(comps) if isinstance(c.get("id"), int) and c["id"]}
        counter = itertools.count(1)
        for c in _walk_components(comps):
            if not isinstance(c.get("id"), int) or not c["id"]:
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
        message_id = self._snowflake()
        record = MessageRecord(
            channel_id=channel_id,
            message_id=message_id,
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
            timestamp=self._snowflake_iso(message_id),
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
        self,
        context: str,
        payload: Mapping[str, Any],
        n_files: int,
        *,
        creating: bool,
        existing: MessageRecord | None = None,
    ) -> None:
        """Check a body against Discord's limits; `existing` is the message an edit changes."""
        current = None
        if existing is not None:
            current = {"flags": existing.flags, "content": existing.content, "embeds": existing.embeds}
        problems, empty = _check_message_payload(payload, n_files, creating=creating, existing=current)
        if problems:
            text = "; ".join(f"{p}: {m}" for p, m in problems)
            self._violate(f"{context}: {text}")
            raise _HTTPError(400, 50035, "Invalid Form Body", _nest_problems(problems))
        if empty:
            self._violate(f"{context}: empty message (no content, embeds, components or files)")
            raise _HTTPError(400, 50006, "Cannot send an empty message")


def _history_page(
    messages: Sequence[MessageRecord], limit: int, anchor: tuple[str, int] | None
) -> list[MessageRecord]:
    """One page of Get Channel Messages out of a channel's visible messages (oldest first by id).

    Discord answers every anchor newest first: no anchor or ``before``, the newest ``limit`` older
    than it; ``after``, the ``limit`` *oldest* newer than it (so paging forward from the newest id
    of a page skips none — discord.py's history(after=...) does exactly that); ``around``,
    ``limit // 2`` on each side plus the anchor message itself (hence up to limit + 1, as
    discord.py's docs warn).
    """
    if anchor is None:
        return list(messages[-limit:])[::-1]
    kind, pivot = anchor
    older = [m for m in messages if m.message_id < pivot]
    newer = [m for m in messages if m.message_id > pivot]
    if kind == "before":
        chosen = older[-limit:]
    elif kind == "after":
        chosen = newer[:limit]
    else:
        half = limit // 2
        itself = [m for m in messages if m.message_id == pivot]
        chosen = older[len(older) - half :] + itself + newer[:half]
    return chosen[::-1]
