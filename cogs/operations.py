"""The coaches' operations desk: job cards, the schedule (preview and history), manual
triggers, the delivery report and a client's recent logs. Coaches only, in the coaches' server.
Each command is one call of a use case (bot.usecases.cards, reports, triggers) and a reply."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import reply
from bot.usecases import cards as cards_uc
from bot.usecases import reports as reports_uc
from bot.usecases import team as team_uc
from bot.usecases import triggers as triggers_uc
from bot.views.schedule import preview_lines
from cogs.checks import actor, client_autocomplete, coach_only, for_coaches, steerable

PAGE = 10
URGENCY_MARK = {1: "🔴", 2: "🟠", 3: "🟡"}


def _rule_choices() -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=r, value=r) for r in cards_uc.RULES][:25]


@for_coaches
async def action_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The drops a coach may trigger (bot.registry.triggerable())."""
    bot: Regiment = interaction.client  # type: ignore[assignment]
    return [
        app_commands.Choice(name=spec.label, value=spec.name)
        for spec in triggers_uc.triggerable(bot.registry, current)
    ]


@for_coaches
async def engine_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The engines a client logs against (the registry's, by label)."""
    bot: Regiment = interaction.client  # type: ignore[assignment]
    return [
        app_commands.Choice(name=label, value=name)
        for name, label in reports_uc.logged_engines(bot.registry, current).items()
    ]


class Operations(commands.Cog):
    cards = app_commands.Group(name="cards", description="Job cards: what needs a coach", guild_only=True)
    schedule = app_commands.Group(
        name="schedule", description="A client's runs: coming and past", guild_only=True
    )

    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    # --- job cards ------------------------------------------------------------------------------
    @cards.command(name="list", description="Job cards, most urgent first: your clients', or everyone's")
    @app_commands.autocomplete(client=client_autocomplete)
    @app_commands.describe(everyone="The whole team's cards, not only your clients'")
    @app_commands.choices(
        rule=_rule_choices(),
        status=[app_commands.Choice(name=s, value=s) for s in cards_uc.STATES],
    )
    @coach_only
    async def cards_list(
        self,
        interaction: discord.Interaction,
        client: str | None = None,
        rule: str | None = None,
        status: str = "open",
        page: app_commands.Range[int, 1, 100] = 1,
        everyone: bool = False,
    ) -> None:
        among = await team_uc.visible_clients(
            self.bot.pool, self.bot.clock, self.bot.settings, actor(interaction), everyone=everyone
        )
        found = await cards_uc.list_cards(
            self.bot.pool,
            self.bot.clock,
            user_id=await steerable(interaction, client) if client else None,
            rule=rule,
            status=status,
            page=page,
            per_page=PAGE,
            among=None if client else among,
        )
        lines = []
        for card in found.cards:
            who = card.display_name or card.user_id or "everyone"
            state = card.state
            if state == "resolved":
                state = (
                    f"resolved by <@{card.resolved_by}> {card.resolved_at:%d %b}"
                    if card.resolved_by and card.resolved_at
                    else "resolved"
                )
                if card.note:
                    state += f": “{card.note}”"
            elif state == "snoozed":
                state = f"snoozed until {card.snoozed_until:%A %d %B} by <@{card.snoozed_by}>"
            mark = URGENCY_MARK.get(card.urgency, "")
            coach = f" · coach {card.coach_name}" if card.coach_name else ""
            line = f"{mark} **#{card.id}** {who}{coach} · `{card.kind}` — {card.summary}"
            lines.append(f"{line} ({state})"[:400])
        embed = discord.Embed(
            title=f"Job cards ({found.status}) — page {found.page}",
            description="\n".join(lines)[:4096] or "Nothing here.",
        )
        await reply(interaction, embed=embed)

    @cards.command(name="resolve", description="Mark a job card done")
    @coach_only
    async def cards_resolve(
        self, interaction: discord.Interaction, card: int, note: str | None = None
    ) -> None:
        await self._card_in_scope(interaction, card)
        await cards_uc.resolve_card(
            self.bot.pool, self.bot.clock, card_id=card, by=interaction.user.id, note=note
        )
        await reply(interaction, f"Card #{card} resolved.")

    @cards.command(name="snooze", description="Hide a job card until a date")
    @app_commands.describe(until="YYYY-MM-DD: the card comes back on this day")
    @coach_only
    async def cards_snooze(self, interaction: discord.Interaction, card: int, until: str) -> None:
        await self._card_in_scope(interaction, card)
        snoozed = await cards_uc.snooze_card(
            self.bot.pool, self.bot.clock, card_id=card, by=interaction.user.id, until=until
        )
        await reply(interaction, f"Card #{card} snoozed until {snoozed.snoozed_until:%A %d %B}.")

    async def _card_in_scope(self, interaction: discord.Interaction, card: int) -> None:
        user_id = await cards_uc.card_client(self.bot.pool, card)
        if user_id is not None:
            await team_uc.check_scope(
                self.bot.pool, self.bot.clock, self.bot.settings, actor(interaction), user_id
            )

    # --- the schedule ---------------------------------------------------------------------------
    @schedule.command(name="preview", description="A client's next runs, in their local time and UTC")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def schedule_preview(
        self, interaction: discord.Interaction, client: str, days: app_commands.Range[int, 1, 14] = 3
    ) -> None:
        found = await reports_uc.schedule_preview(
            self.bot.pool,
            self.bot.registry,
            self.bot.clock,
            user_id=await steerable(interaction, client),
            days=days,
        )
        profile = found.profile
        lines = preview_lines(found.runs)
        title = f"Next runs — {profile.display_name or profile.user_id} ({profile.timezone})"
        await reply(
            interaction, embed=discord.Embed(title=title, description="\n".join(lines) or "Nothing planned.")
        )

    @schedule.command(name="history", description="Jobs of a client or of a day: status, attempts, errors")
    @app_commands.autocomplete(client=client_autocomplete)
    @app_commands.describe(day="A local date, YYYY-MM-DD")
    @coach_only
    async def schedule_history(
        self, interaction: discord.Interaction, client: str | None = None, day: str | None = None
    ) -> None:
        found = await reports_uc.schedule_history(
            self.bot.pool,
            self.bot.clock,
            user_id=await steerable(interaction, client) if client else None,
            day=day,
            retention_days=self.bot.settings.job_retention_days,
        )
        lines = []
        for j in found.jobs:
            manual = " (manual)" if j["manual"] else ""
            error = f" — {j['last_error'][:80]}" if j["last_error"] else ""
            who = f"{j['user_id']} " if found.user_id is None else ""
            lines.append(
                f"`{j['local_date']}` {who}{j['engine']}.{j['action']}{manual}: **{j['status']}**, "
                f"{j['attempts']} attempt(s){error}"
            )
        embed = discord.Embed(title="Schedule history", description="\n".join(lines)[:4096] or "No jobs.")
        embed.set_footer(text=found.reach)
        await reply(interaction, embed=embed)

    # --- manual trigger and reports -------------------------------------------------------------
    @app_commands.command(name="trigger", description="Send one of today's drops to a client now")
    @app_commands.autocomplete(client=client_autocomplete, action=action_autocomplete)
    @app_commands.describe(force="Send it again even if it already went out today")
    @coach_only
    async def trigger(
        self, interaction: discord.Interaction, client: str, action: str, force: bool = False
    ) -> None:
        runtime = self.bot.runtime
        user_id = await steerable(interaction, client)
        triggered = await triggers_uc.trigger_now(
            self.bot.pool, self.bot.registry, self.bot.clock,
            user_id=user_id, action=action, force=force, requested_by=interaction.user.id,
            wake=runtime.dispatcher.notify if runtime is not None else None,
        )  # fmt: skip
        how = "moved up to now" if triggered.moved_up else "queued"
        await reply(
            interaction, f"{action} for {triggered.local_date:%A %d %B} {how} (job #{triggered.job_id})."
        )

    @app_commands.command(name="deliveries", description="The last 24 hours of deliveries")
    @coach_only
    async def deliveries(self, interaction: discord.Interaction) -> None:
        found = await reports_uc.deliveries(self.bot.pool, self.bot.clock)
        stats = found.stats
        median = f"{stats['median_s']:.0f}s" if stats["median_s"] is not None else "—"
        p95 = f"{stats['p95_s']:.0f}s" if stats["p95_s"] is not None else "—"
        embed = discord.Embed(title="Deliveries, last 24 h")
        embed.add_field(name="Sent", value=f"{stats['sent']} ({stats['late']} more than 5 min late)")
        embed.add_field(name="Lateness", value=f"median {median}, p95 {p95}")
        embed.add_field(
            name="Not delivered",
            value=f"expired {stats['expired']} · retries exhausted {stats['dead']} · "
            f"unreachable {stats['unreachable']} · refused {stats['failed']} · skipped {stats['skipped']}",
            inline=False,
        )
        names = ", ".join(f"{r['display_name'] or r['user_id']}" for r in found.unreachable[:20]) or "none"
        embed.add_field(name="Unreachable clients", value=names[:1024], inline=False)
        await reply(interaction, embed=embed)

    @app_commands.command(name="logs", description="A client's recent logs, any engine")
    @app_commands.autocomplete(client=client_autocomplete, engine=engine_autocomplete)
    @coach_only
    async def logs(
        self,
        interaction: discord.Interaction,
        client: str,
        engine: str | None = None,
        page: app_commands.Range[int, 1, 500] = 1,
    ) -> None:
        found = await reports_uc.client_logs(
            self.bot.pool,
            self.bot.registry,
            user_id=await steerable(interaction, client),
            engine=engine,
            page=page,
            per_page=PAGE,
        )
        log_labels = self.bot.registry.log_labels()
        lines = [
            f"`{r['date']:%a %d %b}` {engine} **{r['status']}** — {r['detail'] or ''}"[:300]
            for r in found.rows
            for engine in [log_labels.get(r["engine"], r["engine"])]
        ]
        profile = found.profile
        title = f"Logs — {profile.display_name or profile.user_id} (page {found.page})"
        await reply(interaction, embed=discord.Embed(title=title, description="\n".join(lines) or "No logs."))


async def setup(bot: Regiment) -> None:
    if bot.mode != BotMode.dispatch_only and bot.coach_guild is not None:
        await bot.add_cog(Operations(bot), guild=bot.coach_guild)
