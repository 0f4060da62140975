"""Check-in (seed 000: 05:30 prompt, 12:00 missed). Two short forms, because a Discord modal holds
five fields and the check-in has seven: "How you feel" (energy, mood, stress, soreness as 1–5
selects, and an optional note) and "Weigh-in & sleep". Complete when both are in; readiness is
the mean of the four ratings with stress and soreness inverted. At 12:00 a check-in that is not
complete is missed (what was answered is kept)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.engine import ComplianceSource, Engine
from bot.domain.errors import InputError
from bot.domain.inputs import number, text
from bot.domain.lifting import KG_PER_LB, show_weigh_in, to_kg
from bot.domain.models import ClientProfile, DailyDrop, Unit
from bot.engines import lifecycle
from bot.repo import checkin as repo
from bot.repo import clients
from bot.repo.drops import drops_of, log_on_open, open_drop
from bot.views import custom_ids
from bot.views.messages import Button, ButtonStyle, Embed, EmbedField, OutgoingMessage

NAME = "checkin"
FEEL_ID = custom_ids.CHECKIN_FEEL
BODY_ID = custom_ids.CHECKIN_BODY
FEEL_MODAL_ID = custom_ids.CHECKIN_FEEL_FORM
BODY_MODAL_ID = custom_ids.CHECKIN_BODY_FORM
RATINGS = ("energy", "mood", "stress", "soreness")
NOTE_MAX = 500
BODYWEIGHT_KG = (25.0, 350.0)


def _snapshot_for(settings: Settings):  # type: ignore[no-untyped-def]
    async def snapshot(
        conn: asyncpg.Connection, profile: ClientProfile, day: dt.date, now: dt.datetime
    ) -> tuple[DailyDrop, bool]:
        deadline = lifecycle.deadline_of(profile, day, settings.checkin_deadline_at)
        content = {"closes": f"{settings.checkin_deadline_at:%H:%M}"}
        return await open_drop(conn, profile.user_id, day, NAME, content, deadline, now)

    return snapshot


async def render(
    conn: asyncpg.Connection, drop: DailyDrop, profile: ClientProfile, closed: bool, fresh: bool = False
) -> list[OutgoingMessage]:
    row = None if fresh else await repo.checkin(conn, drop.user_id, drop.local_date)
    return [message(drop, row, profile.unit, closed)]


def message(drop: DailyDrop, row: Mapping[str, Any] | None, unit: Unit, closed: bool) -> OutgoingMessage:
    day = drop.local_date
    fields = []
    feel_done = row is not None and all(row[k] is not None for k in RATINGS)
    body_done = row is not None and row["bodyweight_kg"] is not None and row["sleep_hours"] is not None
    if feel_done and row is not None:
        r = row
        fields.append(
            EmbedField(
                "How you feel ✅",
                f"energy {r['energy']} · mood {r['mood']} · stress {r['stress']} · soreness {r['soreness']}",
            )
        )
    if body_done and row is not None:
        r = row
        fields.append(
            EmbedField(
                "Weigh-in & sleep ✅",
                f"{show_weigh_in(r, unit)} · slept {float(r['sleep_hours']):g} h",
            )
        )
    if row is not None and row["readiness"] is not None:
        fields.append(EmbedField("Readiness", f"{float(row['readiness']):.2f} / 5"))
    if closed:
        footer = (
            "Check-in closed."
            if feel_done and body_done
            else f"Missed: not complete by {drop.content['closes']}."
        )
    elif feel_done and body_done and row is not None and row["readiness"] is not None:
        footer = (
            f"Check-in complete — readiness {float(row['readiness']):.2f} / 5. "
            f"You can change an answer until {drop.content['closes']}."
        )
    else:
        footer = f"Both parts before {drop.content['closes']}."
    embed = Embed(
        title=f"Check-in — {day:%A %d %B}",
        description="Two quick parts: how you feel, then your weigh-in and sleep.",
        fields=tuple(fields),
        footer=footer,
        color=0x7F8C8D if closed else 0x27AE60,
    )
    rows = ((
        Button("How you feel", FEEL_ID.format(user_id=drop.user_id, day=day),
               ButtonStyle.success if feel_done else ButtonStyle.primary, disabled=closed),
        Button("Weigh-in & sleep", BODY_ID.format(user_id=drop.user_id, day=day),
               ButtonStyle.success if body_done else ButtonStyle.primary, disabled=closed),
    ),)  # fmt: skip
    return OutgoingMessage(embeds=(embed,), rows=rows)


@dataclass(frozen=True)
class Recorded:
    drop: DailyDrop
    complete: bool
    readiness: float | None
    messages: list[OutgoingMessage]


def parse_feel(values: dict[str, str]) -> dict[str, object]:
    problems: list[str] = []
    parsed: dict[str, object] = {}
    for rating in RATINGS:
        value = number(values.get(rating, ""), rating, problems, low=1, high=5, whole=True)
        if value is not None:
            parsed[rating] = int(value)
    note = text(values.get("note", ""), "note", problems, limit=NOTE_MAX)
    if problems:
        raise InputError(problems)
    parsed["note"] = note
    return parsed


def parse_body(values: dict[str, str], unit: Unit) -> dict[str, object]:
    problems: list[str] = []
    low, high = (round(v / KG_PER_LB) if unit == Unit.lb else v for v in BODYWEIGHT_KG)
    weight = number(values.get("bodyweight", ""), "bodyweight", problems, low=low, high=high, unit=str(unit))
    sleep = number(values.get("sleep", ""), "sleep", problems, low=0, high=16, unit="hours")
    if problems or weight is None or sleep is None:
        raise InputError(problems)
    return {
        "bodyweight_kg": round(to_kg(weight, unit), 2),
        "weight_entered": weight,
        "unit_entered": str(unit),
        "sleep_hours": sleep,
    }


async def record(
    pool: asyncpg.Pool, clock: Clock, *, user_id: int, day: dt.date, part: str, values: dict[str, str]
) -> Recorded:
    """Record one part ("feel" or "body") of a check-in. InputError names every problem; then
    nothing is written. Two statements: the client (its unit reads the weigh-in), then the write
    while the drop is open."""
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
        if profile is None:
            raise InputError("You are not a client of The Regiment.")
        parsed = parse_feel(values) if part == "feel" else parse_body(values, profile.unit)
        now = clock.now()
        _, drop, written, row = await log_on_open(
            conn, NAME, user_id, day, now, repo.CHECKIN_ON_OPEN, *repo.checkin_args(parsed)
        )
    if not written or drop is None or row is None:
        raise LOGBOOK.refusal(profile, drop, day, now)
    readiness = float(row["readiness"]) if row["readiness"] is not None else None
    return Recorded(drop, row["status"] == "logged", readiness, [message(drop, row, profile.unit, False)])


async def _chart(pool: asyncpg.Pool, profile: ClientProfile, what: str) -> bytes:
    async with pool.acquire() as conn:
        points = await repo.series(conn, profile.user_id, what)
    if not points:
        raise InputError(f"No {what} logged yet: the chart appears after your first check-in.")
    title = f"{what.capitalize()} — {profile.display_name or profile.user_id}"
    from bot.views import client_charts  # matplotlib: loaded when a chart is asked for, not by every process

    if what == "bodyweight":
        return await asyncio.to_thread(client_charts.bodyweight_chart, title, points, str(profile.unit))
    return await asyncio.to_thread(client_charts.readiness_chart, title, points)


async def bodyweight_chart(pool: asyncpg.Pool, profile: ClientProfile) -> bytes:
    """Bodyweight with its 7-day moving average, in the client's unit."""
    return await _chart(pool, profile, "bodyweight")


