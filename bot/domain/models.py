"""Rows as models for the aggregates the engines pass around (profiles, jobs, training sessions
and logs, daily drops): each is built from its row by `from_row`, in one place per aggregate.
Other reads (job cards, reports, alerts) stay asyncpg records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        return cls.model_validate(dict(row))


class Unit(StrEnum):
    kg = "kg"
    lb = "lb"


class ClientProfile(Row):
    user_id: int
    review_weekday: int | None = None  # the weekly check-in's ISO weekday (None: the setting)
    review_at: dt.time | None = None  # the weekly check-in's local time (None: the setting)
    review_measurements: list[str] = []  # what the check-in asks besides the waist (hips, chest, …)
    display_name: str = ""
    timezone: str
    previous_timezone: str | None = None
    timezone_effective_from: dt.date | None = None
    start_date: dt.date
    paused: bool = False
    paused_until: dt.date | None = None
    pause_reason: str | None = None
    block_id: str | None = None
    next_block_id: str | None = None
    next_block_from: dt.date | None = None
    next_day_index: int = 0
    block_started_on: dt.date | None = None  # the current block's run began (its length counts from)
    schedule_days: list[int] = [1, 3, 5]
    day_index: int = 0
    unit: Unit = Unit.kg
    dm_channel_id: int | None = None
    reachable: bool = True
    unreachable_since: dt.datetime | None = None
    honors_opt_out: bool = False
    meal_plan_id: str | None = None
    cardio_plan_id: str | None = None
    weekly_change_min_kg: float | None = None
    weekly_change_max_kg: float | None = None

    def zone_on(self, local_date: dt.date) -> str:
        """The zone that governs `local_date`: a change takes effect from its effective date."""
        if (
            self.timezone_effective_from is not None
            and self.previous_timezone is not None
            and local_date < self.timezone_effective_from
        ):
            return self.previous_timezone
        return self.timezone

    def paused_on(self, local_date: dt.date) -> bool:
        return self.paused and (self.paused_until is None or local_date < self.paused_until)

    def active_on(self, local_date: dt.date) -> bool:
        """Started and not paused on that local date (seed: skip silently otherwise)."""
        return self.start_date <= local_date and not self.paused_on(local_date)


class JobStatus(StrEnum):
    pending = "pending"
    running = "running"
    sent = "sent"
    skipped = "skipped"
    expired = "expired"
    failed = "failed"
    dead = "dead"


class Job(Row):
    id: int
    engine: str
    action: str
    user_id: int | None
    local_date: dt.date
    seq: int = 0
    due_at: dt.datetime
    deadline: dt.datetime | None
    status: JobStatus
    attempts: int
    next_attempt_at: dt.datetime
    lease_until: dt.datetime | None = None
    claimed_by: str | None = None
    last_error: str | None = None
    manual: bool = False
    requested_by: int | None = None
    result: dict[str, Any] | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None  # when its first attempt began
    finished_at: dt.datetime | None = None
    # Set by the claim: an earlier attempt began, so what it sent is unknown (a retry, a worker
    # that died, a claim handed back at shutdown). Its sends look for that attempt's messages.
    resumed: bool = False

    @property
    def key(self) -> str:
        who = self.user_id if self.user_id is not None else "global"
        return f"{self.engine}.{self.action}:{who}:{self.local_date.isoformat()}:{self.seq}"

    def nonce(self, part: int = 0) -> str:
        """Discord message nonce (≤ 25 chars), the same on every retry of this job."""
        return f"rg{self.id}.{part}"


class TrainingSession(Row):
    id: int
    user_id: int
    local_date: dt.date
    block_id: str
    block_version: int
    day_index: int
    day_title: str
    exercises: list[dict[str, Any]]
    messages: list[dict[str, int]] = []
    delivered_at: dt.datetime | None = None
    deadline: dt.datetime
    closed_at: dt.datetime | None = None
    # What the message shows besides the exercises, as of its creation (None: a session from
    # before migration 016, read from the logs instead).
    last_sets: list[dict[str, Any]] | None = None
    block_name: str | None = None


class TrainingLog(Row):
    id: int
    user_id: int
    timestamp: dt.datetime
    date: dt.date
    exercise_id: str
    exercise_name: str
    weight_kg: float | None
    reps: int | None
    block_id: str
    day_index: int
    status: str
    session_id: int
    weight_entered: float | None = None
    unit_entered: Unit | None = None
    is_pr: bool = False


class DailyDrop(Row):
    """What the check-in, meals or cardio engine sent a client on one local date."""

    id: int
    user_id: int
    local_date: dt.date
    engine: str
    content: dict[str, Any]
    messages: list[dict[str, int]] = []
    deadline: dt.datetime
    delivered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None


class JobCard(Row):
    """A card for the coaches: one per (kind, client, scope), worked open → snoozed → resolved."""

    id: int
    kind: str
    user_id: int | None = None
    dedupe_key: str
    urgency: int
    summary: str
    details: dict[str, Any] = {}
    status: str
    opened_at: dt.datetime
    resolved_by: int | None = None
    resolved_at: dt.datetime | None = None
    snoozed_by: int | None = None
    snoozed_until: dt.date | None = None
    note: str | None = None
    announced_at: dt.datetime | None = None
    display_name: str | None = None  # the client's, when the query joins it
    coach_name: str | None = None  # the client's coach when the card was opened, when joined
    state: str | None = None  # open / snoozed / resolved as of today (a snooze that ran out is open)
