"""The private line: `/note` sends a client a DM from the bot headed with the coach's name ("Coach
Sam: …") and a Reply button; the client's reply (a form) reaches that coach the way they asked to
hear (`/coach notify`: by DM, in the coaches' channel with a mention, or both). Both sides are kept
as one thread per client.

Every message goes out as a job of this engine, so it is paced, retried and sent exactly once like
every drop (bot.core.once). The engine's actions are never planned (`planned=False`): a note's job
is inserted with the note, in one transaction, and the dispatcher is woken, as `/trigger` does.

- `to_client` DMs the note, in parts when it is long (bot.views.notes), the Reply button under the
  last. A client whose DMs are closed: the dispatcher marks the job failed and raises the
  `unreachable` card; the note is marked undeliverable and its author is told, once: by `/note`,
  which waits a few seconds for the outcome, or else by the `notice` job a minute later.
- `to_coach` delivers a reply to the coach it is for; their DMs closed: to the coaches' channel.
- Notes are not sent to paused or not-yet-started clients (the dispatcher would skip them): `/note`
  refuses, naming the reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.delivery import PermanentDeliveryError, RecipientUnreachable
from bot.core.engine import ActionKind, ActionSpec, Engine, JobContext, Outcome
from bot.domain import inputs, team
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile
from bot.domain.team import Coach, Notify
from bot.repo import clients, coaches
from bot.repo import notes as repo
from bot.usecases.coaching import client_today, require_client
from bot.usecases.triggers import Wake
from bot.views import custom_ids
from bot.views import notes as views
from bot.views.messages import OutgoingMessage, SentMessage

NAME = repo.ENGINE
TO_CLIENT, TO_COACH, NOTICE = "to_client", "to_coach", "notice"

REPLY_ID = custom_ids.NOTE_REPLY
REPLY_FORM_ID = custom_ids.NOTE_REPLY_FORM

NOTES_A_DAY = 500  # to one client, per their local day (the Reply button numbers them in 3 digits)
NOTICE_AFTER = dt.timedelta(minutes=1)  # past /note's wait: it told the coach, or it gave up
OUTCOME_WAIT_SECONDS = 8.0  # how long /note waits (real time) to say what became of the note
THREAD_LINES = 5
DM_PARTS = 10  # a job's DM parts are numbered from here, its channel posts from 0


def _client_name(profile: ClientProfile | None) -> str:
    return (profile.display_name if profile is not None else "") or "the client"


def _refusal(problems: list[str], finish: str = "nothing was sent") -> InputError:
    """Every problem, the last ending with what became of the text."""
    return InputError([*problems[:-1], f"{problems[-1]}; {finish}."])


def _text(value: str | None, field: str) -> tuple[str | None, list[str]]:
    problems: list[str] = []
    body = inputs.text(value, field, problems, limit=views.NOTE_LIMIT)
    if body is None and not problems:
        problems.append(f"{field}: it is empty, write something to send")
    return body, problems


def _stand_in(coach_id: int, name: str | None, now: dt.datetime) -> Coach:
    """Someone a note names who is not on the team (anymore): heard of in the coaches' channel."""
    return Coach(user_id=coach_id, display_name=name or "their coach", added_at=now)


# --- what coaches and clients do -----------------------------------------------------------------


@dataclass(frozen=True)
class Queued:
    note_id: int
    job_id: int
    client_name: str
    local_date: dt.date
    parts: int


