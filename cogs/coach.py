"""Coach commands, registered in the coaches' server only and allowed to the coach role or
administrators. Each command is one call of a use case in bot.usecases.clients (which validates
everything first: bad input gets every problem listed and changes nothing) and a reply."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import discord
from discord import app_commands
from discord.ext import commands
from loguru import logger

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import reply, report_error
from bot.discord_adapter.transport import to_discord_embed
from bot.usecases import clients as clients_uc
from bot.usecases import coaching
from bot.usecases import erasure as erasure_uc
from bot.usecases import export as export_uc
from bot.usecases import team as team_uc
from bot.usecases.clients import Told
from bot.views import client_charts, render
from cogs.checks import (
    actor,
    block_autocomplete,
    client_autocomplete,
    coach_only,
    coach_zone_autocomplete,
    steerable,
)
from cogs.downloads import parts_note, send_other_parts

PER_PAGE = 20
HEATMAP_DAYS = 28

# What the coach is told when the client's DM (welcome, pause) did not go through.
TOLD_WARNING = {
    Told.sent: "",
    Told.no_client: "",
    Told.dms_closed: "\n⚠️ Their DMs are closed: ask them to allow DMs from this server's members.",
    Told.not_taken: "\n⚠️ Discord did not take the message to them; they will get their drops as planned.",
}


class ConfirmDelete(discord.ui.Modal):
    """Deleting a client cannot be undone: the coach types the client's name to confirm. Held in
    memory (a restart in between means running /client delete again, which is harmless)."""

    def __init__(self, bot: Regiment, user_id: int, name: str) -> None:
        super().__init__(title=f"Delete {name}?"[:45], timeout=300)
        self.bot, self.user_id, self.name = bot, user_id, name
        self.typed: discord.ui.TextInput[ConfirmDelete] = discord.ui.TextInput(
            custom_id="name", max_length=100
        )
        self.add_item(
            discord.ui.Label(
                text="Type their name to confirm",
                description=f"Everything about {name} is erased and they are told."[:100],
                component=self.typed,
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            erased = await erasure_uc.delete_client(
                self.bot.pool,
                self.bot.transport,
                self.bot.clock,
                user_id=self.user_id,
                typed_name=self.typed.value,
            )
        except Exception as exc:
            await report_error(interaction, exc)
            return
        rows = sum(erased.rows.values())
        await reply(
            interaction,
            f"{erased.name} is deleted: {rows} row(s) erased, nothing left that names them."
            f"{TOLD_WARNING[erased.told]}",
        )


class Coach(commands.Cog):
    client = app_commands.Group(name="client", description="Manage clients", guild_only=True)

    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    async def _replan(self, user_id: int) -> None:
        """Passed to the use cases: plans the client again after a change is committed."""
        if self.bot.runtime is not None:
            await self.bot.runtime.plan_client(user_id)

    @client.command(name="add", description="Onboard a client")
    @app_commands.describe(
        member="The client (a member of this server)",
        timezone="Where they live: a city zone such as America/Chicago, or an offset such as +05:30",
        start_date="First day of their plan, YYYY-MM-DD",
        block="Training block id (default: the built-in block)",
        schedule_days="Training days, e.g. mon,wed,fri",
        unit="kg or lb",
        coach="Their coach (default: you, when you are on the team)",
    )
    @app_commands.autocomplete(timezone=coach_zone_autocomplete, block=block_autocomplete)
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
        coach: discord.Member | None = None,
    ) -> None:
        if coach is not None:
            await team_uc.require_coach(self.bot.pool, coach.id)  # before anything is written
        await interaction.response.defer(ephemeral=True, thinking=True)  # the welcome DM may wait
        added = await clients_uc.add_client(
            self.bot.pool,
            self.bot.transport,
            self.bot.clock,
            user_id=member.id,
            display_name=member.display_name,
            given=coaching.ClientInput(timezone, start_date, block, schedule_days, unit),
            registry=self.bot.registry,
            replan=self._replan,
        )
        given_to = await team_uc.assign_new_client(
            self.bot.pool,
            self.bot.clock,
            actor(interaction),
            user_id=member.id,
            coach_id=coach.id if coach else None,
        )
        coached = f" Their coach is {given_to.display_name}." if given_to else ""
        await reply(
            interaction,
            f"{member.display_name} is onboarded.{coached}{TOLD_WARNING[added.told]}",
            embed=to_discord_embed(
                render.client_card(
                    added.profile, added.upcoming, added.now, self.bot.registry, self.bot.settings
                )
            ),
        )

    @client.command(
        name="edit",
        description="Change a client's zone, start, block, days, unit, plans, weight change, weekly check-in",
    )
    @app_commands.describe(
        meal_plan="Meal plan id (none to remove)",
        cardio_plan="Cardio plan id (none to remove)",
        weight_change="Expected bodyweight change per week in kg, e.g. -0.5 to -0.25 (none to remove)",
        coach="Hand the client to this coach",
        coach_from="The client's first day with the new coach, YYYY-MM-DD (default: their today)",
        handover_note="What the new coach should know (shown to them)",
        review_day="The weekly check-in's day (default: the usual day)",
        review_time="The weekly check-in's local time, HH:MM, 24-hour clock (default: the usual time)",
        measurements="What the check-in asks besides the waist, e.g. hips, chest (none: the waist only)",
    )
    @app_commands.autocomplete(
        client=client_autocomplete, timezone=coach_zone_autocomplete, block=block_autocomplete
    )
    @app_commands.choices(
        unit=[app_commands.Choice(name="kg", value="kg"), app_commands.Choice(name="lb", value="lb")],
        review_day=[
            *(app_commands.Choice(name=day, value=str(n)) for n, day in enumerate(coaching.REVIEW_DAYS, 1)),
            app_commands.Choice(name="default (the usual day)", value=coaching.DEFAULT),
        ],
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
        weight_change: app_commands.Range[str, 1, 60] | None = None,
        coach: discord.Member | None = None,
        coach_from: str | None = None,
        handover_note: str | None = None,
        review_day: str | None = None,
        review_time: app_commands.Range[str, 1, 20] | None = None,
        measurements: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        user_id = await steerable(interaction, client)
        if coach is not None:
            await team_uc.require_coach(self.bot.pool, coach.id)  # before anything is written
        settings = self.bot.settings
        edited = await clients_uc.edit_client(
            self.bot.pool,
            self.bot.clock,
            user_id=user_id,
            given=coaching.ClientInput(
                timezone, start_date, block, schedule_days, unit, meal_plan, cardio_plan, weight_change,
                review_day=review_day,
                review_time=review_time,
                measurements=measurements,
                review_deadline=settings.review_deadline_at if settings.review_deadline_days == 0 else None,
            ),
            registry=self.bot.registry,
            replan=self._replan,
        )  # fmt: skip
        card = to_discord_embed(
            render.client_card(
                edited.profile, edited.upcoming, edited.now, self.bot.registry, self.bot.settings
            )
        )
        card.add_field(name="Expected weight change", value=clients_uc.weight_change_line(edited.profile))
        said = "Saved."
        if coach is not None:
            handed = await team_uc.hand_over(
                self.bot.pool, self.bot.clock, actor(interaction), user_id=user_id, coach_id=coach.id,
                from_date=coach_from, note=handover_note, settings=self.bot.settings,
            )  # fmt: skip
            said += f" {handed.to.display_name} coaches them from {handed.from_date:%A %d %B}."
        await reply(interaction, said, embed=card)

    @client.command(name="show", description="A client's profile and next runs")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def client_show(self, interaction: discord.Interaction, client: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # a chart is drawn below
        shown = await clients_uc.show_client(
            self.bot.pool, self.bot.registry, self.bot.clock, await steerable(interaction, client)
        )
        coached = await team_uc.coach_line(self.bot.pool, self.bot.clock, shown.profile)
        profile, today, labels = shown.profile, shown.today, self.bot.registry.labels()
        lines, current = render.compliance_lines(shown.outcomes, today, labels)
        table = render.compliance_table(lines)
        log_labels = self.bot.registry.log_labels()
        recent = "\n".join(
            f"`{r['date']:%d %b}` {engine} {r['status']} — {r['detail'] or ''}"[:200]
            for r in shown.last_logs
            for engine in [log_labels.get(r["engine"], r["engine"])]
        )
        embed = to_discord_embed(
            render.client_card(profile, shown.upcoming, shown.now, self.bot.registry, self.bot.settings)
        )
        embed.add_field(name="Coach", value=render.coach_text(coached.current, coached.history)[:1024])
        embed.add_field(name="Expected weight change", value=clients_uc.weight_change_line(profile))
        if shown.block_end is not None:
            embed.add_field(name="Block ends", value=clients_uc.block_end_line(shown.block_end))
        for field in render.progress_fields(
            shown.measurements, shown.photo_dates, shown.photo_dates_total, str(profile.unit)
        ):
            embed.add_field(name=field.name, value=field.value, inline=field.inline)
        embed.add_field(name=f"Compliance · streak {current} day(s)", value=table[:1024], inline=False)
        embed.add_field(name="Last logs", value=recent[:1024] or "none", inline=False)
        for label, talk in shown.conversations.items():
            embed.add_field(
                name=label[:1].upper() + label[1:], value="\n".join(talk)[:1024] or "none", inline=False
            )
        png = await asyncio.to_thread(
            client_charts.adherence_heatmap,
            f"Adherence — {profile.display_name or profile.user_id}",
            shown.outcomes,
            today - dt.timedelta(days=HEATMAP_DAYS),
            today,
            labels,
        )
        embed.set_image(url="attachment://adherence.png")
        embeds, files = [embed], [discord.File(io.BytesIO(png), filename="adherence.png")]
        if shown.photo_sheet is not None:  # the first check-in's photos beside the latest's
            sheet = discord.Embed(title="Progress photos")
            sheet.set_image(url="attachment://photos.jpg")
            embeds.append(sheet)
            files.append(discord.File(io.BytesIO(shown.photo_sheet), filename="photos.jpg"))
        await interaction.followup.send(embeds=embeds, files=files, ephemeral=True)

    @client.command(name="list", description="Your clients, or the whole team's, with status")
    @app_commands.describe(everyone="The whole team's clients, not only yours")
    @coach_only
    async def client_list(
        self,
        interaction: discord.Interaction,
        page: app_commands.Range[int, 1, 1000] = 1,
        everyone: bool = False,
    ) -> None:
        among = await team_uc.visible_clients(
            self.bot.pool, self.bot.clock, self.bot.settings, actor(interaction), everyone=everyone
        )
        found = await clients_uc.list_clients(
            self.bot.pool, self.bot.clock, page=page, per_page=PER_PAGE, among=among
        )
        embed = render.roster_page(found.profiles, found.total, found.page, found.per_page, found.now)
        await reply(interaction, embed=to_discord_embed(embed))

    @client.command(name="export", description="A ZIP of everything the bot holds about a client")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def client_export(self, interaction: discord.Interaction, client: str) -> None:
        user_id = await steerable(interaction, client)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await export_uc.export_client(self.bot.pool, self.bot.clock, user_id)
        await reply(
            interaction,
            f"{len(found.files) - 1} file(s); README.txt inside says what each one is.{parts_note(found)}",
            file=discord.File(io.BytesIO(found.data), filename=found.filename),
        )
        await send_other_parts(interaction, found)

    @client.command(name="delete", description="Erase a client and everything the bot holds about them")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def client_delete(self, interaction: discord.Interaction, client: str) -> None:
        user_id = await steerable(interaction, client)
        name = await erasure_uc.client_name(self.bot.pool, user_id)
        await interaction.response.send_modal(ConfirmDelete(self.bot, user_id, name))

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
        user_id = await steerable(interaction, client)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the DM may wait
        paused = await clients_uc.pause_client(
            self.bot.pool,
            self.bot.transport,
            self.bot.clock,
            user_id=user_id,
            until=until,
            reason=reason,
            replan=self._replan,
            by=interaction.user.id,
        )
        profile = paused.profile
        when = (
            f" until {profile.paused_until:%A %d %B}" if profile.paused_until else " until you /resume them"
        )
        await reply(
            interaction,
            f"{profile.display_name or profile.user_id} is paused{when}.{TOLD_WARNING[paused.told]}",
        )

    @app_commands.command(name="resume", description="Resume a paused client from now on")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def resume(self, interaction: discord.Interaction, client: str) -> None:
        profile = await clients_uc.resume_client(
            self.bot.pool,
            self.bot.clock,
            user_id=await steerable(interaction, client),
            replan=self._replan,
            cancel=self.bot.registry.cancelled_by_resume(),
            by=interaction.user.id,
        )
        await reply(interaction, f"{profile.display_name or profile.user_id} is active again.")

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
        profile = await clients_uc.reassign_client(
            self.bot.pool,
            self.bot.clock,
            user_id=await steerable(interaction, client),
            block_id=block,
            effective=effective,
            day_index=day_index - 1,  # the option counts from 1, the block from 0
        )
        await reply(
            interaction,
            f"{profile.display_name or profile.user_id} moves to {profile.next_block_id} "
            f"on {profile.next_block_from:%A %d %B}, "
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
