"""Roster upkeep as scheduled jobs: a pause with an until-date ends by itself on that local date,
and the client is told. Being a job, it runs exactly once per pause end, survives restarts and
catches up after downtime like every other action."""

from __future__ import annotations

from bot.config import Settings
from bot.delivery import TransientDeliveryError
from bot.engine import ActionKind, ActionSpec, Engine, JobContext, Outcome
from bot.messages import Embed, OutgoingMessage
from bot.repo import clients

NAME = "roster"


def welcome_back(display_name: str) -> OutgoingMessage:
    name = f", {display_name}" if display_name else ""
    return OutgoingMessage(
        embeds=(
            Embed(
                title="Welcome back",
                description=f"Your pause has ended{name}. Your daily check-in, meals, cardio and "
                "training start again today.",
            ),
        )
    )


async def end_pause(ctx: JobContext) -> Outcome:
    client = ctx.client
    assert client is not None
    day = ctx.job.local_date
    if not (client.paused and client.paused_until is not None and client.paused_until <= day):
        return Outcome.skipped("pause already lifted or extended")
    try:
        sent = await ctx.send_dm(welcome_back(client.display_name))
    except TransientDeliveryError:
        raise  # retried: the pause is lifted when the message goes through (or the job dies)
    except Exception:
        await _lift(ctx)  # the client cannot be told, but the pause still ends
        raise
    await _lift(ctx)
    return Outcome.done(message_id=sent.message_id)


async def _lift(ctx: JobContext) -> None:
    assert ctx.client is not None
    async with ctx.pool.acquire() as conn:
        await clients.end_pause(conn, ctx.client.user_id, ctx.job.local_date, ctx.now())


def build(settings: Settings) -> Engine:
    return Engine(
        NAME,
        [
            ActionSpec(
                NAME,
                "end_pause",
                settings.resume_notice_at,
                ActionKind.mark,
                client_filter="c.paused AND c.paused_until = z.local_date",
            )
        ],
        {"end_pause": end_pause},
    )