async def readiness_chart(pool: asyncpg.Pool, profile: ClientProfile) -> bytes:
    return await _chart(pool, profile, "readiness")


def day_line(row: Mapping[str, Any]) -> str | None:
    status = row.get("status")
    if status is None:
        return None
    return f"check-in: {dict(partial='half done', logged='done ✅', missed='missed ❌')[status]}"


LOGBOOK = lifecycle.Logbook(
    drops_of(NAME, repo.MISS_FROM_CLOSED),
    missing_text="There is no check-in for {day:%A %d %B}.",
    closed_text="The check-in for {day:%A %d %B} closed at {closes}",
)


def build(settings: Settings) -> Engine:
    drops = lifecycle.DropLifecycle(NAME, LOGBOOK, _snapshot_for(settings), render)
    return Engine(
        NAME,
        label="check-in",
        actions=drops.actions(
            settings.checkin_prompt_at, settings.checkin_deadline_at, "check-in", "check-in closes"
        ),
        handlers=drops.handlers(),
        triggerable=("drop",),
        compliance=ComplianceSource(repo.OUTCOMES, repo.RECENT_LOGS, repo.DAY_STATUS, day_line),
        cog="cogs.checkin",
        custom_ids=(FEEL_ID, BODY_ID, FEEL_MODAL_ID, BODY_MODAL_ID),
        renderers={"check-in": message},
        charts={"bodyweight": bodyweight_chart, "readiness": readiness_chart},
        roles=frozenset({"check-in"}),  # its logs are what the no_checkin flag looks for
    )
