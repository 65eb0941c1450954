"""Discord's per-route rate-limit buckets, read from the answers' headers; the connector never sleeps.

Discord asks clients to read ``X-RateLimit-*`` and "not make requests on exhausted buckets until
after they have reset": a 429 counts towards the 10,000 invalid requests in 10 minutes that get an
IP banned for a while (developers/topics/rate-limits.mdx). So each answer's headers are kept per
bucket (``X-RateLimit-Bucket`` plus the top-level resource of the path, the guild id), and a request
whose bucket is known to be used up is not sent: ``check`` raises ``RetriableError`` with the wait
(``Reset-After``), and the engine, which alone sleeps and retries, tries again after it. The global
50 requests a second is the engine's pacer's job (the connector's ``rate_limits``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from offboard.spi import RetriableError

from .errors import header

MAJOR = ("guilds", "channels", "webhooks")  # the top-level resources that key a bucket apart


def route_key(method: str, path: str) -> str:
    """``"DELETE /guilds/81/members/{id}/roles/{id}"``: ids replaced, but the top-level resource's."""
    parts = path.strip("/").split("/")
    kept = [p if not p.isdigit() or (i == 1 and parts[0] in MAJOR) else "{id}" for i, p in enumerate(parts)]
    return f"{method} /{'/'.join(kept)}"


def major(route: str) -> str:
    parts = route.split(" ", 1)[1].strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] in MAJOR else ""


@dataclass
class Window:
    remaining: int
    resets: float  # monotonic time when the bucket is full again


class Buckets:
    """What Discord said of each bucket. Thread-safe: the engine applies several actions at once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._bucket_of: dict[str, str] = {}  # route -> X-RateLimit-Bucket
        self._windows: dict[tuple[str, str], Window] = {}  # (bucket, major) -> what is left

    def check(self, route: str, what: str) -> None:
        """Before sending: raise ``RetriableError`` when the route's bucket is used up; else count the request."""
        with self._lock:
            bucket = self._bucket_of.get(route)
            window = self._windows.get((bucket, major(route))) if bucket else None
            if window is None:
                return
            now = self._clock()
            if now >= window.resets:
                del self._windows[(bucket or "", major(route))]
                return
            if window.remaining <= 0:
                wait = round(window.resets - now, 3)
                raise RetriableError(f"Discord's rate limit for this kind of request is used up (to {what}): "
                                     f"it is tried again after {wait:g} s, without asking Discord first", retry_after=wait)
            window.remaining -= 1  # the answer's headers correct it

    def update(self, route: str, headers: Mapping[str, str]) -> None:
        """After an answer: remember its bucket and what is left of it."""
        bucket = header(headers, "X-RateLimit-Bucket")
        remaining, reset_after = header(headers, "X-RateLimit-Remaining"), header(headers, "X-RateLimit-Reset-After")
        if bucket is None or remaining is None or reset_after is None:
            return
        try:
            left, wait = int(remaining), float(reset_after)
        except ValueError:
            return
        with self._lock:
            self._bucket_of[route] = bucket
            self._windows[(bucket, major(route))] = Window(left, self._clock() + wait)
