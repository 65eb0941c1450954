"""``iterate_with_retries``: a stream read page by page, a throttled page read again, nothing delivered twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from offboard.apply.retry import RetryPolicy, iterate_with_retries
from offboard.spi import FatalError, RetriableError


class Pages:
    """A stream of pages of two items; ``faults`` maps a call number (1 = the first page read) to its error."""

    def __init__(self, pages: int, faults: dict[int, Exception] | None = None) -> None:
        self.pages = pages
        self.faults = faults or {}
        self.calls = 0
        self.starts = 0

    def read(self) -> Iterator[str]:
        self.starts += 1
        for page in range(self.pages):
            self.calls += 1
            if self.calls in self.faults:
                raise self.faults[self.calls]
            yield from (f"p{page}i{i}" for i in range(2))


ALL = ["p0i0", "p0i1", "p1i0", "p1i1", "p2i0", "p2i1"]


def test_without_a_fault_there_is_one_call_per_page_and_no_wait(sleeps):
    pages = Pages(3)
    assert list(iterate_with_retries(pages.read, RetryPolicy())) == ALL
    assert (pages.calls, pages.starts, sleeps) == (3, 1, [])


def test_the_stream_is_read_lazily(sleeps):
    pages = Pages(3)
    stream = iterate_with_retries(pages.read, RetryPolicy())
    assert pages.starts == 0
    assert next(stream) == "p0i0" and pages.calls == 1


def test_a_throttled_page_is_read_again_honouring_retry_after_and_nothing_is_delivered_twice(sleeps):
    pages = Pages(3, {2: RetriableError("429", retry_after=7)})
    assert list(iterate_with_retries(pages.read, RetryPolicy())) == ALL
    assert sleeps == [7]
    assert (pages.calls, pages.starts) == (5, 2)  # the first page is read again to get back to the second


def test_the_waits_go_through_the_policys_sleep():
    waited: list[float] = []
    pages = Pages(2, {1: RetriableError("429", retry_after=3)})
    assert list(iterate_with_retries(pages.read, RetryPolicy(sleep=waited.append))) == ALL[:4]
    assert waited == [3]


def test_each_failing_page_has_its_own_budget(sleeps):
    pages = Pages(3, {1: RetriableError("429"), 3: RetriableError("503"), 6: RetriableError("429")})
    assert list(iterate_with_retries(pages.read, RetryPolicy(max_attempts=2))) == ALL
    assert len(sleeps) == 3


def test_when_the_budget_is_spent_the_last_error_is_raised(sleeps):
    last = RetriableError("still 429")
    pages = Pages(3, {2: RetriableError("429"), 4: RetriableError("429"), 6: last})
    stream = iterate_with_retries(pages.read, RetryPolicy(max_attempts=3))
    assert [next(stream), next(stream)] == ["p0i0", "p0i1"]
    with pytest.raises(RetriableError) as raised:
        next(stream)
    assert raised.value is last
    assert len(sleeps) == 2  # three attempts: the failed read and two more


def test_an_error_that_is_not_retriable_is_raised_at_once(sleeps):
    pages = Pages(3, {2: FatalError("forbidden")})
    with pytest.raises(FatalError):
        list(iterate_with_retries(pages.read, RetryPolicy()))
    assert (pages.calls, sleeps) == (2, [])


def test_an_error_in_starting_the_stream_is_retried_too(sleeps):
    started: list[int] = []

    def start() -> list[str]:
        started.append(1)
        if len(started) == 1:
            raise RetriableError("429", retry_after=2)
        return ["a", "b"]

    assert list(iterate_with_retries(start, RetryPolicy())) == ["a", "b"]
    assert sleeps == [2]


def test_a_stream_that_shrank_before_it_was_read_again_ends(sleeps):
    reads: list[int] = []

    def start() -> Iterator[str]:
        reads.append(1)
        yield "a"
        if len(reads) == 1:
            yield "b"
            raise RetriableError("429")

    assert list(iterate_with_retries(start, RetryPolicy())) == ["a", "b"]
    assert len(sleeps) == 1
