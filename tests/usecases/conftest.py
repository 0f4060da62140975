"""Fixtures for the use-case tests: a picture of the whole database (to prove bad input wrote
nothing), a recording transport, the real engine registry, and a recorder for `replan`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from doubles.recording import RecordingTransport
from helpers import all_rows, utc

from bot.config import Settings
from bot.core.clock import VirtualClock
from bot.core.engine import EngineRegistry
from bot.engines import build_registry

Snapshot = Callable[[], Awaitable[dict[str, list[tuple[Any, ...]]]]]


@pytest.fixture
def snapshot(pool: asyncpg.Pool) -> Snapshot:
    """Every row of every table (ordered), to compare before and after."""

    async def take() -> dict[str, list[tuple[Any, ...]]]:
        return await all_rows(pool)

    return take


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(utc(2026, 5, 4, 15))  # Monday 15:00 UTC


@pytest.fixture
def transport(clock: VirtualClock) -> RecordingTransport:
    return RecordingTransport(clock)


@pytest.fixture
def registry(settings: Settings) -> EngineRegistry:
    return build_registry(settings)


class Replans:
    """Stands in for the runtime's plan_client: records whom it was asked to plan."""

    def __init__(self) -> None:
        self.user_ids: list[int] = []

    async def __call__(self, user_id: int) -> int:
        self.user_ids.append(user_id)
        return 0


@pytest.fixture
def replan() -> Replans:
    return Replans()
