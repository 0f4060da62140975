"""The life of a daily drop, shared by the check-in, meals and cardio engines.

1. The drop job snapshots the day's content (creating the `daily_drops` row once), makes sure the
   close job exists, and sends the message parts with nonces fixed by the job; a retry resends
   the same parts, which Discord deduplicates.
2. Logging checks that the drop was delivered and is still open (before its deadline).
3. The close job marks what was not logged as missed, closes the drop and updates the message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from bot.core.clock import Clock
from bot.core.delivery import DeliveryError, Transport
from bot.core.engine import ActionKind, ActionSpec, Engine, JobContext, Outcome
from bot.domain import timezones
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile, DailyDrop
from bot.repo import cards, clients
from bot.repo import daily as repo
from bot.repo import jobs as jobs_repo
from bot.repo import plans as plans_repo
from bot.views.messages import OutgoingMessage

ContentFn = Callable[
    [asyncpg.Connection, ClientProfile, dt.date, dt.datetime], Awaitable[dict[str, Any] | str]
]
RenderFn = Callable[[asyncpg.Connection, DailyDrop, ClientProfile, bool], Awaitable[list[OutgoingMessage]]]
MissFn = Callable[[asyncpg.Connection, DailyDrop, dt.datetime], Awaitable[int]]


def deadline_of(profile: ClientProfile, day: dt.date, at: dt.time) -> dt.datetime:
    return timezones.due_instant(timezones.parse_timezone(profile.zone_on(day)), day, at)


async def deliver(
    ctx: JobContext, engine: str, closes_at: dt.time, content: ContentFn, render: RenderFn
) -> Outcome:
    """The drop job. `content` returns the day's snapshot, or a reason (str) to send nothing."""
    assert ctx.client is not None
    user_id, day = ctx.client.user_id, ctx.job.local_date
    async with ctx.pool.acquire() as conn:
        async with conn.transaction():
            drop = await repo.get(conn, user_id, day, engine)
            if drop is None:
                profile = await clients.get(conn, user_id)
                assert profile is not None
                snapshot = await content(conn, profile, day, ctx.now())
                if isinstance(snapshot, str):
                    return Outcome.skipped(snapshot)
                drop = await repo.create(
                    conn, user_id, day, engine, snapshot, deadline_of(profile, day, closes_at), ctx.now()
                )
            await jobs_repo.ensure(conn, engine, "close", user_id, day, drop.deadline, ctx.now())
        resend = ctx.job.manual and ctx.job.seq > 0  # a coach's forced /trigger: send it again
        if drop.delivered_at is not None and not resend:
            return Outcome.done(drop_id=drop.id, already_delivered=True)
        messages = await render(conn, drop, ctx.client, False)
    parts = []
    for number, message in enumerate(messages):
        sent = await ctx.send_dm(message, part=number)
        parts.append({"channel_id": sent.channel_id, "message_id": sent.message_id})
    async with ctx.pool.acquire() as conn, conn.transaction():
        # A forced resend adds its copy: both keep being updated (logs, the close).
        await repo.set_messages(conn, drop.id, [*drop.messages, *parts] if resend else parts)
        await repo.mark_delivered(conn, drop.id, ctx.now())
    return Outcome.done(drop_id=drop.id, parts=len(parts))


async def close(ctx: JobContext, engine: str, miss: MissFn, render: RenderFn) -> Outcome:
    """The close job: mark what was not logged as missed, then show the drop closed."""
    assert ctx.client is not None
    async with ctx.pool.acquire() as conn:
        async with conn.transaction():
            drop = await repo.get(conn, ctx.client.user_id, ctx.job.local_date, engine, lock=True)
            if drop is None or drop.delivered_at is None:
                return Outcome.skipped("nothing was delivered that day")
            missed = await miss(conn, drop, ctx.now())
            await repo.close(conn, drop.id, ctx.now())
        messages = await render(conn, drop, ctx.client, True)
    await edit_parts(ctx.transport, drop, messages)
    return Outcome.done(drop_id=drop.id, missed=missed)


async def edit_parts(transport: Transport, drop: DailyDrop, messages: list[OutgoingMessage]) -> None:
    """Update every copy the client has (parts repeat when a coach forced a resend)."""
    if not messages:
        return
    for index, stored in enumerate(drop.messages):
        await transport.edit_message(
            stored["channel_id"], stored["message_id"], messages[index % len(messages)]
        )


async def refresh(transport: Transport, drop: DailyDrop, messages: list[OutgoingMessage]) -> None:
    """After a log: show it on the message. The log is saved either way; a failed edit only
    leaves the message a step behind until the next one."""
    try:
        await edit_parts(transport, drop, messages)
    except DeliveryError:
        pass


async def open_drop(
    conn: asyncpg.Connection, user_id: int, day: dt.date, engine: str, clock: Clock, what: str
) -> DailyDrop:
    """The day's drop, locked for a log; InputError when there is none or logging closed."""
    drop = await repo.get(conn, user_id, day, engine, lock=True)
    if drop is None or drop.delivered_at is None:
        raise InputError(f"There is no {what} for {day:%A %d %B}.")
    if drop.closed_at is not None or clock.now() >= drop.deadline:
        raise InputError(f"The {what} for {day:%A %d %B} closed at {local_clock(drop)}; nothing was written.")
    return drop


def local_clock(drop: DailyDrop) -> str:
    return str(drop.content.get("closes", ""))


def engine(
    name: str,
    *,
    drop_at: dt.time,
    closes_at: dt.time,
    content: ContentFn,
    render: RenderFn,
    miss: MissFn,
    client_filter: str | None = None,
) -> Engine:
    """A daily-drop engine: the drop at `drop_at`, useful until `closes_at`, when the close job
    marks what was not logged. Both are planned for the clients `client_filter` selects."""

    async def drop(ctx: JobContext) -> Outcome:
        return await deliver(ctx, name, closes_at, content, render)

    async def close_job(ctx: JobContext) -> Outcome:
        return await close(ctx, name, miss, render)

    return Engine(
        name,
        [
            ActionSpec(name, "drop", drop_at, ActionKind.drop, closes_at, client_filter=client_filter),
            ActionSpec(name, "close", closes_at, ActionKind.mark, client_filter=client_filter),
        ],
        {"drop": drop, "close": close_job},
    )


async def client_plan(
    conn: asyncpg.Connection, profile: ClientProfile, kind: str, plan_id: str, now: dt.datetime
) -> tuple[int, Any] | None:
    """The newest version of a client's plan; a missing or invalid one raises one job card (per
    client and plan id) and sends nothing until a coach fixes it."""
    found = await plans_repo.latest(conn, kind, plan_id)
    if found is not None:
        return found
    what = "meals are" if kind == "meals" else "cardio is"
    await cards.raise_card(
        conn,
        kind="invalid_plan",
        user_id=profile.user_id,
        dedupe_key=f"invalid_plan:{profile.user_id}:{kind}:{plan_id}",
        summary=f"{'Meal' if kind == 'meals' else 'Cardio'} plan {plan_id!r} is missing or invalid: "
        f"no {what} sent until it is fixed.",
        details={"plan_id": plan_id},
        urgency=1,
        now=now,
    )
    return None
