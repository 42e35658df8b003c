"""The engine interface both coaches (offline and LLM) implement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from coach.models import Clarification, IntroMessage, IntroRequest, LearningQuestion, Mode


class Engine(Protocol):
    """Turns a wish into a clarifying question or learning questions, and drafts intro messages."""

    mode: Mode

    def next_step(self, wish: str, answers: Sequence[str] = ()) -> Clarification | list[LearningQuestion]: ...

    def draft_intro(self, request: IntroRequest) -> IntroMessage: ...
