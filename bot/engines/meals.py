"""Meals (seed 000: 06:00 drop, 22:00 missed): the day's meals from the client's plan, each with
"Followed" and "Off plan" buttons (off plan takes an optional note). The last answer before 22:00
counts; at 22:00 every unanswered meal is missed.

The message is a components v2 layout (each meal's text with its two buttons under it) when the
day fits one, else an embed with the buttons below it (see `message`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from loguru import logger

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.engine import ComplianceSource, DayTest, Engine
from bot.domain.drops import is_open
from bot.domain.eligibility import HasValue
from bot.domain.errors import InputError
from bot.domain.inputs import text
from bot.domain.models import ClientProfile, DailyDrop
from bot.domain.plans import MealPlan, meal_text
from bot.engines import lifecycle
from bot.repo import meals as repo
from bot.repo import plans as plans_repo
from bot.repo.drops import drops_of, log_on_open
from bot.views import custom_ids
from bot.views.messages import (
    LAYOUT_MAX_COMPONENTS,
    LAYOUT_MAX_TEXT,
    ActionRow,
    Block,
    Button,
    ButtonStyle,
    Container,
    Embed,
    EmbedField,
    OutgoingMessage,
    Separator,
    TextDisplay,
    component_count,
    text_length,
)

NAME = "meals"
FOLLOWED_ID = custom_ids.MEAL_FOLLOWED
OFF_PLAN_ID = custom_ids.MEAL_OFF_PLAN
NOTE_MODAL_ID = custom_ids.MEAL_NOTE_FORM
NOTE_MAX = 300
HAS_PLAN = HasValue("meal_plan_id")
_STATUS = {"followed": "✅ followed", "off_plan": "⚠️ off plan", "missed": "❌ missed"}


def _snapshot_for(settings: Settings):  # type: ignore[no-untyped-def]
    known: lifecycle.KnownVersions[MealPlan] = lifecycle.KnownVersions()

    async def snapshot(
        conn: asyncpg.Connection, profile: ClientProfile, day: dt.date, now: dt.datetime
    ) -> tuple[DailyDrop, bool] | str:
        if profile.meal_plan_id is None:
            return "no meal plan"

        def content(version: int, plan: MealPlan) -> dict[str, Any] | str:
            meals = plan.meals_on(day)
            if not meals:
                return "no meals planned that day"
            return {
                "plan_id": plan.id, "version": version, "plan_name": plan.name,
                "closes": f"{settings.day_deadline_at:%H:%M}",
                "meals": [m.model_dump(mode="json") for m in meals],
            }  # fmt: skip

        return await lifecycle.open_plan_drop(
            conn,
            profile,
            day,
            now,
            engine=NAME,
            plan_id=profile.meal_plan_id,
            known=known,
            content=content,
            deadline=lifecycle.deadline_of(profile, day, settings.day_deadline_at),
            title="Meal plan",
            consequence="no meals are sent",
        )

    return snapshot


async def render(
    conn: asyncpg.Connection, drop: DailyDrop, profile: ClientProfile, closed: bool, fresh: bool = False
) -> list[OutgoingMessage]:
    answers = {} if fresh else await repo.meals_of(conn, drop.id)
    return [message(drop, answers, closed)]


def message(drop: DailyDrop, answers: Mapping[int, Mapping[str, Any]], closed: bool) -> OutgoingMessage:
    """The day's meals: a components v2 layout, each meal's text with its two buttons right under
    it, when the day fits Discord's limits for one (40 components, 4,000 characters) whatever
    the answers and notes will be; else (a long plan) an embed with the buttons below it. The
    choice rests on the plan alone, so every edit keeps the shape the message was sent in."""
    layout = _layout(drop, answers, closed)
    return OutgoingMessage(layout=layout) if layout else _classic(drop, answers, closed)


def _status(answer: Mapping[str, Any] | None, closed: bool) -> str:
    status = _STATUS[answer["status"]] if answer else ("❌ missed" if closed else "")
    note = f" — _{answer['note']}_" if answer and answer["note"] else ""
    return f"{status}{note}"


def _summary(drop: DailyDrop) -> str:
    meals = drop.content["meals"]
    total = sum(int(m["kcal"]) for m in meals)
    protein = sum(float(m["protein"]) for m in meals)
    return f"{drop.content['plan_name']} · {total} kcal · {protein:g} g protein"


def _footer(drop: DailyDrop, closed: bool) -> str:
    closes = drop.content["closes"]
    return f"Closed at {closes}." if closed else f"Tap Followed or Off plan for each meal before {closes}."


def _color(closed: bool) -> int:
    return 0x7F8C8D if closed else 0xE67E22


def _buttons(drop: DailyDrop, index: int, status: str | None, closed: bool) -> tuple[Button, Button]:
    ids = {"user_id": drop.user_id, "day": drop.local_date, "index": index}
    followed = ButtonStyle.success if status == "followed" else ButtonStyle.secondary
    off_plan = ButtonStyle.danger if status == "off_plan" else ButtonStyle.secondary
    return (
        Button("✓ Followed", FOLLOWED_ID.format(**ids), followed, disabled=closed),
        Button("✗ Off plan", OFF_PLAN_ID.format(**ids), off_plan, disabled=closed),
    )


_WORST_STATUS = {"status": "off_plan", "note": "x" * NOTE_MAX}  # the longest an answer can show


def _layout(
    drop: DailyDrop, answers: Mapping[int, Mapping[str, Any]], closed: bool
) -> tuple[Container, ...] | None:
    meals = drop.content["meals"]

    def build(answers: Mapping[int, Mapping[str, Any]], closed: bool, separated: bool) -> Container:
        children: list[Block] = [
            TextDisplay(f"## Meals — {drop.local_date:%A %d %B}\n{_summary(drop)}"),
            Separator(),
        ]
        for index, meal in enumerate(meals):
            answer = answers.get(index)
            status = _status(answer, closed)
            # The answer right under the name: it is what changes when the meal is answered.
            text = f"**{meal['name']}**\n" + (f"{status}\n" if status else "") + meal_text(meal)
            if separated and index:
                children.append(Separator())
            children.append(TextDisplay(text))
            children.append(ActionRow(_buttons(drop, index, answer["status"] if answer else None, closed)))
        children.append(TextDisplay(f"-# {_footer(drop, closed)}"))
        return Container(tuple(children), accent_color=_color(closed))

    worst = dict.fromkeys(range(len(meals)), _WORST_STATUS)
    for separated in (True, False):
        layout = (build(worst, False, separated),)
        longest_footer = max(len(_footer(drop, state)) for state in (False, True))
        text = text_length(layout) - len(_footer(drop, False)) + longest_footer
        if component_count(layout) <= LAYOUT_MAX_COMPONENTS and text <= LAYOUT_MAX_TEXT:
            return (build(answers, closed, separated),)
    return None


def _classic(drop: DailyDrop, answers: Mapping[int, Mapping[str, Any]], closed: bool) -> OutgoingMessage:
    """A day too long for a layout: an embed field per meal, and its ✓/✗ buttons two meals a row."""
    meals = drop.content["meals"]
    fields = []
    for index, meal in enumerate(meals):
        status = _status(answers.get(index), closed)
        # The answer first: if anything is ever cut, it is the food list, not the ✅.
        value = (f"{status}\n" if status else "") + meal_text(meal)
        fields.append(EmbedField(meal["name"], value[:1024]))
    embed = Embed(
        title=f"Meals — {drop.local_date:%A %d %B}",
        description=_summary(drop),
        fields=tuple(fields),
        footer=_footer(drop, closed),
        color=_color(closed),
    )
    buttons = []
    for index, meal in enumerate(meals):
        answer = answers.get(index)
        followed, off_plan = _buttons(drop, index, answer["status"] if answer else None, closed)
        # Far from their meal's text, the buttons say which meal they answer.
        buttons.append(dataclasses.replace(followed, label=f"✓ {meal['name']}"))
        buttons.append(dataclasses.replace(off_plan, label=f"✗ {meal['name']}"))
    rows = tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4))  # two meals a row
    return OutgoingMessage(embeds=(embed,), rows=rows)


@dataclass(frozen=True)
class Answered:
    drop: DailyDrop
    meal: str
    status: str
    messages: list[OutgoingMessage]


async def answer(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int,
    day: dt.date,
    index: int,
    followed: bool,
    note: str = "",
) -> Answered:
    problems: list[str] = []
    note = text(note, "note", problems, limit=NOTE_MAX) or ""
    if problems:
        raise InputError(problems)
    status = "followed" if followed else "off_plan"
    now = clock.now()
    if index < 0:
        raise InputError("That meal is not on today's plan.")
    async with pool.acquire() as conn:
        # One statement checks that the meal log is open and writes the answer (then one more
        # reads the answers back for the message): two round trips from click to reply.
        profile, drop, written, _ = await log_on_open(
            conn, NAME, user_id, day, now, repo.ANSWER_ON_OPEN, index, status, note or None
        )
        if not written:
            if profile is not None and drop is not None and is_open(drop, now):
                raise InputError("That meal is not on today's plan.")
            raise LOGBOOK.refusal(profile, drop, day, now)
        assert profile is not None and drop is not None
        messages = await render(conn, drop, profile, False)
    meal = drop.content["meals"][index]["name"]
    logger.debug("meal {} of {} on {}: {}", index, user_id, day, status)
    return Answered(drop, meal, status, messages)


def day_line(row: Mapping[str, Any]) -> str | None:
    return f"meals: {row['done']}/{row['due']} answered" if row.get("due") else None


async def sends_on(conn: asyncpg.Connection, client: ClientProfile) -> DayTest:
    """For the preview: on which days the client's plan has something to send."""
    found = await plans_repo.latest(conn, "meals", client.meal_plan_id) if client.meal_plan_id else None
    plan = found[1] if found is not None else None
    return lambda day: isinstance(plan, MealPlan) and bool(plan.meals_on(day))


