"""What coaches and clients change about a client: onboarding, edits, pauses, reassignments,
timezone, unit and plans. Each function validates everything first and raises one `InputError`
listing every problem, so bad input changes nothing; otherwise it writes in the caller's
transaction. The commands call them through bot.usecases.clients and bot.usecases.self_service,
which open the connection and the transaction.

Dates a person types are local to the client: "today" is the client's local today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg

from bot.domain import timezones
from bot.domain.errors import InputError
from bot.domain.inputs import text
from bot.domain.models import ClientProfile, Unit
from bot.domain.weekdays import parse_weekdays
from bot.repo import blocks, cards, clients
from bot.repo import jobs as jobs_repo
from bot.repo import plans as plans_repo

# Called with a client's id after a change to them is committed: the bot passes its runtime's
# plan_client, so what changed is planned at once rather than at the next planning tick.
Replan = Callable[[int], Awaitable[object]]


def client_today(profile: ClientProfile, now: dt.datetime) -> dt.date:
    """The client's local date now (in the zone that governs today)."""
    try:
        today = timezones.local_date(timezones.parse_timezone(profile.timezone), now)
        if profile.zone_on(today) != profile.timezone:
            return timezones.local_date(timezones.parse_timezone(profile.zone_on(today)), now)
    except timezones.InvalidTimezone:
        return now.date()
    return today


