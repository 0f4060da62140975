"""Components v2 messages as plain data (bot.views.messages), and what is built on them: the
workout and the meals as layouts within Discord's limits (40 components counting every nested one,
4,000 characters of text), parts that never move across edits, the reference a job's send
carries on the first button wherever it is, and the LayoutView discord.py sends."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from discord.components import _component_factory
from discord.http import handle_message_parameters
from doubles.discord.limits import _check_message_payload
from helpers import utc

from bot.discord_adapter import transport as discord_transport
from bot.domain.models import DailyDrop, TrainingLog, TrainingSession, Unit
from bot.engines import meals
from bot.simulator.transport import RecordedMessage
from bot.simulator.transport import seen as simulator_seen
from bot.views import custom_ids, markers
from bot.views.messages import (
    LAYOUT_MAX_COMPONENTS,
    LAYOUT_MAX_TEXT,
    ActionRow,
    Button,
    Container,
    Embed,
    OutgoingMessage,
    Section,
    Separator,
    TextDisplay,
    component_count,
    text_length,
)
from bot.views.workout import COLOR_CLOSED, COLOR_OPEN, part_ranges, workout_messages

DAY = dt.date(2026, 5, 4)
V2 = 1 << 15


def layout_message() -> OutgoingMessage:
    """A heading, a section with its button, a row of two buttons, a footer: in a container."""
    return OutgoingMessage(
        layout=(
            Container(
                (
                    TextDisplay("## Day 1\nBlock · day 1"),
                    Separator(),
                    Section(
                        (TextDisplay("**1. Squat**\n4 × 5"),), Button("Log Squat", "rg:tr:log:7:20260504:0")
                    ),
                    ActionRow((Button("✓ Followed", "ok"), Button("✗ Off plan", "off"))),
                    TextDisplay("-# before 22:00"),
                ),
                accent_color=COLOR_OPEN,
            ),
        )
    )


# --- the model --------------------------------------------------------------------------------


def test_components_and_text_are_counted_as_discord_counts_them() -> None:
    message = layout_message()
    # container, heading, separator, section + its text + its button, row + 2 buttons, footer
    assert component_count(message.layout) == 10
    assert text_length(message.layout) == sum(len(t) for t in message.texts())
    assert message.is_layout and message.heading == "Day 1"
    assert [b.custom_id for b in message.buttons()] == ["rg:tr:log:7:20260504:0", "ok", "off"]
    assert [s.accessory.label for s in message.sections()] == ["Log Squat"]
    with pytest.raises(ValueError, match="layout"):
        OutgoingMessage(content="text", layout=message.layout)


def test_a_layout_reads_on_the_console() -> None:
    assert layout_message().as_text().splitlines() == [
        "│ ## Day 1",
        "│ Block · day 1",
        "│ ────────────────────────",
        "│ **1. Squat**  [Log Squat]",
        "│ 4 × 5",
        "│ [✓ Followed] [✗ Off plan]",
        "│ -# before 22:00",
    ]


# --- the reference a send carries ---------------------------------------------------------------


def test_the_reference_goes_on_the_first_button_wherever_it_is_in_a_layout() -> None:
    marked = markers.mark(layout_message(), "rg12.0")
    ids = [b.custom_id for b in marked.buttons()]
    assert ids == ["rg:tr:log:7:20260504:0~rg12.0", "ok", "off"]  # the section's, only that one
    assert marked.texts() == layout_message().texts()  # nothing anyone reads changed
    match = custom_ids.WORKOUT_LOG.match(ids[0])
    assert match is not None and match["ref"] == "rg12.0"
    # The first button of a layout may be in a row inside the container, after a text.
    row_first = OutgoingMessage(
        layout=(Container((TextDisplay("Meals"), ActionRow((Button("a", "a1"), Button("b", "b1"))))),)
    )
    assert [b.custom_id for b in markers.mark(row_first, "rg3.1").buttons()] == ["a1~rg3.1", "b1"]
    # Read back from history (the simulator's, and discord.py's through the adapter).
    record = RecordedMessage(7, 1, 2, marked, "rg12.0", utc(2026, 5, 4))
    assert markers.refs_of(simulator_seen(record)) == {"rg12.0"}


def test_a_layout_without_buttons_carries_its_reference_under_its_last_text() -> None:
    plain = OutgoingMessage(layout=(Container((TextDisplay("a"), TextDisplay("b"))),))
    marked = markers.mark(plain, "rg5.0")
    assert marked.texts() == ["a", "b\n-# ref rg5.0"]
    full = OutgoingMessage(layout=(TextDisplay("x" * LAYOUT_MAX_TEXT),))
    assert text_length(markers.mark(full, "rg5.0").layout) == LAYOUT_MAX_TEXT  # cut, never over
    record = RecordedMessage(7, 1, 2, marked, None, utc(2026, 5, 4))
    assert markers.refs_of(simulator_seen(record)) == {"rg5.0"}


def test_the_adapter_reads_a_v2_message_back_from_discord_py_components() -> None:
    """`seen` walks discord.py's own component objects: containers, sections' accessories, rows
    inside containers, and reads the text displays (where a buttonless layout's reference is)."""
    marked = markers.mark(layout_message(), "rg12.0")
    view = discord_transport.message_kwargs(marked)["view"]
    assert isinstance(view, discord.ui.LayoutView)
    components = [_component_factory(c) for c in view.to_components()]
    message = SimpleNamespace(
        components=components, content="", embeds=[], channel=SimpleNamespace(id=1), id=2
    )
    seen = discord_transport.seen(message)  # type: ignore[arg-type]
    assert seen.custom_ids == ("rg:tr:log:7:20260504:0~rg12.0", "ok", "off")
    assert "-# before 22:00" in seen.texts and markers.refs_of(seen) == {"rg12.0"}


# --- what discord.py sends ----------------------------------------------------------------------


def payload(message: OutgoingMessage) -> dict[str, Any]:
    kwargs = discord_transport.message_kwargs(message)
    params = handle_message_parameters(
        content=kwargs["content"],  # type: ignore[arg-type]
        embeds=kwargs["embeds"],  # type: ignore[arg-type]
        view=kwargs["view"],  # type: ignore[arg-type]
    )
    assert params.payload is not None
    return params.payload


def test_a_layout_is_sent_as_a_layout_view_with_the_v2_flag() -> None:
    kwargs = discord_transport.message_kwargs(layout_message())
    view = kwargs["view"]
    assert isinstance(view, discord_transport.StaticLayout) and not view.is_dispatchable()
    assert view.timeout is None and kwargs["content"] is None and kwargs["embeds"] == []
    body = payload(layout_message())
    assert body["flags"] == V2 and body["content"] is None and body["embeds"] == []
    [container] = body["components"]
    assert container["type"] == 17 and container["accent_color"] == COLOR_OPEN
    assert [c["type"] for c in container["components"]] == [10, 14, 9, 1, 10]
    section = container["components"][2]
    assert section["accessory"] == {
        "type": 2, "style": 1, "label": "Log Squat", "custom_id": "rg:tr:log:7:20260504:0", "disabled": False,
    }  # fmt: skip
    assert _check_message_payload(body, 0, creating=True) == ([], False)
    # An edit of a classic message to a layout resets content and embeds, as Discord requires.
    existing = {"flags": 0, "content": "old", "embeds": [{"title": "t"}]}
    assert _check_message_payload(body, 0, creating=False, existing=existing)[0] == []


# --- the workout --------------------------------------------------------------------------------


def session(count: int, note: str | None = "n" * 200, name_length: int = 60) -> TrainingSession:
    exercises = [
        {"id": f"ex{i}", "name": f"{i:02d} " + "x" * (name_length - 3), "sets": 20, "reps": "88-100",
         "rest": 1800, "note": note}
        for i in range(count)
    ]  # fmt: skip
    return TrainingSession(
        id=1, user_id=123456789012345678, local_date=DAY, block_id="b", block_version=1, day_index=0,
        day_title="T" * 100, exercises=exercises, deadline=utc(2026, 5, 4, 22),
    )  # fmt: skip


def logs_for(s: TrainingSession, every: bool) -> dict[str, TrainingLog]:
    return {
        e["id"]: TrainingLog(
            id=i, user_id=s.user_id, timestamp=utc(2026, 5, 4, 8), date=DAY, exercise_id=e["id"],
            exercise_name=e["name"], weight_kg=1234.5, reps=100, block_id="b", day_index=0,
            status="logged", session_id=1, is_pr=True,
        )
        for i, e in enumerate(s.exercises)
        if every or i % 2 == 0
    }  # fmt: skip


def render(s: TrainingSession, logs: dict[str, TrainingLog], closed: bool) -> list[OutgoingMessage]:
    last = {e["id"]: {"weight_kg": 1234.5, "reps": 99} for e in s.exercises}
    return workout_messages(
        s, last, logs, Unit.lb, block_name="B" * 100, deadline_local=dt.time(22), closed=closed
    )


@pytest.mark.parametrize(("count", "note"), [(1, None), (12, None), (13, None), (25, None), (25, "n" * 200)])
def test_every_part_of_a_workout_fits_discord_and_never_moves_an_exercise(
    count: int, note: str | None
) -> None:
    s = session(count, note)
    states = {
        "fresh": render(s, {}, False),
        "half logged": render(s, logs_for(s, every=False), False),
        "all logged": render(s, logs_for(s, every=True), False),
        "closed": render(s, logs_for(s, every=False), True),
    }
    ranges = {name: part_ranges(s, parts) for name, parts in states.items()}
    assert len(set(map(tuple, ranges.values()))) == 1, ranges  # the same parts whatever happened
    for name, parts in states.items():
        for number, part in enumerate(parts):
            assert component_count(part.layout) <= LAYOUT_MAX_COMPONENTS, (name, number)
            assert text_length(part.layout) <= LAYOUT_MAX_TEXT, (name, number)
            assert _check_message_payload(payload(part), 0, creating=True) == ([], False), (name, number)
            # One section per exercise, its own Log button beside it.
            first, last = ranges[name][number]
            indices = [
                int(custom_ids.WORKOUT_LOG.match(sec.accessory.custom_id)["index"]) for sec in part.sections()
            ]  # type: ignore[index]
            assert indices == list(range(first, last + 1))
    sizes = [last - first + 1 for first, last in ranges["fresh"]]
    assert sum(sizes) == count
    if note is None:  # as few parts as the 40 components allow, evenly filled
        assert len(sizes) == -(-count // 12) and max(sizes) - min(sizes) <= 1, sizes


def test_a_workout_reads_as_before_in_its_sections() -> None:
    s = session(2, note="Brace", name_length=12)
    [open_part] = render(s, logs_for(s, every=False), False)
    [closed_part] = render(s, logs_for(s, every=False), True)
    [container] = open_part.layout
    assert isinstance(container, Container) and container.accent_color == COLOR_OPEN
    texts = open_part.texts()
    assert texts[0].startswith(f"## {'T' * 100}\n{'B' * 100} · day 1 · Monday 04 May")
    squat, other = (sec.texts[0].content for sec in open_part.sections())
    assert squat.splitlines() == [
        f"**1. 00 {'x' * 9}**",
        "20 × 88-100 · rest 30:00",
        "last 2721.5 lb × 99 · beat it: 2721.5 lb × 100",
        "_Brace_",
        "✅ **2721.5 lb × 100** 🏆 PR",
    ]
    assert "✅" not in other and "❌" not in other
    assert texts[-1] == "-# Log the top set (your final set) of every exercise before 22:00. 1/2 logged."
    assert [b.label for b in open_part.buttons()] == [f"Edit 00 {'x' * 9}", f"Log 01 {'x' * 9}"]
    # Closed looks closed: grey, every button disabled, the unlogged one missed, the footer says so.
    [grey] = closed_part.layout
    assert isinstance(grey, Container) and grey.accent_color == COLOR_CLOSED
    assert all(b.disabled for b in closed_part.buttons())
    assert closed_part.sections()[1].texts[0].content.endswith("❌ missed")
    assert closed_part.texts()[-1] == "-# Logging closed at 22:00: 1 logged, 1 missed."


# --- the meals ----------------------------------------------------------------------------------


def meal(i: int, foods: int = 1) -> dict[str, Any]:
    return {"name": f"Meal {i}", "foods": [{"name": "F" * 60, "portion": "P" * 40}] * foods, "kcal": 500,
            "protein": 30, "carbs": 50, "fat": 10}  # fmt: skip


def drop(count: int, foods: int = 1) -> DailyDrop:
    return DailyDrop(
        id=1, user_id=7, local_date=DAY, engine="meals",
        content={"closes": "22:00", "plan_name": "Cut", "meals": [meal(i, foods) for i in range(count)]},
        deadline=utc(2026, 5, 4, 22), delivered_at=utc(2026, 5, 4, 6),
    )  # fmt: skip


def test_each_meal_has_its_two_buttons_right_under_it() -> None:
    answers = {0: {"status": "off_plan", "note": "cake"}, 1: {"status": "followed", "note": None}}
    message = meals.message(drop(3), answers, False)
    [container] = message.layout
    assert isinstance(container, Container)
    kinds = [type(c).__name__ for c in container.children]
    assert kinds == [
        "TextDisplay", "Separator",
        "TextDisplay", "ActionRow", "Separator",
        "TextDisplay", "ActionRow", "Separator",
        "TextDisplay", "ActionRow",
        "TextDisplay",
    ]  # fmt: skip
    rows = [c for c in container.children if isinstance(c, ActionRow)]
    assert [[b.label for b in row.buttons] for row in rows] == [["✓ Followed", "✗ Off plan"]] * 3
    assert [[b.style for b in row.buttons] for row in rows][:2] == [
        ["secondary", "danger"],
        ["success", "secondary"],
    ]
    assert [b.custom_id for b in rows[2].buttons] == [
        meals.FOLLOWED_ID.format(user_id=7, day=DAY, index=2),
        meals.OFF_PLAN_ID.format(user_id=7, day=DAY, index=2),
    ]
    assert message.texts()[1].splitlines()[:2] == ["**Meal 0**", "⚠️ off plan — _cake_"]
    closed = meals.message(drop(3), answers, True)
    assert all(b.disabled for b in closed.buttons()) and closed.texts()[3].splitlines()[1] == "❌ missed"


@pytest.mark.parametrize(
    ("count", "foods", "shape"),
    [(4, 1, "layout"), (8, 1, "layout"), (9, 1, "embed"), (10, 1, "embed"), (6, 6, "embed")],
)
def test_a_meal_day_is_a_layout_when_it_always_fits_and_keeps_its_shape(
    count: int, foods: int, shape: str
) -> None:
    worst = {i: {"status": "off_plan", "note": "n" * meals.NOTE_MAX} for i in range(count)}
    renders = [
        meals.message(drop(count, foods), answers, closed)
        for answers in ({}, worst)
        for closed in (False, True)
    ]
    assert {("layout" if m.is_layout else "embed") for m in renders} == {shape}
    for message in renders:
        problems, empty = _check_message_payload(
            payload(message) if message.is_layout else _classic_payload(message), 0, creating=True
        )
        assert (problems, empty) == ([], False)
        assert len(message.buttons()) == 2 * count


def _classic_payload(message: OutgoingMessage) -> dict[str, Any]:
    kwargs = discord_transport.message_kwargs(message)
    params = handle_message_parameters(
        content=kwargs["content"],  # type: ignore[arg-type]
        embeds=kwargs["embeds"],  # type: ignore[arg-type]
        view=kwargs["view"],  # type: ignore[arg-type]
    )
    assert params.payload is not None and isinstance(message.embeds[0], Embed)
    return params.payload
