"""The two ways the double says no: to the test (:class:`DoubleUsageError`, the test asked for
something a real user could not do) and to the bot (:class:`_HTTPError`, answered like Discord)."""

from __future__ import annotations

from typing import Any


class DoubleUsageError(AssertionError):
    """The *test* asked the double for something a real Discord user could not do.

    E.g. clicking a custom_id that is not on the message, invoking a command that was never synced,
    or submitting a modal value longer than its ``max_length``. It subclasses AssertionError so a
    test that does this fails loudly instead of exercising an impossible path.
    """


class _HTTPError(Exception):
    """Internal: abort a REST handler with a Discord-shaped error response."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
