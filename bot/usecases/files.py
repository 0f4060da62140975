"""Files a coach hands over: a Discord attachment (`/plans import`, `/training import`) or a path
on the command line (`python -m bot plans import`, `blocks import`). Both are read by the same
rules: one size limit, UTF-8 text, and the file's own validation; any of these failing raises
`InvalidFile` (an `InputError`) before anything is written."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from bot.domain.errors import InputError

MAX_FILE = 256 * 1024  # bytes; a block or plan file is a few kilobytes

T = TypeVar("T")


class Upload(Protocol):
    """What is needed of a file: a discord.Attachment is one as it is; `LocalFile` for a path."""

    @property
    def filename(self) -> str: ...

    @property
    def size(self) -> int: ...

    async def read(self) -> bytes: ...


class InvalidFile(InputError):
    """The file itself is wrong (too large, not text, or it does not validate): every problem,
    nothing imported. Other input errors (an unknown assignee) are plain `InputError`s."""


class LocalFile:
    """A file on disk as an `Upload`; the constructor raises OSError when it cannot be read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filename = path.name
        self.size = path.stat().st_size

    async def read(self) -> bytes:
        return await asyncio.to_thread(self.path.read_bytes)


async def read_text(file: Upload, what: str, limit: int = MAX_FILE) -> str:
    """The file's text; refuses a file over `limit` bytes before reading it."""
    if file.size > limit:
        raise InvalidFile(f"{file.filename}: {file.size} bytes is too large for a {what} file")
    try:
        return (await file.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidFile(f"{file.filename}: not a text file (UTF-8 YAML or JSON)") from None


async def read_and_parse(file: Upload, what: str, parse: Callable[[str, str], T]) -> T:
    """Read the file and validate it with `parse(text, filename)` (which lists every problem)."""
    text = await read_text(file, what)
    try:
        return parse(text, file.filename)
    except InvalidFile:
        raise
    except InputError as exc:
        raise InvalidFile(exc.problems) from None
