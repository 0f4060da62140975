"""A client's data, erased at a coach's request: every row that names them, after the coach has
typed the client's name to confirm; the client is told by DM."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from loguru import logger

from bot.core.clock import Clock
from bot.core.delivery import DeliveryError, RecipientUnreachable, Transport
from bot.domain.errors import InputError
from bot.repo import clients, erasure
from bot.usecases.clients import Told, one_off_nonce
from bot.views.messages import Embed, OutgoingMessage

GOODBYE = OutgoingMessage(
    embeds=(
        Embed(
            title="Your data has been deleted",
            description=(
                "Your coach has deleted everything The Regiment held about you: your profile, your "
                "logs, your schedule and your coach's notes. You will get no more messages from the "
                "bot. If this is a mistake, ask your coach to add you again."
            ),
        ),
    )
)


@dataclass(frozen=True)
class Erased:
    name: str
    rows: dict[str, int]  # table -> rows deleted
    told: Told


def confirm_name(profile_name: str, typed: str) -> None:
    """The coach must type the client's name as the bot shows it (case and spacing aside)."""

    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    if not typed.strip() or norm(typed) != norm(profile_name):
        raise InputError(
            f"You typed {typed.strip()!r}, not {profile_name!r}: nothing was deleted. "
            "Run /client delete again and type their name exactly to confirm."
        )


async def client_name(pool: asyncpg.Pool, user_id: int) -> str:
    """The name the coach must type to confirm (their display name, or their id)."""
    async with pool.acquire() as conn:
        profile = await clients.get(conn, user_id)
    if profile is None:
        raise InputError("that person is not a client: there is nothing to delete")
    return profile.display_name or str(profile.user_id)


async def delete_client(
    pool: asyncpg.Pool, transport: Transport, clock: Clock, *, user_id: int, typed_name: str
) -> Erased:
    async with pool.acquire() as conn, conn.transaction():
        profile = await clients.get(conn, user_id, lock=True)
        if profile is None:
            raise InputError("that person is not a client: there is nothing to delete")
        name = profile.display_name or str(profile.user_id)
        confirm_name(name, typed_name)
        rows = await erasure.erase_client(conn, user_id)
    told = Told.sent
    try:
        nonce = one_off_nonce("x", user_id, clock.now().timestamp())
        await transport.send_dm(user_id, profile.dm_channel_id, GOODBYE, nonce=nonce)
    except RecipientUnreachable:
        told = Told.dms_closed
    except DeliveryError as exc:
        logger.warning("could not tell {} their data was deleted: {}", user_id, exc)
        told = Told.not_taken
    return Erased(name, rows, told)