def parse_date(text: str, field: str, problems: list[str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        problems.append(f"{field}: {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01")
        return None


def _zone(text: str, problems: list[str]) -> str | None:
    try:
        return timezones.canonical_name(text)
    except timezones.InvalidTimezone as exc:
        problems.append(f"timezone: {exc}")
        return None


def _weekdays(text: str, problems: list[str]) -> list[int] | None:
    try:
        days = parse_weekdays(text)
    except ValueError as exc:
        problems.append(f"schedule days: {exc}")
        return None
    if not days:
        problems.append("schedule days: name at least one day, e.g. mon,wed,fri")
        return None
    return days


def _unit(text: str, problems: list[str]) -> Unit | None:
    try:
        return Unit(text.strip().lower())
    except ValueError:
        problems.append(f"unit: {text!r} is not a unit; use kg or lb")
        return None


async def _block(conn: asyncpg.Connection, block_id: str, problems: list[str]) -> str | None:
    block_id = block_id.strip()
    if not await blocks.exists(conn, block_id):
        problems.append(f"block: no block {block_id!r} has been imported")
        return None
    return block_id


# The profile column that holds a client's plan of each kind.
PLAN_COLUMNS = {"meals": "meal_plan_id", "cardio": "cardio_plan_id"}


async def assign_plan(
    conn: asyncpg.Connection, profile: ClientProfile, kind: str, plan_id: str | None, now: dt.datetime
) -> ClientProfile:
    """Give a client a plan of `kind` (None takes it away), from their next drop on. The caller
    has validated both (and holds the client's row lock: `require_client`, `clients.get(lock=True)`)."""
    updated = profile.model_copy(update={PLAN_COLUMNS[kind]: plan_id})
    await clients.upsert(conn, updated, now)
    return updated


@dataclass(frozen=True)
class ClientInput:
    """What a coach typed in /client add or /client edit; None means 'not given'."""

    timezone: str | None = None
    start_date: str | None = None
    block_id: str | None = None
    schedule_days: str | None = None
    unit: str | None = None
    meal_plan_id: str | None = None
    cardio_plan_id: str | None = None


async def _plan(conn: asyncpg.Connection, kind: str, plan_id: str, problems: list[str]) -> str | bool | None:
    """The plan id to store, None to clear it ("none"), or False with a problem."""
    plan_id = plan_id.strip()
    if plan_id.lower() == "none":
        return None
    if not await plans_repo.exists(conn, kind, plan_id):
        problems.append(f"{kind} plan: no {kind} plan {plan_id!r} has been imported")
        return False
    return plan_id


async def _validated_changes(
    conn: asyncpg.Connection,
    given: ClientInput,
    today: dt.date | None,
    now: dt.datetime,
    problems: list[str],
) -> dict[str, object]:
    changes: dict[str, object] = {}
    if given.timezone is not None and (zone := _zone(given.timezone, problems)) is not None:
        changes["timezone"] = zone
    if given.start_date is not None:
        start = parse_date(given.start_date, "start date", problems)
        if start is not None:
            if today is None and "timezone" in changes:
                today = timezones.local_date(timezones.parse_timezone(str(changes["timezone"])), now)
            # Without a usable zone, a date before today in the westernmost zone is past anywhere.
            earliest = today if today is not None else (now - dt.timedelta(hours=12)).date()
            if start < earliest:
                where = f"{today} for the client" if today is not None else f"{earliest} everywhere"
                problems.append(f"start date: {start} is in the past (it is {where})")
            else:
                changes["start_date"] = start
    if given.block_id is not None and (block := await _block(conn, given.block_id, problems)) is not None:
        changes["block_id"] = block
    if given.schedule_days is not None and (days := _weekdays(given.schedule_days, problems)) is not None:
        changes["schedule_days"] = days
    if given.unit is not None and (unit := _unit(given.unit, problems)) is not None:
        changes["unit"] = unit
    for kind, given_id in (("meals", given.meal_plan_id), ("cardio", given.cardio_plan_id)):
        if given_id is not None and (plan := await _plan(conn, kind, given_id, problems)) is not False:
            changes[PLAN_COLUMNS[kind]] = plan
    return changes


async def onboard(
    conn: asyncpg.Connection,
    *,
    user_id: int,
    display_name: str,
    given: ClientInput,
    now: dt.datetime,
    dm_channel_id: int | None = None,
) -> ClientProfile:
    """Add a client. Timezone and start date are required; the rest have defaults."""
    problems: list[str] = []
    if await clients.get(conn, user_id) is not None:
        raise InputError(f"{display_name} is already a client: use /client edit to change them")
    if given.timezone is None:
        problems.append("timezone: required")
    if given.start_date is None:
        problems.append("start date: required")
    changes = await _validated_changes(conn, given, None, now, problems)
    if problems:
        raise InputError(problems)
    profile = ClientProfile(
        user_id=user_id,
        display_name=display_name,
        dm_channel_id=dm_channel_id,
        **changes,  # type: ignore[arg-type]
    )
    await clients.upsert(conn, profile, now)
    return profile


async def edit(
    conn: asyncpg.Connection, *, user_id: int, given: ClientInput, now: dt.datetime
) -> ClientProfile:
    profile = await require_client(conn, user_id)
    problems: list[str] = []
    changes = await _validated_changes(conn, given, client_today(profile, now), now, problems)
    if problems:
        raise InputError(problems)
    if "timezone" in changes and changes["timezone"] != profile.timezone:
        zone = str(changes.pop("timezone"))
        profile, _ = await change_timezone(conn, user_id=user_id, zone=zone, now=now)
    updated = profile.model_copy(update=changes)
    await clients.upsert(conn, updated, now)
    return updated


async def require_client(conn: asyncpg.Connection, user_id: int) -> ClientProfile:
    """The client, row-locked until the caller's transaction ends, so concurrent changes (a
    coach, the client, the dispatcher advancing day_index) never overwrite one another."""
    profile = await clients.get(conn, user_id, lock=True)
    if profile is None:
        raise InputError("that person is not a client yet: add them with /client add")
    return profile


async def pause(
    conn: asyncpg.Connection, *, user_id: int, until: str | None, reason: str | None, now: dt.datetime
) -> ClientProfile:
    profile = await require_client(conn, user_id)
    problems: list[str] = []
    today = client_today(profile, now)
    until_date = parse_date(until, "until", problems) if until else None
    if until_date is not None and until_date <= today:
        problems.append(f"until: {until_date} is not after today ({today} for the client)")
    reason = text(reason, "reason", problems, limit=500)
    if problems:
        raise InputError(problems)
    updated = profile.model_copy(update={"paused": True, "paused_until": until_date, "pause_reason": reason})
    await clients.upsert(conn, updated, now)
    return updated


async def resume(
    conn: asyncpg.Connection,
    *,
    user_id: int,
    now: dt.datetime,
    cancel: Sequence[tuple[str, str]] = (),
) -> ClientProfile:
    """Resume now; the client's pending jobs of the `cancel` actions (engine, action) go, in the
    same transaction (EngineRegistry.cancelled_by_resume: the pause's own end)."""
    profile = await require_client(conn, user_id)
    if not profile.paused:
        raise InputError(f"{profile.display_name or user_id} is not paused")
    updated = profile.model_copy(update={"paused": False, "paused_until": None, "pause_reason": None})
    await clients.upsert(conn, updated, now)
    for engine, action in cancel:
        await jobs_repo.drop_pending(conn, user_id, engine, action)
    return updated


async def reassign(
    conn: asyncpg.Connection,
    *,
    user_id: int,
    block_id: str,
    effective: str | None,
    day_index: int,
    now: dt.datetime,
) -> ClientProfile:
    """Move a client to another block from a local date (default: their tomorrow)."""
    profile = await require_client(conn, user_id)
    problems: list[str] = []
    today = client_today(profile, now)
    block = await _block(conn, block_id, problems)
    start = parse_date(effective, "effective", problems) if effective else today + dt.timedelta(days=1)
    if start is not None and start < today:
        problems.append(f"effective: {start} is in the past (it is {today} for the client)")
    if day_index < 0:
        problems.append("day index: must be 0 or more")
    if problems or block is None or start is None:
        raise InputError(problems)
    updated = profile.model_copy(
        update={"next_block_id": block, "next_block_from": start, "next_day_index": day_index}
    )
    await clients.upsert(conn, updated, now)
    return updated


def timezone_effective_date(old_zone: str, new_zone: str, now: dt.datetime) -> dt.date:
    """First local date governed by a new zone.

    The change never applies to a day already under way: tomorrow in the old zone at the
    earliest, and a date that has not yet begun in the new zone (a client moving east may
    already be in tomorrow there), so no action of the change day fires twice or is skipped.
    """
    old_today = timezones.local_date(timezones.parse_timezone(old_zone), now)
    new_today = timezones.local_date(timezones.parse_timezone(new_zone), now)
    return max(old_today, new_today) + dt.timedelta(days=1)


async def change_timezone(
    conn: asyncpg.Connection, *, user_id: int, zone: str, now: dt.datetime
) -> tuple[ClientProfile, dt.date]:
    """Move a client to another zone from the first local day not yet begun in either zone.

    Call inside a transaction: it waits for a planning tick in progress (so none re-plans the
    old zone underneath) and drops the pending jobs the new zone re-plans."""
    await jobs_repo.hold_watermarks(conn)
    profile = await require_client(conn, user_id)
    problems: list[str] = []
    new_zone = _zone(zone, problems)
    if new_zone is None:
        raise InputError(problems)
    if new_zone == profile.timezone:
        raise InputError(f"the timezone is already {new_zone}")
    if not timezones.is_valid(profile.timezone):
        # Nothing was ever planned in an invalid zone: the new one applies at once.
        updated = profile.model_copy(
            update={"timezone": new_zone, "previous_timezone": None, "timezone_effective_from": None}
        )
        await clients.upsert(conn, updated, now)
        await cards.resolve_by_key(
            conn, cards.card_key("invalid_timezone", user_id, profile.timezone), now, note="zone fixed"
        )
        return updated, timezones.local_date(timezones.parse_timezone(new_zone), now)
    pending = profile.timezone_effective_from
    if pending is not None and pending > client_today(profile, now):
        raise InputError(
            f"the change to {profile.timezone} takes effect on {pending}; change it again from that day on"
        )
    effective = timezone_effective_date(profile.timezone, new_zone, now)
    updated = profile.model_copy(
        update={
            "timezone": new_zone,
            "previous_timezone": profile.timezone,
            "timezone_effective_from": effective,
        }
    )
    await clients.upsert(conn, updated, now)
    await jobs_repo.drop_pending_from(conn, user_id, effective)
    return updated, effective


async def set_unit(conn: asyncpg.Connection, *, user_id: int, unit: str, now: dt.datetime) -> ClientProfile:
    profile = await require_client(conn, user_id)
    problems: list[str] = []
    parsed = _unit(unit, problems)
    if parsed is None:
        raise InputError(problems)
    updated = profile.model_copy(update={"unit": parsed})
    await clients.upsert(conn, updated, now)
    return updated
