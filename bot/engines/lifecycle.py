"""The life of a drop, shared by every engine that sends a client something to log against
(check-in, meals, cardio, training).

1. The drop job snapshots what is sent (once: a retry or a forced resend finds the snapshot),
   makes sure the close job exists, sends the message parts with nonces fixed by the job, and
   records where each part went. A coach's forced `/trigger` sends one more copy: every copy is
   recorded, so every copy is kept up to date and closed.
2. A log takes the drop only while it is open (bot.domain.drops.is_open) and refreshes every copy
   that shows what was logged.
3. The close job marks what was not logged as missed, closes the drop and shows every copy closed.

An engine brings its content: how to snapshot, render and miss, and where its drops are stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

from bot.core.clock import Clock
from bot.core.delivery import DeliveryError, Transport
from bot.core.engine import ActionKind, ActionSpec, JobContext, NotYet, Outcome
from bot.domain import timezones
from bot.domain.drops import Drop, is_open, parts_showing
from bot.domain.errors import InputError
from bot.domain.models import ClientProfile, DailyDrop
from bot.repo import cards, clients
from bot.repo import jobs as jobs_repo
from bot.repo import plans as plans_repo
from bot.repo.drops import Store, open_drop, open_drop_if
from bot.views.messages import OutgoingMessage

D = TypeVar("D", bound=Drop)
T = TypeVar("T")


class KnownVersions(Generic[T]):
    """The newest version of each block or plan a drop used, kept by the process so the usual
    drop needs no read. Only a hint: the drop is created only if that version is still the
    newest (checked in the statement that creates it), and otherwise the drop reads it again."""

    def __init__(self, known: dict[str, tuple[int, T]] | None = None) -> None:
        self._known: dict[str, tuple[int, T]] = dict(known or {})

    def get(self, key: str) -> tuple[int, T] | None:
        return self._known.get(key)

    def put(self, key: str, found: tuple[int, T]) -> None:
        self._known[key] = found

    def forget(self, key: str) -> None:
        self._known.pop(key, None)


# The day's drop as first snapshotted (created now, or by an earlier attempt) with its close job
# ensured, and whether it was created now; or why nothing is sent.
Snapshot = Callable[
    [asyncpg.Connection, ClientProfile, dt.date, dt.datetime], Awaitable["tuple[D, bool] | str"]
]
# (conn, drop, client, closed, fresh): `fresh` says nothing can have been logged yet.
Render = Callable[[asyncpg.Connection, D, ClientProfile, bool, bool], Awaitable[list[OutgoingMessage]]]


@dataclass(frozen=True)
class Logbook(Generic[D]):
    """Where an engine's drops are kept, and what a client is told when one cannot take a log.
    The texts may use {day} (a date) and {closes} (the deadline, client-local HH:MM); the closed
    text is a clause ("The check-in for … closed at 12:00") that each use finishes."""

    store: Store[D]
    missing_text: str
    closed_text: str

    async def open_for_logging(
        self,
        conn: asyncpg.Connection,
        profile: ClientProfile,
        day: dt.date,
        clock: Clock,
        *,
        finish: str = "; nothing was written.",
    ) -> D:
        """The day's drop, locked for a log; InputError when there is none or it is closed (the
        closed text ends with `finish`)."""
        drop = await self.store.get(conn, profile.user_id, day, lock=True)
        if drop is None or not is_open(drop, clock.now()):
            raise self.refusal(profile, drop, day, clock.now(), finish=finish)
        return drop

    def refusal(
        self,
        profile: ClientProfile | None,
        drop: D | None,
        day: dt.date,
        now: dt.datetime,
        *,
        finish: str = "; nothing was written.",
    ) -> InputError:
        """Why a log that wrote nothing was refused, when the drop is the reason (None: it is not)."""
        if profile is None:
            return InputError("You are not a client of The Regiment.")
        if drop is None or drop.delivered_at is None:
            return InputError(self.missing_text.format(day=day))
        if not is_open(drop, now):
            return InputError(f"{self.closed(profile, drop)}{finish}")
        raise ValueError("the drop is open: the refusal is the engine's to say")

    def closed(self, profile: ClientProfile, drop: D) -> str:
        closes = drop.deadline.astimezone(timezones.parse_timezone(profile.zone_on(drop.local_date)))
        return self.closed_text.format(day=drop.local_date, closes=f"{closes:%H:%M}")

    async def require_open(
        self, pool: asyncpg.Pool, user_id: int, day: dt.date, clock: Clock, *, finish: str = "."
    ) -> tuple[ClientProfile, D]:
        """Refuse a click after the deadline before opening a form the client cannot submit (a
        read: the submit checks again, under its lock)."""
        async with pool.acquire() as conn:
            profile = await clients.get(conn, user_id)
            drop = None if profile is None else await self.store.get(conn, user_id, day)
        if profile is None or drop is None or not is_open(drop, clock.now()):
            raise self.refusal(profile, drop, day, clock.now(), finish=finish)
        return profile, drop


@dataclass(frozen=True)
class DropLifecycle(Generic[D]):
    engine: str
    logbook: Logbook[D]
    snapshot: Snapshot[D]
    render: Render[D]
    # Extra facts stored with each sent part (a long workout records which exercises it holds).
    part_facts: Callable[[D, list[OutgoingMessage]], list[dict[str, int]]] | None = None

    @property
    def store(self) -> Store[D]:
        return self.logbook.store

    async def deliver(self, ctx: JobContext) -> Outcome:
        """The drop job: in the usual case one statement before the send (the snapshot and its
        close job) and one after (where the parts went)."""
        assert ctx.client is not None
        user_id, day = ctx.client.user_id, ctx.job.local_date
        async with ctx.pool.acquire() as conn:
            made = await self.snapshot(conn, ctx.client, day, ctx.now())
            if isinstance(made, str):
                # Nothing to send today, unless an earlier attempt already took the snapshot.
                existing = await self.store.get(conn, user_id, day)
                if existing is None:
                    return Outcome.skipped(made)
                made = (existing, False)
            drop, fresh = made
            resend = ctx.job.manual and ctx.job.seq > 0  # a coach's forced /trigger: one more copy
            if drop.delivered_at is not None and not resend:
                return Outcome.done(drop_id=drop.id, already_delivered=True)
            messages = await self.render(conn, drop, ctx.client, False, fresh)
        facts = self.part_facts(drop, messages) if self.part_facts else [{} for _ in messages]
        parts = []
        for number, (message, extra) in enumerate(zip(messages, facts, strict=True)):
            sent = await ctx.send_dm(message, part=number)
            parts.append(
                {"channel_id": sent.channel_id, "message_id": sent.message_id, "part": number, **extra}
            )
        async with ctx.pool.acquire() as conn:
            await self.store.record_delivery(conn, drop.id, parts, ctx.now(), resend)
        return Outcome.done(drop_id=drop.id, parts=len(parts))

    async def close(self, ctx: JobContext) -> Outcome:
        """The close job: close the drop and mark what was not logged as missed (one statement),
        then show every copy closed."""
        assert ctx.client is not None
        async with ctx.pool.acquire() as conn:
            closed = await self.store.close_and_miss(conn, ctx.client.user_id, ctx.job.local_date, ctx.now())
            if closed is None:
                # A drop that started before its deadline may still be sending (a slow retry):
                # closing now would find it undelivered and leave it open with nothing missed.
                if await jobs_repo.is_running(
                    conn, self.engine, "drop", ctx.client.user_id, ctx.job.local_date
                ):
                    raise NotYet("the day's drop is still being sent")
                return Outcome.skipped("nothing was delivered that day")
            drop, missed = closed
            messages = await self.render(conn, drop, ctx.client, True, False)
        await edit_copies(ctx.transport, drop, messages)
        return Outcome.done(drop_id=drop.id, missed=missed)

    def actions(
        self,
        drop_at: dt.time,
        closes_at: dt.time,
        label: str,
        closes_label: str,
        *,
        closes_days: int = 0,
        time_field: str | None = None,
    ) -> list[ActionSpec]:
        """The drop and its close; `closes_days` later than the drop's day (a weekly check-in is
        due by the next evening). With `time_field`, the drop comes at each client's own time
        (that profile field; `drop_at` where it is unset); the close stays at `closes_at`."""
        return [
            ActionSpec(
                self.engine,
                "drop",
                drop_at,
                ActionKind.drop,
                closes_at,
                label=label,
                deadline_days=closes_days,
                time_field=time_field,
            ),
            ActionSpec(
                self.engine, "close", closes_at, ActionKind.mark, label=closes_label, day_offset=closes_days
            ),
        ]

    def handlers(self) -> dict[str, Callable[[JobContext], Awaitable[Outcome]]]:
        return {"drop": self.deliver, "close": self.close}


async def edit_copies(
    transport: Transport, drop: Drop, messages: list[OutgoingMessage], item: int | None = None
) -> None:
    """Show `messages` on every stored part (parts repeat when a coach forced a resend); with
    `item`, only on the parts that show that item."""
    if not messages:
        return
    for index, stored in enumerate(drop.messages):
        if stored in parts_showing(drop, item):
            # Which part of its copy this message is (recorded since copies may differ in parts;
            # older rows did not record it, and their copies repeat in order).
            number = stored.get("part", index % len(messages))
            await transport.edit_message(
                stored["channel_id"], stored["message_id"], messages[min(number, len(messages) - 1)]
            )


async def refresh(
    transport: Transport, drop: Drop, messages: list[OutgoingMessage], item: int | None = None
) -> None:
    """After a log: show it on the message. The log is saved either way; a failed edit only
    leaves the message a step behind until the next one."""
    try:
        await edit_copies(transport, drop, messages, item)
    except DeliveryError:
        pass


def deadline_of(profile: ClientProfile, day: dt.date, at: dt.time, days: int = 0) -> dt.datetime:
    """The instant of local time `at`, `days` after `day`, in the zone that governs that day."""
    later = day + dt.timedelta(days=days)
    return timezones.due_instant(timezones.parse_timezone(profile.zone_on(later)), later, at)


async def open_plan_drop(
    conn: asyncpg.Connection,
    profile: ClientProfile,
    day: dt.date,
    now: dt.datetime,
    *,
    engine: str,
    plan_id: str,
    known: KnownVersions[Any],
    content: Callable[[int, Any], dict[str, Any] | str],
    deadline: dt.datetime,
    title: str,
    consequence: str,
) -> tuple[DailyDrop, bool] | str:
    """The day's drop of an engine that sends from a plan (meals, cardio): `content(version,
    plan)` is what it sends, or why nothing is sent that day. In the usual case one statement: the
    plan's newest version the process knows is checked by the statement that creates the drop.
    A newer version imported since, or nothing to send by the known one, reads the plan again."""
    for cached in (known.get(plan_id), None):
        found = cached or await client_plan(
            conn, profile, engine, plan_id, now, title=title, consequence=consequence, known=known
        )
        if found is None:
            return f"{title.lower()} missing"
        what = content(*found)
        if isinstance(what, str):
            if cached is not None:
                continue  # confirm "nothing today" on the newest version
            return what
        if cached is None:
            return await open_drop(conn, profile.user_id, day, engine, what, deadline, now)
        guard = plans_repo.still_newest(engine, plan_id, found[0])
        made = await open_drop_if(conn, profile.user_id, day, engine, what, deadline, now, guard=guard)
        if made is not None:
            return made
        known.forget(plan_id)
    raise AssertionError("the second pass reads the plan and always decides")


async def client_plan(
    conn: asyncpg.Connection,
    profile: ClientProfile,
    kind: str,
    plan_id: str,
    now: dt.datetime,
    *,
    title: str,
    consequence: str,
    known: KnownVersions[Any] | None = None,
) -> tuple[int, Any] | None:
    """The newest version of a client's plan; a missing or invalid one raises one job card (per
    client and plan id) and sends nothing until a coach fixes it. `title` names the plan ("Meal
    plan"), `consequence` says what the client misses ("no meals are sent"). The version found
    is remembered in `known`."""
    found = await plans_repo.latest(conn, kind, plan_id)
    if found is not None:
        if known is not None:
            known.put(plan_id, found)
        return found
    await cards.raise_card(
        conn,
        kind="invalid_plan",
        user_id=profile.user_id,
        scope=f"{kind}:{plan_id}",
        summary=f"{title} {plan_id!r} is missing or invalid: {consequence} until it is fixed.",
        details={"plan_id": plan_id},
        urgency=1,
        now=now,
    )
    return None
