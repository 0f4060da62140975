"""What coaches and clients read about a client, as plain messages (no discord import)."""

from __future__ import annotations

import datetime as dt

from bot import timezones
from bot.coaching import client_today
from bot.messages import Embed, EmbedField
from bot.models import ClientProfile, Job

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ACTION_LABELS = {
    "demo.prompt": "check-in prompt",
    "demo.mark": "check-in closes",
    "roster.end_pause": "pause ends",
}


def label(job: Job) -> str:
    return ACTION_LABELS.get(f"{job.engine}.{job.action}", f"{job.engine} {job.action}")


def weekdays(days: list[int]) -> str:
    return ", ".join(WEEKDAY_NAMES[d - 1] for d in days) or "none"


def local_time(instant: dt.datetime, zone: str) -> str:
    try:
        tz = timezones.parse_timezone(zone)
    except timezones.InvalidTimezone:
        return f"{instant:%a %d %b %H:%M} UTC"
    return f"{instant.astimezone(tz):%a %d %b %H:%M}"


def status_line(profile: ClientProfile, today: dt.date) -> str:
    parts = []
    if profile.start_date > today:
        parts.append(f"starts {profile.start_date}")
    if profile.paused:
        until = f" until {profile.paused_until}" if profile.paused_until else ""
        reason = f" ({profile.pause_reason})" if profile.pause_reason else ""
        parts.append(f"paused{until}{reason}")
    if not profile.reachable:
        parts.append("unreachable (DMs closed)")
    if not timezones.is_valid(profile.timezone):
        parts.append("invalid timezone")
    return ", ".join(parts) or "active"


def client_card(profile: ClientProfile, upcoming: list[Job], now: dt.datetime) -> Embed:
    today = client_today(profile, now)
    block = profile.block_id or "default"
    if profile.next_block_id and profile.next_block_from:
        block += (
            f" → {profile.next_block_id} from {profile.next_block_from} (day {profile.next_day_index + 1})"
        )
    zone = profile.timezone
    if (
        profile.timezone_effective_from
        and profile.previous_timezone
        and today < profile.timezone_effective_from
    ):
        zone = f"{profile.previous_timezone} → {profile.timezone} from {profile.timezone_effective_from}"
    fields = [
        EmbedField("Status", status_line(profile, today), inline=True),
        EmbedField("Timezone", f"{zone}\nlocal now: {local_time(now, profile.timezone)}", inline=True),
        EmbedField(
            "Training", f"{block}\nday index {profile.day_index}\n{weekdays(profile.schedule_days)}", True
        ),
        EmbedField("Unit", str(profile.unit), inline=True),
    ]
    if upcoming:
        lines = [f"{local_time(j.due_at, profile.zone_on(j.local_date))} — {label(j)}" for j in upcoming[:10]]
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


def today_card(profile: ClientProfile, jobs: list[Job], now: dt.datetime) -> Embed:
    today = client_today(profile, now)
    if not profile.active_on(today):
        why = "you are paused" if profile.paused_on(today) else f"your plan starts {profile.start_date}"
        return Embed(title=f"Today, {today:%A %d %B}", description=f"Nothing today: {why}.")
    lines = []
    for job in jobs:
        when = local_time(job.due_at, profile.zone_on(job.local_date)).split()[-1]
        state = {"pending": "coming up", "running": "on its way", "sent": "done"}.get(
            str(job.status), str(job.status)
        )
        note = " ✅ answered" if job.result and job.result.get("note") else ""
        lines.append(f"`{when}` {label(job)} — {state}{note}")
    return Embed(
        title=f"Today, {today:%A %d %B}",
        description="\n".join(lines)
        or "Nothing is planned yet for today; drops are planned a few hours ahead.",
    )
