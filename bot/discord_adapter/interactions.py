"""Answering interactions: one reply helper, one error path, and the custom_id router.

- Every answer goes through `reply`, which knows whether the interaction was already answered
  or deferred (answering twice raises in discord.py; after `defer()` only follow-ups work).
- A `UserFacingError` carries text safe to show; anything else becomes a short apology and a
  logged traceback with context.
- Modal submits are routed by their custom_id from `on_interaction`, not by discord.py's
  in-memory modal store, so a modal opened before a restart and submitted after it still lands.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from loguru import logger

from bot.domain.errors import UserFacingError


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    file: discord.File | None = None,
    ephemeral: bool = True,
) -> None:
    kwargs: dict[str, object] = {"ephemeral": ephemeral}
    if content is not None:
        kwargs["content"] = content[:2000]
    if embed is not None:
        kwargs["embed"] = embed
    if file is not None:
        kwargs["file"] = file
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)  # type: ignore[arg-type]
    else:
        await interaction.response.send_message(**kwargs)  # type: ignore[arg-type]


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one place an interaction's failure turns into words for the user."""
    original = getattr(error, "original", None) or error
    if isinstance(original, UserFacingError):
        text = str(original)
    elif isinstance(error, discord.app_commands.CheckFailure):
        text = str(error) or "You can't use this command."
    else:
        logger.bind(
            user=interaction.user.id if interaction.user else None,
            command=getattr(interaction.command, "qualified_name", None),
            custom_id=(interaction.data or {}).get("custom_id") if interaction.data else None,
        ).opt(exception=original).error("interaction failed")
        text = "Sorry — something went wrong on our side. It has been logged; please try again."
    try:
        await reply(interaction, text)
    except discord.HTTPException:
        logger.warning("could not tell the user about an error (interaction expired?)")


def answers_errors(
    callback: Callable[[Any, discord.Interaction], Awaitable[None]],
) -> Callable[[Any, discord.Interaction], Awaitable[None]]:
    """For component callbacks: discord.py only logs their exceptions (the user would see
    "This interaction failed"), so route them through `report_error` like commands."""

    @functools.wraps(callback)
    async def wrapper(self: Any, interaction: discord.Interaction) -> None:
        try:
            await callback(self, interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    return wrapper


ModalHandler = Callable[[discord.Interaction, re.Match[str], dict[str, str]], Awaitable[None]]


def modal_inputs(data: dict[str, object]) -> list[dict[str, Any]]:
    """Every input of a MODAL_SUBMIT payload (a component with a custom_id), in order, whether it
    sits in a Label or a legacy row."""
    found: list[dict[str, Any]] = []

    def walk(component: object) -> None:
        if not isinstance(component, dict):
            return
        if component.get("custom_id") is not None:
            found.append(component)
        for key in ("component", "components"):
            child = component.get(key)
            for item in child if isinstance(child, list) else [child]:
                walk(item)

    for component in data.get("components", []) or []:  # type: ignore[union-attr]
        walk(component)
    return found


def modal_values(data: dict[str, object]) -> dict[str, str]:
    """Flatten a MODAL_SUBMIT payload into {input custom_id: value}: text inputs give their
    value, selects their first selected value; works for Label-wrapped and legacy row inputs."""
    values: dict[str, str] = {}
    for component in modal_inputs(data):
        custom_id = str(component["custom_id"])
        if "value" in component:
            values[custom_id] = str(component.get("value") or "")
        elif "values" in component:
            selected = component.get("values") or []
            values[custom_id] = str(selected[0]) if selected else ""
    return values


class ModalRouter:
    """Routes MODAL_SUBMIT interactions to handlers by a custom_id pattern (fullmatch)."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], ModalHandler]] = []

    def add(self, pattern: str, handler: ModalHandler) -> None:
        compiled = re.compile(pattern)
        if any(p.pattern == compiled.pattern for p, _ in self._routes):
            raise ValueError(f"modal pattern {pattern} registered twice")
        self._routes.append((compiled, handler))

    @property
    def patterns(self) -> list[str]:
        return [p.pattern for p, _ in self._routes]

    async def dispatch(self, interaction: discord.Interaction) -> bool:
        if interaction.type is not discord.InteractionType.modal_submit or not interaction.data:
            return False
        custom_id = str(interaction.data.get("custom_id", ""))
        for pattern, handler in self._routes:
            match = pattern.fullmatch(custom_id)
            if match:
                try:
                    await handler(interaction, match, modal_values(dict(interaction.data)))
                except Exception as exc:
                    await report_error(interaction, exc)
                return True
        return False


class RoutedModal(discord.ui.Modal):
    """A modal whose submit is handled by the ModalRouter (see module docstring). Its own
    on_submit does nothing; the timeout frees discord.py's in-memory copy."""

    def __init__(self, *, title: str, custom_id: str) -> None:
        super().__init__(title=title[:45], custom_id=custom_id, timeout=900)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        return None


def parse_day(text: str) -> dt.date:
    """The yyyymmdd day carried in a custom_id."""
    return dt.datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a date, no time involved


class OwnedButton(discord.ui.DynamicItem[discord.ui.Button], template=r"(?!)"):  # type: ignore[type-arg]
    """A persistent button that belongs to one client on one day. Subclasses give a template
    with `user` and `day` groups (and `index` where there is one) and implement `handle`.

    Only that client may use it (anyone else gets an ephemeral refusal: discord.py would send
    nothing), and whatever `handle` raises is answered through `report_error`."""

    # The one refusal for every client's button and form (the training cog's too).
    refusal = "This belongs to someone else: you can only log your own."

    def __init__(self, custom_id: str, user_id: int, day: dt.date, index: int | None = None) -> None:
        super().__init__(discord.ui.Button(label="…", custom_id=custom_id))
        self.user_id, self.day, self.index = user_id, day, index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> OwnedButton:
        index = match.groupdict().get("index")
        return cls(match.string, int(match["user"]), parse_day(match["day"]), int(index) if index else None)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.user_id:
            await reply(interaction, self.refusal)
            return False
        return True

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.handle(interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    async def handle(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError


def owned_modal(handler: ModalHandler) -> ModalHandler:
    """For modal routes whose custom_id carries `user`: refuse anyone else before `handler`."""

    @functools.wraps(handler)
    async def wrapper(interaction: discord.Interaction, match: re.Match[str], values: dict[str, str]) -> None:
        if interaction.user.id != int(match["user"]):
            raise UserFacingError(OwnedButton.refusal)
        await handler(interaction, match, values)

    return wrapper
