"""The emulator's rate limits: per-route buckets with Discord's headers, and the global 50 requests a second.

Per developers/topics/rate-limits.mdx: every answer on a limited route carries ``X-RateLimit-Limit``,
``-Remaining``, ``-Reset`` (epoch seconds), ``-Reset-After`` (float seconds) and ``-Bucket`` (the same
string for routes that share a limit, "non-inclusive of top-level resources", so the guild id keys
the bucket apart); a 429 adds ``Retry-After`` (whole seconds), ``X-RateLimit-Scope`` and a body
``{"message", "retry_after" (float), "global"}``; the global limit's 429 has ``X-RateLimit-Global``.
Each bucket is a fixed window that starts with its first request, as Reset-After suggests.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from offboard.testing.emulation import Response

GLOBAL_PER_SECOND = 50
USER_LIMITED = "You are being rate limited."


@dataclass
class Window:
    limit: int
    seconds: float
    started: float = 0.0
    used: int = 0


def bucket_hash(template: str) -> str:
    return hashlib.sha1(template.encode()).hexdigest()[:16]


def too_many(retry_after: float, headers: dict[str, str], *, global_: bool = False, scope: str = "user") -> Response:
    """Discord's 429: ``retry_after`` (float) in the body, whole seconds in ``Retry-After``."""
    retry_after = round(max(retry_after, 0.001), 3)
    headers = {**headers, "Retry-After": str(max(1, math.ceil(retry_after))), "X-RateLimit-Scope": scope}
    if global_:
        headers["X-RateLimit-Global"] = "true"
    return Response(429, {"message": USER_LIMITED, "retry_after": retry_after, "global": global_}, headers)


class Limits:
    """Per-route windows (``limit_route`` sets one; others get ``default``) and the global sliding second."""

    def __init__(self, default: tuple[int, float] | None = (50, 1.0), global_limit: int | None = GLOBAL_PER_SECOND,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.default = default
        self.global_limit = global_limit
        self.routes: dict[str, tuple[int, float]] = {}
        self._windows: dict[tuple[str, str], Window] = {}
        self._recent: deque[float] = deque()
        self._clock = clock
        self._lock = threading.Lock()

    def limit_route(self, template: str, limit: int, seconds: float) -> None:
        """``template`` as the router names it: ``"PUT /guilds/{guild}/bans/{user}"``."""
        with self._lock:
            self.routes[template] = (limit, seconds)
            self._windows = {k: w for k, w in self._windows.items() if k[0] != template}

    def take(self, template: str, major: str) -> tuple[dict[str, str], Response | None]:
        """The headers for this request, and the 429 to send instead when a limit is used up."""
        with self._lock:
            now = self._clock()
            if self.global_limit is not None:
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                if len(self._recent) >= self.global_limit:
                    return {}, too_many(1.0 - (now - self._recent[0]), {}, global_=True, scope="global")
                self._recent.append(now)
            limit = self.routes.get(template, self.default)
            if limit is None:
                return {}, None
            window = self._windows.get((template, major))
            if window is None or now - window.started >= window.seconds:
                window = self._windows[(template, major)] = Window(limit[0], limit[1], now)
            reset_after = window.seconds - (now - window.started)
            headers = {"X-RateLimit-Limit": str(window.limit), "X-RateLimit-Bucket": bucket_hash(template),
                       "X-RateLimit-Reset-After": f"{reset_after:.3f}", "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}"}
            if window.used >= window.limit:
                return {**headers, "X-RateLimit-Remaining": "0"}, too_many(reset_after, {**headers,
                                                                                           "X-RateLimit-Remaining": "0"})
            window.used += 1
            return {**headers, "X-RateLimit-Remaining": str(window.limit - window.used)}, None
