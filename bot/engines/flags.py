"""The weekly flag scan (seed 000: "22:00 UTC (Sunday) global scan & flag pass") and the daily
mid-week escalation.

- The scan is one global job per week (never per client): for every client it gathers the last
  five weeks of per-day outcomes in a constant number of queries, runs the rules (bot.domain.flag_rules),
  raises job cards deduplicated per (client, rule, week), then posts the coach summary and the
  honors board. A retry after a failed post raises no card twice (dedupe keys) and posts again.
- The escalation runs per client each evening after the day's deadline: a client who reaches N
  consecutive fully missed days gets a card at once, and the coaches' channel is told.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import asyncpg

from bot.config import Settings
from bot.core.engine import ActionKind, ActionSpec, Engine, EngineRegistry, JobContext, Outcome
from bot.domain import team, timezones
from bot.domain.compliance import OVERALL, Rate, streak, window_rates
from bot.domain.flag_rules import (
    CardDraft,
    ClientWeek,
    FlagThresholds,
    HonorsEntry,
    escalation_due,
    evaluate,
    honors,
)
from bot.domain.models import ClientProfile
from bot.domain.team import Coach
from bot.repo import blocks as blocks_repo
from bot.repo import cards, clients, coaches
from bot.repo import compliance as compliance_repo
from bot.repo.blocks import DEFAULT_BLOCK_ID
from bot.usecases.coaching import block_endings, client_today
from bot.views.messages import Embed, EmbedField, OutgoingMessage

NAME = "flags"
CHECKIN_ROLE = "check-in"  # the engine whose logs say the client checked in (no_checkin rule)
HISTORY_DAYS = 35  # this week and the four before (the compliance-drop baseline)
# Raised where they happen, under their own keys (the dispatcher, the planner, the training
# engine): the scan must not open a second card every week for the same state.
RAISED_ELSEWHERE = frozenset({"unreachable", "invalid_timezone", "invalid_block"})


def week_key(day: dt.date) -> str:
    """The week a card belongs to: the scan and the mid-week escalation share it, so a client
    flagged on Thursday is not flagged again for the same rule on Sunday."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def thresholds(settings: Settings, registry: EngineRegistry) -> FlagThresholds:
    return FlagThresholds(
        engine_labels=registry.labels(),
        checkin_engines=frozenset(e.name for e in registry.with_role(CHECKIN_ROLE)),
        min_compliance_pct=settings.flag_min_compliance_pct,
        drop_points=settings.flag_drop_points,
        missed_days=settings.flag_missed_days,
        no_checkin_days=settings.flag_no_checkin_days,
        readiness_drop=settings.flag_readiness_drop,
    )


@dataclass(frozen=True)
class ScanResult:
    weeks: list[ClientWeek]  # every client on the roster
    raised: list[tuple[ClientProfile, CardDraft]]
    honors: list[HonorsEntry]
    roster: list[Rate]  # each unpaused client's overall rate over the last 7 local days

    @property
    def clients_due(self) -> int:
        """The clients who had anything due: the only ones the roster percentage is about."""
        return sum(1 for rate in self.roster if rate.due)

    @property
    def roster_pct(self) -> float | None:
        """Items done ÷ items due over the clients with something due; None when nothing was."""
        return sum(self.roster, Rate(0, 0)).pct


