"""A stand-in engine until the check-in engine lands: a prompt at the check-in time (useful until
noon) with a "Check in" button that opens a one-field modal, and a mark at noon. It exercises
the whole path the real engines use: planned job, DM with a persistent button, modal, database
write, and it is what the simulator shows meanwhile."""

from __future__ import annotations

import datetime as dt

import asyncpg

from bot.config import Settings
from bot.engine import ActionKind, ActionSpec, Engine, JobContext, Outcome
from bot.messages import Button, Embed, OutgoingMessage
from bot.repo import jobs as jobs_repo

NAME = "demo"
# custom_id layouts (≤ 100 chars; the templates in cogs/demo.py must match them exactly).
OPEN_ID = "rg:demo:open:{user_id}:{day:%Y%m%d}"
MODAL_ID = "rg:demo:note:{user_id}:{day:%Y%m%d}"
NOTE_MAX = 400


def prompt_message(user_id: int, day: dt.date) -> OutgoingMessage:
    return OutgoingMessage(
        embeds=(Embed(title="Good morning", description=f"Your check-in for {day:%A %d %B}."),),
        rows=((Button("Check in", OPEN_ID.format(user_id=user_id, day=day)),),),
    )


async def record_note(
    conn: asyncpg.Connection, user_id: int, day: dt.date, note: str, now: dt.datetime
) -> bool:
    """Store the client's answer on that day's prompt job; False if there was no prompt."""
    return await jobs_repo.annotate(
        conn, NAME, "prompt", user_id, day, {"note": note, "noted_at": now.isoformat()}
    )


def build(settings: Settings, name: str = NAME) -> Engine:
    async def prompt(ctx: JobContext) -> Outcome:
        assert ctx.client is not None
        sent = await ctx.send_dm(prompt_message(ctx.client.user_id, ctx.job.local_date))
        return Outcome.done(message_id=sent.message_id, channel_id=sent.channel_id)

    async def mark(ctx: JobContext) -> Outcome:
        return Outcome.done()

    return Engine(
        name,
        [
            ActionSpec(
                name, "prompt", settings.checkin_prompt_at, ActionKind.drop, settings.checkin_deadline_at
            ),
            ActionSpec(name, "mark", settings.checkin_deadline_at, ActionKind.mark),
        ],
        {"prompt": prompt, "mark": mark},
    )
