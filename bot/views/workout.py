"""The workout DM: what a training session looks like, as plain messages within Discord's limits.

A session's exercises become embed fields with one "Log …" button each. Discord allows 25 fields
and 6000 characters per embed and 25 buttons per message, so a long day is split into parts
("Lower A (1/2)"), each with the buttons of its own exercises.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.domain.lifting import reps_to_beat, show_weight
from bot.domain.models import TrainingLog, TrainingSession, Unit
from bot.views import custom_ids
from bot.views.messages import Button, ButtonStyle, Embed, EmbedField, OutgoingMessage

_PART_CHARS = 5000  # below the 6000 an embed may hold, leaving room for title and footer
_PART_FIELDS = 25
_ROW = 5

COLOR_OPEN = 0x2E86C1
COLOR_CLOSED = 0x7F8C8D


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


def _field(
    index: int, exercise: dict[str, Any], last: Any, log: TrainingLog | None, unit: Unit, closed: bool
) -> EmbedField:
    lines = [
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
    return EmbedField(f"{index + 1}. {exercise['name']}", "\n".join(lines))


_STATUS_RESERVE = 60  # room for the "✅ 102.5 kg × 8 🏆 PR" / "❌ missed" line added later


def _parts(fields: list[EmbedField]) -> list[list[int]]:
    """Indices of the exercises in each message part. Sized on the fields before anything is
    logged, plus a reserve, so an edit never moves an exercise to another message."""
    parts: list[list[int]] = [[]]
    size = 0
    for index, field in enumerate(fields):
        length = len(field.name) + len(field.value) + _STATUS_RESERVE
        if parts[-1] and (len(parts[-1]) >= _PART_FIELDS or size + length > _PART_CHARS):
            parts.append([])
            size = 0
        parts[-1].append(index)
        size += length
    return parts


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
    fields = [
        _field(i, e, last.get(e["id"]), logs.get(e["id"]), unit, closed) for i, e in enumerate(exercises)
    ]
    parts = _parts([_field(i, e, last.get(e["id"]), None, unit, False) for i, e in enumerate(exercises)])
    logged = sum(1 for e in exercises if (log := logs.get(e["id"])) is not None and log.status == "logged")
    if closed:
        footer = (
            f"Logging closed at {deadline_local:%H:%M}: {logged} logged, {len(exercises) - logged} missed."
        )
    else:
        footer = (
            f"Log the top set (your final set) of every exercise before {deadline_local:%H:%M}. "
            f"{logged}/{len(exercises)} logged."
        )
    messages = []
    for number, indices in enumerate(parts, start=1):
        suffix = f" ({number}/{len(parts)})" if len(parts) > 1 else ""
        embed = Embed(
            title=f"{session.day_title}{suffix}"[:256],
            description=f"{block_name} · day {session.day_index + 1} · {session.local_date:%A %d %B}"
            if number == 1
            else "",
            fields=tuple(fields[i] for i in indices),
            footer=footer if number == len(parts) else "",
            color=COLOR_CLOSED if closed else COLOR_OPEN,
        )
        buttons = [_button(session, i, exercises[i], logs.get(exercises[i]["id"]), closed) for i in indices]
        rows = tuple(tuple(buttons[k : k + _ROW]) for k in range(0, len(buttons), _ROW))
        messages.append(OutgoingMessage(embeds=(embed,), rows=rows))
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
    """(first, last) exercise index of each rendered part, in order."""
    ranges, start = [], 0
    for message in rendered:
        count = len(message.embeds[0].fields)
        ranges.append((start, start + count - 1))
        start += count
    return ranges