async def scan(
    conn: asyncpg.Connection, registry: EngineRegistry, settings: Settings, key: str, now: dt.datetime
) -> ScanResult:
    """Run the rules for every client and raise the week's cards (idempotent per key)."""
    roster = await clients.all_profiles(conn)
    todays = {p.user_id: client_today(p, now) for p in roster}
    earliest = min(todays.values(), default=now.date()) - dt.timedelta(days=HISTORY_DAYS)
    latest = max(todays.values(), default=now.date()) + dt.timedelta(days=1)
    outcomes = await compliance_repo.outcomes(conn, registry.outcome_sources(), earliest, latest)
    series = await compliance_repo.series(conn, earliest, latest)
    last_checkins = await compliance_repo.last_checkins(conn)
    known_blocks = await blocks_repo.known_ids(conn)
    endings = await block_endings(conn, roster, todays)
    units = {p.user_id: p.unit for p in roster}
    all_prs = await compliance_repo.prs(conn, earliest + dt.timedelta(days=HISTORY_DAYS - 8), latest, units)
    rules = thresholds(settings, registry)
    weeks, raised = [], []
    for profile in roster:
        today = todays[profile.user_id]
        readiness, bodyweight = series.get(profile.user_id, ([], []))
        expected = None
        if profile.weekly_change_min_kg is not None and profile.weekly_change_max_kg is not None:
            expected = (profile.weekly_change_min_kg, profile.weekly_change_max_kg)
        block = profile.block_id
        week = ClientWeek(
            user_id=profile.user_id,
            display_name=profile.display_name or str(profile.user_id),
            week_start=today - dt.timedelta(days=7),
            week_end=today,  # the last 7 complete local days; today is not over yet
            outcomes=outcomes.get(profile.user_id, []),
            readiness=readiness,
            bodyweight_kg=bodyweight,
            expected_weekly_change_kg=expected,
            last_checkin=last_checkins.get(profile.user_id),
            block_end=endings.get(profile.user_id),
            unreachable=not profile.reachable,
            invalid_timezone=not timezones.is_valid(profile.timezone),
            invalid_block=block is not None and block != DEFAULT_BLOCK_ID and block not in known_blocks,
        )
        weeks.append(week)
        if profile.paused_on(today):
            continue  # a paused client is left alone: nothing is due, nothing is flagged
        for card in evaluate(week, rules):
            if card.kind in RAISED_ELSEWHERE:
                continue
            opened = await cards.raise_card(
                conn,
                kind=card.kind,
                user_id=profile.user_id,
                scope=key,
                summary=card.summary,
                details={**card.details, "week": key},
                urgency=card.urgency,
                now=now,
            )
            if opened is not None:
                raised.append((profile, card))
    paused = {p.user_id for p in roster if p.paused}
    opted_out = {p.user_id for p in roster if p.honors_opt_out}
    streaks = {w.user_id: _streak(w) for w in weeks}
    prs = {  # each client's own week only, so a weekend PR is not on two boards
        w.user_id: [text for day, text in all_prs.get(w.user_id, []) if w.week_start <= day < w.week_end]
        for w in weeks
    }
    board = honors(weeks, streaks, {u: p for u, p in prs.items() if p}, paused, opted_out)
    overall = [window_rates(w.outcomes, w.week_end, 7)[OVERALL] for w in weeks if w.user_id not in paused]
    return ScanResult(weeks, raised, board, overall)


def _streak(week: ClientWeek) -> int:
    return streak(week.outcomes, week.week_end)


_ISO_DATE = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")


def spoken_dates(text: str) -> str:
    """A card's summary as coaches read it: its dates as people say them ("Wednesday 06 May").

    The rules (bot.domain.flag_rules) and the cards already stored write dates as ISO
    ("through 2026-05-06"); what is not a real date is left as it is."""

    def said(found: re.Match[str]) -> str:
        try:
            day = dt.date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            return found[0]
        return f"{day:%A %d %B}"

    return _ISO_DATE.sub(said, text)


def escalation_text(client: ClientProfile, summary: str, card_id: int) -> str:
    """What the coaches' channel is told when a client reaches N missed days mid-week: the client
    by name (a mention when they have none, never a bare id) and the card's summary."""
    name = f"**{client.display_name}**" if client.display_name else f"<@{client.user_id}>"
    return f"⚠️ Escalation: {name} — {spoken_dates(summary)} (card #{card_id})"[:2000]


@dataclass(frozen=True)
class SummaryCard:
    """A card as the weekly summary lists it: whose, how urgent, what, and the client's coach."""

    name: str
    urgency: int
    kind: str
    summary: str
    coach: Coach | None = None

    @property
    def line(self) -> str:
        return f"**{self.name}** — {spoken_dates(self.summary)}"[:300]


