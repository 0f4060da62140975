"""`python -m bot simulate`: the real planner, dispatcher and engines on a virtual clock.

It starts a throw-away embedded PostgreSQL, seeds a roster, runs the same Runtime the bot runs
(only the clock and the transport differ) and prints what each client receives, then a
summary. `--down FROM/TO` takes the process away over a UTC interval: nothing runs, and the
restart catches up the way production does.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import statistics
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bot.config import Settings
from bot.core.alert_buffer import post_pending
from bot.core.clock import VirtualClock
from bot.core.loops import PeriodicTask
from bot.core.runtime import Runtime
from bot.db.embedded import EmbeddedPostgres, without_durability
from bot.db.migrations import migrate
from bot.db.pool import create_pool
from bot.domain import timezones
from bot.domain.blocks import parse_block
from bot.domain.models import Job, JobStatus
from bot.domain.plans import parse_plan
from bot.engines import build_registry
from bot.repo import blocks as blocks_repo
from bot.repo import clients as clients_repo
from bot.repo import jobs as jobs_repo
from bot.repo import plans as plans_repo
from bot.repo import simulation as simulation_repo
from bot.simulator import team
from bot.simulator.clients import SimulatedClients
from bot.simulator.roster_file import RosterEntry, demo_roster, load_roster
from bot.simulator.transport import ConsoleTransport

Printer = Callable[[str], None]


@dataclass
class SimulationOptions:
    days: int = 7
    clients: int = 24
    seed: int = 7
    start: dt.date = dt.date(2026, 3, 26)  # a week that crosses Europe's spring-forward
    roster: Path | None = None
    downs: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    events: Path | None = None
    verbose: bool = True


@dataclass
class SimulationReport:
    jobs_by_status: Counter[tuple[str, str, str]]
    deliveries: int
    lateness_seconds: list[float]
    clients: int
    zones: int
    training: dict[str, int] = field(default_factory=dict)
    behaviour: dict[str, int] = field(default_factory=dict)
    logs: dict[tuple[str, str], int] = field(default_factory=dict)
    team: list[tuple[str, int, int]] = field(default_factory=list)  # (coach, clients, cards)
    handover: str | None = None


SIM_COACH_CHANNEL, SIM_HONORS_CHANNEL, SIM_ALERT_CHANNEL = 1, 2, 3
SIM_ALERT_INTERVAL = dt.timedelta(hours=1)
EXAMPLE_BLOCKS = Path(__file__).resolve().parents[2] / "examples"


async def _import_example_blocks(conn: asyncpg.Connection, now: dt.datetime) -> None:
    """The demo roster trains and eats by the example files (when the source tree is at hand)."""
    for path in sorted(EXAMPLE_BLOCKS.glob("*.y*ml")) + sorted(EXAMPLE_BLOCKS.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        if "kind:" in text or '"kind"' in text:
            await plans_repo.store(conn, parse_plan(text, path.name), now, None)
        else:
            await blocks_repo.store(conn, parse_block(text, path.name), now, None)


def parse_down(text: str) -> tuple[dt.datetime, dt.datetime]:
    """'2026-03-27T04:00/2026-03-27T09:00' (UTC; a trailing Z or offset is accepted)."""
    try:
        left, right = text.split("/", 1)
        start, end = (_utc(dt.datetime.fromisoformat(p.strip())) for p in (left, right))
    except ValueError as exc:
        raise ValueError(f"--down {text!r}: expected FROM/TO as ISO date-times in UTC") from exc
    if end <= start:
        raise ValueError(f"--down {text!r}: TO must be after FROM")
    return start, end


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


async def simulate(options: SimulationOptions, out: Printer = print) -> SimulationReport:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        dispatcher_max_sleep_seconds=6 * 3600,
        coach_channel_id=SIM_COACH_CHANNEL,
        honors_channel_id=SIM_HONORS_CHANNEL,
        alert_channel_id=SIM_ALERT_CHANNEL,
    )
    roster = (
        load_roster(options.roster)
        if options.roster
        else demo_roster(options.clients, options.start, options.seed)
    )
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="regiment-sim-")), delete_on_stop=True)
    dsn = server.start()
    pool = await create_pool(dsn, min_size=1, max_size=settings.dispatch_concurrency + 4)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
            await without_durability(conn)
        begin = dt.datetime.combine(options.start, dt.time(0), tzinfo=dt.UTC)
        end = begin + dt.timedelta(days=options.days)
        async with pool.acquire() as conn:
            await _import_example_blocks(conn, begin)
            for entry in roster:
                await clients_repo.upsert(conn, entry.profile(), begin)
            handover = await team.set_up(
                conn, [e.user_id for e in roster], options.start, options.days, begin
            )
        out(
            f"Simulating {options.days} day(s) from {options.start} for {len(roster)} clients in "
            f"{len({e.timezone for e in roster})} zones."
        )
        # What lives for the whole run (settings, the roster, imported modules) is not garbage:
        # keep the collector from walking it again and again (measured: 13.6 s of a 10-day run).
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        clock = VirtualClock(begin)
        transport = ConsoleTransport(clock, out, verbose=False)
        transport.channel_names = {
            SIM_COACH_CHANNEL: "#coaches",
            SIM_HONORS_CHANNEL: "#honors",
            SIM_ALERT_CHANNEL: "#alerts",
        }
        registry = build_registry(settings)
        lateness: list[float] = []
        printer = _outcome_printer(roster, out, lateness, options.verbose)
        people = SimulatedClients(pool, clock, settings, options.seed, out, options.verbose)
        people.silent_from = options.start + dt.timedelta(days=9)

        async def post_alerts() -> None:
            await post_pending(pool, transport, settings.alert_channel_id, clock)

        # The bot posts its alert buffer every minute; hourly is enough to read them here and
        # keeps the virtual clock from stopping 60 times an hour.
        alert_loop = PeriodicTask("alerts", clock, SIM_ALERT_INTERVAL, post_alerts)

        def new_runtime() -> Runtime:
            # No retention: the report reads every job of the run back (a year would lose 9 months).
            runtime = Runtime(pool, clock, registry, transport, settings, worker_id="sim", retain=False)
            runtime.dispatcher.listeners.append(printer)
            runtime.dispatcher.listeners.append(people.on_outcome)
            people.wake = runtime.dispatcher.notify  # as the cogs do: a job a client queues is due now
            runtime.start()
            return runtime

        runtime = new_runtime()
        alert_loop.start()
        for down_from, down_to in sorted(options.downs):
            if down_from >= end:
                break
            await clock.run_until(max(down_from, clock.now()))
            await runtime.stop()
            await alert_loop.stop()
            out(f"-- process down {down_from:%Y-%m-%d %H:%M} → {down_to:%Y-%m-%d %H:%M} UTC --")
            await clock.run_until(min(down_to, end))
            runtime = new_runtime()
            alert_loop = PeriodicTask("alerts", clock, SIM_ALERT_INTERVAL, post_alerts)
            alert_loop.start()
        await clock.run_until(end)
        await runtime.stop()
        await alert_loop.stop()
        await post_alerts()
        await people.settle()

        async with pool.acquire() as conn:
            jobs = await jobs_repo.due_before(conn, end)
        if options.events:
            _write_events(options.events, jobs)
        async with pool.acquire() as conn:
            training_counts = await simulation_repo.training_summary(conn, options.start, end.date())
            daily_counts = await simulation_repo.daily_summary(conn, options.start, end.date())
            team_counts = await simulation_repo.team_summary(conn, (end - dt.timedelta(days=1)).date())
        report = SimulationReport(
            Counter((j.engine, j.action, str(j.status)) for j in jobs),
            len(transport.messages),
            lateness,
            len(roster),
            len({e.timezone for e in roster}),
            training_counts,
            dict(people.counts),
            daily_counts,
            team_counts,
            handover,
        )
        _print_summary(report, out)
        return report
    finally:
        await pool.close()
        server.stop()


def _outcome_printer(
    roster: list[RosterEntry], out: Printer, lateness: list[float], verbose: bool
) -> Callable[[Job, JobStatus, dt.datetime], None]:
    by_id = {e.user_id: e for e in roster}

    def on_outcome(job: Job, status: JobStatus, now: dt.datetime) -> None:
        if status == JobStatus.sent:
            lateness.append((now - job.due_at).total_seconds())
        if not verbose:
            return
        entry = by_id.get(job.user_id or -1)
        if entry is None:
            out(f"[{now:%Y-%m-%d %H:%M} UTC] {job.engine}.{job.action} → {status}")
            return
        local = now.astimezone(timezones.parse_timezone(entry.timezone))
        out(
            f"[{local:%a %Y-%m-%d %H:%M} {entry.timezone:<19}] {entry.display_name or entry.user_id}: "
            f"{job.engine}.{job.action} → {status}"
        )

    return on_outcome


def _write_events(path: Path, jobs: list[Job]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for job in jobs:
            event = {
                "engine": job.engine,
                "action": job.action,
                "user_id": job.user_id,
                "local_date": job.local_date.isoformat(),
                "due_at": job.due_at.astimezone(dt.UTC).isoformat(),
                "finished_at": job.finished_at.astimezone(dt.UTC).isoformat() if job.finished_at else None,
                "status": str(job.status),
                "attempts": job.attempts,
            }
            handle.write(json.dumps(event) + "\n")


def _print_summary(report: SimulationReport, out: Printer) -> None:
    out("")
    out(f"Summary: {report.clients} clients in {report.zones} zones, {report.deliveries} DMs delivered.")
    out(f"{'engine.action':<28}{'status':<10}{'jobs':>6}")
    for (engine, action, status), count in sorted(report.jobs_by_status.items()):
        out(f"{engine + '.' + action:<28}{status:<10}{count:>6}")
    if report.lateness_seconds:
        late = sorted(report.lateness_seconds)
        p95 = late[0] if len(late) == 1 else statistics.quantiles(late, n=20, method="inclusive")[-1]
        out(f"lateness: median {statistics.median(late):.0f}s, p95 {p95:.0f}s, max {late[-1]:.0f}s")
    for engine in ("check-in", "meals", "cardio", "weekly check-in"):
        counts = {status: n for (e, status), n in report.logs.items() if e == engine}
        if counts:
            out(f"{engine}: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    if report.training:
        t = report.training
        out(
            f"training: {t['sessions']} sessions delivered, {t['logged']} top sets logged, "
            f"{t['missed']} missed, {t['prs']} PRs"
        )
    if report.behaviour:
        out("clients: " + ", ".join(f"{n} {what}" for what, n in sorted(report.behaviour.items())))
    for coach, clients, cards in report.team:
        out(f"{coach}: {clients} client(s) at the end, {cards} card(s) raised while a client was theirs")
    if report.handover:
        out(f"handover: {report.handover}")
