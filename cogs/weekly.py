"""The weekly check-in's Discord side. For the client, in their DM: the check-in's button opens its
form (waist and up to two more measurements, how the week went, wins and struggles); once it is
in, a second button opens the photos form (front, side and back as file uploads, and the coach's
third and fourth measurements). For the coach, under the check-in's announcement: "See the
check-in" (answers, numbers, the photo comparison, only to a coach the scope rule lets act on the
client) and "Answer", whose form goes to the client on the private line. Every button and form
is routed by custom_id, so each works across a restart."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import discord

from bot.discord_adapter.client import BotMode, Regiment
from bot.discord_adapter.interactions import (
    OwnedButton,
    RoutedModal,
    answers_errors,
    modal_inputs,
    owned_modal,
    parse_day,
    reply,
)
from bot.discord_adapter.transport import to_discord_embed
from bot.domain import photos
from bot.engines import weekly
from bot.engines.lifecycle import refresh
from bot.usecases import team as team_uc
from bot.usecases.triggers import Wake
from cogs.checks import actor, is_coach

RATINGS = ("1 · a hard week", "2", "3 · an ordinary week", "4", "5 · a great week")


def _wake(bot: Regiment) -> Wake | None:
    return bot.runtime.dispatcher.notify if bot.runtime is not None else None


def _length_input(name: str, unit: str) -> discord.ui.Label[Any]:
    example = {"waist": ("80.5", "31.5"), "hips": ("98", "38.5"), "chest": ("100", "39.5")}.get(
        name, ("35", "14")
    )
    field: discord.ui.TextInput[Any] = discord.ui.TextInput(
        custom_id="waist" if name == "waist" else weekly.measurement_field(name),
        max_length=6,
        required=False,
        placeholder=f"e.g. {example[1] if unit == 'in' else example[0]}",
    )
    return discord.ui.Label(text=f"{name.capitalize()} ({unit})", component=field)


class ReviewModal(RoutedModal):
    def __init__(self, user_id: int, day: dt.date, unit: str, extras: list[str]) -> None:
        super().__init__(title="Weekly check-in", custom_id=weekly.FORM_ID.format(user_id=user_id, day=day))
        rating: discord.ui.Select[ReviewModal] = discord.ui.Select(
            custom_id="rating",
            options=[
                discord.SelectOption(label=label, value=str(n)) for n, label in enumerate(RATINGS, start=1)
            ],
        )
        story: discord.ui.TextInput[ReviewModal] = discord.ui.TextInput(
            custom_id="story",
            style=discord.TextStyle.paragraph,
            max_length=weekly.STORY_LIMIT,
            required=False,
        )
        for name in ["waist", *extras]:
            self.add_item(_length_input(name, unit))
        self.add_item(discord.ui.Label(text="How did the week go?", component=rating))
        self.add_item(discord.ui.Label(text="Wins and struggles", component=story))


class PhotosModal(RoutedModal):
    def __init__(self, user_id: int, day: dt.date, unit: str, extras: list[str]) -> None:
        super().__init__(
            title="Progress photos", custom_id=weekly.PHOTOS_FORM_ID.format(user_id=user_id, day=day)
        )
        for pose in photos.POSES:
            upload = discord.ui.FileUpload(
                custom_id=f"photo-{pose}", required=False, min_values=0, max_values=1
            )
            self.add_item(
                discord.ui.Label(
                    text=f"{pose.capitalize()} photo",
                    description=f"{photos.ACCEPTED}, up to {photos.MAX_BYTES // photos.MiB} MiB",
                    component=upload,
                )
            )
        for name in extras:
            self.add_item(_length_input(name, unit))


async def _open_form(
    interaction: discord.Interaction, user_id: int, day: dt.date, *, photos_form: bool
) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    unit, extras = await weekly.form_questions(
        bot.pool, bot.clock, user_id=user_id, day=day, photos_form=photos_form
    )
    form = PhotosModal if photos_form else ReviewModal
    await interaction.response.send_modal(form(user_id, day, unit, extras))


class OpenReviewButton(OwnedButton, template=weekly.OPEN_ID.pattern):
    async def handle(self, interaction: discord.Interaction) -> None:
        await _open_form(interaction, self.user_id, self.day, photos_form=False)


class OpenPhotosButton(OwnedButton, template=weekly.PHOTOS_ID.pattern):
    async def handle(self, interaction: discord.Interaction) -> None:
        await _open_form(interaction, self.user_id, self.day, photos_form=True)


@owned_modal
async def on_submit(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    done = await weekly.submit(
        bot.pool, bot.clock, user_id=int(match["user"]), day=parse_day(match["day"]), values=values,
        wake=_wake(bot),
    )  # fmt: skip
    more = " Add progress photos with the Add photos button." if len(done.messages[0].buttons()) > 1 else ""
    await reply(
        interaction, f"Weekly check-in sent: week {done.answers.rating}/5. Your coach will read it.{more}"
    )
    await refresh(bot.transport, done.drop, done.messages)


def uploads_of(interaction: discord.Interaction) -> list[weekly.Upload]:
    """The files of a modal's file uploads (`photo-<pose>`), as Discord resolved them."""
    data: dict[str, Any] = dict(interaction.data or {})
    resolved = (data.get("resolved") or {}).get("attachments") or {}
    found: list[weekly.Upload] = []
    for component in modal_inputs(data):
        custom_id = str(component["custom_id"])
        if component.get("type") != 19 or not custom_id.startswith("photo-"):
            continue
        for attachment_id in component.get("values") or []:
            payload = resolved.get(str(attachment_id))
            if payload is None:
                continue
            # Routed by custom_id, not by discord.py's modal store (which would resolve the
            # files itself): the Attachment is built from the payload as discord.py does.
            attachment = discord.Attachment(data=payload, state=interaction._state)
            found.append(
                weekly.Upload(
                    pose=custom_id.removeprefix("photo-"),
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    size=attachment.size,
                    read=attachment.read,
                )
            )
    return found


