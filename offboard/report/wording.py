"""Plain English for the report a person reads: dates, counts with the right plural, lists with "and".

The report is rendered again by ``offboard verify`` on any machine, so nothing here depends on the
reader's clock, time zone or locale: times are shown in UTC, months by their English names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def plain(value: Any) -> str:
    """A value as text: None is blank, anything not a string as compact JSON (only the appendix shows such)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


def when(value: Any) -> str:
    """An ISO 8601 time as "29 Nov 2026, 14:03 UTC"; a value that is not one is shown as it is."""
    text = plain(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, {moment.hour:02d}:{moment.minute:02d} UTC"


def day(value: Any) -> str:
    """A date (YYYY-MM-DD) as "31 Dec 2026"; a value that is not one is shown as it is."""
    text = plain(value)
    try:
        found = date.fromisoformat(text)
    except ValueError:
        return text
    return f"{found.day} {MONTHS[found.month - 1]} {found.year}"


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "change")`` is "1 change", ``count(3, "change")`` "3 changes"."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def listed(items: Iterable[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
