"""`python -m bot preview`: the gallery of every message and chart, run once as the command a
person runs (a subprocess, from a folder with no .env, with nothing but Python), then checked:
every kind the bot sends is there, every message passes Discord's limits as the loopback
double checks them (on the payload discord.py builds from it), every chart is a real PNG."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from discord.http import handle_message_parameters
from discord.utils import MISSING
from doubles.discord.limits import MAX_FILE_SIZE, _check_message_payload
from PIL import Image

from bot.config import Settings
from bot.core.engine import ActionKind
from bot.discord_adapter.transport import message_kwargs
from bot.engines import build_registry
from bot.preview import INDEX, message_json, slug
from bot.views.messages import (
    ActionRow,
    Button,
    ButtonStyle,
    Component,
    Container,
    Embed,
    EmbedField,
    FileAttachment,
    OutgoingMessage,
    Section,
    Separator,
    SeparatorSpacing,
    TextDisplay,
)

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Gallery:
    out: Path
    stdout: str

    def messages(self) -> dict[str, dict[str, Any]]:
        return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(self.out.glob("*.json"))}

    def charts(self) -> dict[str, Path]:
        return {p.stem: p for p in sorted(self.out.glob("*.png"))}

    def names(self) -> set[str]:
        return {p.stem for p in self.out.iterdir() if p.name != INDEX}


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Gallery:
    where = tmp_path_factory.mktemp("preview")
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "preview", "--out", "gallery"],
        cwd=where,  # no .env here: the defaults, as from a fresh clone
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return Gallery(where / "gallery", done.stdout)


def _button(b: dict[str, Any]) -> Button:
    return Button(b["label"], b["custom_id"], ButtonStyle(b["style"]), b["disabled"])


def _component(c: dict[str, Any]) -> Component:
    kind = c["type"]
    if kind == "container":
        color = None if c["accent_color"] is None else int(c["accent_color"].lstrip("#"), 16)
        return Container(tuple(_component(x) for x in c["children"]), color)  # type: ignore[misc]
    if kind == "section":
        return Section(tuple(TextDisplay(t) for t in c["texts"]), _button(c["accessory"]))
    if kind == "row":
        return ActionRow(tuple(_button(b) for b in c["buttons"]))
    if kind == "separator":
        return Separator(c["divider"], SeparatorSpacing(c["spacing"]))
    assert kind == "text", kind
    return TextDisplay(c["content"])


def buttons_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button a gallery file's message holds, in its rows or anywhere in its layout."""
    found = [b for row in data["message"]["rows"] for b in row]
    pending = list(data["message"]["layout"])
    while pending:
        c = pending.pop(0)
        pending[:0] = c.get("children", [])
        found += c.get("buttons", []) + ([c["accessory"]] if "accessory" in c else [])
    return found


def load(data: dict[str, Any]) -> OutgoingMessage:
    """The OutgoingMessage a gallery file dumps (a file's bytes as zeros of its size)."""
    m = data["message"]
    if m["layout"]:
        return OutgoingMessage(layout=tuple(_component(c) for c in m["layout"]))
    return OutgoingMessage(
        content=m["content"],
        embeds=tuple(
            Embed(
                title=e["title"],
                description=e["description"],
                fields=tuple(EmbedField(f["name"], f["value"], f["inline"]) for f in e["fields"]),
                footer=e["footer"],
                color=None if e["color"] is None else int(e["color"].lstrip("#"), 16),
            )
            for e in m["embeds"]
        ),
        rows=tuple(
            tuple(Button(b["label"], b["custom_id"], ButtonStyle(b["style"]), b["disabled"]) for b in row)
            for row in m["rows"]
        ),
        files=tuple(FileAttachment(f["filename"], bytes(f["bytes"])) for f in m["files"]),
    )


def payload(message: OutgoingMessage) -> dict[str, Any]:
    """The JSON body discord.py sends for the message (the multipart's payload_json with files)."""
    kwargs = message_kwargs(message)
    params = handle_message_parameters(
        content=kwargs["content"],  # type: ignore[arg-type]
        embeds=kwargs["embeds"],  # type: ignore[arg-type]
        view=kwargs.get("view", MISSING),  # type: ignore[arg-type]
        files=kwargs.get("files", MISSING),  # type: ignore[arg-type]
        nonce="rg1234567.12",
    )
    if params.payload is not None:
        return params.payload
    [body] = [part for part in params.multipart or [] if part["name"] == "payload_json"]
    return json.loads(body["value"])


def test_the_command_says_where_it_wrote_and_how_many(gallery: Gallery) -> None:
    messages, charts = len(gallery.messages()), len(gallery.charts())
    assert messages >= 25 and charts >= 5
    assert f"{messages} messages (JSON) and {charts} charts (PNG) to gallery/" in gallery.stdout
    assert f"gallery/{INDEX}" in gallery.stdout


