"""The engine interface both coaches implement, and the deterministic offline engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from coach import intro as intro_templates
from coach import offline
from coach.models import Clarification, IntroMessage, IntroRequest, LearningQuestion, Mode


class Engine(Protocol):
    """Turns a wish into a clarifying question or learning questions, and drafts intro messages."""

    mode: Mode

    def next_step(self, wish: str, answers: Sequence[str] = ()) -> Clarification | list[LearningQuestion]: ...

    def draft_intro(self, request: IntroRequest) -> IntroMessage: ...


class OfflineEngine:
    """No model and no network: rules, a curated question bank and templates, all deterministic."""

    mode = Mode.offline

    def next_step(self, wish: str, answers: Sequence[str] = ()) -> Clarification | list[LearningQuestion]:
        return offline.next_step(wish, answers)

    def draft_intro(self, request: IntroRequest) -> IntroMessage:
        return intro_templates.draft_intro(
            request.expert,
            request.questions,
            channel=request.channel,
            tone=request.tone,
            requester_name=request.requester_name,
            requester_context=request.requester_context,
            evidence=request.evidence,
            minutes=request.minutes,
        )
