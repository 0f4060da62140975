"""Coach commands, registered in the coaches' server only and allowed to the coach role or
administrators. Every change is validated in bot.usecases.coaching first: bad input gets every problem
listed and changes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import discord
from discord import app_commands
from discord.ext import commands
from loguru import logger

from bot.core.delivery import DeliveryError, RecipientUnreachable
from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import reply
from bot.discord_adapter.transport import to_discord_embed
from bot.domain import timezones
from bot.domain.errors import InputError
from bot.repo import blocks, clients, reports
from bot.repo import compliance as compliance_repo
from bot.repo import jobs as jobs_repo
from bot.usecases import coaching
from bot.views import client_charts, render
from bot.views.messages import Embed, OutgoingMessage

PER_PAGE = 20


def is_coach(interaction: discord.Interaction) -> bool:
    """Coach role or administrator, in the coaches' server. Raises CheckFailure with the refusal."""
    bot: Regiment = interaction.client  # type: ignore[assignment]
    settings = bot.settings
    member = interaction.user
    allowed = (
        isinstance(member, discord.Member)
        and settings.coach_guild_id is not None
        and interaction.guild_id == settings.coach_guild_id
        and (
            member.guild_permissions.administrator
            or (
                settings.coach_role_id is not None
                and any(r.id == settings.coach_role_id for r in member.roles)
            )
        )
    )
    if not allowed:
        raise app_commands.CheckFailure("Only coaches can use this command.")
    return True


coach_only = app_commands.check(is_coach)


def is_coach_quietly(interaction: discord.Interaction) -> bool:
    """Autocomplete runs without the command's checks (discord.py): a non-coach typing a coach
    command must not see the roster, so suggestions are checked too."""
    try:
        return is_coach(interaction)
    except app_commands.CheckFailure:
        return False


async def client_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    if not is_coach_quietly(interaction):
        return []
    async with bot.pool.acquire() as conn:
        rows = await clients.search(conn, current)
    return [
        app_commands.Choice(
            name=f"{r['display_name'] or r['user_id']} ({r['timezone']})"[:100], value=str(r["user_id"])
        )
        for r in rows
    ]


async def zone_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in timezones.suggest(current)]


async def block_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    if not is_coach_quietly(interaction):
        return []
    async with bot.pool.acquire() as conn:
        found = await blocks.search(conn, current)
    return [app_commands.Choice(name=b, value=b) for b in found]


