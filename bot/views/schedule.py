"""What coaches read about a client's next runs (/schedule preview): each run in the client's
local time and in UTC, with the UTC date written whenever it is not the local one ("22:00 CST"
next to a bare "04:00 UTC" reads as the same evening; it is the next morning)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.usecases.schedule import PlannedRun


def zone_label(local: dt.datetime) -> str:
    """The zone as people read it: its abbreviation ("EST", "CEST"), or "UTC+05:45" where the
    zone has none (Python spells those as a bare "+0545")."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours:02d}:{mins:02d}"


def preview_line(run: PlannedRun) -> str:
    """`Sat 07 Mar 22:00 CST` · `04:00 UTC Sun 08 Mar` — check-in closes"""
    local = run.local
    at_utc = run.at_utc.astimezone(dt.UTC)
    utc_text = f"{at_utc:%H:%M} UTC"
    if at_utc.date() != local.date():
        utc_text += f" {at_utc:%a %d %b}"
    return f"`{local:%a %d %b %H:%M} {zone_label(local)}` · `{utc_text}` — {run.label}"


def preview_lines(runs: list[PlannedRun], limit: int = 40) -> list[str]:
    return [preview_line(run) for run in runs[:limit]]
