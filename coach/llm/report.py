"""What each model call did (shapes tried, the one used, names dropped), collected per turn for the result.

The engines keep their plain return types; a caller that wants the story of a turn opens `collecting()`
around it, and every call made inside, in the same thread, adds its `CallReport`. Collectors nest, so a
whole flow and each of its steps can be reported at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

ACCEPTED = "accepted"
REPAIRED = "accepted after one repair"


@dataclass(frozen=True)
class ShapeTry:
    """One request shape tried in a call, and what came of it ("accepted", "refused: HTTP 500 ...")."""

    shape: str
    outcome: str


@dataclass(frozen=True)
class CallReport:
    """One coaching task's call to the model."""

    task: str
    shape: str | None  # the shape whose answer was used; None when the call failed
    tries: tuple[ShapeTry, ...] = ()
    requests: int = 0
    grounding: tuple[str, ...] = ()  # what was dropped for naming people not in the index or the user's words
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class LLMReport:
    """The model calls behind one result: which shapes were used and what grounding removed."""

    calls: tuple[CallReport, ...] = field(default=())

    @property
    def shapes(self) -> tuple[str, ...]:
        """The shapes whose answers were used, in order, without repeats."""
        return tuple(dict.fromkeys(c.shape for c in self.calls if c.shape is not None))

    @property
    def grounding(self) -> tuple[str, ...]:
        return tuple(note for call in self.calls for note in call.grounding)

    @property
    def requests(self) -> int:
        return sum(call.requests for call in self.calls)


_SINKS: ContextVar[tuple[list[CallReport], ...]] = ContextVar("coach_llm_call_reports", default=())


@contextmanager
def collecting() -> Iterator[list[CallReport]]:
    """Collect the reports of every model call made inside the block (in this thread or task)."""
    found: list[CallReport] = []
    token = _SINKS.set((*_SINKS.get(), found))
    try:
        yield found
    finally:
        _SINKS.reset(token)


def publish(report: CallReport) -> None:
    """Hand a finished call's report to every open collector (none: it is dropped)."""
    for sink in _SINKS.get():
        sink.append(report)
