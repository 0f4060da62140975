"""Errors that carry words for people.

Domain code raises these with text safe to show; the Discord layer's one error handler shows it
(and logs anything else with a traceback). Nothing here imports discord.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose message is meant for the person who caused it."""


class InputError(UserFacingError):
    """Bad input: every problem found. Nothing was written. One problem reads as a sentence;
    several are a bulleted list, one per line."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(problem_text(self.problems))


def problem_text(problems: list[str]) -> str:
    """How problems are told: one as it is, several as "• " lines."""
    if len(problems) == 1:
        return problems[0]
    return "\n".join(f"• {p}" for p in problems)
