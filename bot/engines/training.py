"""The training dispatcher (seed 001): the 07:00 workout on scheduled days, top-set logging, and
missed-marking at 22:00.

- The drop creates the day's session (a snapshot of the block version and day) before sending,
  so a retry sends the same workout with the same nonces; `day_index` advances once, when the
  session is first delivered (not on rest days, paused days or retries), and cycles the block.
- A log replaces the earlier one for that exercise until the deadline (one row per exercise per
  session); after it, or once the session closed, nothing is written.
- At 22:00 every exercise without a log gets a `missed` row with blank weight and reps.

The delivery, the close and "is it still open" are the shared drop lifecycle (bot.engines.lifecycle);
this module brings the workout's content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.delivery import Transport
from bot.core.engine import ComplianceSource, Engine
from bot.domain.blocks import DEFAULT_BLOCK, Block, cycle
from bot.domain.drops import is_open
from bot.domain.eligibility import WeekdayIn
from bot.domain.errors import InputError
from bot.domain.lifting import TopSet, from_kg, is_pr, parse_top_set
from bot.domain.models import ClientProfile, TrainingLog, TrainingSession, Unit
from bot.engines import lifecycle
from bot.repo import blocks as blocks_repo
from bot.repo import cards, clients
from bot.repo import training as repo
from bot.usecases.coaching import block_start, pause_test
from bot.views import custom_ids
from bot.views.messages import OutgoingMessage
from bot.views.workout import part_ranges, workout_messages

NAME = "training"
TRAINING_DAYS = WeekdayIn("schedule_days")  # the local date is one of the client's training days
LOG_ID = custom_ids.WORKOUT_LOG
MODAL_ID = custom_ids.WORKOUT_FORM


class KnownBlocks(lifecycle.KnownVersions[Block]):
    """The newest version of each block a drop trained from (the built-in one from the start):
    the session is created only if it is still the newest (`repo.create_session(expect=…)`)."""

    def __init__(self) -> None:
        super().__init__({DEFAULT_BLOCK.id: (0, DEFAULT_BLOCK)})


async def _block_for(
    conn: asyncpg.Connection, profile: ClientProfile, now: dt.datetime, known: KnownBlocks
) -> tuple[int, Block]:
    """The block to train from: the client's, or the built-in default with a job card."""
    block_id = profile.block_id or DEFAULT_BLOCK.id
    if block_id == DEFAULT_BLOCK.id:
        return 0, DEFAULT_BLOCK
    found = await blocks_repo.latest(conn, block_id)
    if found is not None:
        known.put(block_id, found)
        return found
    # Seed 001: "Missing block_id or invalid template → Job Card + fallback to default".
    await cards.raise_card(
        conn,
        kind="invalid_block",
        user_id=profile.user_id,
        scope=block_id,
        summary=f"Block {block_id!r} is missing or no longer valid; this client trains on the "
        "built-in default block until it is fixed.",
        details={"block_id": block_id},
        urgency=1,
        now=now,
    )
    return 0, DEFAULT_BLOCK


def _next_block_starts(profile: ClientProfile, day: dt.date) -> bool:
    """A /reassign's block takes over by `day`."""
    starts = profile.next_block_from
    return profile.next_block_id is not None and starts is not None and day >= starts


async def _start_next_block(conn: asyncpg.Connection, profile: ClientProfile, day: dt.date) -> ClientProfile:
    """Apply a /reassign whose effective date has come: the new block's run begins on that date."""
    if not _next_block_starts(profile, day):
        return profile
    moved = profile.model_copy(
        update={
            "block_id": profile.next_block_id,
            "day_index": profile.next_day_index,
            "block_started_on": profile.next_block_from,
            "next_block_id": None,
            "next_block_from": None,
            "next_day_index": 0,
        }
    )
    await repo.start_next_block(conn, profile.user_id, moved.block_id, moved.day_index)
    await blocks_repo.set_block_start(conn, profile.user_id, profile.next_block_from, moved.day_index)
    return moved


