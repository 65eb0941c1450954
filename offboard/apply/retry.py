"""Retries: the engine's, never a connector's.

Only ``RetriableError`` is retried, with exponential backoff and jitter, waiting at
least as long as the service's ``Retry-After`` asks. Each action has a budget of
attempts and seconds; when it runs out the action fails with its last error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_before_delay
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
class Attempted:
    """The result of a call and how many attempts it took; ``error`` set when it gave up."""

    value: object = None
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


def call_with_retries(fn: Callable[[], T], policy: RetryPolicy) -> Attempted:
    """Call ``fn`` until it succeeds, raises a non-retriable error, or the budget is spent."""
    result = Attempted()

    def sleep(seconds: float) -> None:
        result.waited += seconds
        (policy.sleep or real_sleep)(seconds)

    retrying = Retrying(
        retry=retry_if_exception_type(RetriableError),
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
