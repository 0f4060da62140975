"""Roster upkeep as scheduled jobs: a pause with an until-date ends by itself on that local date,
and the client is told. Being a job, it runs exactly once per pause end, survives restarts and
catches up after downtime like every other action."""

from __future__ import annotations

from bot.config import Settings
from bot.core.engine import ActionKind, ActionSpec, Engine, JobContext, Outcome
from bot.domain.eligibility import IsLocalDate, IsTrue, all_of
from bot.repo import clients
from bot.views.messages import Embed, OutgoingMessage

NAME = "pauses"


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
    """Lift the pause first (the client's state must not hang on Discord), then tell them; a
    retry after a failed message finds the pause lifted and sends the same message again. (A
    pause extended past today is skipped by the dispatcher as paused; a manual resume cancels
    this job.)"""
    client = ctx.client
    assert client is not None
    day = ctx.job.local_date
    async with ctx.pool.acquire() as conn:
        await clients.end_pause(conn, client.user_id, day, ctx.now())
    sent = await ctx.send_dm(welcome_back(client.display_name))
    return Outcome.done(message_id=sent.message_id)


PAUSE_ENDS_TODAY = all_of(IsTrue("paused"), IsLocalDate("paused_until"))


def build(settings: Settings) -> Engine:
    return Engine(
        NAME,
        label="pauses",
        actions=[
            ActionSpec(NAME, "end_pause", settings.resume_notice_at, ActionKind.mark, label="pause ends")
        ],
        handlers={"end_pause": end_pause},
        applies=PAUSE_ENDS_TODAY,
        cancelled_by_resume=("end_pause",),  # no "welcome back" after a coach resumed by hand
        renderers={"welcome back": welcome_back},
    )