def _card_lines(raised: list[SummaryCard]) -> list[str]:
    """The cards, most urgent first; with a team, in a section per coach (mentioned, unless they
    hear by DM only), the clients without a coach last."""
    if not any(card.coach for card in raised):
        return [card.line for card in raised]
    by_coach: dict[int | None, list[SummaryCard]] = {}
    for card in raised:  # most urgent first within each section, as `raised` comes
        by_coach.setdefault(card.coach.user_id if card.coach else None, []).append(card)
    named = {c.coach.user_id: team.named(c.coach) for c in raised if c.coach}
    lines: list[str] = []
    for coach_id in [*sorted(named, key=lambda k: named[k]), None]:
        if coach_id in by_coach:
            header = named[coach_id] if coach_id is not None else "No coach (for the head coaches)"
            lines.append(f"__{header}__")
            lines.extend(card.line for card in by_coach[coach_id])
    return lines


def summary_message(result: ScanResult, raised: list[SummaryCard], key: str) -> OutgoingMessage:
    """The coaches' weekly summary: the cards by urgency (the week's, and every other card still
    open, such as a time zone the planner flagged), by coach when there is a team, and roster
    compliance over the clients who had something due: "50% across 7 clients" when five of them
    had nothing due would misread."""
    lines = _card_lines(raised)
    if len(lines) > 40:
        lines = [*lines[:40], f"… and {len(lines) - 40} more lines: /cards list"]
    on_roster = f"{len(result.weeks)} on the roster"
    if result.roster_pct is None:
        roster = f"Nothing due ({on_roster})"
    else:
        due = result.clients_due
        who = "the 1 client" if due == 1 else f"the {due} clients"
        roster = f"{result.roster_pct:.0f}% across {who} with something due ({on_roster})"
    fields = (
        EmbedField("Roster compliance (last 7 days)", roster),
        EmbedField("Honors", f"{len(result.honors)} entries on the board"),
    )
    return OutgoingMessage(
        embeds=(
            Embed(
                title=f"Weekly flag scan — {key}: {len(raised)} card(s)",
                description=("\n".join(lines) or "No job cards this week.")[:4000],
                fields=fields,
                color=0xC0392B if raised else 0x27AE60,
            ),
        )
    )


def coach_digest(coach: Coach, theirs: list[SummaryCard], key: str) -> OutgoingMessage:
    """A coach's own cards of the week, by DM (`/coach notify dm|both`)."""
    text = "\n".join(card.line for card in theirs)
    return OutgoingMessage(
        embeds=(
            Embed(
                title=f"Your clients' cards — {key}: {len(theirs)}", description=text[:4000], color=0xC0392B
            ),
        )
    )