def one_off_nonce(kind: str, *numbers: float) -> str:
    """A message nonce (≤ 25 chars) for a DM sent outside the schedule."""
    return kind + "".join(_base36(int(n)) for n in numbers)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def client_id(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(f"{text!r} is not a client: pick one from the list") from None


class Coach(commands.Cog):
    client = app_commands.Group(name="client", description="Manage clients", guild_only=True)

    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    async def _replan(self, user_id: int) -> None:
        if self.bot.runtime is not None:
            await self.bot.runtime.plan_client(user_id)

    async def _tell_client(self, user_id: int, nonce: str, message: OutgoingMessage) -> str:
        """DM a client outside the schedule (welcome, pause); returns a note for the coach."""
        async with self.bot.pool.acquire() as conn:
            profile = await clients.get(conn, user_id)
        if profile is None:
            return ""
        try:
            sent = await self.bot.transport.send_dm(user_id, profile.dm_channel_id, message, nonce=nonce)
        except RecipientUnreachable:
            return "\n⚠️ Their DMs are closed: ask them to allow DMs from this server's members."
        except DeliveryError as exc:
            logger.warning("could not DM {}: {}", user_id, exc)
            return "\n⚠️ Discord did not take the message to them; they will get their drops as planned."
        if sent.channel_id != profile.dm_channel_id:
            async with self.bot.pool.acquire() as conn:
                await clients.set_dm_channel(conn, user_id, sent.channel_id, self.bot.clock.now())
        return ""

    @client.command(name="add", description="Onboard a client")
    @app_commands.describe(
        member="The client (a member of this server)",
        timezone="Where they live: a city zone such as America/Chicago, or an offset such as +05:30",
        start_date="First day of their plan, YYYY-MM-DD",
        block="Training block id (default: the built-in block)",
        schedule_days="Training days, e.g. mon,wed,fri",
        unit="kg or lb",
    )
    @app_commands.autocomplete(timezone=zone_autocomplete, block=block_autocomplete)
    @app_commands.choices(
        unit=[app_commands.Choice(name="kg", value="kg"), app_commands.Choice(name="lb", value="lb")]
    )
    @coach_only
    async def client_add(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        timezone: str,
        start_date: str,
        block: str | None = None,
        schedule_days: str = "mon,wed,fri",
        unit: str = "kg",
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        given = coaching.ClientInput(timezone, start_date, block, schedule_days, unit)
        async with self.bot.pool.acquire() as conn, conn.transaction():
            profile = await coaching.onboard(
                conn, user_id=member.id, display_name=member.display_name, given=given, now=now
            )
        await self._replan(member.id)
        welcome = OutgoingMessage(
            embeds=(
                Embed(
                    title="Welcome to The Regiment",
                    description=f"Your coach has set you up. Your day runs on {profile.timezone} time "
                    f"from {profile.start_date}: check-in at 05:30, meals and cardio at 06:00, training "
                    f"at 07:00 on {render.weekdays(profile.schedule_days)}. Use /today here any time.",
                ),
            )
        )
        warning = await self._tell_client(member.id, one_off_nonce("w", member.id), welcome)
        async with self.bot.pool.acquire() as conn:
            upcoming = await jobs_repo.next_for_client(conn, member.id)
            profile = await clients.get(conn, member.id) or profile
        await reply(
            interaction,
            f"{member.display_name} is onboarded.{warning}",
            embed=to_discord_embed(render.client_card(profile, upcoming, now)),
        )

    @client.command(name="edit", description="Change a client's timezone, start, block, days, unit or plans")
    @app_commands.describe(
        meal_plan="Meal plan id (none to remove)", cardio_plan="Cardio plan id (none to remove)"
    )
    @app_commands.autocomplete(
        client=client_autocomplete, timezone=zone_autocomplete, block=block_autocomplete
    )
    @app_commands.choices(
        unit=[app_commands.Choice(name="kg", value="kg"), app_commands.Choice(name="lb", value="lb")]
    )
    @coach_only
    async def client_edit(
        self,
        interaction: discord.Interaction,
        client: str,
        timezone: str | None = None,
        start_date: str | None = None,
        block: str | None = None,
        schedule_days: str | None = None,
        unit: str | None = None,
        meal_plan: str | None = None,
        cardio_plan: str | None = None,
    ) -> None:
        now = self.bot.clock.now()
        user_id = client_id(client)
        given = coaching.ClientInput(timezone, start_date, block, schedule_days, unit, meal_plan, cardio_plan)
        async with self.bot.pool.acquire() as conn, conn.transaction():
            profile = await coaching.edit(conn, user_id=user_id, given=given, now=now)
        await self._replan(user_id)
        async with self.bot.pool.acquire() as conn:
            upcoming = await jobs_repo.next_for_client(conn, user_id)
        await reply(interaction, "Saved.", embed=to_discord_embed(render.client_card(profile, upcoming, now)))

    @client.command(name="show", description="A client's profile and next runs")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def client_show(self, interaction: discord.Interaction, client: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # a chart is drawn below
        user_id = client_id(client)
        now = self.bot.clock.now()
        async with self.bot.pool.acquire() as conn:
            profile = await coaching.require_client(conn, user_id)
            upcoming = await jobs_repo.next_for_client(conn, user_id)
            today = coaching.client_today(profile, now)
            outcomes = (
                await compliance_repo.outcomes(conn, today - dt.timedelta(days=90), today, [user_id])
            ).get(user_id, [])
            last = await reports.recent_logs(conn, user_id, None, 5, 0)
        card = render.client_card(profile, upcoming, now)
        lines, current = render.compliance_lines(outcomes, today)
        table = render.compliance_table(lines)
        recent = "\n".join(
            f"`{r['date']:%d %b}` {r['engine']} {r['status']} — {r['detail'] or ''}"[:200] for r in last
        )
        embed = to_discord_embed(card)
        embed.add_field(name=f"Compliance · streak {current} day(s)", value=table[:1024], inline=False)
        embed.add_field(name="Last logs", value=recent[:1024] or "none", inline=False)
        png = await asyncio.to_thread(
            client_charts.adherence_heatmap,
            f"Adherence — {profile.display_name or user_id}",
            outcomes,
            today - dt.timedelta(days=28),
            today,
        )
        embed.set_image(url="attachment://adherence.png")
        await interaction.followup.send(
            embed=embed, file=discord.File(io.BytesIO(png), filename="adherence.png"), ephemeral=True
        )

    @client.command(name="list", description="Every client, with status")
    @coach_only
    async def client_list(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        async with self.bot.pool.acquire() as conn:
            profiles, total = await clients.list_page(conn, PER_PAGE, (page - 1) * PER_PAGE)
        embed = render.roster_page(profiles, total, page, PER_PAGE, self.bot.clock.now())
        await reply(interaction, embed=to_discord_embed(embed))

    @app_commands.command(
        name="pause", description="Pause a client: nothing is sent and nothing counts as missed"
    )
    @app_commands.describe(until="Resume by itself on this date (YYYY-MM-DD); empty: until /resume")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def pause(
        self,
        interaction: discord.Interaction,
        client: str,
        until: str | None = None,
        reason: str | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # the DM below may wait
        now = self.bot.clock.now()
        user_id = client_id(client)
        async with self.bot.pool.acquire() as conn, conn.transaction():
            profile = await coaching.pause(conn, user_id=user_id, until=until, reason=reason, now=now)
        await self._replan(user_id)  # plans the automatic resume if it falls in the planned window
        until_text = f" until {profile.paused_until:%A %d %B}" if profile.paused_until else ""
        notice = OutgoingMessage(
            embeds=(
                Embed(
                    title="Your plan is paused",
                    description=f"Your coach has paused your daily drops{until_text}. Nothing is sent and "
                    "nothing counts as missed meanwhile.",
                ),
            )
        )
        warning = await self._tell_client(user_id, one_off_nonce("p", user_id, now.timestamp()), notice)
        when = f" until {profile.paused_until}" if profile.paused_until else " until you /resume them"
        await reply(interaction, f"{profile.display_name or user_id} is paused{when}.{warning}")

    @app_commands.command(name="resume", description="Resume a paused client from now on")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def resume(self, interaction: discord.Interaction, client: str) -> None:
        now = self.bot.clock.now()
        user_id = client_id(client)
        async with self.bot.pool.acquire() as conn, conn.transaction():
            profile = await coaching.resume(conn, user_id=user_id, now=now)
        await self._replan(user_id)
        await reply(interaction, f"{profile.display_name or user_id} is active again.")

    @app_commands.command(name="reassign", description="Move a client to another training block")
    @app_commands.describe(
        effective="First day on the new block, YYYY-MM-DD (default: the client's tomorrow)",
        day_index="Day of the block to start from (1 = the first day)",
    )
    @app_commands.autocomplete(client=client_autocomplete, block=block_autocomplete)
    @coach_only
    async def reassign(
        self,
        interaction: discord.Interaction,
        client: str,
        block: str,
        effective: str | None = None,
        day_index: app_commands.Range[int, 1, 366] = 1,
    ) -> None:
        now = self.bot.clock.now()
        user_id = client_id(client)
        async with self.bot.pool.acquire() as conn, conn.transaction():
            profile = await coaching.reassign(
                conn, user_id=user_id, block_id=block, effective=effective, day_index=day_index - 1, now=now
            )
        await reply(
            interaction,
            f"{profile.display_name or user_id} moves to {profile.next_block_id} "
            f"on {profile.next_block_from}, "
            f"starting at day {day_index}.",
        )

    @app_commands.command(
        name="sync", description="Publish the bot's slash commands to Discord (after an update)"
    )
    @coach_only
    async def sync(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        coach, global_ = await self.bot.sync_commands()
        await reply(interaction, f"Synced {coach} coach command(s) and {global_} client command(s).")


async def setup(bot: Regiment) -> None:
    cog = Coach(bot)
    if bot.mode == BotMode.dispatch_only:
        return  # no gateway: no interactions reach this process
    guild = bot.coach_guild
    if guild is None:
        logger.warning("COACH_GUILD_ID is not set: coach commands are not registered")
        return
    await bot.add_cog(cog, guild=guild)