async def off_plan_form(pool: asyncpg.Pool, clock: Clock, *, user_id: int, day: dt.date, index: int) -> str:
    """The meal's name for the off-plan form; InputError when the meal log is closed."""
    _, drop = await LOGBOOK.require_open(pool, user_id, day, clock)
    meals = drop.content["meals"]
    if not 0 <= index < len(meals):
        raise InputError("That meal is not on today's plan.")
    return str(meals[index]["name"])


LOGBOOK = lifecycle.Logbook(
    drops_of(NAME, repo.MISS_FROM_CLOSED),
    missing_text="There is no meal log for {day:%A %d %B}.",
    closed_text="The meal log for {day:%A %d %B} closed at {closes}",
)


def build(settings: Settings) -> Engine:
    drops = lifecycle.DropLifecycle(NAME, LOGBOOK, _snapshot_for(settings), render)
    return Engine(
        NAME,
        label="meals",
        actions=drops.actions(settings.meals_drop_at, settings.day_deadline_at, "meals", "meals close"),
        handlers=drops.handlers(),
        applies=HAS_PLAN,
        triggerable=("drop",),
        compliance=ComplianceSource(repo.OUTCOMES, repo.RECENT_LOGS, repo.DAY_STATUS, day_line),
        cog="cogs.meals",
        custom_ids=(FOLLOWED_ID, OFF_PLAN_ID, NOTE_MODAL_ID),
        renderers={"meals": message},
        sends_on=sends_on,
    )
