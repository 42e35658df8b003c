"""A thread-safe circuit breaker that stops calling a service that keeps failing."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    """Opens after `failure_threshold` failures in a row; after `cooldown_s` lets one trial call through.

    A failure can also open it at once (`trip`: a timeout already cost a whole wait), and keep it open
    longer than the cool-down (`hold_s`: the wait a server asked for in its Retry-After header).
    """

    def __init__(
        self,
        failure_threshold: int = 2,
        cooldown_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if cooldown_s < 0:
            raise ValueError("cooldown_s must not be negative")
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._open_for = cooldown_s
        self._trial_started: float | None = None

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def allow(self) -> bool:
        """True if a call may go ahead; in half-open state only one caller gets the trial call."""
        with self._lock:
            state = self._state()
            if state is BreakerState.closed:
                return True
            now = self._clock()
            # A trial whose caller never reported back is presumed lost after one cooldown.
            if state is BreakerState.open or (
                self._trial_started is not None and now - self._trial_started < self.cooldown_s
            ):
                return False
            self._trial_started = now
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_started = None

    def record_failure(self, *, trip: bool = False, hold_s: float = 0.0) -> None:
        """Count a failure; `trip` opens at once, `hold_s` keeps the breaker open at least that long."""
        with self._lock:
            self._failures += 1
            # A failed trial call reopens at once: the service is still down.
            if trip or self._trial_started is not None or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
                self._open_for = max(self.cooldown_s, hold_s)
            self._trial_started = None

    def retry_after(self) -> int:
        """Whole seconds until a trial call is allowed (0 when calls are allowed now)."""
        with self._lock:
            if self._opened_at is None:
                return 0
            return max(0, math.ceil(self._opened_at + self._open_for - self._clock()))

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.closed
        if self._clock() - self._opened_at < self._open_for:
            return BreakerState.open
        return BreakerState.half_open
