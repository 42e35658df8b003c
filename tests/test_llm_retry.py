"""Which failed requests the coach retries, after how long, and which open the breaker at once."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from coach.llm.failures import CUT_SHORT, REFUSED, Failure, FailureKind
from coach.llm.retry import RetryPolicy


@dataclass(frozen=True)
class Case:
    failure: Failure
    waits: tuple[float | None, ...]  # before retries 1, 2, 3 with retries=2
    trips: bool


CASES = {
    "connection refused: backoff": Case(Failure(FailureKind.outage, REFUSED), (0.5, 1.0, None), False),
    "cut short: backoff": Case(Failure(FailureKind.outage, CUT_SHORT), (0.5, 1.0, None), False),
    "500: backoff": Case(Failure(FailureKind.outage, "server error 500", 500), (0.5, 1.0, None), False),
    "429 asking 1 s: waits 1 s": Case(
        Failure(FailureKind.outage, "rate limited", 429, 1.0), (1.0, 1.0, None), False
    ),
    "429 asking 30 s: no retry, trips": Case(
        Failure(FailureKind.outage, "rate limited", 429, 30.0), (None,) * 3, True
    ),
    "timeout: no retry, trips": Case(Failure(FailureKind.timeout, "timeout"), (None,) * 3, True),
    "login page: no retry": Case(
        Failure(FailureKind.bad_response, "not a chat completion"), (None,) * 3, False
    ),
    "401: no retry": Case(Failure(FailureKind.config, "authentication failed", 401), (None,) * 3, False),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_only_quick_fixes_are_retried_and_long_waits_trip_the_breaker(case: Case) -> None:
    policy = RetryPolicy(retries=2)

    assert tuple(policy.wait(case.failure, n) for n in (1, 2, 3)) == case.waits
    assert policy.trips(case.failure) is case.trips


def test_backoff_never_exceeds_the_longest_wait_a_turn_accepts() -> None:
    policy = RetryPolicy(retries=5, max_wait_s=2.0)
    failure = Failure(FailureKind.outage, "server error 503", 503)

    assert [policy.wait(failure, n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 2.0, 2.0]