async def _repeat_if_ended(
    conn: asyncpg.Connection, profile: ClientProfile, block: Block, day: dt.date
) -> ClientProfile:
    """A block with a length whose run ended before `day`, with no other block queued to take
    over by then, repeats: a new run from the day after its end, from the block's first day."""
    length = block.length_parts
    if length is None:
        return profile
    started = block_start(profile)
    sessions = await blocks_repo.sessions_since(conn, [(profile.user_id, block.id, started)], day)
    pauses = await clients.pause_periods(conn, [profile.user_id], started, dt.date(9999, 12, 31))
    run = cycle(
        length,
        started,
        day,
        sessions=sessions.get(profile.user_id, []),
        training_days=profile.schedule_days,
        paused=pause_test(pauses.get(profile.user_id, [])),
    )
    if run is None or run[0] == started:
        return profile
    await blocks_repo.set_block_start(conn, profile.user_id, run[0], 0)
    return profile.model_copy(update={"block_started_on": run[0], "day_index": 0})


async def open_session(
    conn: asyncpg.Connection,
    profile: ClientProfile,
    day: dt.date,
    settings: Settings,
    now: dt.datetime,
    known: KnownBlocks,
) -> tuple[TrainingSession, bool]:
    """The day's session, created on the first attempt: the block version and day it trains,
    snapshotted so a retry or a resend sends the same workout.

    The usual day (a block without a length, no queued block starting, its newest version known)
    is one statement, checked against the client's row as it is when the session is written.
    Anything else, or a row that changed since the claim read it, takes the locked path."""
    plain = _plain_day(profile, day, known)
    if plain is not None:
        version, block = plain
        made = await _insert_session(conn, profile, day, settings, now, version, block, expect=profile)
        if made is not None:
            return made
    found = await repo.get_session(conn, profile.user_id, day)
    if found is not None:
        return found, False
    # The client row is read again, locked: a batch can hold several days' drops of one client
    # (after downtime), and each must see the day index the one before it moved on.
    async with conn.transaction():
        locked = await clients.get(conn, profile.user_id, lock=True)
        assert locked is not None
        return await _create_session(conn, locked, day, settings, now, known)


def _plain_day(profile: ClientProfile, day: dt.date, known: KnownBlocks) -> tuple[int, Block] | None:
    """The block version to train from when nothing but the day index decides the session."""
    if _next_block_starts(profile, day):
        return None
    found = known.get(profile.block_id or DEFAULT_BLOCK.id)
    if found is None or found[1].length_parts is not None:
        return None
    return found


async def _create_session(
    conn: asyncpg.Connection,
    profile: ClientProfile,
    day: dt.date,
    settings: Settings,
    now: dt.datetime,
    known: KnownBlocks,
) -> tuple[TrainingSession, bool]:
    profile = await _start_next_block(conn, profile, day)
    version, block = await _block_for(conn, profile, now, known)
    profile = await _repeat_if_ended(conn, profile, block, day)
    made = await _insert_session(conn, profile, day, settings, now, version, block)
    assert made is not None  # without `expect` a session always comes back
    return made


async def _insert_session(
    conn: asyncpg.Connection,
    profile: ClientProfile,
    day: dt.date,
    settings: Settings,
    now: dt.datetime,
    version: int,
    block: Block,
    *,
    expect: ClientProfile | None = None,
) -> tuple[TrainingSession, bool] | None:
    index = profile.day_index % len(block.days)
    training_day = block.days[index]
    return await repo.create_session(
        conn,
        user_id=profile.user_id,
        local_date=day,
        block_id=block.id,
        block_version=version,
        block_name=None if block.id == DEFAULT_BLOCK.id else block.name,
        day_index=index,
        day_title=training_day.title,
        exercises=[e.model_dump(mode="json") for e in training_day.exercises],
        deadline=lifecycle.deadline_of(profile, day, settings.day_deadline_at),
        now=now,
        expect=expect,
    )


async def render_session(
    conn: asyncpg.Connection,
    session: TrainingSession,
    unit: Unit,
    settings: Settings,
    *,
    closed: bool = False,
    fresh: bool = False,
) -> list[OutgoingMessage]:
    context = await repo.workout_context(conn, session, with_logs=not fresh)
    name = (
        DEFAULT_BLOCK.name if session.block_id == DEFAULT_BLOCK.id else context.block_name or session.block_id
    )
    return workout_messages(
        session,
        context.last,
        context.logs,
        unit,
        block_name=name,
        deadline_local=settings.day_deadline_at,
        closed=closed,
    )


