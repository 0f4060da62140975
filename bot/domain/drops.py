"""A drop: what an engine sent a client for one local date (the day's check-in, meals, cardio or
workout), logged against until its deadline. One rule decides whether it is still open."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol


class Drop(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def user_id(self) -> int: ...
    @property
    def local_date(self) -> dt.date: ...
    @property
    def deadline(self) -> dt.datetime: ...
    @property
    def delivered_at(self) -> dt.datetime | None: ...
    @property
    def closed_at(self) -> dt.datetime | None: ...
    @property
    def messages(self) -> list[dict[str, Any]]: ...


def is_open(drop: Drop, now: dt.datetime) -> bool:
    """Delivered, not closed, and before its deadline: the only state in which a log is taken."""
    return drop.delivered_at is not None and drop.closed_at is None and now < drop.deadline


def parts_showing(drop: Drop, item: int | None) -> list[dict[str, Any]]:
    """The stored message parts (every copy a resend added) that show item `item`: parts that
    record the range of items they hold (a long workout) are picked by it, the others always."""
    return [
        part
        for part in drop.messages
        if item is None or "first" not in part or part["first"] <= item <= part["last"]
    ]