async def send_note(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int,
    author_id: int,
    author_name: str,
    text: str | None,
    wake: Wake | None = None,
) -> Queued:
    """Queue a coach's note to a client: the note and its job in one transaction, then `wake`
    (the dispatcher's notify) is told it is due now. InputError, having written nothing, when the
    text is empty or too long or the client cannot get it today."""
    body, problems = _text(text, "note")
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        profile = await require_client(conn, user_id)  # locked: a client's notes are numbered in turn
        name = _client_name(profile)
        today = client_today(profile, now)
        if profile.paused_on(today):
            until = f" until {profile.paused_until:%A %d %B}" if profile.paused_until else ""
            problems.append(f"{name} is paused{until}, and paused clients get nothing from the bot")
        elif profile.start_date > today:
            problems.append(f"{name} starts on {profile.start_date:%A %d %B} and gets nothing before then")
        elif await repo.count_to_client_on(conn, user_id, today) >= NOTES_A_DAY:
            problems.append(f"{name} has had {NOTES_A_DAY} notes today, the most a day holds")
        if problems or body is None:
            raise _refusal(problems)
        author = await coaches.get(conn, author_id)
        heading = (author.display_name if author is not None else author_name.strip()) or "your coach"
        note = await repo.add(
            conn, user_id=user_id, direction=TO_CLIENT, coach_id=author_id,
            coach_name=heading[: views.NAME_LIMIT], body=body, local_date=today, reply_to=None,
            job_user_id=user_id, job_date=today, requested_by=author_id, now=now,
        )  # fmt: skip
    if wake is not None:
        wake(now)
    assert note.job_id is not None
    return Queued(note.id, note.job_id, name, today, len(views.split(body)))


@dataclass(frozen=True)
class Delivery:
    """What became of a note, as /note tells its author."""

    state: str  # delivered | not delivered | queued
    text: str


async def await_outcome(
    pool: asyncpg.Pool, settings: Settings, queued: Queued, *, within: float = OUTCOME_WAIT_SECONDS
) -> Delivery:
    """Wait (in real time: the coach is waiting) up to `within` seconds for the note's job to
    finish, and say what became of it. A note found undeliverable here is reported here: the
    notice job then stays silent."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    pause = 0.05
    while True:
        async with pool.acquire() as conn:
            found = await repo.state_of(conn, queued.note_id)
        if found is None or found.state != "queued" or loop.time() >= give_up:
            break
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)
    name = views.plain(queued.client_name)
    if found is None:
        return Delivery("not delivered", f"The note to {name} is gone (the client was removed).")
    if found.state == "delivered":
        parts = f" (in {queued.parts} messages)" if queued.parts > 1 else ""
        return Delivery("delivered", f"Note delivered to {name}{parts}. Their reply will reach you here.")
    if found.state == "not delivered":
        async with pool.acquire() as conn:
            await repo.claim_telling(conn, queued.note_id, "command")
        if found.why == "dms_closed":
            text = (
                f"{name}'s DMs are closed: the note was not delivered. {views.what_to_do(queued.client_name)}"
            )
        elif found.why in ("paused", "not started"):
            text = f"The note was not delivered: {name} is {found.why}. It is kept in their thread."
        else:
            text = (
                f"The note to {name} could not be delivered ({found.why or 'unknown error'}). The "
                "alert channel has the details; it is kept in their thread."
            )
        return Delivery("not delivered", text)
    async with pool.acquire() as conn:
        note = await repo.get(conn, queued.note_id)
        author = await coaches.get(conn, note.coach_id) if note and note.coach_id else None
    where = "by DM" if author is not None and author.notify == Notify.dm else "in the coaches' channel"
    if settings.coach_channel_id is None:
        where = "by DM"
    return Delivery(
        "queued",
        f"Note to {name} queued (job #{queued.job_id}); it goes out in a moment. If it cannot be "
        f"delivered you will be told {where}.",
    )


@dataclass(frozen=True)
class ReplyForm:
    coach_name: str | None


async def reply_form(pool: asyncpg.Pool, *, user_id: int, day: dt.date, index: int) -> ReplyForm:
    """What the Reply form needs; InputError when the note is not there (any more)."""
    async with pool.acquire() as conn:
        note = await repo.by_button(conn, user_id, day, index)
    if note is None:
        raise InputError(
            "This note is no longer here, so it cannot be answered; write to your coach directly."
        )
    return ReplyForm(note.coach_name)


@dataclass(frozen=True)
class Replied:
    note_id: int
    coach_name: str | None

    @property
    def text(self) -> str:
        to = f"Coach {self.coach_name}" if self.coach_name else "your coaches"
        return f"Sent to {to}."


async def reply_to_note(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int,
    day: dt.date,
    index: int,
    text: str | None,
    wake: Wake | None = None,
) -> Replied:
    """A client's reply to a note: kept in their thread and queued for the coach it is for (who
    wrote the note; if they left the team, the client's coach now; else whoever wrote it, in the
    coaches' channel)."""
    body, problems = _text(text, "reply")
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        profile = await clients.get(conn, user_id)
        if profile is None:
            raise InputError("You are not a client of The Regiment; nothing was sent.")
        note = await repo.by_button(conn, user_id, day, index)
        if note is None:
            problems.append("this note is no longer here, so it cannot be answered")
        if problems or body is None or note is None:
            raise _refusal(problems)
        today = client_today(profile, now)
        author = await coaches.get(conn, note.coach_id) if note.coach_id is not None else None
        to = author or await coaches.responsible(conn, user_id, today)
        coach_id, coach_name = (
            (to.user_id, to.display_name) if to is not None else (note.coach_id, note.coach_name)
        )
        reply = await repo.add(
            conn, user_id=user_id, direction=TO_COACH, coach_id=coach_id, coach_name=coach_name,
            body=body, local_date=today, reply_to=note.id, job_user_id=None, job_date=now.date(),
            requested_by=None, now=now,
        )  # fmt: skip
    if wake is not None:
        wake(now)
    return Replied(reply.id, coach_name)