def _lifecycle_for(settings: Settings) -> lifecycle.DropLifecycle[TrainingSession]:
    known = KnownBlocks()

    async def snapshot(
        conn: asyncpg.Connection, profile: ClientProfile, day: dt.date, now: dt.datetime
    ) -> tuple[TrainingSession, bool]:
        return await open_session(conn, profile, day, settings, now, known)

    async def render(
        conn: asyncpg.Connection, session: TrainingSession, profile: ClientProfile, closed: bool, fresh: bool
    ) -> list[OutgoingMessage]:
        return await render_session(conn, session, profile.unit, settings, closed=closed, fresh=fresh)

    return lifecycle.DropLifecycle(
        NAME,
        LOGBOOK,
        snapshot,
        render,
        part_facts=_part_facts,
    )


def _part_facts(session: TrainingSession, messages: list[OutgoingMessage]) -> list[dict[str, int]]:
    """Which exercises each part holds, so a log refreshes only the part that shows it."""
    return [{"first": first, "last": last} for first, last in part_ranges(session, messages)]


@dataclass(frozen=True)
class Logged:
    session: TrainingSession
    log: TrainingLog
    exercise: dict[str, Any]
    unit: Unit


LOGBOOK = lifecycle.Logbook(
    repo.SESSIONS,
    missing_text="There is no workout for {day:%A %d %B}.",
    closed_text="Logging for {day:%A %d %B} closed at {closes}",
)


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

    InputError (nothing written) for bad numbers, a closed session or an unknown exercise. Two
    statements: what the log needs, then the write; the message is refreshed after the answer
    (`refresh_message`)."""
    async with pool.acquire() as conn:
        profile, session, best = await repo.log_context(conn, user_id, day, index)
        if profile is None:
            raise InputError("You are not a client of The Regiment.")
        top_set: TopSet = parse_top_set(weight, reps, profile.unit)
        now = clock.now()
        if session is None or not is_open(session, now):
            raise LOGBOOK.refusal(profile, session, day, now)
        if not 0 <= index < len(session.exercises):
            raise InputError("That exercise is not part of this workout.")
        exercise = session.exercises[index]
        log = await repo.log_top_set(
            conn, session, exercise, top_set, is_pr(top_set.weight_kg, top_set.reps, best), now
        )
    if log is None:  # closed between the two statements
        raise LOGBOOK.refusal(profile, session.model_copy(update={"closed_at": now}), day, now)
    return Logged(session, log, exercise, profile.unit)


async def refresh_message(
    pool: asyncpg.Pool, transport: Transport, settings: Settings, logged: Logged, index: int
) -> None:
    """Show the new log on every copy of the workout part that holds that exercise, drawn from a
    read after the log committed (so it shows every log made meanwhile, too)."""
    async with pool.acquire() as conn:
        messages = await render_session(conn, logged.session, logged.unit, settings)
    await lifecycle.edit_copies(transport, logged.session, messages, index)


@dataclass(frozen=True)
class LogForm:
    exercise: str
    unit: Unit
    values: tuple[str, str] | None  # weight and reps to prefill


async def log_form(pool: asyncpg.Pool, clock: Clock, *, user_id: int, day: dt.date, index: int) -> LogForm:
    """What the "Log" button's form needs, in one statement; InputError when the workout cannot
    take a log. The values to prefill are this session's log, else the last top set, in the
    client's unit."""
    async with pool.acquire() as conn:
        profile, session, weight_kg, reps = await repo.form_context(conn, user_id, day, index)
    if profile is None:
        raise InputError("You are not a client of The Regiment.")
    if session is None or not is_open(session, clock.now()):
        raise LOGBOOK.refusal(profile, session, day, clock.now(), finish=".")
    if not 0 <= index < len(session.exercises):
        raise InputError("This workout is no longer on record.")
    values = None
    if weight_kg is not None and reps is not None:
        values = f"{round(from_kg(weight_kg, profile.unit) * 2) / 2:g}", str(reps)
    return LogForm(session.exercises[index]["name"], profile.unit, values)


def day_line(row: Mapping[str, Any]) -> str | None:
    return f"training: {row['done']}/{row['due']} top sets logged" if row.get("due") else None


def build(settings: Settings) -> Engine:
    drops = _lifecycle_for(settings)
    return Engine(
        NAME,
        label="training",
        actions=drops.actions(
            settings.training_drop_at, settings.day_deadline_at, "workout", "workout closes"
        ),
        handlers=drops.handlers(),
        applies=TRAINING_DAYS,
        triggerable=("drop",),
        compliance=ComplianceSource(repo.OUTCOMES, repo.RECENT_LOGS, repo.DAY_STATUS, day_line),
        cog="cogs.training",
        custom_ids=(LOG_ID, MODAL_ID),
        renderers={"workout": workout_messages},
    )
