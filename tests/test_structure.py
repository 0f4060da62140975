"""Structure: every extension loads, persistent custom_ids stay within Discord's 100 characters
and match exactly one template, and command names do not collide."""

from __future__ import annotations

import datetime as dt
import re

from bot_harness import running_bot
from helpers import utc

from bot.core.clock import VirtualClock
from bot.discord_adapter.client import extensions
from bot.views import custom_ids

LONGEST_ID = 18_446_744_073_709_551_615  # the largest snowflake: 20 digits


async def test_extensions_templates_and_commands(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4))
    async with running_bot(discord_double, pool, clock, settings) as bot:
        assert set(bot.extensions) == set(extensions(bot.registry))
        dynamic = list(bot._connection._view_store._dynamic_items)  # type: ignore[attr-defined]
        templates = [re.compile(t.pattern) for t in dynamic] + [
            re.compile(p) for p in bot.modal_router.patterns
        ]
        assert len({t.pattern for t in templates}) == len(templates)
        assert all(t.pattern.startswith("rg:") for t in templates), "templates are namespaced"
        day = dt.date(2026, 12, 31)
        for layout in custom_ids.ALL:
            custom_id = layout.format(user_id=LONGEST_ID, day=day, index=24)
            assert len(custom_id) <= 100
            assert sum(1 for t in templates if t.fullmatch(custom_id)) == 1, custom_id

        names: list[tuple[str, int | None]] = []
        for guild in (None, bot.coach_guild):
            names += [(c.name, guild.id if guild else None) for c in bot.tree.get_commands(guild=guild)]
        assert len(names) == len(set(names))
        assert {n for n, g in names if g is None} == {
            "today",
            "timezone",
            "units",
            "history",
            "progress",
            "stats",
            "honors",
            "mydata",
        }
