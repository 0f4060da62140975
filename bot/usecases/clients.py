"""What coaches do to and read about clients: onboard (with a welcome DM), edit, pause (with a
DM), resume, reassign, look one up, list them all, search them for autocompletes.

Each function opens its own connection and transaction (the rules themselves are in
bot.usecases.coaching, which works in the caller's transaction) and returns what the command
shows, or raises `InputError` with every problem, having changed nothing.

`replan` is called with the client's id after a change is committed (the bot passes its
runtime's `plan_client`); when it is given, what the result shows as upcoming comes after it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import asyncpg
from loguru import logger

from bot.core import dm
from bot.core.clock import Clock
from bot.core.delivery import DeliveryError, RecipientUnreachable, Transport
from bot.core.engine import ActionKind, EngineRegistry
from bot.core.planner import batch_rules
from bot.domain import photos
from bot.domain.blocks import BlockEnd
from bot.domain.compliance import DayOutcome
from bot.domain.flag_rules import expected_change_text
from bot.domain.measurements import MEASUREMENTS
from bot.domain.models import ClientProfile, Job
from bot.repo import batches, clients, reports
from bot.repo import compliance as compliance_repo
from bot.repo import jobs as jobs_repo
from bot.repo import measurements as measurements_repo
from bot.repo.measurements import PhotoDate, Trend
from bot.usecases import coaching
from bot.usecases.coaching import Replan
from bot.views import render
from bot.views.messages import Embed, OutgoingMessage

OVERVIEW_DAYS = 90  # compliance shown by /client show
LAST_LOGS = 5
CONVERSATION_LINES = 3
PHOTO_DATES = 8  # check-in dates with photos that /client show lists, newest first
NEXT_RUNS = 10  # the next runs a client card lists


class Told(StrEnum):
    """What became of a DM to a client outside the schedule (welcome, pause)."""

    sent = "sent"
    no_client = "no client"  # nothing to send to
    dms_closed = "DMs closed"  # RecipientUnreachable
    not_taken = "not taken"  # any other delivery error: logged


@dataclass(frozen=True)
class ClientCard:
    """A client and their next runs, as /client add and /client edit show them."""

    profile: ClientProfile
    upcoming: list[Job]
    now: dt.datetime


@dataclass(frozen=True)
class Onboarded(ClientCard):
    told: Told  # the welcome DM


@dataclass(frozen=True)
class Paused:
    profile: ClientProfile
    told: Told  # the "your plan is paused" DM


@dataclass(frozen=True)
class ClientOverview:
    """/client show: profile, next runs, compliance over the last 90 days, last logs, the weekly
    check-in's measurements (first and latest of each) and photos (the newest dates with photos,
    and a sheet of the first check-in's photos beside the latest's)."""

    profile: ClientProfile
    upcoming: list[Job]
    now: dt.datetime
    today: dt.date  # the client's local today
    outcomes: list[DayOutcome]
    last_logs: list[asyncpg.Record]  # date, engine (its name), status, detail
    block_end: BlockEnd | None = None  # where the run of a block with a length ends
    # Each conversation with the client (Engine.conversation) by its engine's label: last lines.
    conversations: dict[str, list[str]] = field(default_factory=dict)
    measurements: list[Trend] = field(default_factory=list)  # those with a value, in MEASUREMENTS order
    photo_dates: list[PhotoDate] = field(default_factory=list)  # newest first, at most PHOTO_DATES
    photo_dates_total: int = 0  # every date with photos, listed or not
    # JPEG: the first check-in's photos beside the latest's (one column if they sent photos once);
    # None without photos. Only for the client's coaches.
    photo_sheet: bytes | None = None


@dataclass(frozen=True)
class RosterPage:
    profiles: list[ClientProfile]
    total: int
    page: int
    per_page: int
    now: dt.datetime


@dataclass(frozen=True)
class ClientMatch:
    user_id: int
    display_name: str | None
    timezone: str


def one_off_nonce(kind: str, *numbers: float) -> str:
    """A message nonce (≤ 25 chars) for a DM sent outside the schedule."""
    return kind + "".join(_base36(int(n)) for n in numbers)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


async def _tell(
    pool: asyncpg.Pool, transport: Transport, clock: Clock, user_id: int, message: OutgoingMessage, nonce: str
) -> Told:
    """DM a client outside the schedule; the DM channel Discord opens is remembered."""
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
    if profile is None:
        return Told.no_client
    try:
        await dm.send_dm(pool, transport, clock, profile, message, nonce=nonce)
    except RecipientUnreachable:
        return Told.dms_closed
    except DeliveryError as exc:
        logger.warning("could not DM {}: {}", user_id, exc)
        return Told.not_taken
    return Told.sent


def schedule_lines(profile: ClientProfile, registry: EngineRegistry) -> list[str]:
    """What a client will be sent and when, as the welcome reads it: each drop whose engine
    applies to them ("check-in at 05:30"), with its weekdays when it is not every day ("workout
    at 07:00 on Mon, Wed, Fri"); drops at the same time on the same days share a line ("meals and
    cardio at 06:00"). Nothing for an engine that applies on none of their days (no meal plan)."""
    week = [profile.start_date + dt.timedelta(days=n) for n in range(7)]
    groups: dict[tuple[dt.time, tuple[int, ...]], list[str]] = {}
    for engine in registry:
        days = tuple(sorted(d.isoweekday() for d in week if engine.applies.holds(profile, d)))
        if not days:
            continue
        for spec in engine.actions:
            if spec.kind == ActionKind.drop and spec.previewed:
                groups.setdefault((spec.at_for(profile), days), []).append(spec.label)
    lines = []
    for (at, days), labels in groups.items():
        what = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        on = "" if len(days) == 7 else f" on {render.weekdays(list(days))}"
        lines.append(f"{what} at {at:%H:%M}{on}")
    return lines


def welcome_message(profile: ClientProfile, registry: EngineRegistry) -> OutgoingMessage:
    drops = schedule_lines(profile, registry)
    lines = [f"Your coach has set you up. Your plan starts {profile.start_date:%A %d %B}."]
    if drops:
        lines.append(f"At your local time ({render.zone_label(profile.timezone)}) you get:")
        lines.extend(f"• {line}" for line in drops)
    lines.append("Use /today here any time.")
    return OutgoingMessage(
        embeds=(Embed(title="Welcome to The Regiment", description="\n".join(lines)),),
    )


def pause_message(profile: ClientProfile) -> OutgoingMessage:
    until_text = f" until {profile.paused_until:%A %d %B}" if profile.paused_until else ""
    return OutgoingMessage(
        embeds=(
            Embed(
                title="Your plan is paused",
                description=f"Your coach has paused your daily drops{until_text}. Nothing is sent and "
                "nothing counts as missed meanwhile.",
            ),
        )
    )


async def add_client(
    pool: asyncpg.Pool,
    transport: Transport,
    clock: Clock,
    *,
    user_id: int,
    display_name: str,
    given: coaching.ClientInput,
    registry: EngineRegistry,
    replan: Replan | None = None,
) -> Onboarded:
    """Onboard a client, plan them, and send the welcome DM (what it says they will get, and
    when, comes from `registry`: the engines that apply to them, at the configured times)."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        profile = await coaching.onboard(
            conn, user_id=user_id, display_name=display_name, given=given, now=now
        )
    if replan is not None:
        await replan(user_id)
    welcome = welcome_message(profile, registry)
    told = await _tell(pool, transport, clock, user_id, welcome, one_off_nonce("w", user_id))
    async with pool.acquire() as conn:
        upcoming = await next_runs(conn, registry, user_id)
        profile = await clients.get(conn, user_id) or profile
    return Onboarded(profile, upcoming, now, told)


async def next_runs(
    conn: asyncpg.Connection, registry: EngineRegistry, user_id: int, limit: int = NEXT_RUNS
) -> list[Job]:
    """A client's next runs: their pending jobs, and their runs still in a batch (a zone planned
    in batches: bot.repo.batches), soonest first."""
    planned = await jobs_repo.next_for_client(conn, user_id, limit)
    rules, times = batch_rules(list(registry))
    batched = await batches.upcoming_for(conn, user_id, rules, times, limit)
    return sorted(planned + batched, key=lambda job: job.next_attempt_at)[:limit]


async def edit_client(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int,
    given: coaching.ClientInput,
    registry: EngineRegistry,
    replan: Replan | None = None,
) -> ClientCard:
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        profile = await coaching.edit(conn, user_id=user_id, given=given, now=now)
    if replan is not None:
        await replan(user_id)
    async with pool.acquire() as conn:
        upcoming = await next_runs(conn, registry, user_id)
    return ClientCard(profile, upcoming, now)


async def show_client(
    pool: asyncpg.Pool, registry: EngineRegistry, clock: Clock, user_id: int
) -> ClientOverview:
    now = clock.now()
    async with pool.acquire() as conn:
        profile = await coaching.require_client(conn, user_id)
        upcoming = await next_runs(conn, registry, user_id)
        today = coaching.client_today(profile, now)
        start = today - dt.timedelta(days=OVERVIEW_DAYS)
        # Up to and including today (rates still end yesterday; a fully logged today counts for the
        # streak, as on the client's own /stats).
        found = await compliance_repo.outcomes(
            conn, registry.outcome_sources(), start, today + dt.timedelta(days=1), [user_id]
        )
        last = await reports.recent_logs(conn, registry.log_sources(), user_id, None, LAST_LOGS, 0)
        ending = (await coaching.block_endings(conn, [profile], {user_id: today})).get(user_id)
        trends = await measurements_repo.first_and_latest(conn, user_id, list(MEASUREMENTS))
        dates, photo_total = await measurements_repo.photo_dates(conn, user_id, PHOTO_DATES, photos.POSES)
        compared = await measurements_repo.first_and_latest_photos(conn, user_id) if dates else []
    talks = {
        e.label: await e.conversation(pool, user_id, CONVERSATION_LINES)
        for e in registry.conversations()
        if e.conversation is not None
    }
    sheet = await asyncio.to_thread(photo_sheet, compared) if compared else None
    return ClientOverview(
        profile, upcoming, now, today, found.get(user_id, []), last, ending, talks,
        trends, dates, photo_total, sheet,
    )  # fmt: skip


def photo_sheet(compared: list[tuple[dt.date, dict[str, bytes]]]) -> bytes:
    """The side-by-side JPEG of (date, {pose: jpeg}), oldest first: "First · Sunday 04 Oct" beside
    "Latest · Sunday 06 Dec", or one column titled with its date. CPU work: run it in a thread."""
    titles = ["First · ", "Latest · "] if len(compared) == 2 else [""]
    return photos.side_by_side(
        [
            (f"{title}{day:%A %d %b}", [shot.get(pose) for pose in photos.POSES])
            for title, (day, shot) in zip(titles, compared, strict=True)
        ]
    )


def weight_change_line(profile: ClientProfile) -> str:
    """The coach's expected weekly bodyweight change, as /client show and /client edit list it."""
    low, high = profile.weekly_change_min_kg, profile.weekly_change_max_kg
    if low is None or high is None:
        return "not set: no bodyweight card (set it with /client edit weight_change:)"
    return expected_change_text(low, high)


