"""/trigger's action and /logs's engine suggestions through Discord: from the registry, by
label, to coaches only."""

from __future__ import annotations

from bot_harness import CLIENT, COACH, GUILD, running_bot
from helpers import utc

from bot.core.clock import VirtualClock


async def test_trigger_suggests_the_registrys_drops_to_coaches_only(discord_double, pool, settings) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 3))
    await discord_double.add_member(GUILD, CLIENT)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        offered = await discord_double.autocomplete(
            COACH, "trigger", {"client": str(CLIENT), "action": ""}, guild_id=GUILD
        )
        expected = [{"name": s.label, "value": s.name} for s in bot.registry.triggerable()]
        assert [{"name": c["name"], "value": c["value"]} for c in offered] == expected
        typed = await discord_double.autocomplete(
            COACH, "trigger", {"client": str(CLIENT), "action": "work"}, guild_id=GUILD
        )
        assert [c["value"] for c in typed] == ["training.drop"]
        refused = await discord_double.autocomplete(
            CLIENT, "trigger", {"client": str(CLIENT), "action": ""}, guild_id=GUILD
        )
        assert refused == []


async def test_logs_suggests_the_registrys_logged_engines_to_coaches_only(
    discord_double, pool, settings
) -> None:
    clock = VirtualClock(utc(2026, 5, 4, 3))
    await discord_double.add_member(GUILD, CLIENT)
    async with running_bot(discord_double, pool, clock, settings) as bot:
        await bot.sync_commands()
        offered = await discord_double.autocomplete(
            COACH, "logs", {"client": str(CLIENT), "engine": ""}, guild_id=GUILD
        )
        labels = bot.registry.log_labels()  # what counts, and what keeps logs without counting (notes)
        assert [(c["name"], c["value"]) for c in offered] == [(label, name) for name, label in labels.items()]
        refused = await discord_double.autocomplete(
            CLIENT, "logs", {"client": str(CLIENT), "engine": ""}, guild_id=GUILD
        )
        assert refused == []
