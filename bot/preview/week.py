"""The gallery's demo week: what the bot sends two demo clients and their coaches, for real.

The real planner, dispatcher and engine handlers run on a virtual clock over a throw-away
embedded PostgreSQL, sending through the simulator's in-memory transport, which keeps every
message and its edits. The coach's part is the use cases the commands call: import the example
block and plans, onboard the clients, give them their plans, pause one. The week (times in
the clients' Europe/London):

- Sunday 03 May, 17:00: Sam and Alex are onboarded from Monday (the welcome DMs); Sam trains
  Mon/Wed/Fri on the example block, Alex Mon–Fri, in lb, on a day of 25 exercises with notes
  (too long for one message: the workout comes in parts). Both get the example meal and cardio
  plans.
- Every day the drops go out and close. Sam answers most of them (the simulator's client, one
  of its most reliable, acting through the functions the Discord handlers call); Alex never does.
- Wednesday 12:30: Sam's /today. 22:30: Alex has missed three whole days, and the coaches'
  channel hears about it (the evening review's escalation).
- Wednesday 23:00: the coach pauses Alex until Friday (the pause DM); Friday 05:00 the pause
  ends (the "welcome back" DM).
- Sunday 10 May, 23:00 (22:00 UTC): the weekly flag scan posts the summary and the honors board.
- Then: /stats for Sam, /client list, the adherence heatmap of /client show, and each chart an
  engine declares (/progress), from what the week left in the database.

Which message is which comes from the registry (the engines' labels, actions and kinds) and the
jobs that sent them, never from an engine's name: a new engine's drop shows up by itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from bot.config import Settings
from bot.core.clock import VirtualClock
from bot.core.engine import ActionKind, ActionSpec, EngineRegistry
from bot.core.runtime import Runtime
from bot.db.embedded import EmbeddedPostgres, without_durability
from bot.db.migrations import migrate
from bot.db.pool import create_pool
from bot.domain import measurements as lengths
from bot.domain.models import ClientProfile, Job, JobStatus
from bot.engines import build_registry
from bot.preview import CHANNELS, CHARTS, DMS, REPLIES, Entry, slug
from bot.repo import clients as clients_repo
from bot.repo import jobs as jobs_repo
from bot.simulator.clients import SimulatedClients
from bot.simulator.simulate import EXAMPLE_BLOCKS
from bot.simulator.transport import MemoryTransport, RecordedMessage
from bot.usecases import blocks as blocks_uc
from bot.usecases import clients as clients_uc
from bot.usecases import plans as plans_uc
from bot.usecases import self_service
from bot.usecases.coaching import ClientInput
from bot.usecases.files import LocalFile
from bot.views import client_charts, render
from bot.views.messages import Embed, OutgoingMessage

ZONE = "Europe/London"
MONDAY = dt.date(2026, 5, 4)
SEED = 7  # the simulator's seed: with it, Sam is one of its most reliable clients
SAM, ALEX = 1002, 1003
NAMES = {SAM: "Sam Carter", ALEX: "Alex Morgan"}
COACH_CHANNEL, HONORS_CHANNEL, ALERT_CHANNEL = 1, 2, 3
CHANNEL_NAMES = {COACH_CHANNEL: "coaches", HONORS_CHANNEL: "honors", ALERT_CHANNEL: "alerts"}
HEATMAP_DAYS = 28  # as /client show draws it (cogs/coach.py)
ROSTER_PAGE = 20  # clients per page of /client list (cogs/coach.py)
_MAX_PARTS = 32  # more parts than any message is split into (a day holds at most 25 exercises)

EXAMPLE_BLOCK = "steel_block_A.yaml"
EXAMPLE_PLANS = ("meals_cut_2200.yaml", "cardio_zone2.yaml")
LONG_BLOCK_ID = "volume_long_day"

# A coach's block file with a day as long as a block allows (25 exercises), each with a note:
# more than one message holds, so that workout is sent in parts.
LONG_BLOCK_FILE = """\
id: volume_long_day
name: Volume block — one long day
days:
- title: Full body — the long day
  exercises:
  - {id: back_squat, name: Back Squat, sets: 5, reps: "5", rest: 180,
    note: "Brace before you unrack; sit between the hips and drive the floor away, knees over toes."}
  - {id: bench_press, name: Bench Press, sets: 5, reps: "5", rest: 180,
    note: "Shoulder blades pinned, feet planted; touch the lower chest, press back towards the rack."}
  - {id: deadlift, name: Deadlift, sets: 3, reps: "3", rest: 240,
    note: "Reset every rep: bar over mid-foot, slack out of the bar, lock out with the glutes."}
  - {id: overhead_press, name: Overhead Press, sets: 4, reps: "6", rest: 150,
    note: "Squeeze the glutes, no lean back; the head goes through once the bar passes the forehead."}
  - {id: barbell_row, name: Barbell Row, sets: 4, reps: "8-10", rest: 120,
    note: "Torso near parallel and still; pull to the belly button and lower under control."}
  - {id: front_squat, name: Front Squat, sets: 3, reps: "8", rest: 150,
    note: "Elbows high all the way down; stay tall, upper back tight out of the hole."}
  - {id: romanian_deadlift, name: Romanian Deadlift, sets: 3, reps: "10", rest: 120,
    note: "Soft knees, hips back; stop where the hamstrings stop you, not where the plates do."}
  - {id: incline_bench, name: Incline Bench Press, sets: 3, reps: "8-10", rest: 120,
    note: "Thirty degrees of incline; lower to the upper chest, wrists stacked over the elbows."}
  - {id: pull_up, name: Pull-up, sets: 4, reps: "6-10", rest: 120,
    note: "Dead hang at the bottom, chest to the bar at the top; add load once all sets reach 10."}
  - {id: walking_lunge, name: Walking Lunge, sets: 3, reps: "10-12", rest: 90,
    note: "Long steps, back knee kisses the floor; count each leg, torso upright."}
  - {id: leg_press, name: Leg Press, sets: 3, reps: "10-12", rest: 120,
    note: "Full range without the lower back lifting off the pad; no lockout between reps."}
  - {id: dumbbell_row, name: Dumbbell Row, sets: 3, reps: "10-12", rest: 90,
    note: "Brace on the bench, pull the elbow to the hip, pause a second at the top of every rep."}
  - {id: dips, name: Dips, sets: 3, reps: "8-12", rest: 90,
    note: "Lean slightly forward, shoulders down and away from the ears; as deep as they allow."}
  - {id: hip_thrust, name: Barbell Hip Thrust, sets: 3, reps: "10", rest: 90,
    note: "Chin tucked, ribs down; squeeze two seconds at the top without arching the lower back."}
  - {id: lat_pulldown, name: Lat Pulldown, sets: 3, reps: "10-12", rest: 90,
    note: "Pull the elbows down to the ribs, chest up to meet the bar; control the way back up."}
  - {id: leg_curl, name: Seated Leg Curl, sets: 3, reps: "12-15", rest: 60,
    note: "Hips pinned to the seat; a slow three-second negative on every rep of every set."}
  - {id: leg_extension, name: Leg Extension, sets: 3, reps: "12-15", rest: 60,
    note: "Pause at the top, toes pulled up; stop a rep short of failure on the first sets."}
  - {id: lateral_raise, name: Lateral Raise, sets: 4, reps: "12-15", rest: 60,
    note: "Lead with the elbows, thumbs level with the little fingers; no swinging, light is right."}
  - {id: face_pull, name: Face Pull, sets: 3, reps: "15", rest: 60,
    note: "Rope to the forehead, elbows high; finish with the hands beside the ears, hold a beat."}
  - {id: ez_curl, name: EZ-bar Curl, sets: 3, reps: "10-12", rest: 60,
    note: "Elbows stay at the sides; lower for three seconds, never let the bar rest at the bottom."}
  - {id: triceps_pushdown, name: Triceps Pushdown, sets: 3, reps: "12-15", rest: 60,
    note: "Elbows fixed at the ribs, lock out fully and squeeze; slow on the way up every time."}
  - {id: calf_raise, name: Standing Calf Raise, sets: 4, reps: "12-15", rest: 60,
    note: "Two seconds stretched at the bottom, one squeezed at the top; no bouncing."}
  - {id: hanging_leg_raise, name: Hanging Leg Raise, sets: 3, reps: "10-15", rest: 60,
    note: "Curl the pelvis up rather than lifting the legs; no swing between reps."}
  - {id: farmer_carry, name: Farmer Carry (metres as reps), sets: 3, reps: "40", rest: 90,
    note: "Heaviest dumbbells you can hold for the distance; stand tall, short quick steps."}
  - {id: plank, name: Plank (seconds as reps), sets: 3, reps: "45", rest: 60,
    note: "Squeeze glutes and quads, push the floor away with the forearms; breathe behind the brace."}
