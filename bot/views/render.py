"""What coaches and clients read about a client, as plain messages (no discord import)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from bot.config import Settings
from bot.domain import timezones
from bot.domain.compliance import OVERALL, DayOutcome, rates, streak, window_rates
from bot.domain.measurements import WAIST, from_cm, length_unit, shown
from bot.domain.models import ClientProfile, Job, JobStatus
from bot.domain.team import Assignment
from bot.usecases.coaching import client_today
from bot.views.messages import Embed, EmbedField


class ActionLabels(Protocol):
    """What a view needs of the engine registry: how people call an action."""

    def action_label(self, engine: str, action: str) -> str: ...


class MeasurementTrend(Protocol):
    """A measurement's first and latest value in cm (bot.repo.measurements.Trend)."""

    @property
    def name(self) -> str: ...
    @property
    def first_date(self) -> dt.date: ...
    @property
    def first_cm(self) -> float: ...
    @property
    def latest_date(self) -> dt.date: ...
    @property
    def latest_cm(self) -> float: ...


class PhotoDay(Protocol):
    """A check-in date with photos, and their poses (bot.repo.measurements.PhotoDate)."""

    @property
    def date(self) -> dt.date: ...
    @property
    def poses(self) -> Sequence[str]: ...


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def label(job: Job, registry: ActionLabels) -> str:
    return registry.action_label(job.engine, job.action)


def weekdays(days: list[int]) -> str:
    return ", ".join(WEEKDAY_NAMES[d - 1] for d in days) or "none"


def zone_label(zone: str) -> str:
    """A client's zone as people read it: the IANA name ("America/Chicago") or, for a fixed
    offset, "UTC+05:45" / "UTC−08:00" (a true minus sign); what is not a zone, as stored."""
    try:
        name = timezones.canonical_name(zone)
    except timezones.InvalidTimezone:
        return zone
    if name[0] not in "+-":
        return name
    if name in ("+00:00", "-00:00"):
        return "UTC"
    return f"UTC{'−' if name[0] == '-' else '+'}{name[1:]}"


def local_time(instant: dt.datetime, zone: str) -> str:
    try:
        tz = timezones.parse_timezone(zone)
    except timezones.InvalidTimezone:
        return f"{instant:%a %d %b %H:%M} UTC"
    return f"{instant.astimezone(tz):%a %d %b %H:%M}"


def status_line(profile: ClientProfile, today: dt.date) -> str:
    parts = []
    if profile.start_date > today:
        parts.append(f"starts {profile.start_date:%A %d %B}")
    if profile.paused:
        until = f" until {profile.paused_until:%A %d %B}" if profile.paused_until else ""
        reason = f" ({profile.pause_reason})" if profile.pause_reason else ""
        parts.append(f"paused{until}{reason}")
    if not profile.reachable:
        parts.append("unreachable (DMs closed)")
    if not timezones.is_valid(profile.timezone):
        parts.append("invalid timezone")
    return ", ".join(parts) or "active"


def review_line(profile: ClientProfile, settings: Settings) -> str:
    """When the client's weekly check-in comes (local time) and what it measures: "Sundays 09:00 ·
    waist, hips"; the settings' REVIEW_WEEKDAY and REVIEW_AT where the coach chose none."""
    weekday = profile.review_weekday if profile.review_weekday is not None else settings.review_weekday
    at = profile.review_at if profile.review_at is not None else settings.review_at
    return f"{DAY_NAMES[weekday - 1]}s {at:%H:%M} · {', '.join([WAIST, *profile.review_measurements])}"


def _change(cm: float, unit: str) -> str:
    """A change of length in the client's unit, signed: "−3.5 cm", "+0.4 in", "±0 cm"."""
    value = from_cm(cm, unit)
    sign = "±" if value == 0 else "+" if value > 0 else "−"
    return f"{sign}{abs(value):g} {length_unit(unit)}"


def measurement_lines(trends: Sequence[MeasurementTrend], unit: str) -> str:
    """The latest of each measurement with its date and the change since the first check-in that
    measured it: "waist 84.5 cm · Sunday 06 Dec · −3.5 cm since Sunday 04 Oct"."""
    lines = []
    for t in trends:
        latest = f"{t.name} {shown(t.latest_cm, unit)} · {t.latest_date:%A %d %b}"
        if t.latest_date == t.first_date:
            lines.append(f"{latest} · first measurement")
        else:
            since = _change(t.latest_cm - t.first_cm, unit)
            lines.append(f"{latest} · {since} since {t.first_date:%A %d %b}")
    return "\n".join(lines) or "none yet"


