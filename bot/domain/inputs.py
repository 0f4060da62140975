"""Numbers people type into modals: one parser, one kind of message for every field.

Accepts `72`, `72.5` and `72,5`; refuses words, signs, exponents, NaN and infinity with a message
that names the field and says what is expected. Pure functions; problems are collected so a form
with several bad fields is answered once, with all of them."""

from __future__ import annotations

import re
from decimal import Decimal

# ASCII digits only: "²" or "٣" are digits to str.isdigit(), not to int() or to a client.
_DECIMAL = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_INTEGER = re.compile(r"[0-9]+")


def _fmt(value: float) -> str:
    return f"{value:g}"


def unsigned(raw: str, *, whole: bool = False) -> float | None:
    """The value of `raw` if it is a number written with ASCII digits and nothing else: `72`, or
    (unless `whole`) `72.5` / `72,5`. None for anything else: signs, spaces, words, exponents,
    NaN, infinity. The caller strips `raw` and words the problem. A few hundred digits or more
    give `inf`, which every range check refuses."""
    if not (_INTEGER if whole else _DECIMAL).fullmatch(raw):
        return None
    return float(Decimal(raw.replace(",", ".")))


def number(
    text: str,
    field: str,
    problems: list[str],
    *,
    low: float,
    high: float,
    whole: bool = False,
    required: bool = True,
    unit: str = "",
) -> float | None:
    """The value of `text` in [low, high], or None with a problem added (or None if empty and
    not required)."""
    raw = text.strip()
    if whole and re.fullmatch(r"[0-9]{1,3}(?:[, ][0-9]{3})+", raw):
        raw = raw.replace(",", "").replace(" ", "")  # "10,000" steps, as the prescription shows it
    suffix = f" {unit}" if unit else ""
    expected = f"{'a whole number' if whole else 'a number'} from {_fmt(low)} to {_fmt(high)}{suffix}"
    if not raw:
        if required:
            problems.append(f"{field}: required ({expected})")
        return None
    value = unsigned(raw, whole=whole)
    if value is None:
        problems.append(f"{field}: {raw[:20]!r} is not {expected}")
        return None
    if not low <= value <= high:
        problems.append(f"{field}: {raw[:20]} is outside {_fmt(low)}–{_fmt(high)}{suffix}")
        return None
    return value


def text(value: str | None, field: str, problems: list[str], *, limit: int) -> str | None:
    """Free text (a note, a reason): at most `limit` characters, no NUL (PostgreSQL cannot store
    it, and no keyboard types it). Empty becomes None."""
    if value is None:
        return None
    cleaned = value.strip()
    if "\x00" in cleaned:
        problems.append(f"{field}: contains a NUL character; please retype it")
        return None
    if len(cleaned) > limit:
        problems.append(f"{field}: {limit} characters at most (this one has {len(cleaned)})")
        return None
    return cleaned or None
