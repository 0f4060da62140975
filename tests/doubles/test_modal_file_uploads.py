"""The double learns modal file uploads (a FileUpload, type 19, inside a Label): a real discord.py
modal receives the files as resolved attachments, and the counts Discord enforces are enforced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bot.domain import photos
from doubles.discord import CLIENT_USER_ID, DiscordDouble, DoubleUsageError, discord_double_fixture  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)


class PhotoModal(discord.ui.Modal, title="Progress photos"):
    def __init__(self, got: list[Any]) -> None:
        super().__init__(custom_id="photos-modal")
        self.got = got
        self.uploads = {}
        for pose in photos.POSES:
            up = discord.ui.FileUpload(
                custom_id=f"photo-{pose}", required=pose == "front", min_values=0, max_values=1
            )
            self.uploads[pose] = up
            self.add_item(discord.ui.Label(text=f"{pose.capitalize()} photo", component=up))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        for pose, up in self.uploads.items():
            for a in up.values:
                data = await a.read()
                self.got.append((pose, a.filename, a.content_type, a.size, data))
        await interaction.response.send_message("ok", ephemeral=True)


class Bot(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default())
        self.tree = discord.app_commands.CommandTree(self)
        self.got: list[Any] = []

        @self.tree.command(name="photos", description="send photos")
        async def cmd(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(PhotoModal(self.got))


@pytest.fixture
async def bot(discord_double: DiscordDouble) -> AsyncIterator[Bot]:
    client = Bot()
    async with discord_double.running(client):
        await client.tree.sync()
        yield client


async def test_files_reach_the_modal(discord_double: DiscordDouble, bot: Bot) -> None:
    opened = await discord_double.slash(CLIENT_USER_ID, "photos")
    assert opened.modal is not None and opened.modal.components[0]["component"]["type"] == 19
    with pytest.raises(DoubleUsageError, match="at least 1"):
        await discord_double.submit_modal(CLIENT_USER_ID, "photos-modal", {})
    with pytest.raises(DoubleUsageError, match="at most 1"):
        await discord_double.submit_modal(
            CLIENT_USER_ID, "photos-modal", {"photo-front": [("a.png", PNG)] * 2}
        )
    done = await discord_double.submit_modal(
        CLIENT_USER_ID,
        "photos-modal",
        {"photo-front": [("front.png", PNG)], "photo-back": [("back.jpg", b"%PDF-1.7 fake")]},
    )
    assert done.content == "ok"
    assert bot.got == [
        ("front", "front.png", "image/png", len(PNG), PNG),
        ("back", "back.jpg", "image/jpeg", 13, b"%PDF-1.7 fake"),
    ]
    resolved = done.payload["data"]["resolved"]["attachments"]
    assert len(resolved) == 2
