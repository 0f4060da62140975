"""`python -m bot preview [--out DIR]`: every message and chart the bot sends, in one folder.

The gallery is made by the code that makes them for real, so it shows what people get:

- a demo week (bot.preview.week): two demo clients on the real planner, dispatcher and engines
  over a throw-away embedded PostgreSQL, on a virtual clock, with the simulator's in-memory
  transport. The coach onboards them, gives them plans and pauses one; Sam answers (as the
  simulator's clients do, through the functions the Discord handlers call), Alex never does and
  trains on a day too long for one message. What the transport received is the gallery: the
  welcome, every engine's drop (the registry's, as delivered and as closed), the pause and its
  end, the escalation, the weekly summary and the honors board. Then the use cases behind
  /client add, /client list, /today and /stats, and every chart an engine declares, on what the
  week left in the database;
- rendered from demo data in memory (bot.preview.samples): the alert buffer's batches and the
  charts over months of history, plus the edge a chart must survive (a single point).

Messages are written as JSON (a faithful dump of the `OutgoingMessage`: a components v2 message
as its `layout`, each component with its `type`), charts as PNG, and
`index.md` lists them all with a text rendering of each message. tests/test_preview.py holds
every message to Discord's limits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.views.messages import (
    ActionRow,
    Button,
    Component,
    Container,
    OutgoingMessage,
    Section,
    Separator,
)

INDEX = "index.md"
# The groups of the index, in the order it shows them.
DMS, CHANNELS, REPLIES, CHARTS = "Client DMs", "Coaches' channels", "Command replies", "Charts"
GROUPS = (DMS, CHANNELS, REPLIES, CHARTS)


@dataclass(frozen=True)
class Entry:
    """One message or one chart of the gallery."""

    name: str  # the file name without its extension, e.g. "workout-open"
    group: str  # one of GROUPS
    title: str  # what it is, in a sentence
    where: str  # where it goes: "DM to Sam Carter", "#coaches", "reply to /today"
    message: OutgoingMessage | None = None
    png: bytes | None = None
    # True: as the transport received it (with the reference a job's sends carry); False: as
    # its renderer returned it.
    sent: bool = False

    @property
    def filename(self) -> str:
        return f"{self.name}.png" if self.png is not None else f"{self.name}.json"


def slug(text: str) -> str:
    """A file name from a label: "weekly flag scan" -> "weekly-flag-scan"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "message"


def _button_json(button: Button) -> dict[str, Any]:
    return {
        "label": button.label,
        "custom_id": button.custom_id,
        "style": str(button.style),
        "disabled": button.disabled,
    }


def _component_json(component: Component) -> dict[str, Any]:
    """One component of a components v2 layout, as JSON (its kind in `type`)."""
    if isinstance(component, Container):
        color = component.accent_color
        return {
            "type": "container",
            "accent_color": None if color is None else f"#{color:06X}",
            "children": [_component_json(c) for c in component.children],
        }
    if isinstance(component, Section):
        return {
            "type": "section",
            "texts": [t.content for t in component.texts],
            "accessory": _button_json(component.accessory),
        }
    if isinstance(component, ActionRow):
        return {"type": "row", "buttons": [_button_json(b) for b in component.buttons]}
    if isinstance(component, Separator):
        return {"type": "separator", "divider": component.divider, "spacing": str(component.spacing)}
    return {"type": "text", "content": component.content}


def message_json(message: OutgoingMessage) -> dict[str, Any]:
    """Everything an OutgoingMessage holds, as JSON (a file's bytes as their size). A components
    v2 message has its `layout` (and nothing in content, embeds, rows or files)."""
    return {
        "content": message.content,
        "embeds": [
            {
                "title": embed.title,
                "description": embed.description,
                "color": None if embed.color is None else f"#{embed.color:06X}",
                "fields": [{"name": f.name, "value": f.value, "inline": f.inline} for f in embed.fields],
                "footer": embed.footer,
            }
            for embed in message.embeds
        ],
        "rows": [[_button_json(b) for b in row] for row in message.rows],
        "files": [{"filename": f.filename, "bytes": len(f.data)} for f in message.files],
        "layout": [_component_json(c) for c in message.layout],
    }


def _entry_json(entry: Entry) -> dict[str, Any]:
    assert entry.message is not None
    return {
        "name": entry.name,
        "title": entry.title,
        "where": entry.where,
        "as": "sent" if entry.sent else "rendered",
        "message": message_json(entry.message),
        "text": entry.message.as_text(),
    }


def _check_out(out: Path) -> None:
    """A gallery goes into a new or empty folder, or over an earlier gallery."""
    if out.exists() and not (out / INDEX).exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty and holds no gallery: give --out an empty or new folder")


def write_gallery(entries: list[Entry], out: Path) -> Path:
    """Write one file per entry and the index into `out`; returns the index's path.

    A folder that holds an earlier gallery (its index) is emptied of that gallery's files first,
    so a message that is no longer sent does not linger; any other folder must be empty."""
    names = [e.name for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two gallery entries share a name: {', '.join(duplicates)}")
    _check_out(out)
    out.mkdir(parents=True, exist_ok=True)
    if (out / INDEX).exists():
        for old in [*out.glob("*.json"), *out.glob("*.png"), out / INDEX]:
            old.unlink()
    for entry in entries:
        path = out / entry.filename
        if entry.png is not None:
            path.write_bytes(entry.png)
        else:
            path.write_text(json.dumps(_entry_json(entry), indent=2, ensure_ascii=False) + "\n", "utf-8")
    index = out / INDEX
    index.write_text(_index(entries), encoding="utf-8")
    return index


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _index(entries: list[Entry]) -> str:
    messages = sum(1 for e in entries if e.message is not None)
    lines = [
        "# The Regiment — every message and chart",
        "",
        f"{messages} messages (JSON) and {len(entries) - messages} charts (PNG), made by "
        "`python -m bot preview` from a demo week. Messages marked *sent* are as the transport "
        "received them (with the reference a job's sends carry); the others as rendered.",
        "",
    ]
    for group in GROUPS:
        members = [e for e in entries if e.group == group]
        if not members:
            continue
        lines += [f"## {group}", ""]
        lines += [f"- [{e.name}](#{e.name}) — {e.title}" for e in members]
        lines.append("")
        for entry in members:
            lines += [f"### {entry.name}", "", f"{entry.title} · {entry.where}", ""]
            if entry.png is not None:
                lines += [f"![{entry.name}]({entry.filename})", ""]
            else:
                assert entry.message is not None
                how = "sent" if entry.sent else "rendered"
                text = _quoted(entry.message.as_text())
                lines += [f"[{entry.filename}]({entry.filename}) ({how})", "", text, ""]
    return "\n".join(lines)


async def build_gallery(settings: Settings) -> list[Entry]:
    """Every entry of the gallery (the demo week runs over a throw-away embedded PostgreSQL)."""
    from bot.preview import samples, week

    made = await week.demo_week(settings)
    day = made.now.date()
    board = samples.honors_board(made.registry, day)
    alerts = samples.alerts(made.registry, made.clients, made.now)
    charts = samples.charts(made.clients, made.registry.labels(), day)
    return [*made.entries, *board, *alerts, *charts]


async def preview(settings: Settings, out: Path) -> list[Entry]:
    """`python -m bot preview`: build the gallery and write it to `out`."""
    _check_out(out)  # before the week runs, not after
    entries = await build_gallery(settings)
    write_gallery(entries, out)
    return entries
