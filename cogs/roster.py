"""The coach's view of the roster: job cards, the schedule (preview and history), manual
triggers, the delivery report and a client's recent logs. Coaches only, in the coaches' server."""

from __future__ import annotations

import datetime as dt

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import reply
from bot.domain.errors import InputError
from bot.domain.flag_rules import URGENCY
from bot.domain.inputs import text
from bot.repo import cards as cards_repo
from bot.repo import reports
from bot.usecases import coaching
from bot.usecases import schedule as schedule_tools
from cogs.coach import client_autocomplete, client_id, coach_only

PAGE = 10
RULES = sorted({*URGENCY, "invalid_plan"})
URGENCY_MARK = {1: "🔴", 2: "🟠", 3: "🟡"}


def _rule_choices() -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=r, value=r) for r in RULES][:25]


class Roster(commands.Cog):
    cards = app_commands.Group(name="cards", description="Job cards: what needs a coach", guild_only=True)
    schedule = app_commands.Group(
        name="schedule", description="A client's runs: coming and past", guild_only=True
    )

    def __init__(self, bot: Regiment) -> None:
        self.bot = bot

    # --- job cards ------------------------------------------------------------------------------
    @cards.command(name="list", description="Job cards, most urgent first")
    @app_commands.autocomplete(client=client_autocomplete)
    @app_commands.choices(
        rule=_rule_choices(),
        status=[app_commands.Choice(name=s, value=s) for s in ("open", "snoozed", "resolved", "all")],
    )
    @coach_only
    async def cards_list(
        self,
        interaction: discord.Interaction,
        client: str | None = None,
        rule: str | None = None,
        status: str = "open",
        page: app_commands.Range[int, 1, 100] = 1,
    ) -> None:
        now = self.bot.clock.now()
        async with self.bot.pool.acquire() as conn:
            rows = await cards_repo.list_cards(
                conn,
                today=now.date(),
                user_id=client_id(client) if client else None,
                kind=rule,
                state=status,
                limit=PAGE,
                offset=(page - 1) * PAGE,
            )
        lines = []
        for row in rows:
            who = row["display_name"] or row["user_id"] or "everyone"
            state = row["state"]
            if state == "resolved":
                state = (
                    f"resolved by <@{row['resolved_by']}> {row['resolved_at']:%d %b}"
                    if row["resolved_by"]
                    else "resolved"
                )
            elif state == "snoozed":
                state = f"snoozed until {row['snoozed_until']} by <@{row['snoozed_by']}>"
            mark = URGENCY_MARK.get(row["urgency"], "")
            line = f"{mark} **#{row['id']}** {who} · `{row['kind']}` — {row['summary']}"
            lines.append(f"{line} ({state})"[:400])
        embed = discord.Embed(
            title=f"Job cards ({status}) — page {page}",
            description="\n".join(lines)[:4096] or "Nothing here.",
        )
        await reply(interaction, embed=embed)

    @cards.command(name="resolve", description="Mark a job card done")
    @coach_only
    async def cards_resolve(
        self, interaction: discord.Interaction, card: int, note: str | None = None
    ) -> None:
        problems: list[str] = []
        note = text(note, "note", problems, limit=500)
        if problems:
            raise InputError(problems)
        async with self.bot.pool.acquire() as conn:
            row = await cards_repo.resolve(conn, card, interaction.user.id, self.bot.clock.now(), note)
        if row is None:
            raise InputError(f"There is no open card #{card}.")
        await reply(interaction, f"Card #{card} resolved.")

    @cards.command(name="snooze", description="Hide a job card until a date")
    @app_commands.describe(until="YYYY-MM-DD: the card comes back on this day")
    @coach_only
    async def cards_snooze(self, interaction: discord.Interaction, card: int, until: str) -> None:
        problems: list[str] = []
        date = coaching.parse_date(until, "until", problems)
        today = self.bot.clock.now().date()
        if date is not None and date <= today:
            problems.append(f"until: {date} is not in the future")
        if problems or date is None:
            raise InputError(problems)
        async with self.bot.pool.acquire() as conn:
            row = await cards_repo.snooze(conn, card, interaction.user.id, date)
        if row is None:
            raise InputError(f"There is no open card #{card}.")
        await reply(interaction, f"Card #{card} snoozed until {date}.")

    # --- the schedule ---------------------------------------------------------------------------
    @schedule.command(name="preview", description="A client's next runs, in their local time and UTC")
    @app_commands.autocomplete(client=client_autocomplete)
    @coach_only
    async def schedule_preview(
        self, interaction: discord.Interaction, client: str, days: app_commands.Range[int, 1, 14] = 3
    ) -> None:
        now = self.bot.clock.now()
        async with self.bot.pool.acquire() as conn:
            profile = await coaching.require_client(conn, client_id(client))
            runs = await schedule_tools.preview(conn, self.bot.registry, profile, now, days)
        lines = [f"`{r.local:%a %d %b %H:%M %Z}` · `{r.at_utc:%H:%M} UTC` — {r.label}" for r in runs[:40]]
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
        problems: list[str] = []
        date = coaching.parse_date(day, "day", problems) if day else None
        if problems:
            raise InputError(problems)
        if client is None and date is None:
            raise InputError("Name a client, a day, or both.")
        async with self.bot.pool.acquire() as conn:
            jobs = await reports.job_history(conn, client_id(client) if client else None, date, limit=25)
        lines = []
        for j in jobs:
            manual = " (manual)" if j["manual"] else ""
            error = f" — {j['last_error'][:80]}" if j["last_error"] else ""
            who = f"{j['user_id']} " if client is None else ""
            lines.append(
                f"`{j['local_date']}` {who}{j['engine']}.{j['action']}{manual}: **{j['status']}**, "
                f"{j['attempts']} attempt(s){error}"
            )
        await reply(
            interaction,
            embed=discord.Embed(title="Schedule history", description="\n".join(lines)[:4096] or "No jobs."),
        )

    # --- manual trigger and reports -------------------------------------------------------------
    @app_commands.command(name="trigger", description="Send one of today's drops to a client now")
    @app_commands.autocomplete(client=client_autocomplete)
    @app_commands.choices(action=[app_commands.Choice(name=a, value=a) for a in schedule_tools.TRIGGERABLE])
    @app_commands.describe(force="Send it again even if it already went out today")
    @coach_only
    async def trigger(
        self, interaction: discord.Interaction, client: str, action: str, force: bool = False
    ) -> None:
        now = self.bot.clock.now()
        async with self.bot.pool.acquire() as conn, conn.transaction():
            triggered = await schedule_tools.trigger(
                conn, self.bot.registry, user_id=client_id(client), action=action, force=force,
                requested_by=interaction.user.id, now=now,
            )  # fmt: skip
        if self.bot.runtime is not None:
            self.bot.runtime.dispatcher.notify(now)
        how = "moved up to now" if triggered.moved_up else "queued"
        await reply(interaction, f"{action} for {triggered.local_date} {how} (job #{triggered.job_id}).")

    @app_commands.command(name="deliveries", description="The last 24 hours of deliveries")
    @coach_only
    async def deliveries(self, interaction: discord.Interaction) -> None:
        now = self.bot.clock.now()
        async with self.bot.pool.acquire() as conn:
            stats = await reports.deliveries(conn, now - dt.timedelta(hours=24), now)
            unreachable = await reports.unreachable_clients(conn)
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
        names = ", ".join(f"{r['display_name'] or r['user_id']}" for r in unreachable[:20]) or "none"
        embed.add_field(name="Unreachable clients", value=names[:1024], inline=False)
        await reply(interaction, embed=embed)

    @app_commands.command(name="logs", description="A client's recent logs, any engine")
    @app_commands.autocomplete(client=client_autocomplete)
    @app_commands.choices(
        engine=[app_commands.Choice(name=e, value=e) for e in ("check-in", "meals", "cardio", "training")]
    )
    @coach_only
    async def logs(
        self,
        interaction: discord.Interaction,
        client: str,
        engine: str | None = None,
        page: app_commands.Range[int, 1, 500] = 1,
    ) -> None:
        async with self.bot.pool.acquire() as conn:
            profile = await coaching.require_client(conn, client_id(client))
            rows = await reports.recent_logs(conn, profile.user_id, engine, PAGE, (page - 1) * PAGE)
        lines = [
            f"`{r['date']:%a %d %b}` {r['engine']} **{r['status']}** — {r['detail'] or ''}"[:300]
            for r in rows
        ]
        title = f"Logs — {profile.display_name or profile.user_id} (page {page})"
        await reply(interaction, embed=discord.Embed(title=title, description="\n".join(lines) or "No logs."))


async def setup(bot: Regiment) -> None:
    if bot.mode != BotMode.dispatch_only and bot.coach_guild is not None:
        await bot.add_cog(Roster(bot), guild=bot.coach_guild)
