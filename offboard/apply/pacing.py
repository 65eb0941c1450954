"""Request pacing: token buckets the engine builds from what each connector declares.

A connector names its buckets (``rate_limits = {"tier3": RateLimit(50, 60)}``) and calls
``context.pace("tier3")`` before each request of that kind, so that a large workspace
does not run into 429s in the first place. The engine decides the buckets exist; tests
and benchmarks can scale or disable them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RateLimit:
    """``requests`` per ``per_seconds``, with a burst of up to ``burst`` (default: ``requests``).

    ``window``: the service counts the requests of any ``per_seconds`` (Slack's "50 per minute"): never
    more than ``requests`` in one window, where a refilling bucket would allow a full burst and then
    its refill within the same minute, and draw 429s.
    """

    requests: float
    per_seconds: float = 60.0
    burst: float | None = None
    window: bool = False

    @property
    def rate(self) -> float:
        return self.requests / self.per_seconds


class Limiter(Protocol):
    waited: float

    def take(self) -> None: ...

    def count(self) -> None: ...


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

    def _refill(self) -> None:
        """Add the tokens earned since the last look (under the lock)."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.limit.rate)
        self._stamp = now

    def take(self) -> None:
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= 1 - 1e-9:  # not a float's rounding short of a token: that would wait forever
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                wait = (1 - self._tokens) / self.limit.rate
                self.waited += wait
            self._sleep(wait)

    def count(self) -> None:
        """A request that did not wait: its token is owed (the bucket may go below empty)."""
        with self._lock:
            self._refill()
            self._tokens -= 1


class SlidingWindow:
    """At most ``requests`` in any ``per_seconds``: ``take`` blocks until the oldest of them leaves the window.

    A small ``margin`` covers the time a request takes to reach the service, which counts it on arrival.
    """

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit = limit
        self.size = max(1, int(limit.requests))
        self.margin = max(0.25, limit.per_seconds / 100)
        self._sent: deque[float] = deque()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.waited = 0.0

    def take(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                span = self.limit.per_seconds + self.margin - 1e-9  # a float's rounding short still counts as out
                while self._sent and now - self._sent[0] >= span:
                    self._sent.popleft()
                if len(self._sent) < self.size:
                    self._sent.append(now)
                    return
                wait = self.limit.per_seconds + self.margin - (now - self._sent[0])
                self.waited += wait
            self._sleep(wait)

    def count(self) -> None:
        """A request that did not wait: it is in the window all the same."""
        with self._lock:
            self._sent.append(self._clock())


def limiter(limit: RateLimit, clock: Callable[[], float] = time.monotonic,
            sleep: Callable[[float], None] = time.sleep) -> Limiter:
    return SlidingWindow(limit, clock, sleep) if limit.window else TokenBucket(limit, clock, sleep)


class Pacer:
    """The buckets of one connector. Unknown bucket names pace nothing.

    ``Pacer.shared(key, limits)`` is the one pacer of an API in this process (key: the connector and
    the account it talks to), so that runs for several members at once share the service's limit.
    """

    _shared: dict[Hashable, Pacer] = {}
    _shared_lock = threading.Lock()

    def __init__(self, limits: Mapping[str, RateLimit] | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limits = dict(limits or {})
        self._limiters: dict[tuple[str, str | None], Limiter] = {}  # (bucket, key): made on first use
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    @classmethod
    def shared(cls, key: Hashable, limits: Mapping[str, RateLimit]) -> Pacer:
        with cls._shared_lock:
            pacer = cls._shared.get(key)
            if pacer is None:
                pacer = cls._shared[key] = cls(limits)
            return pacer

    def count(self, bucket: str) -> None:
        """A request sent without waiting (a read a plan cannot do without): the next ones wait for its share."""
        if (gate := self._limiter(bucket, None)) is not None:
            gate.count()

    def pace(self, bucket: str, key: str | None = None) -> None:
        """Wait for ``bucket``; with a ``key``, for that key's own bucket of the same limit (the polls of one
        data transfer are spaced, and another member's transfer is polled on its own spacing)."""
        if (gate := self._limiter(bucket, key)) is not None:
            gate.take()

    def _limiter(self, bucket: str, key: str | None) -> Limiter | None:
        """The limiter of ``bucket`` (of its ``key``), made on first use; None: an unknown bucket paces nothing."""
        if bucket not in self.limits:
            return None
        with self._lock:
            found = self._limiters.get((bucket, key))
            if found is None:
                found = self._limiters[(bucket, key)] = limiter(self.limits[bucket], self._clock, self._sleep)
            return found
