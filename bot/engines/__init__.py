"""The engines the bot runs. One list, used by the bot, the simulator and the benchmarks."""

from __future__ import annotations

from bot.config import Settings
from bot.engine import EngineRegistry


def build_registry(settings: Settings) -> EngineRegistry:
    from bot.engines import cardio, checkin, flags, meals, roster, training

    return EngineRegistry(
        [
            checkin.build(settings),
            meals.build(settings),
            cardio.build(settings),
            training.build(settings),
            roster.build(settings),
            flags.build(settings),
        ]
    )
