"""Cardio (seed 000: 06:00 drop, 22:00 missed): the day's prescription from the client's cardio
plan (nothing on rest days) and a "Log cardio" button: minutes or steps, whichever was
prescribed, and optionally the average heart rate."""

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
from bot.domain.inputs import number
from bot.domain.models import ClientProfile, DailyDrop
from bot.domain.plans import CardioSession
from bot.engines import daily
from bot.repo import clients
from bot.repo import daily as repo
from bot.views.messages import Button, ButtonStyle, Embed, OutgoingMessage

NAME = "cardio"
LOG_ID = "rg:cd:log:{user_id}:{day:%Y%m%d}"
MODAL_ID = "rg:cd:set:{user_id}:{day:%Y%m%d}"
HAS_PLAN = "c.cardio_plan_id IS NOT NULL"


def _content_for(settings: Settings):  # type: ignore[no-untyped-def]
    async def content(
        conn: asyncpg.Connection, profile: ClientProfile, day: dt.date, now: dt.datetime
    ) -> dict[str, Any] | str:
        if profile.cardio_plan_id is None:
            return "no cardio plan"
        found = await daily.client_plan(conn, profile, "cardio", profile.cardio_plan_id, now)
        if found is None:
            return "cardio plan missing"
        version, plan = found
        session = plan.session_on(day)
        if session is None:
            return "rest day"
        return {
            "plan_id": plan.id, "version": version, "plan_name": plan.name,
            "closes": f"{settings.day_deadline_at:%H:%M}", "session": session.model_dump(mode="json"),
        }  # fmt: skip

    return content


async def render(
    conn: asyncpg.Connection, drop: DailyDrop, profile: ClientProfile, closed: bool
) -> list[OutgoingMessage]:
    return [message(drop, await repo.cardio_of(conn, drop.id), closed)]


def message(drop: DailyDrop, log: Mapping[str, Any] | None, closed: bool) -> OutgoingMessage:
    session = CardioSession.model_validate(drop.content["session"])
    lines = [f"**{session.describe()}**"]
    if log is not None and log["status"] == "logged":
        amount = f"{log['minutes']} min" if log["minutes"] is not None else f"{log['steps']:,} steps"
        hr = f" · avg HR {log['avg_hr']}" if log["avg_hr"] is not None else ""
        lines.append(f"✅ logged {amount}{hr}")
    elif closed:
        lines.append("❌ missed")
    footer = f"Closed at {drop.content['closes']}." if closed else f"Log it before {drop.content['closes']}."
    embed = Embed(
        title=f"Cardio — {drop.local_date:%A %d %B}",
        description="\n".join(lines),
        footer=footer,
        color=0x7F8C8D if closed else 0x8E44AD,
    )
    done = log is not None and log["status"] == "logged"
    button = Button(
        "Edit cardio" if done else "Log cardio",
        LOG_ID.format(user_id=drop.user_id, day=drop.local_date),
        ButtonStyle.success if done else ButtonStyle.primary,
    )
    return OutgoingMessage(embeds=(embed,), rows=((button,),))


def target(drop: DailyDrop) -> str:
    """'minutes' or 'steps': what the client is asked for."""
    return "minutes" if drop.content["session"].get("minutes") is not None else "steps"


def parse_log(values: dict[str, str], wanted: str) -> tuple[int | None, int | None, int | None]:
    problems: list[str] = []
    amount = (
        number(values.get("amount", ""), "minutes", problems, low=1, high=600, whole=True)
        if wanted == "minutes"
        else number(values.get("amount", ""), "steps", problems, low=1, high=100_000, whole=True)
    )
    hr = number(
        values.get("avg_hr", ""), "average heart rate", problems, low=30, high=230, whole=True, required=False
    )
    if problems:
        raise InputError(problems)
    minutes = int(amount) if wanted == "minutes" and amount is not None else None
    steps = int(amount) if wanted == "steps" and amount is not None else None
    return minutes, steps, int(hr) if hr is not None else None


@dataclass(frozen=True)
class Logged:
    drop: DailyDrop
    log: Mapping[str, Any]
    messages: list[OutgoingMessage]


async def log_cardio(
    pool: asyncpg.Pool, clock: Clock, *, user_id: int, day: dt.date, values: dict[str, str]
) -> Logged:
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
        if profile is None:
            raise InputError("You are not a client of The Regiment.")
        async with conn.transaction():
            drop = await daily.open_drop(conn, user_id, day, NAME, clock, "cardio log")
            minutes, steps, hr = parse_log(values, target(drop))
            row = await repo.log_cardio(conn, drop, minutes, steps, hr, clock.now())
        messages = await render(conn, drop, profile, False)
    return Logged(drop, row, messages)


async def _miss(conn: asyncpg.Connection, drop: DailyDrop, now: dt.datetime) -> int:
    return await repo.miss_cardio(conn, drop.id, now)


def build(settings: Settings) -> Engine:
    return daily.engine(
        NAME,
        drop_at=settings.cardio_drop_at,
        closes_at=settings.day_deadline_at,
        content=_content_for(settings),
        render=render,
        miss=_miss,
        client_filter=HAS_PLAN,
    )
