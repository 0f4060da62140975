"""The stand-in engine's Discord side: the "Check in" button and its one-field modal.

The button is a DynamicItem whose custom_id carries the client and the day, so it works on
messages sent before a restart; the modal's submit is routed by its custom_id (bot.interactions),
so a modal opened before a restart and submitted after it is still recorded."""

from __future__ import annotations

import datetime as dt
import re

import discord

from bot import timezones
from bot.discord_bot import BotMode, Regiment
from bot.engines import demo
from bot.errors import InputError
from bot.interactions import RoutedModal, answers_errors, reply
from bot.repo import clients

_DAY = r"(?P<day>[0-9]{8})"
_USER = r"(?P<user>[0-9]{1,20})"
OPEN_TEMPLATE = rf"rg:demo:open:{_USER}:{_DAY}"
MODAL_TEMPLATE = rf"rg:demo:note:{_USER}:{_DAY}"


def _day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a date, no time involved


async def _closed_message(bot: Regiment, user_id: int, day: dt.date) -> str | None:
    """Words for a click after the check-in closed, else None."""
    async with bot.pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
    if profile is None:
        return "You are no longer a client here."
    try:
        tz = timezones.parse_timezone(profile.zone_on(day))
    except timezones.InvalidTimezone:
        return None
    closes = timezones.due_instant(tz, day, bot.settings.checkin_deadline_at)
    if bot.clock.now() >= closes:
        return f"The check-in for {day:%A %d %B} closed at {bot.settings.checkin_deadline_at:%H:%M}."
    return None


class NoteModal(RoutedModal):
    def __init__(self, user_id: int, day: dt.date) -> None:
        super().__init__(title="Check-in", custom_id=demo.MODAL_ID.format(user_id=user_id, day=day))
        self.note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
            custom_id="note",
            style=discord.TextStyle.paragraph,
            max_length=demo.NOTE_MAX,
            placeholder="Sleep, energy, anything your coach should know",
        )
        self.add_item(discord.ui.Label(text="How do you feel today?", component=self.note))


class CheckInButton(discord.ui.DynamicItem[discord.ui.Button], template=OPEN_TEMPLATE):  # type: ignore[type-arg]
    def __init__(self, user_id: int, day: dt.date) -> None:
        super().__init__(
            discord.ui.Button(label="Check in", custom_id=demo.OPEN_ID.format(user_id=user_id, day=day))
        )
        self.user_id = user_id
        self.day = day

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item,
        match: re.Match[str],  # type: ignore[type-arg]
    ) -> CheckInButton:
        return cls(int(match["user"]), _day(match["day"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.user_id:
            # discord.py sends nothing when this returns False: answer the refusal ourselves.
            await reply(interaction, "This check-in belongs to someone else.")
            return False
        return True

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        bot: Regiment = interaction.client  # type: ignore[assignment]
        closed = await _closed_message(bot, self.user_id, self.day)
        if closed:
            await reply(interaction, closed)
            return
        await interaction.response.send_modal(NoteModal(self.user_id, self.day))


async def on_note(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    user_id, day = int(match["user"]), _day(match["day"])
    if interaction.user.id != user_id:
        raise InputError("This check-in belongs to someone else.")
    note = values.get("note", "").strip()
    problems = []
    if not note:
        problems.append("your answer is empty")
    if len(note) > demo.NOTE_MAX:
        problems.append(f"keep it under {demo.NOTE_MAX} characters")
    if problems:
        raise InputError(problems)
    closed = await _closed_message(bot, user_id, day)
    if closed:
        raise InputError(closed)
    async with bot.pool.acquire() as conn:
        recorded = await demo.record_note(conn, user_id, day, note, bot.clock.now())
    if not recorded:
        raise InputError(f"There is no check-in for {day:%A %d %B}.")
    await reply(interaction, f"Noted for {day:%A %d %B}. Thank you.")


async def setup(bot: Regiment) -> None:
    if bot.mode == BotMode.gateway:
        bot.add_dynamic_items(CheckInButton)
        bot.modal_router.add(MODAL_TEMPLATE, on_note)


async def teardown(bot: Regiment) -> None:
    bot.remove_dynamic_items(CheckInButton)
