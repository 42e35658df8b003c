"""Process-wide values built on first use, exactly once even when several threads ask at the same moment.

`functools.cache` stores a value only after building it, so every thread that arrives while the first
build runs builds its own: under load, the app's 16 worker threads each read the question bank, the
language model and the word lists at once (16 copies of the CPU time and of the memory). `once` holds a
lock per key while building, so latecomers wait for the first build and share its value.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def once(build: Callable[P, R]) -> Callable[P, R]:
    """Memoise a loader per arguments (hashable, like functools.cache); a build that raises is not kept,
    so the next call tries again."""
    built: dict[Hashable, R] = {}
    locks: dict[Hashable, threading.RLock] = {}
    guard = threading.Lock()

    @functools.wraps(build)
    def get(*args: P.args, **kwargs: P.kwargs) -> R:
        key = (args, tuple(sorted(kwargs.items())))
        if key in built:
            return built[key]
        with guard:
            lock = locks.setdefault(key, threading.RLock())
        with lock:
            if key not in built:
                built[key] = build(*args, **kwargs)
            return built[key]

    return get
