"""The training dispatcher (seed 001): the 07:00 workout on scheduled days, top-set logging, and
missed-marking at 22:00.

- The drop creates the day's session (a snapshot of the block version and day) before sending,
  so a retry sends the same workout with the same nonces; `day_index` advances once, when the
  session is first delivered (not on rest days, paused days or retries), and cycles the block.
- A log replaces the earlier one for that exercise until the deadline (one row per exercise per
  session); after it, or once the session closed, nothing is written.
- At 22:00 every exercise without a log gets a `missed` row with blank weight and reps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.delivery import Transport
from bot.core.engine import ActionKind, ActionSpec, Engine, JobContext, Outcome
from bot.domain import timezones
from bot.domain.blocks import DEFAULT_BLOCK, Block
from bot.domain.errors import InputError
from bot.domain.lifting import TopSet, is_pr, parse_top_set
from bot.domain.models import ClientProfile, TrainingLog, TrainingSession, Unit
from bot.repo import blocks as blocks_repo
from bot.repo import cards, clients
from bot.repo import jobs as jobs_repo
from bot.repo import training as repo
from bot.views.messages import OutgoingMessage
from bot.views.workout import part_of, part_ranges, workout_messages

NAME = "training"
# Training days only: ISO weekday of the local date among the client's schedule days.
TRAINING_DAY_FILTER = "EXTRACT(ISODOW FROM z.local_date)::smallint = ANY(c.schedule_days)"


async def _block_for(conn: asyncpg.Connection, profile: ClientProfile, now: dt.datetime) -> tuple[int, Block]:
    """The block to train from: the client's, or the built-in default with a job card."""
    block_id = profile.block_id or DEFAULT_BLOCK.id
    if block_id == DEFAULT_BLOCK.id:
        return 0, DEFAULT_BLOCK
    found = await blocks_repo.latest(conn, block_id)
    if found is not None:
        return found
    # Seed 001: "Missing block_id or invalid template → Job Card + fallback to default".
    await cards.raise_card(
        conn,
        kind="invalid_block",
        user_id=profile.user_id,
        dedupe_key=f"invalid_block:{profile.user_id}:{block_id}",
        summary=f"Block {block_id!r} is missing or no longer valid; this client trains on the "
        "built-in default block until it is fixed.",
        details={"block_id": block_id},
        urgency=1,
        now=now,
    )
    return 0, DEFAULT_BLOCK


async def _start_next_block(conn: asyncpg.Connection, profile: ClientProfile, day: dt.date) -> ClientProfile:
    """Apply a /reassign whose effective date has come."""
    if profile.next_block_id is None or profile.next_block_from is None or day < profile.next_block_from:
        return profile
    moved = profile.model_copy(
        update={
            "block_id": profile.next_block_id,
            "day_index": profile.next_day_index,
            "next_block_id": None,
            "next_block_from": None,
            "next_day_index": 0,
        }
    )
    await conn.execute(clients.START_NEXT_BLOCK, profile.user_id, moved.block_id, moved.day_index)
    return moved


def _deadline(profile: ClientProfile, day: dt.date, settings: Settings) -> dt.datetime:
    tz = timezones.parse_timezone(profile.zone_on(day))
    return timezones.due_instant(tz, day, settings.day_deadline_at)


async def session_for_drop(
    conn: asyncpg.Connection, user_id: int, day: dt.date, settings: Settings, now: dt.datetime
):  # type: ignore[no-untyped-def]
    """Find or create the day's session (in the caller's transaction, client row locked)."""
    session = await repo.get_session(conn, user_id, day)
    if session is not None:
        return session
    profile = await clients.get(conn, user_id, lock=True)
    assert profile is not None
    profile = await _start_next_block(conn, profile, day)
    version, block = await _block_for(conn, profile, now)
    index = profile.day_index % len(block.days)
    training_day = block.days[index]
    return await repo.create_session(
        conn,
        user_id=user_id,
        local_date=day,
        block_id=block.id,
        block_version=version,
        day_index=index,
        day_title=training_day.title,
        exercises=[e.model_dump(mode="json") for e in training_day.exercises],
        deadline=_deadline(profile, day, settings),
        now=now,
    )


async def render_session(
    conn: asyncpg.Connection,
    session: TrainingSession,
    unit: Unit,
    settings: Settings,
    *,
    closed: bool = False,
) -> list[OutgoingMessage]:
    ids = [e["id"] for e in session.exercises]
    last = await repo.last_top_sets(conn, session.user_id, ids, session.local_date)
    logs = await repo.session_logs(conn, session.id)
    name = DEFAULT_BLOCK.name if session.block_id == DEFAULT_BLOCK.id else session.block_id
    row = await conn.fetchrow(
        "SELECT name FROM training_blocks WHERE block_id = $1 AND version = $2",
        session.block_id,
        session.block_version,
    )
    if row is not None:
        name = row["name"]
    return workout_messages(
        session, last, logs, unit, block_name=name, deadline_local=settings.day_deadline_at, closed=closed
    )


