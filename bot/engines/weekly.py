"""The weekly check-in: on the client's check-in weekday (REVIEW_WEEKDAY, or the coach's choice
for them) at REVIEW_AT local time, a DM asks how the week went: the waist in the client's unit
(cm, or inches for a client in lb), the week rated 1-5 and a few words on wins and struggles.
It is due by REVIEW_DEADLINE_AT the next day (REVIEW_DEADLINE_DAYS); otherwise it is missed, and
it counts in compliance and flags like the daily engines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.engine import ComplianceSource, Engine
from bot.domain.eligibility import IsWeekday
from bot.domain.errors import InputError
from bot.domain.inputs import number, text
from bot.domain.models import ClientProfile, DailyDrop, Unit
from bot.engines import lifecycle
from bot.repo import clients
from bot.repo import weekly as repo
from bot.repo.drops import drops_of, open_drop
from bot.views import custom_ids
from bot.views.messages import Button, ButtonStyle, Embed, OutgoingMessage

NAME = "weekly"
OPEN_ID = custom_ids.REVIEW_OPEN
FORM_ID = custom_ids.REVIEW_FORM
STORY_LIMIT = 1000
CM_PER_INCH = 2.54
WAIST_CM = (40.0, 250.0)  # a sane human waist


def length_unit(unit: Unit) -> str:
    return "in" if unit == Unit.lb else "cm"


def _snapshot_for(settings: Settings):  # type: ignore[no-untyped-def]
    async def snapshot(
        conn: asyncpg.Connection, profile: ClientProfile, day: dt.date, now: dt.datetime
    ) -> tuple[DailyDrop, bool] | str:
        deadline = lifecycle.deadline_of(
            profile, day, settings.review_deadline_at, settings.review_deadline_days
        )
        content = {
            "closes": f"{settings.review_deadline_at:%H:%M}",
            "closes_on": (day + dt.timedelta(days=settings.review_deadline_days)).isoformat(),
            "unit": str(profile.unit),
        }
        return await open_drop(conn, profile.user_id, day, NAME, content, deadline, now)

    return snapshot


async def render(
    conn: asyncpg.Connection, drop: DailyDrop, profile: ClientProfile, closed: bool, fresh: bool = False
) -> list[OutgoingMessage]:
    answer = None if fresh else await repo.of_drop(conn, drop.id)
    return [message(drop, answer, closed)]


def message(drop: DailyDrop, answer: Mapping[str, Any] | None, closed: bool) -> OutgoingMessage:
    closes_on = dt.date.fromisoformat(drop.content["closes_on"])
    unit = length_unit(Unit(drop.content["unit"]))
    lines = [
        "How did your week go? Your waist, the week rated 1 to 5, and a few words on your wins "
        "and struggles: your coach reads them beside last week's."
    ]
    done = answer is not None and answer["status"] == "submitted"
    if done:
        assert answer is not None
        waist = f"waist {answer['waist_typed']} {unit} · " if answer["waist_typed"] else ""
        lines.append(f"✅ {waist}week {answer['rating']}/5")
        if answer["story"]:
            lines.append(f"_{answer['story'][:500]}_")
    elif closed:
        lines.append("❌ missed")
    footer = (
        f"Closed {closes_on:%A %d %B} at {drop.content['closes']}."
        if closed
        else f"Send it by {closes_on:%A %d %B} at {drop.content['closes']}."
    )
    embed = Embed(
        title=f"Weekly check-in — {drop.local_date:%A %d %B}",
        description="\n".join(lines),
        footer=footer,
        color=0x7F8C8D if closed else 0x16A085,
    )
    button = Button(
        "Edit check-in" if done else "Weekly check-in",
        OPEN_ID.format(user_id=drop.user_id, day=drop.local_date),
        ButtonStyle.success if done else ButtonStyle.primary,
        disabled=closed,
    )
    return OutgoingMessage(embeds=(embed,), rows=((button,),))


@dataclass(frozen=True)
class Answers:
    waist_cm: float | None
    waist_typed: str | None
    rating: int
    story: str | None


def parse(values: Mapping[str, str], unit: Unit) -> Answers:
    """The form's answers; every problem named (InputError), nothing written."""
    problems: list[str] = []
    length = length_unit(unit)
    low, high = WAIST_CM if unit != Unit.lb else (WAIST_CM[0] / CM_PER_INCH, WAIST_CM[1] / CM_PER_INCH)
    raw_waist = values.get("waist", "").strip().replace(",", ".")
    waist = number(
        raw_waist, "waist", problems, low=round(low), high=round(high), required=False, unit=length
    )
    rating = number(values.get("rating", ""), "how the week went", problems, low=1, high=5, whole=True)
    story = text(values.get("story"), "wins and struggles", problems, limit=STORY_LIMIT)
    if problems:
        raise InputError(problems)
    assert rating is not None
    waist_cm = None if waist is None else round(waist * CM_PER_INCH if unit == Unit.lb else waist, 1)
    return Answers(waist_cm, raw_waist or None, int(rating), story)


@dataclass(frozen=True)
class Submitted:
    drop: DailyDrop
    answers: Answers
    messages: list[OutgoingMessage]


async def submit(
    pool: asyncpg.Pool, clock: Clock, *, user_id: int, day: dt.date, values: Mapping[str, str]
) -> Submitted:
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
        if profile is None:
            raise InputError("You are not a client of The Regiment.")
        async with conn.transaction():
            drop = await LOGBOOK.open_for_logging(conn, profile, day, clock)
            answers = parse(values, Unit(drop.content["unit"]))
            await repo.submit(
                conn, drop, waist_cm=answers.waist_cm, waist_typed=answers.waist_typed,
                unit=drop.content["unit"], rating=answers.rating, story=answers.story, now=clock.now(),
            )  # fmt: skip
        messages = await render(conn, drop, profile, False)
    return Submitted(drop, answers, messages)


async def form_unit(pool: asyncpg.Pool, clock: Clock, *, user_id: int, day: dt.date) -> str:
    """The length unit the form asks in; InputError when the check-in has closed."""
    _, drop = await LOGBOOK.require_open(pool, user_id, day, clock)
    return length_unit(Unit(drop.content["unit"]))


def day_line(row: Mapping[str, Any]) -> str | None:
    if not row.get("kind"):
        return None
    return f"weekly check-in: {dict(submitted='done ✅', missed='missed ❌').get(row.get('status'), 'to do')}"


LOGBOOK = lifecycle.Logbook(
    drops_of(NAME, repo.MISS_FROM_CLOSED),
    missing_text="There is no weekly check-in for {day:%A %d %B}.",
    closed_text="The weekly check-in of {day:%A %d %B} closed at {closes}",
)


def build(settings: Settings) -> Engine:
    drops = lifecycle.DropLifecycle(NAME, LOGBOOK, _snapshot_for(settings), render)
    return Engine(
        NAME,
        label="weekly check-in",
        actions=drops.actions(
            settings.review_at,
            settings.review_deadline_at,
            "weekly check-in",
            "weekly check-in closes",
            closes_days=settings.review_deadline_days,
        ),
        handlers=drops.handlers(),
        applies=IsWeekday("review_weekday", settings.review_weekday),
        triggerable=("drop",),
        compliance=ComplianceSource(repo.OUTCOMES, repo.RECENT_LOGS, repo.DAY_STATUS, day_line),
        cog="cogs.weekly",
        custom_ids=(OPEN_ID, FORM_ID),
        renderers={"weekly": message},
    )
