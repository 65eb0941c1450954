"""Meta's usage headers, and the gate that stops sending while they say a limit is near.

Meta does not send ``Retry-After``. Every answer carries percentages of the limits used:
``X-App-Usage`` (``call_count``, ``total_cputime``, ``total_time``), ``X-Page-Usage`` (the
same, for Page tokens) and ``X-Business-Use-Case-Usage`` (per business object: the same plus
``estimated_time_to_regain_access``, in minutes). Once any reaches 100 Meta blocks calls for
a while, and every call made meanwhile counts against the app.

So the gate, fed each answer's headers, closes when a percentage is at or above ``HIGH``:
until the time Meta names (or ``DEFAULT_WAIT`` when it names none), each request is refused
before it is sent with ``RetriableError(retry_after=...)``. The engine, which alone waits and
retries, then waits that long; the next request after it is sent and its headers decide
again. The connector never sleeps, and no request is sent only to be refused.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from offboard.spi import RetriableError

HIGH = 90  # percent of a limit from which no request is sent until the wait has passed
DEFAULT_WAIT = 60.0  # seconds, when usage is high and Meta names no time
HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Ad-Account-Usage", "X-Business-Use-Case-Usage")
PERCENTAGES = ("call_count", "total_cputime", "total_time", "acc_id_util_pct")


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _json(value: str | None) -> Any:
    try:
        return json.loads(value) if value else None
    except ValueError:
        return None


def _entries(headers: Mapping[str, str] | None) -> list[Mapping[str, Any]]:
    """Every usage record of an answer: the flat ones, and each business object's list."""
    found: list[Mapping[str, Any]] = []
    for name in HEADERS:
        data = _json(header(headers, name))
        if name == "X-Business-Use-Case-Usage" and isinstance(data, Mapping):
            found += [e for records in data.values() if isinstance(records, list) for e in records if isinstance(e, Mapping)]
        elif isinstance(data, Mapping):
            found.append(data)
    return found


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def highest(headers: Mapping[str, str] | None) -> float:
    """The highest percentage any usage header reports (0 when none does)."""
    return max((_number(e.get(k)) for e in _entries(headers) for k in PERCENTAGES), default=0.0)


def regain_seconds(headers: Mapping[str, str] | None) -> float | None:
    """``estimated_time_to_regain_access`` (minutes) as seconds, the longest of them; None when none is above 0."""
    minutes = max((_number(e.get("estimated_time_to_regain_access")) for e in _entries(headers)), default=0.0)
    return minutes * 60 if minutes > 0 else None


class UsageGate:
    """Closed while Meta's usage is high: ``check`` before each request, ``observe`` each answer's headers."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0
        self._percent = 0.0

    def check(self) -> None:
        with self._lock:
            left = self._until - self._clock()
            percent = self._percent
        if left > 0:
            raise RetriableError(f"Meta reported {percent:.0f}% of an API limit used: offboard sends nothing more until "
                                 f"it has had time to recover ({left:.0f} s)", retry_after=left)

    def observe(self, headers: Mapping[str, str] | None) -> None:
        percent = highest(headers)
        wait = regain_seconds(headers)
        if percent < HIGH and wait is None:
            return
        with self._lock:
            self._percent = max(percent, HIGH)
            self._until = max(self._until, self._clock() + (wait if wait is not None else DEFAULT_WAIT))
