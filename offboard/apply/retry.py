"""Retries: the engine's, never a connector's.

Only ``RetriableError`` is retried, with exponential backoff and jitter, waiting at
least as long as the service's ``Retry-After`` asks. Each action has a budget of
attempts and seconds; when it runs out the action fails with its last error.
A stream read page by page (an inventory) is retried the same way, each failing page
with its own budget (``iterate_with_retries``).

A single read (one request of a discovery, a check, a poll) is retried on its own with the
same budget rules (``retried_read``: connectors reach it through ``ConnectorContext.read``),
so that one throttled list does not cost the twenty reads around it. A read that spent its
budget is not retried again by an enclosing retry (the whole discovery, the action): its
error is marked spent, so budgets never multiply; the enclosing call fails with it at once.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Generic, TypeVar, cast

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_before_delay
from tenacity.wait import wait_exponential_jitter

from offboard.spi import RetriableError

T = TypeVar("T")


def real_sleep(seconds: float) -> None:
    """The one place the engine sleeps between attempts (tests replace it)."""
    time.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    max_seconds: float = 300.0  # the whole budget of one action, waits included
    initial_wait: float = 0.5
    max_wait: float = 60.0
    sleep: Callable[[float], None] | None = field(default=None, compare=False)  # None: real_sleep


@dataclass
class Attempted(Generic[T]):
    """The result of a call and how many attempts it took; ``error`` set when it gave up."""

    value: T | None = None
    error: BaseException | None = None
    attempts: int = 0
    waited: float = 0.0


class _WaitHonouringRetryAfter:
    """Backoff with jitter, but never shorter than the server's ``Retry-After``."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.backoff = wait_exponential_jitter(multiplier=policy.initial_wait, max=policy.max_wait, jitter=policy.initial_wait)

    def __call__(self, state: RetryCallState) -> float:
        wait = self.backoff(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetriableError) and error.retry_after is not None:
            wait = max(wait, error.retry_after)
        return wait


_spent: weakref.WeakSet[BaseException] = weakref.WeakSet()  # errors whose own retries already gave up
_spent_lock = threading.Lock()


def _worth_retrying(error: BaseException) -> bool:
    """A ``RetriableError`` that no inner retry has already given up on."""
    if not isinstance(error, RetriableError):
        return False
    with _spent_lock:
        return error not in _spent


def call_with_retries(fn: Callable[[], T], policy: RetryPolicy) -> Attempted[T]:
    """Call ``fn`` until it succeeds, raises a non-retriable error, or the budget is spent.

    A ``RetriableError`` that a read inside ``fn`` already retried to the end of its own
    budget (``retried_read``) ends the call at once: it is not worth another attempt.
    """
    result: Attempted[T] = Attempted()

    def sleep(seconds: float) -> None:
        result.waited += seconds
        (policy.sleep or real_sleep)(seconds)

    retrying = Retrying(
        retry=retry_if_exception(_worth_retrying),
        stop=stop_after_attempt(policy.max_attempts) | stop_before_delay(policy.max_seconds),
        wait=_WaitHonouringRetryAfter(policy),
        sleep=sleep,
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                result.attempts = attempt.retry_state.attempt_number
                result.value = fn()
    except Exception as exc:  # the caller records it; a connector bug must not end the run
        result.error = exc
    return result


def retried_read(fn: Callable[[], T], policy: RetryPolicy) -> T:
    """``fn()``, one read, retried on its own under ``policy``; raises the last error when it gives up.

    Meant for reads only: a write is retried by the engine as part of its action, which
    re-checks the state first. A ``RetriableError`` it gives up on is marked spent, so that an
    enclosing ``call_with_retries`` (a discovery, an action) fails with it instead of starting over.
    Safe from any thread: the waits happen in the calling thread.
    """
    attempted = call_with_retries(fn, policy)
    if attempted.error is not None:
        if isinstance(attempted.error, RetriableError):
            with _spent_lock:
                _spent.add(attempted.error)
        raise attempted.error
    return cast(T, attempted.value)  # what fn() returned


def iterate_with_retries(start: Callable[[], Iterable[T]], policy: RetryPolicy) -> Iterator[T]:
    """The items of ``start()``, a stream read page by page, with a throttled page retried.

    The stream cannot resume mid-way, so after a ``RetriableError`` it is started again and the
    items already delivered are skipped (it must list them in a stable order); none is delivered
    twice. While no page fails there is no retry machinery and no extra call. Each failing page
    gets the budget of one ``call_with_retries`` (the failed read is its first attempt, so the
    wait honours its ``Retry-After``); when the budget is spent, the last error is raised.
    """
    delivered = 0
    stream: Iterator[T] = _opened(start)
    while True:
        try:
            item = next(stream)
        except StopIteration:
            return
        except RetriableError as error:
            resumed = _resumed(error, start, delivered, policy)
            if resumed is None:
                return  # the stream ended before a new item: it shrank since
            item, stream = resumed
        delivered += 1
        yield item


def _opened(start: Callable[[], Iterable[T]]) -> Iterator[T]:
    yield from start()  # lazily, so that an error in ``start`` itself is retried like a page's


def _resumed(error: RetriableError, start: Callable[[], Iterable[T]], skip: int,
             policy: RetryPolicy) -> tuple[T, Iterator[T]] | None:
    """After ``error``, the stream started again with retries: its first item after ``skip`` and the stream to go on with."""
    attempted = call_with_retries(_after_failure(error, lambda: _restart(start, skip)), policy)
    if attempted.error is not None:
        raise attempted.error
    return attempted.value


def _restart(start: Callable[[], Iterable[T]], skip: int) -> tuple[T, Iterator[T]] | None:
    stream = iter(start())
    for item in islice(stream, skip, None):
        return item, stream
    return None


def _after_failure(error: BaseException, fn: Callable[[], T]) -> Callable[[], T]:
    """``fn`` as the retry of a call that already failed with ``error``: that failure is the first attempt."""
    failed = [error]

    def call() -> T:
        if failed:
            raise failed.pop()
        return fn()

    return call