# What the issue asks for, by the names the gallery gives it.
EXPECTED = {
    "workout open": {"workout-open"},
    "workout closed": {"workout-closed"},
    "workout split": {
        "workout-split-open-1of3",
        "workout-split-open-2of3",
        "workout-split-open-3of3",
        "workout-split-closed-3of3",
    },
    "check-in": {"check-in-open", "check-in-closed", "check-in-missed"},
    "meals": {"meals-open", "meals-closed", "meals-missed"},
    "cardio": {"cardio-open", "cardio-closed", "cardio-missed"},
    "welcome": {"welcome"},
    "pause and resume": {"pause", "pause-ends"},
    "alerts": {"alerts", "alerts-full-batch"},
    "weekly summary": {"weekly-flag-scan-coaches"},
    "honors board": {"weekly-flag-scan-honors", "honors-board-busy-week"},
    "cards": {"evening-review-coaches", "client-card", "client-list", "today", "stats"},
    "charts": {"chart-lift-12-weeks", "chart-bodyweight", "chart-readiness", "chart-adherence"},
}


def test_every_kind_the_bot_sends_is_in_the_gallery(gallery: Gallery) -> None:
    names = gallery.names()
    assert {kind: sorted(want - names) for kind, want in EXPECTED.items() if want - names} == {}
    registry = build_registry(Settings(_env_file=None))  # type: ignore[call-arg]
    for engine in registry:  # every engine's drop, as it arrives and after it closed
        for spec in engine.actions:
            if spec.kind == ActionKind.drop:
                name = slug(spec.label)
                for state in ("open", "closed"):
                    assert any(
                        n == f"{name}-{state}" or n.startswith(f"{name}-split-{state}-") for n in names
                    ), f"{spec.name} {state} is not in the gallery"
        for chart in engine.charts:  # and every chart an engine declares
            assert f"chart-{slug(chart)}" in names, chart
    assert gallery.messages()["weekly-flag-scan-coaches"]["message"]["embeds"][0]["title"].endswith("card(s)")


def test_every_message_is_within_discords_limits(gallery: Gallery) -> None:
    broken = {}
    for name, data in gallery.messages().items():
        message = load(data)
        problems, empty = _check_message_payload(payload(message), len(message.files), creating=True)
        if problems or empty:
            broken[name] = problems or ["empty message"]
    assert broken == {}


def test_closed_drops_look_closed_and_open_ones_open(gallery: Gallery) -> None:
    for name, data in gallery.messages().items():
        buttons = buttons_of(data)
        if re.search(r"-(closed|missed)(-\d+of\d+)?$", name):
            assert buttons and all(b["disabled"] for b in buttons), name
        elif re.search(r"-open(-\d+of\d+)?$", name):
            assert buttons and not any(b["disabled"] for b in buttons), name


def test_every_chart_is_a_png_of_a_plausible_size(gallery: Gallery) -> None:
    for name, path in gallery.charts().items():
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), name
        assert 10_000 < len(data) < MAX_FILE_SIZE, (name, len(data))  # within Discord's upload limit
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            assert 600 <= width <= 2000 and 250 <= height <= 1500, (name, image.size)
            darkest, lightest = image.convert("L").getextrema()
            assert lightest - darkest > 100, f"{name} is blank"


def test_the_index_lists_every_file(gallery: Gallery) -> None:
    index = (gallery.out / INDEX).read_text("utf-8")
    linked = set(re.findall(r"\]\(([\w.-]+\.(?:json|png))\)", index))
    assert linked == {p.name for p in gallery.out.iterdir() if p.name != INDEX}


def test_a_gallery_file_holds_everything_its_message_does() -> None:
    """The dump is faithful: what the limits test reads back is the message that was written."""
    message = OutgoingMessage(
        content="**Sam** — a line\n-# ref rg12.0",
        embeds=(
            Embed("Title", "Text", (EmbedField("Name", "Value", True), EmbedField("N", "V")), "Ft", 0x2E86C1),
            Embed(description="only a description"),
        ),
        rows=(
            (Button("Log Squat", "rg:wl:1:20260504:0~rg1.0"), Button("Off", "x", ButtonStyle.danger, True)),
            (Button("Edit", "y", ButtonStyle.success),),
        ),
        files=(FileAttachment("chart.png", b"\x89PNG" + bytes(96)),),
    )
    written = json.loads(json.dumps({"message": message_json(message)}))
    assert load(written) == OutgoingMessage(
        content=message.content,
        embeds=message.embeds,
        rows=message.rows,
        files=(FileAttachment("chart.png", bytes(100)),),  # a file is kept as its size
    )


def test_a_gallery_file_holds_everything_a_layout_message_does() -> None:
    """A components v2 message is dumped as its layout and read back the same, and the payload
    discord.py builds from it carries the IS_COMPONENTS_V2 flag and no content or embeds."""
    log = Button("Log Squat", "rg:tr:log:1:20260504:0~rg1.0")
    message = OutgoingMessage(
        layout=(
            Container(
                (
                    TextDisplay("## Day 1\nBlock · day 1"),
                    Separator(),
                    Section((TextDisplay("**1. Squat**"), TextDisplay("4 × 5")), log),
                    ActionRow(
                        (Button("✓ Followed", "a"), Button("✗ Off plan", "b", ButtonStyle.danger, True))
                    ),
                    Separator(divider=False, spacing=SeparatorSpacing.large),
                    TextDisplay("-# footer"),
                ),
                0x2E86C1,
            ),
        )
    )
    written = json.loads(json.dumps({"message": message_json(message)}))
    assert load(written) == message
    assert [b["custom_id"] for b in buttons_of(written)] == [log.custom_id, "a", "b"]
    body = payload(message)
    assert body["flags"] & (1 << 15) and not body.get("content") and not body.get("embeds")
    assert _check_message_payload(body, 0, creating=True) == ([], False)
