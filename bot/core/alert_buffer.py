"""The alert buffer: what an alert says, and posting alerts in batches to the alert channel.

An alert is written for a coach (README "The bot's voice"): it names the client (display name
and mention), says in words what failed and on which day, and what the coach can do about it.
The dispatcher supplies the facts; the wording lives here.

A batch is named, then locked, posted as one message and marked posted in one transaction: if
the post fails, nothing is marked and the next round looks for the post in the channel before
posting again (bot.core.once); two processes never post the same alert (SKIP LOCKED)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import asyncpg
from loguru import logger

from bot.core import once
from bot.core.clock import Clock
from bot.core.delivery import DeliveryError, PermanentDeliveryError, Transport
from bot.core.engine import ActionKind, NotYet
from bot.domain.models import ClientProfile, Job
from bot.domain.team import Assignment
from bot.repo import alerts
from bot.views import markers
from bot.views.messages import Embed, OutgoingMessage

BATCH = 20
_DESCRIPTION_LIMIT = 4000  # Discord allows 4096 in an embed description
_LINE_LIMIT = 900

# --- what an alert says ---------------------------------------------------------------------

_MARKDOWN = re.compile(r"([\\*_~`|])")  # inside **…**: what could end or change the bold
_STATUS = re.compile(r"^\s*(\d{3})\b")


def client_named(client: ClientProfile | None, user_id: int) -> str:
    """A client as coaches read them in the alert channel: display name and mention."""
    if client is None:
        return "A client no longer on the roster"
    name = _MARKDOWN.sub(r"\\\1", " ".join(client.display_name.split()))  # one line, literal
    mention = f"<@{user_id}>"
    return f"**{name}** ({mention})" if name else mention


def _status_of(exc: BaseException | None) -> int | None:
    """The HTTP status behind a delivery error, if Discord answered at all."""
    if exc is None:
        return None
    status = getattr(exc.__cause__, "status", None)
    if isinstance(status, int):
        return status
    found = _STATUS.match(str(exc))
    return int(found[1]) if found else None


def _trouble(exc: BaseException | None, tries: int) -> str:
    """Why the last try failed, in words: completes "…could not be delivered: ___"."""
    kept = tries > 1
    if isinstance(exc, DeliveryError):
        status = _status_of(exc)
        if status is not None and status >= 500:
            return f"Discord {'kept answering' if kept else 'answered'} with a server error"
        if status == 429:
            return f"Discord {'kept telling' if kept else 'told'} the bot to slow down"
        return f"the bot {'kept failing' if kept else 'failed'} to reach Discord"
    if isinstance(exc, NotYet):
        return f"it was still waiting: {exc}"
    if exc is None:
        return "the bot stopped before it could finish, every time"
    return "the bot ran into an error of its own (the bot's log has the details)"


def _span(tries: int, first: dt.datetime | None, now: dt.datetime) -> str:
    if tries <= 1:
        return "1 try"
    minutes = round((now - first).total_seconds() / 60) if first is not None else 0
    if minutes < 1:
        return f"{tries} tries within a minute"
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return f"{tries} tries over {' '.join(parts)}"


def _what(job: Job, label: str, kind: ActionKind | None) -> str:
    """What the job was, for a coach: "Monday 04 May's check-in", "the weekly flag scan of …"."""
    day = f"{job.local_date:%A %d %B}"
    if kind == ActionKind.drop:
        return f"{day}'s {label}"
    if kind == ActionKind.scan:
        return f"the {label} of {day}"
    return f"the “{label}” step of {day}"


def _failed_how(kind: ActionKind | None, exc: BaseException | None) -> str:
    if not isinstance(exc, DeliveryError):
        return "did not go through"
    if kind == ActionKind.drop:
        return "could not be delivered"
    if kind == ActionKind.scan:
        return "could not be posted"
    return "did not go through"


def _sentence(job: Job, client: ClientProfile | None, what: str) -> str:
    """Start with the client when there is one; a job for everyone starts with what it was."""
    if job.user_id is None:
        return what[:1].upper() + what[1:]
    return f"{client_named(client, job.user_id)} — {what}"


def dead_alert(
    job: Job,
    client: ClientProfile | None,
    *,
    label: str,
    kind: ActionKind | None,
    exc: BaseException | None,
    now: dt.datetime,
    can_trigger: bool,
) -> str:
    """A job out of retries (or whose workers kept dying): what, why, and what the coach can do.

    `exc` is the last failure (None: the workers died); `can_trigger` whether a coach can send
    it again with /trigger now (a drop of today, not yet closed)."""
    why = f"{_trouble(exc, job.attempts)} ({_span(job.attempts, job.started_at, now)})"
    what = f"{_what(job, label, kind)} {_failed_how(kind, exc)}: {why}."
    if can_trigger:
        then = "It will not be retried; send it with /trigger if it still matters today."
    elif kind == ActionKind.drop and job.deadline is not None and now >= job.deadline:
        then = "It will not be retried: it has closed, so there is nothing left to send."
    elif kind == ActionKind.scan:
        then = "It will not be retried; the next one runs as planned."
    else:
        then = "It will not be retried."
    return f"{_sentence(job, client, what)} {then}"


def failed_alert(
    job: Job, client: ClientProfile | None, *, label: str, kind: ActionKind | None, exc: BaseException
) -> str:
    """A permanent failure: Discord refused what was sent, so no retry was made. What it means."""
    status = _status_of(exc)
    if status == 403:
        why = "Discord does not let the bot post there"
        then = "It was not retried: check the bot's permissions in that channel."
    elif status == 404:
        why = "the channel or message it needed no longer exists on Discord"
        then = "It was not retried: check that the bot's channels are still set up."
    elif status is not None and 400 <= status < 500:
        why = "Discord refused the message as invalid"
        then = (
            "It was not retried, as Discord would refuse it the same way: this is a fault in the "
            "bot, not something the client did, so tell whoever runs the bot."
        )
    else:
        why = "Discord refused it"
        then = "It was not retried, as Discord would refuse it the same way."
    how = _failed_how(kind, exc if isinstance(exc, PermanentDeliveryError) else None)
    return f"{_sentence(job, client, f'{_what(job, label, kind)} {how}: {why}.')} {then}"


def for_coach(message: str, coach: Assignment | None) -> str:
    """An alert about a client names the client's coach (mentioned when the batch is posted)."""
    if coach is None or coach.coach_id is None:
        return message
    return f"{message} Coach: {coach.coach_name or 'their coach'} (<@{coach.coach_id}>)."


