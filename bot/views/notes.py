"""The private line as people read it: a coach's note in a client's DMs ("Coach Sam: …", with a
Reply button), a client's reply as their coach gets it (by DM, or in the coaches' channel with a
mention), the notice that a note was not delivered, and a thread's lines.

Discord allows 2,000 characters of content. A note or a reply may be up to NOTE_LIMIT (4,000,
what a form's paragraph holds); a longer text than PART_LIMIT is sent as numbered parts, cut
between paragraphs, then lines, then sentences, then words, never inside one. Each part keeps
room for its heading and the reference the delivery adds (bot.views.markers)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.team import Coach, Notify
from bot.views.messages import Button, ButtonStyle, OutgoingMessage

NOTE_LIMIT = 4000
PART_LIMIT = 1800
NAME_LIMIT = 80
QUOTE_LIMIT = 120
_CONTENT_LIMIT = 2000
_REFERENCE_ROOM = 40  # the "-# ref rg….n" line bot.views.markers adds to a part without buttons

_MARKDOWN = re.compile(r"([\\*_~`|])")  # inside **…**: what could end or change the bold
_SENTENCE_END = re.compile(r"[.!?…][)\"'”’]*\s+")


def plain(name: str) -> str:
    """A name on one line, shown literally inside bold (markdown escaped)."""
    one_line = " ".join(name.split())[:NAME_LIMIT]
    return _MARKDOWN.sub(r"\\\1", one_line)


def inert(text: str) -> str:
    """A client's words in the coaches' channel: no @everyone, @here, user or role mention pings
    (a zero-width space after each @)."""
    return text.replace("@", "@\u200b")


def split(text: str, limit: int = PART_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` characters, cut where a reader would pause: between
    paragraphs, else lines, else sentences, else words; a word longer than a part is cut."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        cut = _last_break(text[: limit + 1], limit)
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def _last_break(window: str, limit: int) -> int:
    floor = limit // 3  # a break this early would leave a stub of a part: look for a smaller one
    for separator in ("\n\n", "\n"):
        at = window.rfind(separator, 0, limit)
        if at >= floor:
            return at + len(separator)
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit]
    if ends and ends[-1] >= floor:
        return ends[-1]
    at = window.rfind(" ", 0, limit)
    if at >= floor:
        return at + 1
    return limit


def _head(who: str, after: str, number: int, of: int) -> str:
    """The heading of part `number` of `of`, bold: `Coach Sam:` alone, `Coach Sam (1/2):` in
    parts; `after` (a mention) follows the bold name, before the colon."""
    count = f" ({number}/{of})" if of > 1 else ""
    return f"**{who}{count}:**{after} " if not after else f"**{who}{count}**{after}: "


def _messages(
    who: str, body: str, *, after: str = "", tail: str = "", last_row: tuple[Button, ...] = ()
) -> list[OutgoingMessage]:
    """`body` under its heading, in as many parts as Discord's 2,000 characters need, `tail` and
    `last_row` (a button) on the last part only."""
    room = _CONTENT_LIMIT - _REFERENCE_ROOM - len(_head(who, after, 99, 99)) - len(tail)
    parts = split(body, min(PART_LIMIT, room))
    out = []
    for i, part in enumerate(parts, start=1):
        last = i == len(parts)
        text = _head(who, after, i, len(parts)) + part + (tail if last else "")
        out.append(OutgoingMessage(content=text, rows=(last_row,) if last and last_row else ()))
    return out


def coach_note(coach_name: str, body: str, reply_id: str) -> list[OutgoingMessage]:
    """A coach's note in the client's DMs: "Coach Sam: …", the Reply button under its last part."""
    return _messages(
        f"Coach {plain(coach_name)}", body, last_row=(Button("Reply", reply_id, ButtonStyle.primary),)
    )


def _quote(text: str) -> str:
    quote = " ".join(text.split())
    if len(quote) > QUOTE_LIMIT:
        quote = quote[: QUOTE_LIMIT - 1].rstrip() + "…"
    return quote


def _replying_to(note_day: dt.date | None, quoted: str | None) -> str:
    if note_day is None or not quoted:
        return ""
    return f"\n-# In reply to the note of {note_day:%A %d %B}: “{inert(_quote(quoted))}”"


@dataclass(frozen=True)
class Reply:
    """A client's reply, with what it answers."""

    client_name: str
    client_id: int
    body: str
    note_day: dt.date | None = None
    quoted: str | None = None  # the note it answers