def photo_timeline(days: Sequence[PhotoDay], total: int) -> str:
    """The check-in dates with photos, newest first, and their poses: "Sunday 06 Dec front, side,
    back · Sunday 29 Nov front", and how many earlier dates are left out."""
    listed = [f"{d.date:%A %d %b} {', '.join(d.poses)}" for d in days]
    if total > len(days):
        listed.append(f"{total - len(days)} earlier")
    return " · ".join(listed) or "none yet"


def progress_fields(
    trends: Sequence[MeasurementTrend], days: Sequence[PhotoDay], total: int, unit: str
) -> list[EmbedField]:
    """/client show's weekly check-in progress: the measurements, then the photo timeline."""
    return [
        EmbedField("Measurements", measurement_lines(trends, unit)[:1024], inline=False),
        EmbedField("Photos", photo_timeline(days, total)[:1024], inline=False),
    ]


def client_card(
    profile: ClientProfile,
    upcoming: list[Job],
    now: dt.datetime,
    registry: ActionLabels,
    settings: Settings | None = None,
) -> Embed:
    """A client's profile and next runs; with `settings`, their weekly check-in's day and time
    (review_line) too."""
    today = client_today(profile, now)
    block = profile.block_id or "default"
    if profile.next_block_id and profile.next_block_from:
        starts = f"{profile.next_block_from:%A %d %B}"
        block += f" → {profile.next_block_id} from {starts} (day {profile.next_day_index + 1})"
    zone = profile.timezone
    if (
        profile.timezone_effective_from
        and profile.previous_timezone
        and today < profile.timezone_effective_from
    ):
        moves = f"{profile.timezone_effective_from:%A %d %B}"
        zone = f"{profile.previous_timezone} → {profile.timezone} from {moves}"
    fields = [
        EmbedField("Status", status_line(profile, today), inline=True),
        EmbedField("Timezone", f"{zone}\nlocal now: {local_time(now, profile.timezone)}", inline=True),
        EmbedField(
            "Training", f"{block}\nday index {profile.day_index}\n{weekdays(profile.schedule_days)}", True
        ),
        EmbedField("Unit", str(profile.unit), inline=True),
    ]
    if settings is not None:
        fields.append(EmbedField("Weekly check-in", review_line(profile, settings), inline=True))
    if upcoming:
        lines = [
            f"{local_time(j.due_at, profile.zone_on(j.local_date))} — {label(j, registry)}"
            for j in upcoming[:10]
        ]
        fields.append(EmbedField("Next runs (client's local time)", "\n".join(lines)))
    else:
        fields.append(EmbedField("Next runs", "nothing planned in the next hours"))
    return Embed(
        title=profile.display_name or str(profile.user_id),
        fields=tuple(fields),
        footer=f"id {profile.user_id}",
    )