@owned_modal
async def on_photos(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
    bot: Regiment = interaction.client  # type: ignore[assignment]
    uploads = uploads_of(interaction)
    await interaction.response.defer(ephemeral=True, thinking=True)  # downloads and resizing take a moment
    sent = await weekly.submit_photos(
        bot.pool, bot.clock, user_id=int(match["user"]), day=parse_day(match["day"]), values=values,
        uploads=uploads,
    )  # fmt: skip
    parts = []
    if sent.poses:
        parts.append(
            f"{len(sent.poses)} photo{'s' if len(sent.poses) != 1 else ''} ({', '.join(sent.poses)})"
        )
    if sent.measured:
        parts.append(", ".join(sent.measured))
    await reply(interaction, f"Saved: {' and '.join(parts)}. Only you and your coaches can see your photos.")
    await refresh(bot.transport, sent.drop, sent.messages)


async def _coach_may_see(interaction: discord.Interaction, user_id: int) -> Regiment:
    """A coach (in the coaches' server, or a coach of the team in their DM) whom the scope rule
    lets act on this client; anyone else is refused before anything is read."""
    bot: Regiment = interaction.client  # type: ignore[assignment]
    if interaction.guild_id is not None:
        is_coach(interaction)
    else:
        await team_uc.require_coach(bot.pool, interaction.user.id)
    await team_uc.check_scope(bot.pool, bot.clock, bot.settings, actor(interaction), user_id)
    return bot


class _CoachButton(discord.ui.DynamicItem[discord.ui.Button], template=r"(?!)"):  # type: ignore[type-arg]
    def __init__(self, custom_id: str, user_id: int, day: dt.date) -> None:
        super().__init__(discord.ui.Button(label="…", custom_id=custom_id))
        self.user_id, self.day = user_id, day

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> _CoachButton:
        return cls(match.string, int(match["user"]), parse_day(match["day"]))


class SeeReviewButton(_CoachButton, template=weekly.SEE_ID.pattern):
    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        bot = await _coach_may_see(interaction, self.user_id)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the photo sheet is drawn now
        seen = await weekly.review(bot.pool, self.user_id, self.day)
        sheet = discord.File(io.BytesIO(seen.sheet), filename="check-in.jpg") if seen.sheet else None
        await reply(interaction, embed=to_discord_embed(seen.embed), file=sheet)


class AnswerModal(RoutedModal):
    def __init__(self, user_id: int, day: dt.date, name: str) -> None:
        super().__init__(
            title=f"Answer {name}'s check-in",
            custom_id=weekly.ANSWER_FORM_ID.format(user_id=user_id, day=day),
        )
        answer: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            custom_id="answer", style=discord.TextStyle.paragraph, max_length=weekly.ANSWER_LIMIT
        )
        self.add_item(discord.ui.Label(text="Your answer (they get it as a note from you)", component=answer))


class AnswerReviewButton(_CoachButton, template=weekly.ANSWER_ID.pattern):
    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        bot = await _coach_may_see(interaction, self.user_id)
        name = await weekly.client_name(bot.pool, self.user_id, self.day)
        await interaction.response.send_modal(AnswerModal(self.user_id, self.day, name))


async def on_answer(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
    user_id, day = int(match["user"]), parse_day(match["day"])
    bot = await _coach_may_see(interaction, user_id)
    await interaction.response.defer(ephemeral=True, thinking=True)  # it waits for the delivery
    answered = await weekly.answer(
        bot.pool, bot.clock, user_id=user_id, day=day, coach_id=interaction.user.id,
        coach_name=interaction.user.display_name, text_=values.get("answer"), wake=_wake(bot),
    )  # fmt: skip
    await reply(interaction, answered.text)


async def setup(bot: Regiment) -> None:
    if bot.mode == BotMode.gateway:
        bot.add_dynamic_items(OpenReviewButton, OpenPhotosButton, SeeReviewButton, AnswerReviewButton)
        bot.modal_router.add(weekly.FORM_ID.pattern, on_submit)
        bot.modal_router.add(weekly.PHOTOS_FORM_ID.pattern, on_photos)
        bot.modal_router.add(weekly.ANSWER_FORM_ID.pattern, on_answer)


async def teardown(bot: Regiment) -> None:
    bot.remove_dynamic_items(OpenReviewButton, OpenPhotosButton, SeeReviewButton, AnswerReviewButton)
