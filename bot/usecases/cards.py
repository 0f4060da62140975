"""Job cards, as coaches work them: list (most urgent first), resolve with a note, snooze until
a date. Bad input raises `InputError` and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from bot.core.clock import Clock
from bot.domain.errors import InputError
from bot.domain.flag_rules import URGENCY
from bot.domain.inputs import text
from bot.domain.models import JobCard
from bot.repo import cards as cards_repo
from bot.usecases.coaching import parse_date

RULES = sorted({*URGENCY, "invalid_plan"})  # the kinds of card there are
STATES = ("open", "snoozed", "resolved", "all")
NOTE_LIMIT = 500


@dataclass(frozen=True)
class CardsPage:
    cards: list[JobCard]
    status: str
    page: int


async def list_cards(
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    user_id: int | None = None,
    rule: str | None = None,
    status: str = "open",
    page: int = 1,
    per_page: int = 10,
    among: set[int] | None = None,
) -> CardsPage:
    """A page of cards (`among`: only those clients'); a snoozed card whose date has come (in
    UTC) counts as open."""
    async with pool.acquire() as conn:
        rows = await cards_repo.list_cards(
            conn,
            today=clock.now().date(),
            user_id=user_id,
            kind=rule,
            state=status,
            limit=per_page,
            offset=(page - 1) * per_page,
            among=among,
        )
    return CardsPage(rows, status, page)


async def card_client(pool: asyncpg.Pool, card_id: int) -> int | None:
    """Whose card it is, for the scope rule before a coach works it."""
    async with pool.acquire() as conn:
        return await cards_repo.client_of(conn, card_id)


async def resolve_card(
    pool: asyncpg.Pool, clock: Clock, *, card_id: int, by: int, note: str | None
) -> JobCard:
    """Mark a card done; returns it as it now is."""
    problems: list[str] = []
    note = text(note, "note", problems, limit=NOTE_LIMIT)
    if problems:
        raise InputError(problems)
    async with pool.acquire() as conn:
        row = await cards_repo.resolve(conn, card_id, by, clock.now(), note)
    if row is None:
        raise InputError(f"There is no open card #{card_id}.")
    return row


async def snooze_card(pool: asyncpg.Pool, clock: Clock, *, card_id: int, by: int, until: str) -> JobCard:
    """Hide a card until a date after today (UTC); returns it as it now is."""
    problems: list[str] = []
    date = parse_date(until, "until", problems)
    today = clock.now().date()
    if date is not None and date <= today:
        problems.append(f"until: {date} is not in the future")
    if problems or date is None:
        raise InputError(problems)
    async with pool.acquire() as conn:
        row = await cards_repo.snooze(conn, card_id, by, date)
    if row is None:
        raise InputError(f"There is no open card #{card_id}.")
    return row
