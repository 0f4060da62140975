"""A client's data in their own hands: a ZIP of everything the bot holds about them, one CSV per
kind of record and a README saying what each file is (/mydata for the client, /client export
for their coach)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import asyncpg

from bot.core.clock import Clock
from bot.domain.errors import InputError
from bot.repo import erasure

# What each table is, in the client's words; a table a new engine adds is exported anyway, and
# described by its name.
DESCRIPTIONS = {
    "client_profiles": "your profile: time zone, start date, training block and days, units, pauses",
    "jobs": "every message scheduled or sent to you, when it was due and what became of it",
    "daily_drops": "the daily check-in, meals and cardio messages sent to you and when they closed",
    "checkins": "your morning check-ins: how you felt, weigh-ins and sleep",
    "meal_logs": "your answers to each meal: followed or off plan, with your notes",
    "cardio_logs": "your cardio logs: minutes or steps, heart rate",
    "training_sessions": "the workouts sent to you: block, day and exercises",
    "training_logs": "your top sets: weight as you typed it, reps, personal records",
    "pause_periods": "when your coach paused you, until when and why",
    "coach_assignments": "your coaches and since when, with handover notes",
    "job_cards": "the work items your coaches got about you (missed days, compliance, set-up problems)",
    "alerts": "messages to your coaches when a delivery to you failed",
    "planner_watermarks": "how far the bot has planned your schedule",
    "weekly_reviews": "your weekly check-ins: measurements (cm, and as you typed them), the week, your words",
    "weekly_photos": "your progress photos (front, side, back) by check-in date; each row names its file",
    "weekly_answers": "your coach's answers to your weekly check-ins (the words are in notes.csv)",
}


#: The most photo bytes one ZIP holds: each ZIP is one attachment, and Discord takes 10 MiB a
#: file from a bot (more only in a boosted server). The CSVs and the README go in the first.
PART_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Export:
    parts: list[tuple[str, bytes]]  # (file name, ZIP), the first with the CSVs and the README
    files: list[str]  # every file inside, across the parts

    @property
    def filename(self) -> str:
        return self.parts[0][0]

    @property
    def data(self) -> bytes:
        return self.parts[0][1]


def _photo_parts(binaries: dict[str, bytes], first_room: int) -> list[list[str]]:
    """The photo files in ZIPs of at most PART_BYTES, in name order (the first has `first_room`)."""
    parts: list[list[str]] = [[]]
    room = first_room
    for name in sorted(binaries):
        size = len(binaries[name])
        if parts[-1] and size > room:
            parts.append([])
            room = PART_BYTES
        parts[-1].append(name)
        room -= size
    return parts


async def export_client(pool: asyncpg.Pool, clock: Clock, user_id: int) -> Export:
    async with pool.acquire() as conn:
        tables, binaries = await erasure.client_rows(conn, user_id)
    if not tables.get("client_profiles", ([], []))[1]:
        raise InputError("There is nothing to export: that person is not a client of The Regiment.")
    buffer = io.BytesIO()
    files = []
    written = 0  # the CSVs' bytes: the first ZIP holds fewer photos
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        readme = [
            "Everything The Regiment holds about you",
            f"Exported {clock.now():%A %d %B %Y at %H:%M} UTC. One CSV file per kind of record:",
            "",
        ]
        for table, (columns, rows) in sorted(tables.items()):
            if not rows:
                continue
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(columns)
            writer.writerows(rows)
            name = f"{table}.csv"
            archive.writestr(name, text.getvalue())
            written += len(text.getvalue().encode())
            files.append(name)
            readme.append(
                f"- {name} ({len(rows)} row{'s' if len(rows) != 1 else ''}): {DESCRIPTIONS.get(table, table)}"
            )
        stem = f"regiment-data-{user_id}-{clock.now():%Y%m%d}"
        photo_parts = _photo_parts(binaries, PART_BYTES - written)
        names = [f"{stem}.zip", *(f"{stem}-part-{n}.zip" for n in range(2, len(photo_parts) + 1))]
        for name in photo_parts[0]:
            archive.writestr(name, binaries[name])
            files.append(name)
        if binaries:
            where = "" if len(names) == 1 else f" (they fill {len(names)} ZIP files: {', '.join(names)})"
            readme.append(
                f"- {len(binaries)} photo file{'s' if len(binaries) != 1 else ''} in folders named after "
                f"their table; the CSV names each file{where}"
            )
        readme += [
            "",
            "Dates are your local dates; times are UTC (ISO 8601); weights are stored in kg, beside",
            "what you typed and its unit.",
        ]
        archive.writestr("README.txt", "\n".join(readme) + "\n")
        files.insert(0, "README.txt")
    parts = [(names[0], buffer.getvalue())]
    for name, inside in zip(names[1:], photo_parts[1:], strict=True):
        more = io.BytesIO()
        with zipfile.ZipFile(more, "w", zipfile.ZIP_STORED) as archive:  # JPEGs do not compress
            for photo in inside:
                archive.writestr(photo, binaries[photo])
                files.append(photo)
        parts.append((name, more.getvalue()))
    return Export(parts, files)