ANSWER_HINT = "\n-# Answer with /note."


def reply_dm(reply: Reply) -> list[OutgoingMessage]:
    """The reply in its coach's DMs: "Sam: …", what it answers, and how to answer it."""
    tail = _replying_to(reply.note_day, reply.quoted) + ANSWER_HINT
    return _messages(plain(reply.client_name), reply.body, tail=tail)


def reply_post(reply: Reply, coach: Coach | None, *, dms_closed: bool = False) -> list[OutgoingMessage]:
    """The reply in the coaches' channel: the client by name and mention, their words unable to
    ping anyone, and the coach it is for (mentioned unless they hear by DM only)."""
    tail = _replying_to(reply.note_day, reply.quoted)
    if coach is not None:
        name = plain(coach.display_name)
        if dms_closed:
            tail += f"\n-# For {name} (<@{coach.user_id}>): Discord refused to DM them."
        elif coach.notify == Notify.dm:
            tail += f"\n-# For {name}."
        else:
            tail += f"\n-# For {name} (<@{coach.user_id}>)."
    return _messages(
        f"Reply from {plain(reply.client_name)}",
        inert(reply.body),
        after=f" (<@{reply.client_id}>)",
        tail=tail + ANSWER_HINT,
    )


def not_delivered(
    client_name: str,
    body: str,
    note_day: dt.date,
    *,
    client_id: int | None = None,
    coach: Coach | None = None,
) -> OutgoingMessage:
    """Why a coach's note did not reach the client, and what to do: in the coach's DMs, or (with
    `coach` and `client_id`) in the coaches' channel, mentioning the coach and naming the client."""
    client = f"**{plain(client_name)}**" + (f" (<@{client_id}>)" if client_id is not None else "")
    to = f"<@{coach.user_id}> " if coach is not None else ""
    return OutgoingMessage(
        content=(
            f"{to}Your note to {client} of {note_day:%A %d %B} was not delivered: their DMs are "
            f"closed to the bot. {what_to_do(client_name)}\n-# “{_quote(body)}”"
        )
    )


def what_to_do(client_name: str) -> str:
    """After a note met closed DMs (Discord refuses DMs from the bot, or shares no server)."""
    return (
        f"Ask {plain(client_name)} to allow DMs from the server's members (and to be in the server), "
        "then send it again with /note; the note is kept in their thread."
    )


@dataclass(frozen=True)
class ThreadLine:
    """One message of a client's private line."""

    at: dt.datetime
    local_date: dt.date
    to_client: bool
    coach_name: str | None
    client_name: str
    body: str
    state: str  # queued | delivered | not delivered
    why: str | None = None


_STATE_MARK = {"queued": " (queued)", "not delivered": " (not delivered)", "delivered": ""}


def thread_lines(lines: Sequence[ThreadLine], *, width: int = 200) -> list[str]:
    """The thread as lines: "`Mon 04 May` **Coach Sam**: Great week …", oldest first."""
    out = []
    for line in lines:
        who = f"Coach {line.coach_name}" if line.to_client else line.client_name
        mark = _STATE_MARK.get(line.state, "")
        text = " ".join(line.body.split())
        head = f"`{line.local_date:%a %d %b}` **{plain(who or 'a coach')}**{mark}: "
        room = width - len(head)
        if len(text) > room:
            text = text[: max(room - 1, 0)].rstrip() + "…"
        out.append(head + text)
    return out
