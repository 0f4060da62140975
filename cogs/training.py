"""The training dispatcher's Discord side.

Clients: a persistent "Log <exercise>" button per exercise opens a modal (weight, reps); its submit
is routed by custom_id, so a modal opened before a restart still lands. `/history` and
`/progress <exercise>` in DMs. Coaches: `/training import` (block file attachment), `/training
blocks`, and history and progress for any client.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import discord
from discord import app_commands
from discord.ext import commands
from loguru import logger

from bot.core.delivery import DeliveryError
from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import OwnedButton, RoutedModal, answers_errors, parse_day, reply
from bot.domain.errors import InputError
from bot.domain.lifting import show_weight
from bot.domain.models import ClientProfile
from bot.engines import training
from bot.engines import training_progress as progress
from bot.engines.training_progress import History
from bot.usecases import blocks
from cogs.checks import client_autocomplete, coach_only, for_coaches, is_coach_quietly, steerable


class LogSetModal(RoutedModal):
    def __init__(
        self, user_id: int, day: dt.date, index: int, name: str, unit: str, values: tuple[str, str] | None
    ):
        super().__init__(
            title=f"Log {name}"[:45],
            custom_id=training.MODAL_ID.format(user_id=user_id, day=day, index=index),
        )
        weight, reps = values or (None, None)
        self.weight: discord.ui.TextInput[LogSetModal] = discord.ui.TextInput(
            custom_id="weight", default=weight, max_length=10, placeholder=f"e.g. 102.5 ({unit})"
        )
        self.reps: discord.ui.TextInput[LogSetModal] = discord.ui.TextInput(
            custom_id="reps", default=reps, max_length=4, placeholder="e.g. 8"
        )
        self.add_item(discord.ui.Label(text=f"Top set weight ({unit})", component=self.weight))
        self.add_item(discord.ui.Label(text="Reps", component=self.reps))


class LogSetButton(discord.ui.DynamicItem[discord.ui.Button], template=training.LOG_ID.pattern):  # type: ignore[type-arg]
    def __init__(self, user_id: int, day: dt.date, index: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Log", custom_id=training.LOG_ID.format(user_id=user_id, day=day, index=index)
            )
        )
        self.user_id, self.day, self.index = user_id, day, index

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item,
        match: re.Match[str],  # type: ignore[type-arg]
    ) -> LogSetButton:
        return cls(int(match["user"]), parse_day(match["day"]), int(match["index"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.user_id:
            await reply(interaction, OwnedButton.refusal)
            return False
        return True

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        bot: Regiment = interaction.client  # type: ignore[assignment]
        form = await training.log_form(
            bot.pool, bot.clock, user_id=self.user_id, day=self.day, index=self.index
        )
        await interaction.response.send_modal(
            LogSetModal(self.user_id, self.day, self.index, form.exercise, str(form.unit), form.values)
        )


async def on_log_submit(
    interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]
) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    user_id, day, index = int(match["user"]), parse_day(match["day"]), int(match["index"])
    if interaction.user.id != user_id:
        raise InputError(OwnedButton.refusal)
    logged = await training.log_top_set(
        bot.pool,
        bot.clock,
        bot.settings,
        user_id=user_id,
        day=day,
        index=index,
        weight=values.get("weight", ""),
        reps=values.get("reps", ""),
    )
    log = logged.log
    assert log.weight_kg is not None
    pr = " 🏆 New PR!" if log.is_pr else ""
    await reply(
        interaction,
        f"Logged {logged.exercise['name']}: {show_weight(log.weight_kg, logged.unit)} × {log.reps}.{pr}",
    )
    try:
        await training.refresh_message(bot.pool, bot.transport, bot.settings, logged, index)
    except DeliveryError as exc:  # the log is saved; the message catches up on the next edit
        logger.warning("could not update the workout message: {}", exc)


def history_embed(found: History) -> discord.Embed:
    profile = found.profile
    daily_lines = [f"`{day:%a %d %b}` " + " · ".join(lines) for day, lines in found.days]
    lines = []
    for s in found.sessions:
        pr = f" · {s.prs} PR" if s.prs else ""
        lines.append(f"`{s.local_date:%a %d %b}` **{s.day_title}** — {s.state}{pr}")
    embed = discord.Embed(
        title=f"History — {profile.display_name or profile.user_id}",
        description="**Workouts**\n" + ("\n".join(lines) or "No workouts yet."),
    )
    embed.add_field(
        name="Last 7 days", value=("\n".join(daily_lines) or "Nothing logged yet.")[:1024], inline=False
    )
    return embed


async def exercise_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    namespace_client = getattr(interaction.namespace, "client", None)
    user_id = interaction.user.id
    if namespace_client and str(namespace_client).isdigit():
        if not is_coach_quietly(interaction):  # only coaches look at another client's lifts
            return []
        user_id = int(namespace_client)
    choices = await progress.exercise_choices(bot.pool, bot.registry, user_id, current)
    return [app_commands.Choice(name=name, value=value) for name, value in choices]


async def progress_reply(interaction: discord.Interaction, profile: ClientProfile, exercise: str) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    png = await progress.chart(bot.pool, bot.registry, profile, exercise)
    await reply(interaction, file=discord.File(io.BytesIO(png), filename=f"{exercise}.png"))


coach_exercise_autocomplete = for_coaches(exercise_autocomplete)  # the coach's /training progress


class TrainingClient(commands.Cog):
    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    @app_commands.command(name="history", description="Your recent workouts: logged and missed")
    @app_commands.allowed_contexts(guilds=False, dms=True, private_channels=False)
    async def history(self, interaction: discord.Interaction) -> None:
        found = await progress.history(self.bot.pool, self.bot.registry, self.bot.clock, interaction.user.id)
        await reply(interaction, embed=history_embed(found))

    @app_commands.command(
        name="progress", description="Charts: an exercise's top sets, bodyweight, readiness or a measurement"
    )
    @app_commands.allowed_contexts(guilds=False, dms=True, private_channels=False)
    @app_commands.autocomplete(exercise=exercise_autocomplete)
    async def progress(self, interaction: discord.Interaction, exercise: str) -> None:
        profile = await progress.client(self.bot.pool, interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await progress_reply(interaction, profile, exercise)


class TrainingCoach(commands.Cog):
    training = app_commands.Group(
        name="training", description="Training blocks and clients' training", guild_only=True
    )

    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    @training.command(name="import", description="Import a training block from a YAML or JSON file")
    @coach_only
    async def import_block(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        imported = await blocks.import_block(
            self.bot.pool, self.bot.clock, file, imported_by=interaction.user.id
        )
        block = imported.block
        days = ", ".join(d.title for d in block.days)
        await reply(
            interaction,
            f"Imported **{block.name}** (`{block.id}`) as version {imported.version}: "
            f"{len(block.days)} days ({days}).",
        )

    @training.command(name="blocks", description="The imported training blocks")
    @coach_only
    async def list_blocks(self, interaction: discord.Interaction) -> None:
        listed = await blocks.list_blocks(self.bot.pool)
        lines = [f"`{b.block_id}` v{b.version} — {b.name}" for b in listed]
        await reply(
            interaction, "\n".join(lines) or "No blocks imported yet; clients train on the built-in block."
        )

    @training.command(name="history", description="A client's recent workouts")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def client_history(self, interaction: discord.Interaction, client: str) -> None:
        found = await progress.history(
            self.bot.pool, self.bot.registry, self.bot.clock, await steerable(interaction, client)
        )
        await reply(interaction, embed=history_embed(found))

    @training.command(name="progress", description="A client's progress chart for one exercise")
    @app_commands.autocomplete(client=client_autocomplete, exercise=coach_exercise_autocomplete)
    @coach_only
    async def client_progress(self, interaction: discord.Interaction, client: str, exercise: str) -> None:
        profile = await progress.client(self.bot.pool, await steerable(interaction, client))
        await interaction.response.defer(ephemeral=True, thinking=True)
        await progress_reply(interaction, profile, exercise)


async def setup(bot: Regiment) -> None:
    if bot.mode == BotMode.dispatch_only:
        return
    if bot.mode == BotMode.gateway:
        bot.add_dynamic_items(LogSetButton)
        bot.modal_router.add(training.MODAL_ID.pattern, on_log_submit)
    await bot.add_cog(TrainingClient(bot))
    if bot.coach_guild is not None:
        await bot.add_cog(TrainingCoach(bot), guild=bot.coach_guild)


async def teardown(bot: Regiment) -> None:
    bot.remove_dynamic_items(LogSetButton)
