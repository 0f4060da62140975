"""The engines the bot runs. One list, used by the bot, the simulator and the benchmarks."""

from __future__ import annotations

from bot.config import Settings
from bot.core.engine import EngineRegistry


def build_registry(settings: Settings) -> EngineRegistry:
    from bot.engines import cardio, checkin, flags, meals, notes, pauses, training, weekly

    return EngineRegistry(
        [
            checkin.build(settings),
            meals.build(settings),
            cardio.build(settings),
            training.build(settings),
            weekly.build(settings),
            pauses.build(settings),
            flags.build(settings),
            notes.build(settings),
        ]
    )