"""


class _Text:
    """A file a coach would upload, from text (bot.usecases.files.Upload)."""

    def __init__(self, filename: str, text: str) -> None:
        self.filename = filename
        self._data = text.encode("utf-8")
        self.size = len(self._data)

    async def read(self) -> bytes:
        return self._data


@dataclass
class Week:
    """What the demo week made, and what the in-memory samples need of it."""

    entries: list[Entry]
    registry: EngineRegistry
    clients: list[ClientProfile]  # Sam, then Alex, as the week left them
    now: dt.datetime


@dataclass
class _Made:
    """The entries as the week makes them, by where they go in the gallery."""

    welcome: list[Entry] = field(default_factory=list)
    coach_dms: list[Entry] = field(default_factory=list)  # sent by a coach's command (the pause)
    replies: list[Entry] = field(default_factory=list)


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Local time (ZONE) on the `day`th day after the Sunday before MONDAY, in UTC."""
    local = dt.datetime.combine(MONDAY + dt.timedelta(days=day - 1), dt.time(hour, minute))
    return local.replace(tzinfo=ZoneInfo(ZONE)).astimezone(dt.UTC)


def _message(embed: Embed) -> OutgoingMessage:
    return OutgoingMessage(embeds=(embed,))


async def demo_week(settings: Settings) -> Week:
    """Run the week over a throw-away embedded PostgreSQL (deleted afterwards)."""
    settings = settings.model_copy(
        update={
            "coach_channel_id": COACH_CHANNEL,
            "honors_channel_id": HONORS_CHANNEL,
            "alert_channel_id": ALERT_CHANNEL,
            "dispatcher_max_sleep_seconds": 6 * 3600,  # the clock is virtual: sleep till the next job
        }
    )
    files = [EXAMPLE_BLOCKS / EXAMPLE_BLOCK, *(EXAMPLE_BLOCKS / p for p in EXAMPLE_PLANS)]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise ValueError(f"the demo clients train and eat by the example files: no {', '.join(missing)}")
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="regiment-preview-")), delete_on_stop=True)
    dsn = server.start()
    try:
        pool = await create_pool(dsn, min_size=1, max_size=settings.dispatch_concurrency + 4)
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
                await without_durability(conn)
            return await _run(pool, settings)
        finally:
            await pool.close()
    finally:
        server.stop()


