"""The workout DM: what a training session looks like, as plain messages within Discord's limits.

A workout is a components v2 layout: one container (blue while open, grey once closed) holding
the day's heading, one section per exercise (its prescription, last time and what beats it, the
note, the top set once logged or "missed" once closed) with that exercise's "Log …" button beside
it, and the footer. Discord allows 40 components per message, counting every nested one (the
container, each section, its text and its button), and 4,000 characters of text, so a long day
is split into parts ("Lower A (1/3)"), each with the buttons of its own exercises. Which part
shows which exercise is decided before anything is logged, so an edit never moves one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.domain.lifting import reps_to_beat, show_weight
from bot.domain.models import TrainingLog, TrainingSession, Unit
from bot.views import custom_ids
from bot.views.messages import (
    LAYOUT_MAX_COMPONENTS,
    LAYOUT_MAX_TEXT,
    Button,
    ButtonStyle,
    Container,
    OutgoingMessage,
    Section,
    Separator,
    TextDisplay,
)

COLOR_OPEN = 0x2E86C1
COLOR_CLOSED = 0x7F8C8D

_PER_EXERCISE = 3  # a section, its text and its button
_FRAME = 4  # the container, the heading, the separator under it and the footer (on the last part)
_PART_EXERCISES = (LAYOUT_MAX_COMPONENTS - _FRAME) // _PER_EXERCISE  # 12
_STATUS_RESERVE = 60  # room for the "✅ **102.5 kg × 8** 🏆 PR" / "❌ missed" line added later
_SUFFIX_RESERVE = len(" (99/99)")


def rest_text(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}:{secs:02d}" if minutes else f"{secs}s"


def _last_text(last: Any, unit: Unit) -> str:
    if last is None:
        return "first time: set your baseline"
    weight = float(last["weight_kg"])
    return (
        f"last {show_weight(weight, unit)} × {last['reps']} · "
        f"beat it: {show_weight(weight, unit)} × {reps_to_beat(int(last['reps']))}"
    )


def _exercise_text(
    index: int, exercise: dict[str, Any], last: Any, log: TrainingLog | None, unit: Unit, closed: bool
) -> str:
    lines = [
        f"**{index + 1}. {exercise['name']}**",
        f"{exercise['sets']} × {exercise['reps']} · rest {rest_text(int(exercise['rest']))}",
        _last_text(last, unit),
    ]
    if exercise.get("note"):
        lines.append(f"_{exercise['note']}_")
    if log is not None and log.status == "logged" and log.weight_kg is not None:
        pr = " 🏆 PR" if log.is_pr else ""
        lines.append(f"✅ **{show_weight(log.weight_kg, unit)} × {log.reps}**{pr}")
    elif closed or (log is not None and log.status == "missed"):
        lines.append("❌ missed")
    return "\n".join(lines)


def _heading(session: TrainingSession, block_name: str, suffix: str, first: bool) -> str:
    title = f"## {session.day_title}{suffix}"
    if not first:
        return title
    return f"{title}\n{block_name} · day {session.day_index + 1} · {session.local_date:%A %d %B}"


def _footer(exercises: int, logged: int, deadline_local: dt.time, closed: bool) -> str:
    if closed:
        return f"-# Logging closed at {deadline_local:%H:%M}: {logged} logged, {exercises - logged} missed."
    return (
        f"-# Log the top set (your final set) of every exercise before {deadline_local:%H:%M}. "
        f"{logged}/{exercises} logged."
    )


def _parts(sizes: list[int], room: int) -> list[list[int]]:
    """Indices of the exercises in each message part: as few parts as Discord's limits allow
    (`_PART_EXERCISES` sections, `room` characters of exercise text), as even as they can be.
    `sizes` are the exercises' texts before anything is logged, so the parts never change."""
    greedy: list[list[int]] = [[]]
    size = 0
    for index, length in enumerate(sizes):
        length += _STATUS_RESERVE
        if greedy[-1] and (len(greedy[-1]) >= _PART_EXERCISES or size + length > room):
            greedy.append([])
            size = 0
        greedy[-1].append(index)
        size += length
    # The same number of parts, evenly filled (9, 8, 8 rather than 12, 12, 1), when they fit.
    count, total = len(greedy), len(sizes)
    even, start = [], 0
    for number in range(count):
        end = start + total // count + (1 if number < total % count else 0)
        even.append(list(range(start, end)))
        start = end
    fits = all(sum(sizes[i] + _STATUS_RESERVE for i in part) <= room for part in even)
    return even if fits else greedy


def workout_messages(
    session: TrainingSession,
    last: dict[str, Any],
    logs: dict[str, TrainingLog],
    unit: Unit,
    *,
    block_name: str,
    deadline_local: dt.time,
    closed: bool = False,
) -> list[OutgoingMessage]:
    exercises = session.exercises
    texts = [
        _exercise_text(i, e, last.get(e["id"]), logs.get(e["id"]), unit, closed)
        for i, e in enumerate(exercises)
    ]
    fresh = [_exercise_text(i, e, last.get(e["id"]), None, unit, False) for i, e in enumerate(exercises)]
    frame = len(_heading(session, block_name, " " * _SUFFIX_RESERVE, True)) + max(
        len(_footer(len(exercises), len(exercises), deadline_local, closed=state)) for state in (False, True)
    )
    parts = _parts([len(text) for text in fresh], LAYOUT_MAX_TEXT - frame)
    logged = sum(1 for e in exercises if (log := logs.get(e["id"])) is not None and log.status == "logged")
    messages = []
    for number, indices in enumerate(parts, start=1):
        suffix = f" ({number}/{len(parts)})" if len(parts) > 1 else ""
        children: list[Any] = [TextDisplay(_heading(session, block_name, suffix, number == 1)), Separator()]
        children += [
            Section(
                (TextDisplay(texts[i]),),
                _button(session, i, exercises[i], logs.get(exercises[i]["id"]), closed),
            )
            for i in indices
        ]
        if number == len(parts):
            children.append(TextDisplay(_footer(len(exercises), logged, deadline_local, closed)))
        container = Container(tuple(children), accent_color=COLOR_CLOSED if closed else COLOR_OPEN)
        messages.append(OutgoingMessage(layout=(container,)))
    return messages


def _button(
    session: TrainingSession, index: int, exercise: dict[str, Any], log: TrainingLog | None, closed: bool
) -> Button:
    """The exercise's "Log …" (or, once logged, "Edit …") button; disabled once logging closed."""
    done = log is not None and log.status == "logged"
    verb = "Edit" if done else "Log"
    return Button(
        label=f"{verb} {exercise['name']}"[:80],
        custom_id=custom_ids.WORKOUT_LOG.format(user_id=session.user_id, day=session.local_date, index=index),
        style=ButtonStyle.success if done else ButtonStyle.primary,
        disabled=closed,
    )


def part_ranges(session: TrainingSession, rendered: list[OutgoingMessage]) -> list[tuple[int, int]]:
    """(first, last) exercise index of each rendered part, in order: a part has a section per
    exercise."""
    ranges, start = [], 0
    for message in rendered:
        count = len(message.sections())
        ranges.append((start, start + count - 1))
        start += count
    return ranges
