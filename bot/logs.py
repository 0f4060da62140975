"""Logging: loguru to stdout, stdlib logging (discord.py, asyncpg) routed into it.

Every line passes through one sink that blanks out registered secrets, so the Discord token
never reaches a log line, not even inside a traceback printed while start-up fails.
"""

from __future__ import annotations

import inspect
import logging
import sys
from typing import TextIO

from loguru import logger

_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a value that must never be printed (tokens, passwords in URLs)."""
    if value and len(value) >= 6:
        _secrets.add(value)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return text


class _InterceptHandler(logging.Handler):
    """loguru's documented recipe for taking over the standard library's logging."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame, depth = inspect.currentframe(), 0
        while frame is not None and (depth == 0 or frame.f_code.co_filename == logging.__file__):
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())


def setup_logging(level: str = "INFO", fmt: str = "text", stream: TextIO | None = None) -> None:
    out = stream or sys.stdout

    def sink(message: str) -> None:
        out.write(redact(str(message)))
        out.flush()

    logger.remove()
    logger.add(sink, level=level, serialize=(fmt == "json"), backtrace=False, diagnose=False)
    logging.basicConfig(handlers=[_InterceptHandler()], level=0, force=True)
    # discord.py's gateway chatter at DEBUG is huge; keep its INFO and up.
    for noisy in ("discord.gateway", "discord.http", "discord.client", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.INFO)
