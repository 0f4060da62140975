"""What the double recorded, for tests to inspect: messages (with their edits and attachments),
modals, command syncs, REST requests, global 429s, and what became of each injected interaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .constants import EPHEMERAL, IS_COMPONENTS_V2, LOADING

if TYPE_CHECKING:
    from .state import DoubleState


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
    "followup" (webhook follow-up). ``created`` is on the double's time function; ``timestamp``
    (the time the id encodes) and ``edited_timestamp`` are on its calendar clock, ``now_fn``.
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
        """The component with this custom_id, or None. A test names a button by the custom_id it
        expects; the bot may add a `~reference` tail to a sent message's first button (its own
        bookkeeping, bot.views.markers), so a unique component whose custom_id is the name plus
        such a tail is that button too. The click still carries the component's own custom_id."""
        exact = next((c for c in self.iter_components() if c.get("custom_id") == custom_id), None)
        if exact is not None:
            return exact
        tailed = [
            c for c in self.iter_components() if str(c.get("custom_id", "")).startswith(f"{custom_id}~")
        ]
        return tailed[0] if len(tailed) == 1 else None

    def buttons(self) -> list[dict[str, Any]]:
        """All buttons (type 2) on the message."""
        return [c for c in self.iter_components() if c.get("type") == 2]

    @property
    def components_v2(self) -> bool:
        """Whether the message has the IS_COMPONENTS_V2 flag (a layout: no content, no embeds)."""
        return bool(self.flags & IS_COMPONENTS_V2)

    def texts(self) -> list[str]:
        """The content of every text display (type 10), in layout order: a v2 message's text,
        wherever it stands (top level, in a container, in a section)."""
        return [c.get("content", "") for c in self.iter_components() if c.get("type") == 10]

    def sections(self) -> list[tuple[str, dict[str, Any]]]:
        """Every section (type 9) as (its text displays' content joined by newlines, its
        accessory), in layout order."""
        return [
            ("\n".join(t.get("content", "") for t in c.get("components") or []), c.get("accessory") or {})
            for c in self.iter_components()
            if c.get("type") == 9
        ]

    def section(self, text: str) -> tuple[str, dict[str, Any]]:
        """The one section whose text contains `text` (an AssertionError otherwise)."""
        found = [s for s in self.sections() if text in s[0]]
        assert len(found) == 1, f"{len(found)} sections contain {text!r}: {[s[0] for s in self.sections()]}"
        return found[0]

    def heading(self) -> str:
        """What the message is about, whichever its shape: the first embed's title; or, for a v2
        message, the first line of its first text display without markdown heading marks
        (``## Full body A`` -> ``Full body A``); else the first line of its content."""
        if self.components_v2:
            texts = self.texts()
            first = texts[0].splitlines()[0] if texts and texts[0] else ""
            return first.lstrip("#").strip()
        if self.embeds and self.embeds[0].get("title"):
            return str(self.embeds[0]["title"])
        return self.content.splitlines()[0] if self.content else ""


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
class SuppressedSend:
    """A send with ``enforce_nonce`` that created nothing: Discord answered with the earlier message.

    ``age`` is seconds on the double's calendar clock (``now_fn``) since that earlier send; ``time``
    is on its time function, like the other records.
    """

    channel_id: int
    nonce: str
    message_id: int
    age: float
    time: float


@dataclass
class RateLimitHit:
    """A 429 the double answered because of :attr:`DiscordDouble.global_rate_limit`."""

    method: str
    path: str
    time: float
    retry_after: float
    global_: bool = True


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
    _double: DoubleState | None = field(default=None, repr=False)  # the double, for the waits

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


# Depth first through rows, sections, containers and modal labels (their ``component``): the
# records, the limit checks and the message store all need every component of a layout.
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
