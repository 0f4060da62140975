"""The training dispatcher's Discord side.

Clients: a persistent "Log <exercise>" button per exercise opens a modal (weight, reps); its submit
is routed by custom_id, so a modal opened before a restart still lands. `/history` and
`/progress <exercise>` in DMs. Coaches: `/training import` (block file attachment), `/training
blocks`, and history and progress for any client.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re

import discord
from discord import app_commands
from discord.ext import commands
from loguru import logger

from bot.core.delivery import DeliveryError
from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import RoutedModal, answers_errors, reply
from bot.domain.blocks import parse_block
from bot.domain.errors import InputError
from bot.domain.lifting import show_weight
from bot.domain.models import ClientProfile
from bot.engines import training
from bot.repo import blocks as blocks_repo
from bot.repo import clients
from bot.repo import daily as daily_repo
from bot.repo import training as training_repo
from bot.usecases.coaching import client_today
from bot.views import charts, client_charts
from bot.views.render import done_lines
from bot.views.workout import LOG_ID, MODAL_ID
from cogs.coach import client_autocomplete, client_id, coach_only, is_coach_quietly

_USER = r"(?P<user>[0-9]{1,20})"
_DAY = r"(?P<day>[0-9]{8})"
_INDEX = r"(?P<index>[0-9]{1,2})"
LOG_TEMPLATE = rf"rg:tr:log:{_USER}:{_DAY}:{_INDEX}"
MODAL_TEMPLATE = rf"rg:tr:set:{_USER}:{_DAY}:{_INDEX}"
MAX_BLOCK_FILE = 256 * 1024


def _day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a date, no time involved


class LogSetModal(RoutedModal):
    def __init__(
        self, user_id: int, day: dt.date, index: int, name: str, unit: str, values: tuple[str, str] | None
    ):
        super().__init__(
            title=f"Log {name}"[:45], custom_id=MODAL_ID.format(user_id=user_id, day=day, index=index)
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


class LogSetButton(discord.ui.DynamicItem[discord.ui.Button], template=LOG_TEMPLATE):  # type: ignore[type-arg]
    def __init__(self, user_id: int, day: dt.date, index: int) -> None:
        super().__init__(
            discord.ui.Button(label="Log", custom_id=LOG_ID.format(user_id=user_id, day=day, index=index))
        )
        self.user_id, self.day, self.index = user_id, day, index

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item,
        match: re.Match[str],  # type: ignore[type-arg]
    ) -> LogSetButton:
        return cls(int(match["user"]), _day(match["day"]), int(match["index"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.user_id:
            await reply(interaction, "This workout belongs to someone else: you can only log your own sets.")
            return False
        return True

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        bot: Regiment = interaction.client  # type: ignore[assignment]
        async with bot.pool.acquire() as conn:
            session = await training_repo.get_session(conn, self.user_id, self.day)
            profile = await clients.get(conn, self.user_id)
        if session is None or profile is None or not 0 <= self.index < len(session.exercises):
            raise InputError("This workout is no longer on record.")
        if session.closed_at is not None or bot.clock.now() >= session.deadline:
            raise InputError(
                training.closed_text(self.day, bot.settings).replace("; nothing was written", "")
            )
        values = await training.prefill(bot.pool, self.user_id, self.day, self.index)
        name = session.exercises[self.index]["name"]
        await interaction.response.send_modal(
            LogSetModal(self.user_id, self.day, self.index, name, str(profile.unit), values)
        )


async def on_log_submit(
    interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]
) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    user_id, day, index = int(match["user"]), _day(match["day"]), int(match["index"])
    if interaction.user.id != user_id:
        raise InputError("This workout belongs to someone else: you can only log your own sets.")
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
        await training.refresh_message(bot.transport, logged, index)
    except DeliveryError as exc:  # the log is saved; the message catches up on the next edit
        logger.warning("could not update the workout message: {}", exc)


async def _client(bot: Regiment, user_id: int) -> ClientProfile:
    async with bot.pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
    if profile is None:
        raise InputError("Not a client of The Regiment.")
    return profile


async def history_embed(bot: Regiment, profile: ClientProfile) -> discord.Embed:
    today = client_today(profile, bot.clock.now())
    days = [today - dt.timedelta(days=n) for n in range(7)]
    async with bot.pool.acquire() as conn:
        sessions = await training_repo.recent_sessions(conn, profile.user_id, 10)
        statuses = [(day, await daily_repo.day_status(conn, profile.user_id, day)) for day in days]
    daily_lines = [
        f"`{day:%a %d %b}` " + " · ".join(done_lines(status))
        for day, status in statuses
        if done_lines(status)
    ]
    lines = []
    for s in sessions:
        state = "open" if s["closed_at"] is None else f"{s['logged']} logged, {s['missed']} missed"
        pr = f" · {s['prs']} PR" if s["prs"] else ""
        lines.append(f"`{s['local_date']:%a %d %b}` **{s['day_title']}** — {state} of {s['exercises']}{pr}")
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
    async with bot.pool.acquire() as conn:
        rows = await training_repo.exercises_logged(conn, user_id, current)
    body = [
        app_commands.Choice(name=f"{w} (check-ins)", value=w) for w in BODY_CHARTS if current.lower() in w
    ]
    return (body + [app_commands.Choice(name=r["name"][:100], value=r["exercise_id"]) for r in rows])[:25]


BODY_CHARTS = ("bodyweight", "readiness")


async def body_chart_reply(interaction: discord.Interaction, profile: ClientProfile, what: str) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    async with bot.pool.acquire() as conn:
        points = await daily_repo.series(conn, profile.user_id, what)
    if not points:
        raise InputError(f"No {what} logged yet: the chart appears after your first check-in.")
    title = f"{what.capitalize()} — {profile.display_name or profile.user_id}"
    if what == "bodyweight":
        png = await asyncio.to_thread(client_charts.bodyweight_chart, title, points, str(profile.unit))
    else:
        png = await asyncio.to_thread(client_charts.readiness_chart, title, points)
    await reply(interaction, file=discord.File(io.BytesIO(png), filename=f"{what}.png"))


async def progress_reply(interaction: discord.Interaction, profile: ClientProfile, exercise: str) -> None:
    if exercise in BODY_CHARTS:
        await body_chart_reply(interaction, profile, exercise)
        return
    bot: Regiment = interaction.client  # type: ignore[assignment]
    async with bot.pool.acquire() as conn:
        rows = await training_repo.exercise_history(conn, profile.user_id, exercise)
        named = await training_repo.exercises_logged(conn, profile.user_id, exercise)
    if not rows:
        raise InputError(f"No logged top sets for {exercise!r} yet: the chart appears after the first log.")
    name = next((r["name"] for r in named if r["exercise_id"] == exercise), exercise)
    points = [charts.LiftPoint(r["date"], float(r["weight_kg"]), r["reps"], r["is_pr"]) for r in rows]
    png = await asyncio.to_thread(
        charts.lift_chart, f"{name} — {profile.display_name or profile.user_id}", points, profile.unit
    )
    await reply(interaction, file=discord.File(io.BytesIO(png), filename=f"{exercise}.png"))


class TrainingClient(commands.Cog):
    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    @app_commands.command(name="history", description="Your recent workouts: logged and missed")
    @app_commands.allowed_contexts(guilds=False, dms=True, private_channels=False)
    async def history(self, interaction: discord.Interaction) -> None:
        profile = await _client(self.bot, interaction.user.id)
        await reply(interaction, embed=await history_embed(self.bot, profile))

    @app_commands.command(
        name="progress", description="Charts: an exercise's top sets, or bodyweight or readiness"
    )
    @app_commands.allowed_contexts(guilds=False, dms=True, private_channels=False)
    @app_commands.autocomplete(exercise=exercise_autocomplete)
    async def progress(self, interaction: discord.Interaction, exercise: str) -> None:
        profile = await _client(self.bot, interaction.user.id)
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
        if file.size > MAX_BLOCK_FILE:
            raise InputError(f"{file.filename}: {file.size} bytes is too large for a block file")
        try:
            text = (await file.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{file.filename}: not a text file (UTF-8 YAML or JSON)") from None
        block = parse_block(text, file.filename)
        async with self.bot.pool.acquire() as conn, conn.transaction():
            version = await blocks_repo.store(conn, block, self.bot.clock.now(), interaction.user.id)
        days = ", ".join(d.title for d in block.days)
        await reply(
            interaction,
            f"Imported **{block.name}** (`{block.id}`) as version {version}: "
            f"{len(block.days)} days ({days}).",
        )

    @training.command(name="blocks", description="The imported training blocks")
    @coach_only
    async def list_blocks(self, interaction: discord.Interaction) -> None:
        async with self.bot.pool.acquire() as conn:
            rows = await blocks_repo.listing(conn)
        lines = [f"`{r['block_id']}` v{r['version']} — {r['name']}" for r in rows]
        await reply(
            interaction, "\n".join(lines) or "No blocks imported yet; clients train on the built-in block."
        )

    @training.command(name="history", description="A client's recent workouts")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def client_history(self, interaction: discord.Interaction, client: str) -> None:
        profile = await _client(self.bot, client_id(client))
        await reply(interaction, embed=await history_embed(self.bot, profile))

    @training.command(name="progress", description="A client's progress chart for one exercise")
    @app_commands.autocomplete(client=client_autocomplete, exercise=exercise_autocomplete)
    @coach_only
    async def client_progress(self, interaction: discord.Interaction, client: str, exercise: str) -> None:
        profile = await _client(self.bot, client_id(client))
        await interaction.response.defer(ephemeral=True, thinking=True)
        await progress_reply(interaction, profile, exercise)


async def setup(bot: Regiment) -> None:
    if bot.mode == BotMode.dispatch_only:
        return
    if bot.mode == BotMode.gateway:
        bot.add_dynamic_items(LogSetButton)
        bot.modal_router.add(MODAL_TEMPLATE, on_log_submit)
    await bot.add_cog(TrainingClient(bot))
    if bot.coach_guild is not None:
        await bot.add_cog(TrainingCoach(bot), guild=bot.coach_guild)


async def teardown(bot: Regiment) -> None:
    bot.remove_dynamic_items(LogSetButton)
