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


@dataclass(frozen=True)
class Export:
    filename: str
    data: bytes
    files: list[str]


async def export_client(pool: asyncpg.Pool, clock: Clock, user_id: int) -> Export:
    async with pool.acquire() as conn:
        tables, binaries = await erasure.client_rows(conn, user_id)
    if not tables.get("client_profiles", ([], []))[1]:
        raise InputError("There is nothing to export: that person is not a client of The Regiment.")
    buffer = io.BytesIO()
    files = []
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
            files.append(name)
            readme.append(
                f"- {name} ({len(rows)} row{'s' if len(rows) != 1 else ''}): {DESCRIPTIONS.get(table, table)}"
            )
        for name, data in sorted(binaries.items()):
            archive.writestr(name, data)
            files.append(name)
        if binaries:
            readme.append(
                f"- {len(binaries)} photo file{'s' if len(binaries) != 1 else ''} in folders named after "
                "their table; the CSV names each file"
            )
        readme += [
            "",
            "Dates are your local dates; times are UTC (ISO 8601); weights are stored in kg, beside",
            "what you typed and its unit.",
        ]
        archive.writestr("README.txt", "\n".join(readme) + "\n")
        files.insert(0, "README.txt")
    return Export(f"regiment-data-{user_id}-{clock.now():%Y%m%d}.zip", buffer.getvalue(), files)