async def drop(ctx: JobContext) -> Outcome:
    assert ctx.client is not None
    user_id, day = ctx.client.user_id, ctx.job.local_date
    async with ctx.pool.acquire() as conn:
        async with conn.transaction():
            session = await session_for_drop(conn, user_id, day, ctx.settings, ctx.now())
            # The close job: planned by the planner too; inserted here so a session delivered
            # after a schedule change is still closed.
            await jobs_repo.ensure(conn, NAME, "close", user_id, day, session.deadline, ctx.now())
        resend = ctx.job.manual and ctx.job.seq > 0  # a coach's forced /trigger: send it again
        if session.delivered_at is not None and not resend:
            return Outcome.done(session_id=session.id, already_delivered=True)
        messages = await render_session(conn, session, ctx.client.unit, ctx.settings)
    parts = []
    for number, (message, (first, last)) in enumerate(
        zip(messages, part_ranges(session, messages), strict=True)
    ):
        sent = await ctx.send_dm(message, part=number)
        parts.append(
            {"channel_id": sent.channel_id, "message_id": sent.message_id, "first": first, "last": last}
        )
    async with ctx.pool.acquire() as conn, conn.transaction():
        await repo.set_messages(conn, session.id, parts)
        if await repo.mark_delivered(conn, session.id, ctx.now()):
            block_days = await _block_length(conn, session)
            await conn.execute(clients.SET_DAY_INDEX, user_id, (session.day_index + 1) % block_days)
    return Outcome.done(session_id=session.id, parts=len(parts), day_index=session.day_index)


async def _block_length(conn: asyncpg.Connection, session: TrainingSession) -> int:
    if session.block_id == DEFAULT_BLOCK.id:
        return len(DEFAULT_BLOCK.days)
    definition = await conn.fetchval(
        "SELECT definition FROM training_blocks WHERE block_id = $1 AND version = $2",
        session.block_id,
        session.block_version,
    )
    return len(definition["days"]) if definition else 1


async def close(ctx: JobContext) -> Outcome:
    assert ctx.client is not None
    async with ctx.pool.acquire() as conn:
        async with conn.transaction():
            session = await repo.get_session(conn, ctx.client.user_id, ctx.job.local_date, lock=True)
            if session is None or session.delivered_at is None:
                return Outcome.skipped("no workout was delivered that day")
            missed = await repo.close(conn, session.id, ctx.now())
        messages = await render_session(conn, session, ctx.client.unit, ctx.settings, closed=True)
    await _edit_parts(ctx.transport, session, messages)
    return Outcome.done(session_id=session.id, missed=missed)


async def _edit_parts(
    transport: Transport, session: TrainingSession, messages: list[OutgoingMessage]
) -> None:
    for stored, message in zip(session.messages, messages, strict=False):
        await transport.edit_message(stored["channel_id"], stored["message_id"], message)


@dataclass(frozen=True)
class Logged:
    session: TrainingSession
    log: TrainingLog
    exercise: dict[str, Any]
    unit: Unit
    messages: list[OutgoingMessage]


def closed_text(day: dt.date, settings: Settings) -> str:
    return f"Logging for {day:%A %d %B} closed at {settings.day_deadline_at:%H:%M}; nothing was written."


async def log_top_set(
    pool: asyncpg.Pool,
    clock: Clock,
    settings: Settings,
    *,
    user_id: int,
    day: dt.date,
    index: int,
    weight: str,
    reps: str,
) -> Logged:
    """Record a client's top set for one exercise of their session on `day`.

    InputError (nothing written) for bad numbers, a closed session or an unknown exercise."""
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
        if profile is None:
            raise InputError("You are not a client of The Regiment.")
        top_set: TopSet = parse_top_set(weight, reps, profile.unit)
        async with conn.transaction():
            session = await repo.get_session(conn, user_id, day, lock=True)
            if session is None or session.delivered_at is None:
                raise InputError(f"There is no workout for {day:%A %d %B}.")
            now = clock.now()
            if session.closed_at is not None or now >= session.deadline:
                raise InputError(closed_text(day, settings))
            if not 0 <= index < len(session.exercises):
                raise InputError("That exercise is not part of this workout.")
            exercise = session.exercises[index]
            best = await repo.best_before(conn, user_id, exercise["id"], session.id)
            log = await repo.upsert_log(
                conn, session, exercise, top_set, is_pr(top_set.weight_kg, top_set.reps, best), now
            )
        messages = await render_session(conn, session, profile.unit, settings)
    return Logged(session, log, exercise, profile.unit, messages)


async def refresh_message(transport: Transport, logged: Logged, index: int) -> None:
    """Show the new log on the workout message part that holds that exercise."""
    stored = part_of(logged.session.messages, index)
    if stored is None:
        return
    part = logged.session.messages.index(stored)
    await transport.edit_message(stored["channel_id"], stored["message_id"], logged.messages[part])


async def prefill(pool: asyncpg.Pool, user_id: int, day: dt.date, index: int) -> tuple[str, str] | None:
    """The values to put in the modal: this session's log, else the last top set, in the
    client's unit."""
    from bot.domain.lifting import from_kg

    async with pool.acquire() as conn:
        session = await repo.get_session(conn, user_id, day)
        profile = await clients.get(conn, user_id)
        if session is None or profile is None or not 0 <= index < len(session.exercises):
            return None
        exercise_id = session.exercises[index]["id"]
        current = (await repo.session_logs(conn, session.id)).get(exercise_id)
        if current is not None and current.weight_kg is not None:
            weight_kg, reps = current.weight_kg, current.reps
        else:
            last = (await repo.last_top_sets(conn, user_id, [exercise_id], day)).get(exercise_id)
            if last is None:
                return None
            weight_kg, reps = float(last["weight_kg"]), last["reps"]
    value = round(from_kg(weight_kg, profile.unit) * 2) / 2
    return f"{value:g}", str(reps)


def build(settings: Settings) -> Engine:
    return Engine(
        NAME,
        [
            ActionSpec(
                NAME,
                "drop",
                settings.training_drop_at,
                ActionKind.drop,
                settings.day_deadline_at,
                client_filter=TRAINING_DAY_FILTER,
            ),
            ActionSpec(
                NAME, "close", settings.day_deadline_at, ActionKind.mark, client_filter=TRAINING_DAY_FILTER
            ),
        ],
        {"drop": drop, "close": close},
    )
