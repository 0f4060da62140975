"""Configuration: one pydantic-settings model, read from the environment and `.env`.

Every setting has a comment in `.env.example`. A bad value stops start-up with one message
that lists every bad field by name and never echoes the values (a misplaced token must not
end up in a log).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.team import Scope


class LogFormat(StrEnum):
    text = "text"
    json = "json"


# The longest window compliance is reported over (/client show, /stats: the last 90 days). Job
# history is kept at least this long; tests/core/test_retention.py holds it to the use cases' windows.
COMPLIANCE_WINDOW_DAYS = 90


class ConfigError(RuntimeError):
    """Start-up refused because of configuration; the message is safe to print."""


def _parse_hhmm(value: object) -> object:
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError("must be a time of day as HH:MM, e.g. 05:30") from exc
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    # --- Discord -----------------------------------------------------------------------
    discord_token: SecretStr | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    coach_guild_id: int | None = None
    coach_role_id: int | None = None
    head_coach_role_id: int | None = None
    # team: every coach steers every client; own: a coach only their own (head coaches all).
    coach_scope: Scope = Scope.team
    coach_channel_id: int | None = None
    alert_channel_id: int | None = None
    honors_channel_id: int | None = None
    shard_count: int | None = Field(default=None, ge=1)

    # --- Database ----------------------------------------------------------------------
    database_url: SecretStr | None = None
    database_pooler: bool = False
    embedded_db_dir: Path = Path(".regiment-data/pg")
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    db_command_timeout: float = Field(default=30.0, gt=0)

    # --- Action times (client-local) and the weekly scan (UTC) ----------------------------
    checkin_prompt_at: dt.time = dt.time(5, 30)
    checkin_deadline_at: dt.time = dt.time(12, 0)
    meals_drop_at: dt.time = dt.time(6, 0)
    cardio_drop_at: dt.time = dt.time(6, 0)
    training_drop_at: dt.time = dt.time(7, 0)
    day_deadline_at: dt.time = dt.time(22, 0)
    resume_notice_at: dt.time = dt.time(5, 0)
    flag_scan_weekday: int = Field(default=6, ge=0, le=6)  # Monday=0 … Sunday=6
    flag_scan_at_utc: dt.time = dt.time(22, 0)
    # The flag rules' thresholds (each shown on the cards it raises).
    flag_min_compliance_pct: float = Field(default=70.0, ge=0, le=100)
    flag_drop_points: float = Field(default=20.0, gt=0, le=100)
    flag_missed_days: int = Field(default=3, ge=1, le=30)
    flag_no_checkin_days: int = Field(default=3, ge=1, le=60)
    flag_readiness_drop: float = Field(default=0.75, gt=0, le=4)
    # Local time each day when a client's run of fully missed days is checked (after 22:00).
    # The weekly check-in: on this ISO weekday (Monday = 1; a coach may set another per client)
    # at this local time, due by `review_deadline_at` the day after.
    review_weekday: int = Field(default=7, ge=1, le=7)
    review_at: dt.time = dt.time(9, 0)
    review_deadline_at: dt.time = dt.time(22, 0)
    review_deadline_days: int = Field(default=1, ge=0, le=6)
    escalation_check_at: dt.time = dt.time(22, 30)

    # --- Scheduling and delivery ---------------------------------------------------------
    planning_interval_minutes: int = Field(default=60, ge=1, le=240)
    planning_slack_minutes: int = Field(default=60, ge=0, le=24 * 60)
    # A budget for the jobs one planning pass writes a client at a time, reckoned as each zone's
    # clients (counted up to this many) times its due actions at the setting's time (clients' own
    # other times, and those mid-change of zone, are not counted). A job row costs about 10 µs:
    # 20,000 kept the worst hour under 0.3 s. A zone that would take the pass past this is planned
    # as batches, one row per due action, which the dispatcher's claims turn into jobs when they
    # fall due (bot/repo/batches.py; bench/RESULTS.md §28).
    planning_inline_jobs: int = Field(default=20_000, ge=0, le=10_000_000)
    lease_seconds: int = Field(default=120, ge=5, le=3600)
    claim_batch_size: int = Field(default=50, ge=1, le=1000)
    dispatch_concurrency: int = Field(default=20, ge=1, le=500)
    dispatcher_max_sleep_seconds: float = Field(default=30.0, gt=0)
    retry_first_delay_minutes: float = Field(default=5.0, gt=0)
    retry_backoff_factor: float = Field(default=2.0, ge=1.0)
    retry_max: int = Field(default=3, ge=0, le=10)
    # 48 of Discord's 50 requests/s: measured 45 DMs/s with no 429 (bench/RESULTS.md); interaction
    # responses do not count against the global limit, the remaining 2/s cover edits and posts.
    send_rate_per_second: float = Field(default=48.0, gt=0, le=50)
    dm_open_rate_per_second: float = Field(default=1.0, gt=0, le=10)

    # --- Retention -------------------------------------------------------------------------
    # Finished jobs (and posted alerts) older than this are deleted; never pending or running ones.
    job_retention_days: int = 90
    retention_batch_size: int = Field(default=5000, ge=1, le=100_000)
    retention_max_batches_per_run: int = Field(default=100, ge=1, le=100_000)
    retention_interval_minutes: int = Field(default=60, ge=1, le=24 * 60)

    # --- Operations ------------------------------------------------------------------------
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.text
    health_port: int | None = Field(default=None, ge=1, le=65535)
    shutdown_grace_seconds: float = Field(default=25.0, gt=0)

    _parse_times = field_validator(
        "checkin_prompt_at",
        "checkin_deadline_at",
        "meals_drop_at",
        "cardio_drop_at",
        "training_drop_at",
        "day_deadline_at",
        "resume_notice_at",
        "flag_scan_at_utc",
        "escalation_check_at",
        "review_at",
        "review_deadline_at",
        mode="before",
    )(classmethod(lambda cls, v: _parse_hhmm(v)))

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of TRACE, DEBUG, INFO, SUCCESS, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("job_retention_days")
    @classmethod
    def _covers_compliance(cls, value: int) -> int:
        if value < COMPLIANCE_WINDOW_DAYS:
            raise ValueError(
                f"must be at least {COMPLIANCE_WINDOW_DAYS} (days): the longest compliance window is "
                f"{COMPLIANCE_WINDOW_DAYS} days, and the jobs it covers must still be there"
            )
        return value

    def token(self) -> str:
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ConfigError("DISCORD_TOKEN is not set: the bot needs it to connect to Discord")
        return self.discord_token.get_secret_value().strip()


def load_settings(**overrides: object) -> Settings:
    """Read settings; on failure raise ConfigError naming every bad field (values withheld)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            problems.append(f"  {field.upper()}: {error['msg']}")
        raise ConfigError("invalid configuration:\n" + "\n".join(problems)) from None