# --- posting --------------------------------------------------------------------------------


def render(rows: list[Mapping[str, Any]] | list[asyncpg.Record]) -> tuple[OutgoingMessage, list[int]]:
    """As many alerts as fit in one embed; returns the message and the ids it covers. Each
    alert is one line, its message as written for coaches (no kind, no ids)."""
    lines: list[str] = []
    ids: list[int] = []
    size = 0
    for row in rows:
        line = f"• {row['message']}"
        if len(line) > _LINE_LIMIT:
            line = line[: _LINE_LIMIT - 1] + "…"
        if size + len(line) + 1 > _DESCRIPTION_LIMIT and lines:
            break
        lines.append(line)
        ids.append(row["id"])
        size += len(line) + 1
    title = f"{len(ids)} delivery alert{'s' if len(ids) != 1 else ''}"
    # A mention in an embed does not notify anyone: the coaches concerned are named in the text.
    covered = set(ids)
    coach_ids = sorted({row["coach_id"] for row in rows if row["id"] in covered and row.get("coach_id")})
    content = f"For {', '.join(f'<@{c}>' for c in coach_ids)}" if coach_ids else ""
    embed = Embed(title=title, description="\n".join(lines), color=0xC0392B)
    return OutgoingMessage(content=content, embeds=(embed,)), ids


async def post_pending(pool: asyncpg.Pool, transport: Transport, channel_id: int | None, clock: Clock) -> int:
    """Post every unposted alert, each in one message once; return how many were posted.

    A batch is named first (committed), then locked, posted and marked posted in one
    transaction. A batch named by an earlier pass that did not mark it (its post failed, or its
    outcome is unknown) is looked for in the channel by its reference before it is posted again.
    """
    if channel_id is None:
        return 0
    posted = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await alerts.take_unposted(conn, BATCH)
            if not rows:
                return posted
            ref, began = rows[0]["batch"], rows[0]["posting_since"]
            if ref is None:
                _, ids = render(rows)
                ref = f"al{ids[0]}"
                await alerts.begin_batch(conn, ids, ref, clock.now())
        async with pool.acquire() as conn, conn.transaction():
            rows = await alerts.lock_batch(conn, ref)
            if not rows:
                continue  # another poster holds it
            message, ids = render(rows)
            earlier = None
            if began is not None:
                seen = await transport.recent_posts(channel_id, began - once.CLOCK_SKEW)
                earlier = markers.find(seen, ref)
            if earlier is None:
                await transport.post_channel(channel_id, markers.mark(message, ref), nonce=ref)
            await alerts.mark_posted(conn, ids, clock.now())
        posted += len(ids)
        logger.info("posted {} alert(s) to the alert channel", len(ids))
