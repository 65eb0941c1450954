"""Pacing: a refilling bucket for services that allow bursts, a sliding window for those that count each minute."""

from __future__ import annotations

from offboard.apply.pacing import Pacer, RateLimit


class Clock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def sent_per_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_a_window_never_holds_more_than_its_limit_where_a_bucket_holds_twice_as_many():
    for window, most in ((True, 50), (False, 100)):  # the bucket: its burst of 50, then its refill of 50
        clock = Clock()
        pacer = Pacer({"tier3": RateLimit(50, 60, window=window)}, clock=clock, sleep=clock.sleep)
        times = []
        for _ in range(150):
            pacer.pace("tier3")
            times.append(clock.now)
        assert sent_per_window(times, 60) == most


def test_a_wait_that_ends_a_rounding_short_of_the_window_does_not_spin():
    clock = Clock(start=1e9 + 0.1)  # large enough that tiny waits no longer move the clock
    pacer = Pacer({"w": RateLimit(2, 1.0, window=True)}, clock=clock, sleep=clock.sleep)
    for _ in range(20):
        pacer.pace("w")
    assert len(clock.slept) < 20


def test_a_keyed_bucket_spaces_each_keys_calls_on_their_own():
    """Two members' data transfers are each polled every 5 s, not every 10 s in turn."""
    clock = Clock(0.0)
    pacer = Pacer({"poll": RateLimit(12, 60, burst=1)}, clock=clock, sleep=clock.sleep)
    pacer.pace("poll", "transfer-1")
    pacer.pace("poll", "transfer-2")
    assert clock.now == 0  # each key's first poll at once
    pacer.pace("poll", "transfer-1")
    pacer.pace("poll", "transfer-2")
    assert clock.now == 5.0  # each a second time 5 s later
    pacer.pace("unknown", "transfer-1")
    assert clock.now == 5.0


def test_a_request_counted_without_waiting_is_owed_by_the_next_ones():
    """Five members' plans each read their licence at once; the Licensing API's writes after them wait their turn."""
    clock = Clock(0.0)
    pacer = Pacer({"licensing": RateLimit(1, 1, burst=1)}, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        pacer.count("licensing")
    assert clock.now == 0
    pacer.pace("licensing")
    assert clock.now == 5.0  # the five reads' seconds, then its own


def test_a_request_counted_in_a_window_keeps_the_next_one_out_of_it():
    clock = Clock(0.0)
    pacer = Pacer({"licensing": RateLimit(1, 1, window=True)}, clock=clock, sleep=clock.sleep)
    pacer.count("licensing")
    pacer.pace("licensing")
    assert clock.now >= 1.0  # not two in one second
