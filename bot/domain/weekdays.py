"""Training weekdays as a coach writes them (`mon,wed,fri`), as ISO weekdays (Monday = 1)."""

from __future__ import annotations

from typing import Any

WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def parse_weekdays(value: Any) -> list[int]:
    """'mon,wed,fri', ['Mon', 'Wed'], [1, 3, 5] or 'MWF' → ISO weekdays."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text and all(ch in "mtwfs" for ch in text) and "," not in text and len(text) <= 7:
            raise ValueError("write weekdays as names, e.g. 'mon,wed,fri' (single letters are ambiguous)")
        items: list[Any] = [part.strip() for part in text.replace(" ", ",").split(",") if part.strip()]
    else:
        items = list(value)
    days: set[int] = set()
    for item in items:
        if isinstance(item, int) and 1 <= item <= 7:
            days.add(item)
        elif isinstance(item, str) and item.strip().lower()[:3] in WEEKDAYS:
            days.add(WEEKDAYS[item.strip().lower()[:3]])
        else:
            raise ValueError(f"unknown weekday {item!r}: use mon, tue, wed, thu, fri, sat, sun")
    return sorted(days)
