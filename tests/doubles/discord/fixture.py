"""The ``discord_double`` pytest fixture: a started double, discord.py pointed at it, and a test
failure at teardown for every violation it recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .double import DiscordDouble


async def _discord_double() -> AsyncIterator[DiscordDouble]:
    """A started :class:`DiscordDouble` with the default coaching server, discord.py pointed at it.

    Guild 1000 "The Regiment": role Coach 2000 and Admin 2001 (administrator); members coach 3000
    (Coach), client 3001 (no role), admin 3002 (Admin, owner); text channels 4000 coaches,
    4001 alerts, 4002 honors. Sets ``discord.http.Route.BASE`` and the default gateway URL for the
    test and restores them after. Fails the test at teardown if any violation was recorded.
    """
    double = DiscordDouble.with_defaults()
    async with double:
        with double.patch_discord():
            yield double
    if double.violations:
        listing = "\n".join(f"  - {v}" for v in double.violations)
        pytest.fail(
            f"Discord double recorded {len(double.violations)} violation(s):\n{listing}", pytrace=False
        )


#: The fixture. ``from doubles.discord import discord_double`` in a conftest makes it available.
discord_double = pytest.fixture(_discord_double, name="discord_double")
#: The same fixture under another import name: a test module can import this one and still take a
#: ``discord_double`` parameter without shadowing an imported name (ruff F811).
discord_double_fixture = pytest.fixture(_discord_double, name="discord_double")
