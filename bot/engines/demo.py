"""A stand-in engine for the core runtime's tests: a prompt at the check-in time (useful until
noon) and a mark at noon. The real engines replace it in the simulator."""

from __future__ import annotations

from bot.config import Settings
from bot.engine import ActionKind, ActionSpec, Engine, JobContext, Outcome
from bot.messages import Embed, OutgoingMessage


def build(settings: Settings, name: str = "demo") -> Engine:
    async def prompt(ctx: JobContext) -> Outcome:
        sent = await ctx.send_dm(
            OutgoingMessage(embeds=(Embed(title="Good morning", description=f"Day {ctx.job.local_date}"),))
        )
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