async def _run(pool: asyncpg.Pool, settings: Settings) -> Week:
    clock = VirtualClock(_at(0, 17))
    transport = MemoryTransport(clock)
    registry = build_registry(settings)
    runtime = Runtime(pool, clock, registry, transport, settings, worker_id="preview", retain=False)
    people = SimulatedClients(pool, clock, settings, SEED, lambda _: None, False)

    def sam_answers(job: Job, status: JobStatus, now: dt.datetime) -> None:
        if job.user_id == SAM:
            people.on_outcome(job, status, now)

    runtime.dispatcher.listeners.append(sam_answers)
    made = _Made()
    try:
        await _coach_sets_up(pool, clock, transport, registry, runtime, made)
        runtime.start()
        await clock.run_until(_at(3, 12, 30))  # Wednesday 12:30
        found = await self_service.today(pool, registry, clock, SAM)
        card = render.today_card(
            found.profile, found.jobs, found.done, found.now, registry, complete=found.complete
        )
        made.replies.append(
            Entry("today", REPLIES, f"{NAMES[SAM]}'s /today on Wednesday afternoon", "reply to /today",
                  _message(card))
        )  # fmt: skip
        await clock.run_until(_at(3, 23))  # Wednesday 23:00, after the evening review
        start = len(transport.messages)
        await clients_uc.pause_client(
            pool, transport, clock, user_id=ALEX, until=(MONDAY + dt.timedelta(days=4)).isoformat(),
            reason="Travelling for work", replan=runtime.plan_client,
        )  # fmt: skip
        made.coach_dms += [
            Entry("pause", DMS, "The DM of /pause with an until-date", f"DM to {NAMES[ALEX]}", m.message,
                  sent=True)
            for m in transport.messages[start:] if m.user_id == ALEX
        ]  # fmt: skip
        await clock.run_until(_at(7, 23, 15))  # Sunday 10 May, after the 22:00 UTC scan
        await clock.run_until(_at(8, 22, 30))  # Monday: the weekly check-in sent on Sunday has closed
    finally:
        await runtime.stop()
        await people.settle()

    async with pool.acquire() as conn:
        jobs = await jobs_repo.due_before(conn, clock.now())
        profiles = [p for u in (SAM, ALEX) if (p := await clients_repo.get(conn, u)) is not None]
    drops, job_dms, posts = _job_entries(registry, transport, jobs)
    replies, charts = await _replies_and_charts(pool, registry, clock, profiles)
    entries = [*made.welcome, *drops, *made.coach_dms, *job_dms, *posts, *made.replies, *replies, *charts]
    return Week(entries, registry, profiles, clock.now())