async def recent_thread(
    pool: asyncpg.Pool, user_id: int, limit: int = THREAD_LINES
) -> list[views.ThreadLine]:
    """The last `limit` messages of a client's private line, oldest first, with what became of each."""
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
        rows = await repo.thread(conn, user_id, limit)
    name = _client_name(profile)
    return [
        views.ThreadLine(
            r.created_at, r.local_date, r.direction == TO_CLIENT, r.coach_name, name, r.body, r.state, r.why
        )
        for r in rows
    ]


async def conversation(pool: asyncpg.Pool, user_id: int, limit: int) -> list[str]:
    """The thread's last lines, as /client show lists them."""
    return views.thread_lines(await recent_thread(pool, user_id, limit))


# --- the jobs ---------------------------------------------------------------------------------------


async def deliver_to_client(ctx: JobContext) -> Outcome:
    """DM the note, part by part (each once, whatever earlier attempts did). Closed DMs: the note
    is undeliverable, its author's notice is queued, and the dispatcher takes it from there (the
    job failed, the client unreachable, one card)."""
    async with ctx.pool.acquire() as conn:
        note = await repo.by_job(conn, ctx.job.id)
    if note is None or ctx.client is None:
        return Outcome.skipped("the note is gone")
    assert note.seq is not None
    reply_id = REPLY_ID.format(user_id=note.user_id, day=note.local_date, index=note.seq)
    sent: list[SentMessage] = []
    try:
        for part, message in enumerate(views.coach_note(note.coach_name or "", note.body, reply_id)):
            sent.append(await ctx.send_dm(message, part=part))
    except RecipientUnreachable:
        now = ctx.now()
        async with ctx.pool.acquire() as conn, conn.transaction():
            if await repo.mark_undeliverable(conn, note.id):
                await repo.add_notice_job(conn, note.id, day=now.date(), due=now + NOTICE_AFTER, now=now)
        raise
    async with ctx.pool.acquire() as conn:
        await repo.mark_delivered(conn, note.id, repo.messages_of(sent), ctx.now())
    return Outcome.done(note=note.id, parts=len(sent))


async def deliver_to_coach(ctx: JobContext) -> Outcome:
    """A client's reply, to the coach it is for: by DM and/or in the coaches' channel (their
    `/coach notify`); by DM when there is no coaches' channel; in the channel when Discord
    refuses the DM. A reply for no coach goes to the channel."""
    now = ctx.now()
    async with ctx.pool.acquire() as conn:
        note = await repo.by_job(conn, ctx.job.id)
        if note is None:
            return Outcome.skipped("the reply is gone")
        profile = await clients.get(conn, note.user_id)
        answered = await repo.get(conn, note.reply_to) if note.reply_to is not None else None
        coach = await _coach(conn, note.coach_id, note.coach_name, now)
    reply = views.Reply(
        _client_name(profile),
        note.user_id,
        note.body,
        answered.local_date if answered else None,
        answered.body if answered else None,
    )
    sent = await _send_to_coach(
        ctx, coach, views.reply_dm(reply), lambda closed: views.reply_post(reply, coach, dms_closed=closed)
    )
    async with ctx.pool.acquire() as conn:
        await repo.mark_delivered(conn, note.id, repo.messages_of(sent), ctx.now())
    return Outcome.done(note=note.id, to=coach.user_id if coach else None)


