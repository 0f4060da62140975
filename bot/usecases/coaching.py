"""What coaches and clients change about a client: onboarding, edits, pauses, reassignments,
timezone, unit and plans. Each function validates everything first and raises one `InputError`
listing every problem, so bad input changes nothing; otherwise it writes in the caller's
transaction. The commands call them through bot.usecases.clients and bot.usecases.self_service,
which open the connection and the transaction.

Dates a person types are local to the client: "today" is the client's local today.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import asyncpg

from bot.domain import measurements, timezones
from bot.domain.blocks import DEFAULT_BLOCK, BlockEnd, block_end
from bot.domain.errors import InputError
from bot.domain.inputs import text
from bot.domain.models import ClientProfile, Unit
from bot.domain.weekdays import WEEKDAYS, parse_weekdays
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
    weight_change: str | None = None  # the expected weekly bodyweight change: "-0.5 to -0.25"
    review_day: str | None = None  # the weekly check-in's weekday: "3", "wed", "Wednesday" or "default"
    review_time: str | None = None  # its local time, "HH:MM" (24-hour), or "default"
    measurements: str | None = None  # what it asks besides the waist: "hips, chest" or "none"
    # A check-in due the same day (REVIEW_DEADLINE_DAYS=0) must come before that deadline; None:
    # it is due a later day, and any time of day leaves it open.
    review_deadline: dt.time | None = None


DEFAULT = "default"
# The weekly check-in's days as /client edit offers them (ISO weekday = index + 1).
REVIEW_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def parse_review_day(raw: str, problems: list[str]) -> int | bool | None:
    """The weekly check-in's ISO weekday a coach chose, None for "default" (REVIEW_WEEKDAY), or
    False with a problem added."""
    typed = raw.strip().lower()
    if typed == DEFAULT:
        return None
    if typed.isdigit() and 1 <= int(typed) <= 7:
        return int(typed)
    if (
        len(typed) >= 3
        and typed[:3] in WEEKDAYS
        and REVIEW_DAYS[WEEKDAYS[typed[:3]] - 1].lower().startswith(typed)
    ):
        return WEEKDAYS[typed[:3]]
    problems.append(f"review day: {raw.strip()[:20]!r} is not a weekday; choose Monday to Sunday, or default")
    return False


def parse_review_time(raw: str, deadline: dt.time | None, problems: list[str]) -> dt.time | bool | None:
    """The weekly check-in's local time a coach typed ("18:30"), None for "default" (REVIEW_AT),
    or False with a problem added. Any time of day, unless the check-in closes the same day."""
    typed = raw.strip()
    if typed.lower() == DEFAULT:
        return None
    found = _CLOCK.fullmatch(typed)
    if found is None:
        problems.append(
            f"review time: {typed[:20]!r} is not a time; write it as HH:MM on the 24-hour clock, "
            "e.g. 09:00 or 18:30 (default for the usual time)"
        )
        return False
    at = dt.time(int(found[1]), int(found[2]))
    if deadline is not None and at >= deadline:
        problems.append(
            f"review time: {at:%H:%M} is not before the check-in closes ({deadline:%H:%M} that day)"
        )
        return False
    return at


def _measurements(raw: str, problems: list[str]) -> list[str] | None:
    try:
        return measurements.parse_choice(raw)
    except ValueError as exc:
        problems.append(f"measurements: {exc}")
        return None


# The expected bodyweight change per week a coach can set, in kg (stored with 2 decimals).
WEIGHT_CHANGE_LIMIT_KG = 2.0
WEIGHT_CHANGE_EXAMPLE = "-0.5 to -0.25"
_SIGNED = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
_BETWEEN = re.compile(r"\s+to\s+|\s*\.\.\s*|\s*…\s*")
_KG_PER_WEEK = re.compile(r"\s*kg\s*(?:(?:/|per|a)\s*(?:week|wk|w))?\s*$")
_LB = re.compile(r"\blbs?\b")


def _kg(part: str) -> float:
    return float(part.replace(",", "."))


def parse_weight_change(raw: str, problems: list[str]) -> tuple[float, float] | bool | None:
    """The expected weekly bodyweight change a coach typed: (low, high) in kg, None for "none"
    (no range: the bodyweight card is off), or False with a problem added.

    "-0.5 to -0.25", "-0.5..-0.25", "+0.25 to +0.5 kg/week", "0,1 to 0,3"; either order."""
    field = "weight change"
    usage = f'write the range in kg per week, such as "{WEIGHT_CHANGE_EXAMPLE}" (none to remove it)'
    typed = raw.strip()
    cleaned = typed.lower().replace("\u2212", "-").replace("\u2013", "..").replace("\u2014", "..")
    if cleaned in ("none", "off"):
        return None
    if _LB.search(cleaned):
        problems.append(f"{field}: {usage}; the bodyweight card reads kg (1 lb is 0.45 kg)")
        return False
    parts = _BETWEEN.split(_KG_PER_WEEK.sub("", cleaned))
    if len(parts) != 2 or not all(_SIGNED.fullmatch(part) for part in parts):
        problems.append(f"{field}: {typed[:40]!r} is not a range; {usage}")
        return False
    limit = WEIGHT_CHANGE_LIMIT_KG
    outside = [part for part in parts if abs(_kg(part)) > limit]
    if outside:
        problems.append(f"{field}: {outside[0]} kg/week is outside -{limit:g} to +{limit:g} kg/week")
        return False
    if any(len(part.replace(",", ".").partition(".")[2]) > 2 for part in parts):
        problems.append(f"{field}: {typed[:40]} has more than 2 decimals; {usage}")
        return False
    low, high = sorted(_kg(part) for part in parts)
    return low, high


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
    if given.weight_change is not None:
        expected = parse_weight_change(given.weight_change, problems)
        if expected is not False:
            low, high = expected if isinstance(expected, tuple) else (None, None)
            changes["weekly_change_min_kg"], changes["weekly_change_max_kg"] = low, high
    # The weekly check-in: a change of day or time re-times this week's check-in if it has not
    # begun (the planner, when the caller plans the client again), and never sends a second.
    if given.review_day is not None and (day := parse_review_day(given.review_day, problems)) is not False:
        changes["review_weekday"] = day
    if given.review_time is not None:
        at = parse_review_time(given.review_time, given.review_deadline, problems)
        if at is not False:
            changes["review_at"] = at
    if given.measurements is not None and (chosen := _measurements(given.measurements, problems)) is not None:
        changes["review_measurements"] = chosen
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
        block_started_on=changes.get("start_date"),
        **changes,  # type: ignore[arg-type]
    )
    await clients.upsert(conn, profile, now)
    return profile


async def edit(
    conn: asyncpg.Connection, *, user_id: int, given: ClientInput, now: dt.datetime
) -> ClientProfile:
    profile = await require_client(conn, user_id)
    problems: list[str] = []
    today = client_today(profile, now)
    changes = await _validated_changes(conn, given, today, now, problems)
    if problems:
        raise InputError(problems)
    start = changes.get("start_date", profile.start_date)
    assert isinstance(start, dt.date)
    if "block_id" in changes and changes["block_id"] != profile.block_id:
        changes["block_started_on"] = max(today, start)  # its length counts from its first day
    elif "start_date" in changes and profile.start_date > today:
        changes["block_started_on"] = start  # not started yet: the block starts with them
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
    conn: asyncpg.Connection,
    *,
    user_id: int,
    until: str | None,
    reason: str | None,
    now: dt.datetime,
    by: int | None = None,
) -> ClientProfile:
    """Pause from the client's today (a pause already under way is changed: a new until-date, or
    none), and record it in the pause history with who did it (`by`, the coach)."""
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
    await clients.record_pause(conn, user_id, today, until_date, reason, by, now)
    return updated


async def resume(
    conn: asyncpg.Connection,
    *,
    user_id: int,
    now: dt.datetime,
    cancel: Sequence[tuple[str, str]] = (),
    by: int | None = None,
) -> ClientProfile:
    """Resume now: the client's today is active again, and the pause in the history ends there.
    The client's pending jobs of the `cancel` actions (engine, action) go, in the same transaction
    (EngineRegistry.cancelled_by_resume: the pause's own end)."""
    profile = await require_client(conn, user_id)
    if not profile.paused:
        raise InputError(f"{profile.display_name or user_id} is not paused")
    updated = profile.model_copy(update={"paused": False, "paused_until": None, "pause_reason": None})
    await clients.upsert(conn, updated, now)
    await clients.record_resume(conn, user_id, client_today(profile, now), by, now)
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


def block_start(profile: ClientProfile) -> dt.date:
    """Where the run of the client's current block began (clients from before it was kept: their
    start date)."""
    return profile.block_started_on or profile.start_date


def pause_test(periods: Sequence[tuple[dt.date, dt.date | None]]) -> Callable[[dt.date], bool]:
    """Whether a local date falls in one of the (from, until or None) pauses."""

    def paused(day: dt.date) -> bool:
        return any(start <= day and (until is None or day < until) for start, until in periods)

    return paused


_FAR = dt.date(9999, 12, 31)


async def block_endings(
    conn: asyncpg.Connection, profiles: Sequence[ClientProfile], todays: Mapping[int, dt.date]
) -> dict[int, BlockEnd]:
    """Per client whose block has a length, where the run under way on their `todays` ends and
    what comes next (a block queued with /reassign, or a repeat). A constant number of queries."""
    wanted = {p.block_id for p in profiles if p.block_id} | {
        p.next_block_id for p in profiles if p.next_block_id
    }
    known = await blocks.latest_many(conn, wanted - {DEFAULT_BLOCK.id})
    measured = [p for p in profiles if p.block_id in known and known[p.block_id].length is not None]
    if not measured:
        return {}
    starts = {p.user_id: block_start(p) for p in measured}
    runs = [(p.user_id, str(p.block_id), starts[p.user_id]) for p in measured]
    sessions = await blocks.sessions_since(conn, runs, _FAR)
    pauses = await clients.pause_periods(conn, [p.user_id for p in measured], min(starts.values()), _FAR)
    found: dict[int, BlockEnd] = {}
    for p in measured:
        next_name = None
        if p.next_block_id is not None and p.next_block_from is not None:
            queued = DEFAULT_BLOCK if p.next_block_id == DEFAULT_BLOCK.id else known.get(p.next_block_id)
            next_name = queued.name if queued is not None else p.next_block_id
        end = block_end(
            known[str(p.block_id)],
            starts[p.user_id],
            todays[p.user_id],
            sessions=sessions.get(p.user_id, []),
            training_days=p.schedule_days,
            paused=pause_test(pauses.get(p.user_id, [])),
            next_name=next_name,
            next_from=p.next_block_from if next_name is not None else None,
        )
        if end is not None:
            found[p.user_id] = end
    return found