def block_end_line(end: BlockEnd) -> str:
    """ "Four Weeks (4 weeks): last day Sunday 31 May, then it repeats from day 1"."""
    after = end.ends_on + dt.timedelta(days=1)
    if end.next_name is not None and end.next_from == after:
        then = f"then {end.next_name}"
    elif end.next_name is not None and end.next_from is not None:
        then = f"then it repeats from day 1 until {end.next_name} starts on {end.next_from:%A %d %B}"
    else:
        then = "then it repeats from day 1"
    return f"{end.name} ({end.length}): last day {end.ends_on:%A %d %B}, {then}"


async def list_clients(
    pool: asyncpg.Pool, clock: Clock, *, page: int, per_page: int, among: set[int] | None = None
) -> RosterPage:
    """A page of the roster (`among`: only these clients, a coach's own)."""
    async with pool.acquire() as conn:
        profiles, total = await clients.list_page(conn, per_page, (page - 1) * per_page, among)
    return RosterPage(profiles, total, page, per_page, clock.now())


async def pause_client(
    pool: asyncpg.Pool,
    transport: Transport,
    clock: Clock,
    *,
    user_id: int,
    until: str | None,
    reason: str | None,
    replan: Replan | None = None,
    by: int | None = None,
) -> Paused:
    """Pause a client (until a local date, or until resumed) and tell them; `by` is the coach,
    kept in the pause history. `replan` plans the automatic resume if it falls in the planned
    window."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        profile = await coaching.pause(conn, user_id=user_id, until=until, reason=reason, now=now, by=by)
    if replan is not None:
        await replan(user_id)
    nonce = one_off_nonce("p", user_id, now.timestamp())
    told = await _tell(pool, transport, clock, user_id, pause_message(profile), nonce)
    return Paused(profile, told)


async def resume_client(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int,
    replan: Replan | None = None,
    cancel: Sequence[tuple[str, str]] = (),
    by: int | None = None,
) -> ClientProfile:
    """`cancel`: the registry's cancelled_by_resume() (the pending end of the pause); `by`: the
    coach, kept in the pause history."""
    async with pool.acquire() as conn, conn.transaction():
        profile = await coaching.resume(conn, user_id=user_id, now=clock.now(), cancel=cancel, by=by)
    if replan is not None:
        await replan(user_id)
    return profile


async def reassign_client(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int,
    block_id: str,
    effective: str | None,
    day_index: int,
) -> ClientProfile:
    """Move a client to another block from a local date; `day_index` counts from 0."""
    async with pool.acquire() as conn, conn.transaction():
        return await coaching.reassign(
            conn, user_id=user_id, block_id=block_id, effective=effective, day_index=day_index,
            now=clock.now(),
        )  # fmt: skip


async def search_clients(pool: asyncpg.Pool, text: str) -> list[ClientMatch]:
    """Clients whose name contains, or whose id starts with, what a coach typed."""
    async with pool.acquire() as conn:
        rows = await clients.search(conn, text)
    return [ClientMatch(r["user_id"], r["display_name"], r["timezone"]) for r in rows]
