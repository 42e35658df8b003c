"""The circuit breaker, driven by a fake clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from coach.llm.breaker import BreakerState, CircuitBreaker


@dataclass
class FakeClock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_starts_closed_and_allows_calls(clock: FakeClock) -> None:
    breaker = CircuitBreaker(clock=clock)

    assert breaker.state is BreakerState.closed
    assert all(breaker.allow() for _ in range(5))
    assert breaker.retry_after() == 0


@pytest.mark.parametrize(
    ("events", "state"),
    [
        (["fail"], BreakerState.closed),
        (["fail", "fail"], BreakerState.open),
        (["fail", "ok", "fail"], BreakerState.closed),
        (["fail", "ok", "fail", "fail"], BreakerState.open),
    ],
)
def test_opens_only_after_consecutive_failures(
    clock: FakeClock, events: list[str], state: BreakerState
) -> None:
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=60, clock=clock)

    for event in events:
        breaker.record_failure() if event == "fail" else breaker.record_success()

    assert breaker.state is state
    assert breaker.allow() is (state is BreakerState.closed)


def test_open_breaker_reports_the_seconds_left_and_half_opens_after_cooldown(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=60, clock=clock)
    breaker.record_failure()

    clock.now += 20.5
    assert breaker.retry_after() == 40
    assert not breaker.allow()

    clock.now += 40
    assert breaker.state is BreakerState.half_open
    assert breaker.retry_after() == 0


def test_half_open_lets_one_trial_through_and_success_closes(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 10

    assert breaker.allow()
    assert not breaker.allow(), "a second caller must wait for the trial call"
    breaker.record_success()

    assert breaker.state is BreakerState.closed
    assert breaker.allow()


def test_failed_trial_reopens_at_once(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=10, clock=clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 10

    assert breaker.allow()
    breaker.record_failure()

    assert breaker.state is BreakerState.open
    assert breaker.retry_after() == 10


def test_a_trial_that_never_reports_back_is_presumed_lost_after_a_cooldown(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()

    clock.now += 5
    assert not breaker.allow()
    clock.now += 5
    assert breaker.allow()


def test_only_one_of_many_threads_gets_the_trial_call(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=1, clock=clock)
    breaker.record_failure()
    clock.now += 1
    results: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        allowed = breaker.allow()
        with lock:
            results.append(allowed)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(True) == 1


@pytest.mark.parametrize(("threshold", "cooldown"), [(0, 10.0), (2, -1.0)])
def test_rejects_nonsense_settings(threshold: int, cooldown: float) -> None:
    with pytest.raises(ValueError, match=r"failure_threshold|cooldown_s"):
        CircuitBreaker(failure_threshold=threshold, cooldown_s=cooldown)


def test_a_trip_opens_at_once_and_a_hold_outlasts_the_cooldown(clock: FakeClock) -> None:
    """A timeout trips it (the wait was already paid); a server's Retry-After holds it open that long."""
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=10, clock=clock)

    breaker.record_failure(trip=True, hold_s=25)

    assert breaker.state is BreakerState.open and breaker.retry_after() == 25
    clock.now += 24
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()
    breaker.record_success()
    breaker.record_failure(trip=True)
    assert breaker.retry_after() == 10, "the next opening is back to the cool-down"
