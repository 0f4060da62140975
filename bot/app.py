"""Process entrypoints that need the database (and, later, Discord)."""

from __future__ import annotations

from bot.config import Settings
from bot.db.lifecycle import open_database


async def migrate_only(settings: Settings) -> None:
    async with open_database(settings):
        pass
