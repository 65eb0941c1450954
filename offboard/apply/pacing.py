"""Request pacing: token buckets the engine builds from what each connector declares.

A connector names its buckets (``rate_limits = {"tier3": RateLimit(50, 60)}``) and calls
``context.pace("tier3")`` before each request of that kind, so that a large workspace
does not run into 429s in the first place. The engine decides the buckets exist; tests
and benchmarks can scale or disable them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """``requests`` per ``per_seconds``, with a burst of up to ``burst`` (default: ``requests``)."""

    requests: float
    per_seconds: float = 60.0
    burst: float | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.per_seconds


class TokenBucket:
    """A thread-safe token bucket; ``take`` blocks until a token is free."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit = limit
        self.capacity = limit.burst if limit.burst is not None else limit.requests
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # total seconds callers spent waiting, for benchmarks

    def take(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.limit.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.limit.rate
                self.waited += wait
            self._sleep(wait)


class Pacer:
    """The buckets of one connector. Unknown bucket names pace nothing."""

    def __init__(self, limits: Mapping[str, RateLimit] | None = None) -> None:
        self.buckets = {name: TokenBucket(limit) for name, limit in (limits or {}).items()}

    def pace(self, bucket: str) -> None:
        if (b := self.buckets.get(bucket)) is not None:
            b.take()