async def _coach_sets_up(
    pool: asyncpg.Pool,
    clock: VirtualClock,
    transport: MemoryTransport,
    registry: EngineRegistry,
    runtime: Runtime,
    made: _Made,
) -> None:
    """Sunday 17:00: the block files, /client add for both clients (as the command has it: no
    plans), then the plan files with both as assignees (`plans import --assign`)."""
    await blocks_uc.import_block(pool, clock, LocalFile(EXAMPLE_BLOCKS / EXAMPLE_BLOCK))
    await blocks_uc.import_block(pool, clock, _Text(f"{LONG_BLOCK_ID}.yaml", LONG_BLOCK_FILE))
    setups = {
        SAM: ClientInput(ZONE, MONDAY.isoformat(), Path(EXAMPLE_BLOCK).stem, "mon,wed,fri", "kg"),
        ALEX: ClientInput(ZONE, MONDAY.isoformat(), LONG_BLOCK_ID, "mon,tue,wed,thu,fri", "lb"),
    }
    for user_id, given in setups.items():
        start = len(transport.messages)
        added = await clients_uc.add_client(
            pool, transport, clock, user_id=user_id, display_name=NAMES[user_id], given=given,
            registry=registry, replan=runtime.plan_client,
        )  # fmt: skip
        if user_id != SAM:
            continue
        # His coach asks for every measurement (/client edit measurements:), so each chart has a point.
        await clients_uc.edit_client(
            pool, clock, user_id=SAM, given=ClientInput(measurements=", ".join(lengths.OPTIONAL)),
            registry=registry, replan=runtime.plan_client,
        )  # fmt: skip
        made.welcome += [
            Entry("welcome", DMS, "The welcome DM of /client add: what the client gets, and when",
                  f"DM to {NAMES[SAM]}", m.message, sent=True)
            for m in transport.messages[start:] if m.user_id == SAM
        ]  # fmt: skip
        card = render.client_card(added.profile, added.upcoming, added.now, registry, runtime.settings)
        made.replies.append(
            Entry("client-card", REPLIES, "The client card: the coach's reply to /client add and edit",
                  "reply to /client add", _message(card))
        )  # fmt: skip
    for plan in EXAMPLE_PLANS:
        await plans_uc.import_plan(
            pool, clock, LocalFile(EXAMPLE_BLOCKS / plan), assign_to=list(setups), replan=runtime.plan_client
        )


def _job_entries(
    registry: EngineRegistry, transport: MemoryTransport, jobs: list[Job]
) -> tuple[list[Entry], list[Entry], list[Entry]]:
    """The messages the week's jobs sent, found by the reference (the nonce) each send carries:
    every engine's drops, the other DMs, and the channel posts (each action's last: the weekly
    scan of the week, not the one of the Sunday the clients were onboarded)."""
    refs = {job.nonce(part): (job, part) for job in jobs for part in range(_MAX_PARTS)}
    sends: dict[int, list[tuple[int, RecordedMessage]]] = defaultdict(list)
    by_id: dict[int, Job] = {}
    for record in transport.messages:
        if record.nonce in refs:
            job, part = refs[record.nonce]
            sends[job.id].append((part, record))
            by_id[job.id] = job

    def parts_of(job: Job) -> list[RecordedMessage]:
        return [record for _, record in sorted(sends[job.id], key=lambda sent: sent[0])]

    drops: dict[str, Entry] = {}
    dms: dict[str, Entry] = {}
    posts: dict[str, Entry] = {}
    for engine in registry:
        for spec in engine.actions:
            mine = sorted(
                (j for j in by_id.values() if (j.engine, j.action) == (engine.name, spec.action)),
                key=lambda j: (j.due_at, j.id),
            )
            if spec.kind == ActionKind.drop:
                for entry in [e for user_id in NAMES for e in _drop_entries(spec, mine, user_id, parts_of)]:
                    drops.setdefault(entry.name, entry)
                continue
            what = f"{spec.label[:1].upper()}{spec.label[1:]} ({engine.label})"
            for record in (r for job in mine for r in parts_of(job)):
                when = f"{record.at.astimezone(ZoneInfo(ZONE)):%H:%M on %A %d %B}"
                if record.user_id is not None:
                    who = NAMES.get(record.user_id, str(record.user_id))
                    dms[slug(spec.label)] = Entry(
                        slug(spec.label), DMS, f"{what}: its DM, at {when}", f"DM to {who}", record.message,
                        sent=True,
                    )  # fmt: skip
                else:
                    channel = CHANNEL_NAMES.get(record.channel_id, str(record.channel_id))
                    name = f"{slug(spec.label)}-{channel}"
                    posts[name] = Entry(
                        name, CHANNELS, f"{what}: its post to #{channel}, at {when}", f"#{channel}",
                        record.message, sent=True,
                    )  # fmt: skip
    return list(drops.values()), list(dms.values()), list(posts.values())


