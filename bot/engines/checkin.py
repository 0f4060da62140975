"""Check-in (seed 000: 05:30 prompt, 12:00 missed). Two short forms, because a Discord modal holds
five fields and the check-in has seven: "How you feel" (energy, mood, stress, soreness as 1–5
selects, and an optional note) and "Weigh-in & sleep". Complete when both are in; readiness is
the mean of the four ratings with stress and soreness inverted. At 12:00 a check-in that is not
complete is missed (what was answered is kept)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.engine import Engine
from bot.domain.errors import InputError
from bot.domain.inputs import number, text
from bot.domain.lifting import show_weight, to_kg
from bot.domain.models import ClientProfile, DailyDrop, Unit
from bot.engines import daily
from bot.repo import clients
from bot.repo import daily as repo
from bot.views.messages import Button, ButtonStyle, Embed, EmbedField, OutgoingMessage

NAME = "checkin"
FEEL_ID = "rg:ci:feel:{user_id}:{day:%Y%m%d}"
BODY_ID = "rg:ci:body:{user_id}:{day:%Y%m%d}"
FEEL_MODAL_ID = "rg:ci:feelm:{user_id}:{day:%Y%m%d}"
BODY_MODAL_ID = "rg:ci:bodym:{user_id}:{day:%Y%m%d}"
RATINGS = ("energy", "mood", "stress", "soreness")
NOTE_MAX = 500
BODYWEIGHT_KG = (25.0, 350.0)


def _content_for(settings: Settings):  # type: ignore[no-untyped-def]
    async def content(
        conn: asyncpg.Connection, profile: ClientProfile, day: dt.date, now: dt.datetime
    ) -> dict[str, object]:
        return {"closes": f"{settings.checkin_deadline_at:%H:%M}"}

    return content


async def render(
    conn: asyncpg.Connection, drop: DailyDrop, profile: ClientProfile, closed: bool
) -> list[OutgoingMessage]:
    row = await repo.checkin(conn, drop.user_id, drop.local_date)
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
                f"{show_weight(float(r['bodyweight_kg']), unit)} · slept {float(r['sleep_hours']):g} h",
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
               ButtonStyle.success if feel_done else ButtonStyle.primary),
        Button("Weigh-in & sleep", BODY_ID.format(user_id=drop.user_id, day=day),
               ButtonStyle.success if body_done else ButtonStyle.primary),
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
    low, high = (round(v / 0.45359237) if unit == Unit.lb else v for v in BODYWEIGHT_KG)
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
    nothing is written."""
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
        if profile is None:
            raise InputError("You are not a client of The Regiment.")
        parsed = parse_feel(values) if part == "feel" else parse_body(values, profile.unit)
        async with conn.transaction():
            drop = await daily.open_drop(conn, user_id, day, NAME, clock, "check-in")
            row = await repo.upsert_checkin(conn, user_id, day, clock.now(), parsed)
        messages = await render(conn, drop, profile, False)
    readiness = float(row["readiness"]) if row["readiness"] is not None else None
    return Recorded(drop, row["status"] == "logged", readiness, messages)


async def _miss(conn: asyncpg.Connection, drop: DailyDrop, now: dt.datetime) -> int:
    return 1 if await repo.miss_checkin(conn, drop.user_id, drop.local_date, now) else 0


def build(settings: Settings) -> Engine:
    return daily.engine(
        NAME,
        drop_at=settings.checkin_prompt_at,
        closes_at=settings.checkin_deadline_at,
        content=_content_for(settings),
        render=render,
        miss=_miss,
    )
