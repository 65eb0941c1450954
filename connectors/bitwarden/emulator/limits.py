"""Bitwarden's per-IP rate limits (AspNetCoreRateLimit fixed windows), for the fake server.

The rules are the defaults of bitwarden/server's ``src/Api/appsettings.json`` and
``src/Identity/appsettings.json``; the cloud runs them (a self-hosted server turns the
middleware off). Counting is per verb across all paths, which is at least as strict as the
middleware's endpoint counting. Each request counts against every rule it matches; the first
rule over its limit answers 429, ``Retry-After`` the seconds left in its window (at least 1)
and the message naming the rule's period, as ``CustomIpRateLimitMiddleware`` writes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from offboard.testing.emulation import Response


@dataclass(frozen=True)
class Rule:
    verb: str  # "get", "post"..., or "*"
    path: str  # "*" or one path
    seconds: int
    limit: int

    @property
    def period(self) -> str:
        return f"{self.seconds // 60}m" if self.seconds >= 60 else f"{self.seconds}s"

    def matches(self, verb: str, path: str) -> bool:
        return self.verb in ("*", verb) and self.path in ("*", path)


API_RULES = (
    *(Rule(verb, "*", 60, 60) for verb in ("post", "put", "delete")),
    *(Rule(verb, "*", 1, 5) for verb in ("post", "put", "delete")),
    Rule("get", "*", 60, 200),
)
IDENTITY_RULES = (Rule("*", "*", 60, 60), Rule("*", "*", 1, 5), Rule("post", "/connect/token", 60, 10))


def quota_exceeded(period: str, retry_after: int) -> Response:
    """The middleware's answer: the internal ErrorResponseModel, status 429, ``Retry-After`` in whole seconds."""
    body = {"message": f"Slow down! Too many requests. Try again in {period}.", "validationErrors": None,
            "exceptionMessage": None, "exceptionStackTrace": None, "innerExceptionMessage": None, "object": "error"}
    return Response(429, body, {"Retry-After": str(max(1, retry_after))})


class Limiter:
    """Fixed windows per rule; ``clock`` is injectable so tests cross a window without sleeping."""

    def __init__(self, rules: tuple[Rule, ...], clock: Callable[[], float]) -> None:
        self.rules = rules
        self.clock = clock
        self._windows: dict[Rule, list[float]] = {}  # rule -> [window start, count]

    def check(self, verb: str, path: str) -> Response | None:
        now = self.clock()
        over: Response | None = None
        for rule in self.rules:
            if not rule.matches(verb.lower(), path):
                continue
            window = self._windows.get(rule)
            if window is None or now >= window[0] + rule.seconds:
                window = self._windows[rule] = [now, 0]
            window[1] += 1
            if window[1] > rule.limit and over is None:
                over = quota_exceeded(rule.period, math.ceil(window[0] + rule.seconds - now))
        return over
