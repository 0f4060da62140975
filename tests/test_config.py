"""Configuration: bad values stop start-up with every bad field named; secrets never printed."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from loguru import logger

from bot.config import ConfigError, load_settings
from bot.logs import register_secret, setup_logging

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.super-secret-token-value"


def test_every_bad_field_is_listed_and_no_value_is_echoed(monkeypatch) -> None:
    monkeypatch.setenv("CHECKIN_PROMPT_AT", "half past five")
    monkeypatch.setenv("SEND_RATE_PER_SECOND", "500")
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    monkeypatch.setenv("COACH_ROLE_ID", TOKEN)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    text = str(caught.value)
    for field in ("CHECKIN_PROMPT_AT", "SEND_RATE_PER_SECOND", "LOG_LEVEL", "COACH_ROLE_ID"):
        assert field in text
    assert "half past five" not in text and TOKEN not in text


def test_defaults_match_the_task_table() -> None:
    settings = load_settings(_env_file=None)
    assert [
        str(t)[:5]
        for t in (
            settings.checkin_prompt_at,
            settings.meals_drop_at,
            settings.training_drop_at,
            settings.checkin_deadline_at,
            settings.day_deadline_at,
        )
    ] == ["05:30", "06:00", "07:00", "12:00", "22:00"]
    assert settings.flag_scan_weekday == 6 and str(settings.flag_scan_at_utc)[:5] == "22:00"


def test_registered_secrets_are_blanked_in_every_log_line() -> None:
    stream = io.StringIO()
    register_secret(TOKEN)
    setup_logging("DEBUG", "text", stream=stream)
    try:
        logger.info("connecting with {}", TOKEN)
        try:
            raise RuntimeError(f"login failed for token {TOKEN}")
        except RuntimeError:
            logger.exception("start-up failed")
    finally:
        setup_logging("INFO", "text")
    output = stream.getvalue()
    assert "connecting with [redacted]" in output
    assert "login failed" in output and TOKEN not in output


def test_token_never_printed_when_start_up_fails() -> None:
    # A real process: token set, nothing else, and the bot cannot reach Discord or a database.
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "DB_COMMAND_TIMEOUT": "2",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert TOKEN not in proc.stdout + proc.stderr
    assert "super-secret" not in proc.stdout + proc.stderr