def _fit(lines: list[str], limit: int) -> str:
    """Whole lines up to `limit` characters, then how many did not fit."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        rest = len(lines) - index
        if sum(len(k) + 1 for k in kept) + len(line) + 20 > limit:
            kept.append(f"… and {rest} more")
            break
        kept.append(line)
    return "\n".join(kept)


def honors_message(entries: list[HonorsEntry], key: str) -> OutgoingMessage:
    sections = {"full_compliance": "Full compliance", "streak": "Longest streaks", "pr": "Personal records"}
    fields = []
    for kind, title in sections.items():
        lines = [f"**{e.display_name}** — {e.text}"[:300] for e in entries if e.kind == kind]
        if lines:
            fields.append(EmbedField(title, _fit(lines, 1024)))
    return OutgoingMessage(
        embeds=(
            Embed(
                title=f"🏆 Honors board — {key}",
                description="" if fields else "A quiet week. Next Sunday is yours.",
                fields=tuple(fields[:25]),
                color=0xD4AC0D,
            ),
        )
    )


async def weekly_scan(ctx: JobContext) -> Outcome:
    key = week_key(ctx.job.local_date)
    async with ctx.pool.acquire() as conn:
        async with conn.transaction():
            result = await scan(conn, ctx.registry, ctx.settings, key, ctx.now())
        # The summary lists the week's cards, not only those this attempt opened (a retry after
        # a failed post must not report "no new cards"), and every card still open.
        week_cards = await cards.open_or_of_week(conn, key, ctx.now().date())
        responsible = await coaches.responsible_for(
            conn, [c.user_id for c in week_cards if c.user_id is not None], ctx.job.local_date
        )
    raised = [
        SummaryCard(
            c.display_name or str(c.user_id), c.urgency, c.kind, c.summary, responsible.get(c.user_id)
        )
        for c in week_cards
    ]
    # Posted once each: a retry finds what an earlier attempt posted (bot.core.once).
    if ctx.settings.coach_channel_id is not None:
        await ctx.post(ctx.settings.coach_channel_id, summary_message(result, raised, key), part=0)
    if ctx.settings.honors_channel_id is not None:
        await ctx.post(ctx.settings.honors_channel_id, honors_message(result.honors, key), part=1)
    by_dm = sorted({c.coach.user_id: c.coach for c in raised if c.coach and team.wants_dm(c.coach)}.items())
    for number, (coach_id, coach) in enumerate(by_dm, start=2):
        theirs = [c for c in raised if c.coach and c.coach.user_id == coach_id]
        await ctx.sends.dm(coach_id, None, coach_digest(coach, theirs, key), part=number)
    return Outcome.done(cards=len(raised), clients=len(result.weeks), honors=len(result.honors))


async def escalate(ctx: JobContext) -> Outcome:
    """Each evening per client: N consecutive fully missed days → a card now, not on Sunday."""
    assert ctx.client is not None
    day = ctx.job.local_date
    rules = thresholds(ctx.settings, ctx.registry)
    # No transaction: one read, and in the rare evening that needs it one idempotent insert.
    async with ctx.pool.acquire() as conn:
        history = await compliance_repo.outcomes(
            conn,
            ctx.registry.outcome_sources(),
            day - dt.timedelta(days=rules.missed_days + 7),
            day + dt.timedelta(days=1),
            [ctx.client.user_id],
        )
        card = escalation_due(history.get(ctx.client.user_id, []), day, rules, include_today=True)
        if card is None:
            return Outcome.done(escalated=False)
        opened = await cards.raise_card(
            conn,
            kind=card.kind,
            user_id=ctx.client.user_id,
            scope=week_key(day),
            summary=card.summary,
            details={**card.details, "week": week_key(day), "escalated_on": day.isoformat()},
            urgency=card.urgency,
            now=ctx.now(),
        )
    dedupe_key = cards.card_key(card.kind, ctx.client.user_id, week_key(day))
    if ctx.settings.coach_channel_id is not None:
        async with ctx.pool.acquire() as conn:
            pending = await cards.unannounced(conn, dedupe_key)
            coach = await coaches.responsible(conn, ctx.client.user_id, day)
        if pending is not None:  # raised now, or by an attempt whose post failed
            text = escalation_text(ctx.client, card.summary, pending)
            post = OutgoingMessage(content=f"{text[:1900]}{team.addressed(coach)}")
            await ctx.post(ctx.settings.coach_channel_id, post)
            if coach is not None and team.wants_dm(coach):
                await ctx.sends.dm(coach.user_id, None, post, part=1)
            async with ctx.pool.acquire() as conn:
                await cards.mark_announced(conn, dedupe_key, ctx.now())
    return Outcome.done(escalated=opened is not None)


def build(settings: Settings) -> Engine:
    return Engine(
        NAME,
        label="flags",
        actions=[
            ActionSpec(
                NAME,
                "scan",
                settings.flag_scan_at_utc,
                ActionKind.scan,
                weekday=settings.flag_scan_weekday,
                label="weekly flag scan",
                previewed=False,
            ),
            ActionSpec(
                NAME,
                "escalate",
                settings.escalation_check_at,
                ActionKind.mark,
                label="evening review",
                previewed=False,
            ),
        ],
        handlers={"scan": weekly_scan, "escalate": escalate},
        renderers={"weekly summary": summary_message, "honors board": honors_message},
    )