async def tell_author(ctx: JobContext) -> Outcome:
    """A minute after a note met closed DMs: tell its author, unless /note already did (or a retry
    delivered it after all)."""
    now = ctx.now()
    async with ctx.pool.acquire() as conn:
        note = await repo.by_notice_job(conn, ctx.job.id)
        if note is None or note.status != "undeliverable":
            return Outcome.skipped("delivered after all" if note else "the note is gone")
        if not await repo.claim_telling(conn, note.id, "notice"):
            return Outcome.skipped("/note told its author")
        profile = await clients.get(conn, note.user_id)
        coach = await _coach(conn, note.coach_id, note.coach_name, now)
    name = _client_name(profile)
    sent = await _send_to_coach(
        ctx,
        coach,
        [views.not_delivered(name, note.body, note.local_date)],
        lambda closed: [
            views.not_delivered(name, note.body, note.local_date, client_id=note.user_id, coach=coach)
        ],
    )
    return Outcome.done(note=note.id, parts=len(sent))


async def _coach(
    conn: asyncpg.Connection, coach_id: int | None, name: str | None, now: dt.datetime
) -> Coach | None:
    """The coach a message is for, with how they want to hear; someone not on the team (anymore)
    hears in the coaches' channel."""
    if coach_id is None:
        return None
    return await coaches.get(conn, coach_id) or _stand_in(coach_id, name, now)


async def _send_to_coach(
    ctx: JobContext,
    coach: Coach | None,
    dm: list[OutgoingMessage],
    post: Callable[[bool], list[OutgoingMessage]],
) -> list[SentMessage]:
    """`dm` to the coach if they hear by DM (or there is no coaches' channel); `post(dms_closed)`
    to the coaches' channel if they hear there, if Discord refuses the DM, or if there is no
    coach. Each part once, whatever earlier attempts of the job did."""
    channel = ctx.settings.coach_channel_id
    by_dm = coach is not None and (team.wants_dm(coach) or channel is None)
    in_channel = channel is not None and (coach is None or coach.notify != Notify.dm)
    sent: list[SentMessage] = []
    dms_closed = False
    if by_dm:
        assert coach is not None
        try:
            for part, message in enumerate(dm):
                sent.append(await ctx.sends.dm(coach.user_id, None, message, part=DM_PARTS + part))
        except RecipientUnreachable as exc:
            if channel is None:
                raise PermanentDeliveryError(
                    f"Discord refuses DMs to {coach.display_name} and COACH_CHANNEL_ID is not set: "
                    f"nowhere to deliver ({exc})"
                ) from exc
            dms_closed, in_channel = True, True
    if in_channel:
        assert channel is not None
        for part, message in enumerate(post(dms_closed)):
            sent.append(await ctx.post(channel, message, part=part))
    if not sent:
        raise PermanentDeliveryError("no coach to DM and COACH_CHANNEL_ID is not set: nowhere to deliver")
    return sent


def build(settings: Settings) -> Engine:
    def on_demand(action: str, label: str) -> ActionSpec:
        # Never planned: the time is not used.
        return ActionSpec(NAME, action, dt.time(0, 0), ActionKind.mark, label=label, planned=False)

    return Engine(
        NAME,
        label="notes",
        actions=[
            on_demand(TO_CLIENT, "coach's note"),
            on_demand(TO_COACH, "client's reply"),
            on_demand(NOTICE, "note not delivered"),
        ],
        handlers={TO_CLIENT: deliver_to_client, TO_COACH: deliver_to_coach, NOTICE: tell_author},
        cog="cogs.notes",
        custom_ids=(REPLY_ID, REPLY_FORM_ID),
        logs_sql=repo.RECENT_LOGS,
        conversation=conversation,
        renderers={
            "coach's note": views.coach_note,
            "reply to the coach (DM)": views.reply_dm,
            "reply in the coaches' channel": views.reply_post,
            "note not delivered": views.not_delivered,
        },
    )