def _drop_entries(
    spec: ActionSpec, jobs: list[Job], user_id: int, parts_of: Callable[[Job], list[RecordedMessage]]
) -> list[Entry]:
    """One client's drop of `spec`, as delivered and as it closed: Sam's "open" and "closed"
    (the day he did most with it: the most edits), Alex's "missed" (his first); a drop sent in
    parts is a "split" one, each part an entry."""
    theirs = [j for j in jobs if j.user_id == user_id]
    if not theirs:
        return []
    answered = user_id == SAM
    job = max(theirs, key=lambda j: sum(len(r.edits) for r in parts_of(j))) if answered else theirs[0]
    parts = parts_of(job)
    label = f"{spec.label[:1].upper()}{spec.label[1:]}"
    name = slug(spec.label)
    who = NAMES[user_id]
    day = f"{job.local_date:%A %d %B}"
    closes = f"{spec.deadline_at:%H:%M}" if spec.deadline_at else "its deadline"
    where = f"DM to {who}"
    if len(parts) == 1:
        [record] = parts
        if not answered:
            return [
                Entry(f"{name}-missed", DMS, f"{label}: closed at {closes} on {day} with nothing answered",
                      where, record.current, sent=True)
            ]  # fmt: skip
        return [
            Entry(f"{name}-open", DMS, f"{label}: as it arrives at {spec.at:%H:%M} on {day}", where,
                  record.message, sent=True),
            Entry(f"{name}-closed", DMS, f"{label}: after it closed at {closes} on {day}, with {who}'s "
                  "answers", where, record.current, sent=True),
        ]  # fmt: skip
    count = len(parts)
    after = f"after it closed at {closes}" + ("" if answered else ", nothing answered")
    return [
        *(
            Entry(f"{name}-split-open-{i}of{count}", DMS,
                  f"{label} too long for one message, part {i} of {count}: as it arrives on {day}",
                  where, record.message, sent=True)
            for i, record in enumerate(parts, start=1)
        ),
        *(
            Entry(f"{name}-split-closed-{i}of{count}", DMS,
                  f"{label} too long for one message, part {i} of {count}: {after}", where,
                  record.current, sent=True)
            for i, record in enumerate(parts, start=1)
        ),
    ]  # fmt: skip


async def _replies_and_charts(
    pool: asyncpg.Pool, registry: EngineRegistry, clock: VirtualClock, profiles: list[ClientProfile]
) -> tuple[list[Entry], list[Entry]]:
    """Sunday night: /client list, Sam's /stats, the heatmap of /client show, and every chart an
    engine declares (/progress), from the week's data."""
    sam = next(p for p in profiles if p.user_id == SAM)
    roster = await clients_uc.list_clients(pool, clock, page=1, per_page=ROSTER_PAGE)
    stats = await self_service.stats(pool, registry, clock, SAM)
    shown = await clients_uc.show_client(pool, registry, clock, SAM)
    replies = [
        Entry("client-list", REPLIES, "The roster: the coach's /client list", "reply to /client list",
              _message(render.roster_page(roster.profiles, roster.total, roster.page, roster.per_page,
                                          roster.now))),
        Entry("stats", REPLIES, f"{NAMES[SAM]}'s /stats at the end of his first week", "reply to /stats",
              _message(render.stats_embed(sam.display_name, stats.outcomes, stats.today,
                                          registry.labels()))),
    ]  # fmt: skip
    heatmap = await asyncio.to_thread(
        client_charts.adherence_heatmap,
        f"Adherence — {sam.display_name}",
        shown.outcomes,
        shown.today - dt.timedelta(days=HEATMAP_DAYS),
        shown.today,
        registry.labels(),
    )
    charts = [
        Entry("chart-adherence", CHARTS, f"The adherence heatmap of /client show: {NAMES[SAM]}'s first week",
              "attached to the reply to /client show", png=heatmap)
    ]  # fmt: skip
    for engine in registry:
        for chart, draw in engine.charts.items():
            png = await draw(pool, sam)
            charts.append(
                Entry(f"chart-{slug(chart)}", CHARTS, f"/progress {chart} ({engine.label}): "
                      f"{NAMES[SAM]}'s first week", "attached to the reply to /progress", png=png)
            )  # fmt: skip
    return replies, charts