def roster_page(
    profiles: list[ClientProfile], total: int, page: int, per_page: int, now: dt.datetime
) -> Embed:
    lines = []
    for p in profiles:
        status = status_line(p, client_today(p, now))[:120]  # a long pause reason must not overflow
        lines.append(f"**{p.display_name or p.user_id}** — {p.timezone} — {status}")
    pages = max(1, -(-total // per_page))
    return Embed(
        title=f"Clients ({total})",
        description=("\n".join(lines) or "No clients yet: add one with /client add.")[:4096],
        footer=f"page {page} of {pages}",
    )


# What a client reads of a drop on /today: a drop that was sent is "sent" until everything of its
# engine's day is logged (then "done"); one that never reached them is "not sent".
DROP_STATES = {
    JobStatus.pending: "coming up",
    JobStatus.running: "on its way",
    JobStatus.sent: "sent",
    JobStatus.skipped: "skipped",
    JobStatus.expired: "not sent",
    JobStatus.failed: "not sent",
    JobStatus.dead: "not sent",
}


def drop_state(job: Job, complete: Collection[str]) -> str:
    if job.status == JobStatus.sent and job.engine in complete:
        return "done"
    return DROP_STATES.get(job.status, str(job.status))


def today_card(
    profile: ClientProfile,
    jobs: list[Job],
    done: list[str],
    now: dt.datetime,
    registry: ActionLabels,
    complete: Collection[str] = frozenset(),
) -> Embed:
    """`done`: what the client logged today, one line per engine (EngineRegistry.day_lines);
    `complete`: the engines whose day is fully logged so far (self_service.Today.complete), whose
    sent drops read "done" (a drop only delivered reads "sent")."""
    today = client_today(profile, now)
    if not profile.active_on(today):
        why = (
            "you are paused"
            if profile.paused_on(today)
            else f"your plan starts {profile.start_date:%A %d %B}"
        )
        if not done:
            return Embed(title=f"Today, {today:%A %d %B}", description=f"Nothing today: {why}.")
        # Paused mid-day: what was logged before still counts, so it is shown.
        return Embed(
            title=f"Today, {today:%A %d %B}",
            description=f"Nothing more today: {why}.",
            fields=(EmbedField("Logged so far", "\n".join(done)),),
        )
    schedule = []
    for job in jobs:
        if job.action != "drop":
            continue
        when = local_time(job.due_at, profile.zone_on(job.local_date)).split()[-1]
        schedule.append(f"`{when}` {label(job, registry)} — {drop_state(job, complete)}")
    fields = [
        EmbedField(
            "Schedule", "\n".join(schedule) or "Nothing planned yet; drops are planned a few hours ahead."
        )
    ]
    if done:
        fields.append(EmbedField("Logged so far", "\n".join(done)))
    return Embed(title=f"Today, {today:%A %d %B}", fields=tuple(fields))


def compliance_lines(
    outcomes: list[DayOutcome], today: dt.date, labels: Mapping[str, str]
) -> tuple[list[str], int]:
    """7/30/90-day rates per engine (`labels`: name -> label, in display order) and overall
    (days before today: today is not over), and the current streak, which counts today once it
    is fully logged (when `outcomes` reach today)."""
    windows = {days: window_rates(outcomes, today, days) for days in WINDOWS}
    rows = (*labels.items(), (OVERALL, "overall"))
    width = max(NAME_WIDTH, *(len(name) + 1 for _, name in rows))
    lines = []
    for engine, name in rows:
        cells = []
        for window in windows.values():
            rate = window.get(engine)
            cells.append(f"{rate.pct:.0f}%" if rate is not None and rate.pct is not None else "—")
        if any(c != "—" for c in cells):
            lines.append(f"{name:<{width}}{_cells(cells)}")
    return lines, streak(outcomes, today, include_today_if_complete=True)


# The table is read in a code block (monospace): each rate is right-aligned in a cell as wide as
# "100%", the names are padded to the longest, so the columns stay under their header from 0%
# to 100% and for any label.
WINDOWS = (7, 30, 90)
NAME_WIDTH = 9  # "check-in" and a space
CELL_WIDTH = len("100%")
CELL_GAP = " · "


def _cells(cells: list[str]) -> str:
    return " " + CELL_GAP.join(f"{c:>{CELL_WIDTH}}" for c in cells)


def compliance_table(lines: list[str]) -> str:
    """`lines` from compliance_lines, under a header as wide as their name column."""
    if not lines:
        return "Nothing was due yet."
    width = len(lines[0]) - len(_cells(["" for _ in WINDOWS]))
    header = " " * width + _cells([f"{days}d" for days in WINDOWS])
    return "```\n" + "\n".join([header, *lines]) + "\n```"


def stats_embed(name: str, outcomes: list[DayOutcome], today: dt.date, labels: Mapping[str, str]) -> Embed:
    """The client's /stats: rates over whole days, today so far, and the streak (`outcomes` reach
    today)."""
    lines, current = compliance_lines(outcomes, today, labels)
    so_far = rates(outcomes, today, today + dt.timedelta(days=1))[OVERALL]  # what was sent so far
    fields = []
    if so_far.due:
        fields.append(EmbedField("Today so far", f"{so_far.done}/{so_far.due} done"))
    table = compliance_table(lines)
    if not lines and so_far.due:  # day one: no whole day yet, but something was sent
        table = "Rates count whole days: yours start tomorrow, once today is over."
    days = f"{current} fully compliant day{'s' if current != 1 else ''} in a row"
    fields.append(EmbedField("Streak", days))
    return Embed(title=f"Compliance — {name}", description=table, fields=tuple(fields))


def coach_text(current: Assignment | None, history: list[Assignment]) -> str:
    """Who coaches a client, as /client show says it: now (with the handover note for them),
    and who did before."""
    if current is None or current.coach_id is None:
        return "none yet: hand them to a coach with /client edit coach:"
    lines = [f"{current.coach_name} (<@{current.coach_id}>) since {current.from_date:%A %d %B}"]
    if current.note:
        lines.append(f"Handover note: {current.note}")
    later = [a for a in history if a.from_date > current.from_date]
    lines.extend(f"→ {a.coach_name or 'no coach'} from {a.from_date:%A %d %B}" for a in later)
    earlier = [a for a in history if a.from_date < current.from_date]
    if earlier:
        lines.append(
            "Before: " + ", ".join(f"{a.coach_name or 'no coach'} from {a.from_date:%d %b}" for a in earlier)
        )
    return "\n".join(lines)
