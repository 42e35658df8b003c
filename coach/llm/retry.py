"""When a failed model request is sent again, and when the turn gives up on the LLM at once instead.

The coach retries, not the openai client: the client also retries a timeout (so a server that hangs costs a
turn the timeout twice per call) and sleeps out any Retry-After up to two minutes inside a chat turn. Here
only failures that a quick second try can fix are retried (a refused or broken connection, a 5xx, a 429
that asks for a short wait), after at most `max_wait_s`. A timeout or a longer wait asked for trips the
circuit breaker instead: the turn falls back to the offline coach now, and later turns skip the LLM for as
long as the server asked (at least the cool-down).
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.llm.failures import Failure, FailureKind

MAX_WAIT_S = 2.0
BACKOFF_S = 0.5


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` more tries per request (COACH_LLM_MAX_RETRIES), never after waiting more than `max_wait_s`."""

    retries: int = 0
    max_wait_s: float = MAX_WAIT_S
    backoff_s: float = BACKOFF_S

    def wait(self, failure: Failure, retry: int) -> float | None:
        """Seconds to wait before retry number `retry` (1, 2, ...), or None when it is not worth one."""
        if retry > self.retries or failure.kind is not FailureKind.outage:
            return None
        if failure.retry_after is None:
            return min(self.backoff_s * 2 ** (retry - 1), self.max_wait_s)
        return failure.retry_after if failure.retry_after <= self.max_wait_s else None

    def trips(self, failure: Failure) -> bool:
        """Whether the failure opens the breaker at once rather than counting towards its threshold."""
        asked = failure.retry_after if failure.retry_after is not None else 0.0
        return failure.kind is FailureKind.timeout or asked > self.max_wait_s
