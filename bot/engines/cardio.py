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
from bot.core.engine import ComplianceSource, DayTest, Engine
from bot.domain.drops import is_open
from bot.domain.eligibility import HasValue
from bot.domain.errors import InputError
from bot.domain.inputs import number
from bot.domain.models import ClientProfile, DailyDrop
from bot.domain.plans import CardioPlan, CardioSession
from bot.engines import lifecycle
from bot.repo import cardio as repo
from bot.repo import clients
from bot.repo import plans as plans_repo
from bot.repo.drops import drops_of, log_on_open
from bot.views import custom_ids
from bot.views.messages import Button, ButtonStyle, Embed, OutgoingMessage

NAME = "cardio"
LOG_ID = custom_ids.CARDIO_LOG
MODAL_ID = custom_ids.CARDIO_FORM
HAS_PLAN = HasValue("cardio_plan_id")


def _snapshot_for(settings: Settings):  # type: ignore[no-untyped-def]
    known: lifecycle.KnownVersions[CardioPlan] = lifecycle.KnownVersions()

    async def snapshot(
        conn: asyncpg.Connection, profile: ClientProfile, day: dt.date, now: dt.datetime
    ) -> tuple[DailyDrop, bool] | str:
        if profile.cardio_plan_id is None:
            return "no cardio plan"

        def content(version: int, plan: CardioPlan) -> dict[str, Any] | str:
            session = plan.session_on(day)
            if session is None:
                return "rest day"
            return {
                "plan_id": plan.id, "version": version, "plan_name": plan.name,
                "closes": f"{settings.day_deadline_at:%H:%M}", "session": session.model_dump(mode="json"),
            }  # fmt: skip

        return await lifecycle.open_plan_drop(
            conn,
            profile,
            day,
            now,
            engine=NAME,
            plan_id=profile.cardio_plan_id,
            known=known,
            content=content,
            deadline=lifecycle.deadline_of(profile, day, settings.day_deadline_at),
            title="Cardio plan",
            consequence="no cardio is sent",
        )

    return snapshot


async def render(
    conn: asyncpg.Connection, drop: DailyDrop, profile: ClientProfile, closed: bool, fresh: bool = False
) -> list[OutgoingMessage]:
    log = None if fresh else await repo.cardio_of(conn, drop.id)
    return [message(drop, log, closed)]


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
        disabled=closed,
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
    """Three statements: the client and the drop (what it asks for reads the answer), then the
    write while the drop is open."""
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
        drop = None if profile is None else await LOGBOOK.store.get(conn, user_id, day)
        now = clock.now()
        if profile is None or drop is None or not is_open(drop, now):
            raise LOGBOOK.refusal(profile, drop, day, now)
        minutes, steps, hr = parse_log(values, target(drop))
        _, drop_now, written, row = await log_on_open(
            conn, NAME, user_id, day, now, repo.CARDIO_ON_OPEN, minutes, steps, hr
        )
    if not written or row is None:
        raise LOGBOOK.refusal(profile, drop_now, day, now)
    return Logged(drop, row, [message(drop, row, False)])


def day_line(row: Mapping[str, Any]) -> str | None:
    if not row.get("kind"):
        return None
    return f"cardio: {dict(logged='done ✅', missed='missed ❌').get(row.get('status'), 'to do')}"


async def sends_on(conn: asyncpg.Connection, client: ClientProfile) -> DayTest:
    """For the preview: on which days the client's plan has something to send."""
    found = await plans_repo.latest(conn, "cardio", client.cardio_plan_id) if client.cardio_plan_id else None
    plan = found[1] if found is not None else None
    return lambda day: isinstance(plan, CardioPlan) and plan.session_on(day) is not None


@dataclass(frozen=True)
class LogForm:
    wanted: str  # "minutes" or "steps"
    prescription: str


async def log_form(pool: asyncpg.Pool, clock: Clock, *, user_id: int, day: dt.date) -> LogForm:
    """What the "Log cardio" form asks for; InputError when the cardio log is closed."""
    _, drop = await LOGBOOK.require_open(pool, user_id, day, clock)
    return LogForm(target(drop), CardioSession.model_validate(drop.content["session"]).describe())


LOGBOOK = lifecycle.Logbook(
    drops_of(NAME, repo.MISS_FROM_CLOSED),
    missing_text="There is no cardio log for {day:%A %d %B}.",
    closed_text="The cardio log for {day:%A %d %B} closed at {closes}",
)


def build(settings: Settings) -> Engine:
    drops = lifecycle.DropLifecycle(NAME, LOGBOOK, _snapshot_for(settings), render)
    return Engine(
        NAME,
        label="cardio",
        actions=drops.actions(settings.cardio_drop_at, settings.day_deadline_at, "cardio", "cardio closes"),
        handlers=drops.handlers(),
        applies=HAS_PLAN,
        triggerable=("drop",),
        compliance=ComplianceSource(repo.OUTCOMES, repo.RECENT_LOGS, repo.DAY_STATUS, day_line),
        cog="cogs.cardio",
        custom_ids=(LOG_ID, MODAL_ID),
        renderers={"cardio": message},
        sends_on=sends_on,
    )
