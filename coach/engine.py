"""The engine interface both coaches implement, and the deterministic offline engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from coach import intro as intro_templates
from coach import offline
from coach.models import Channel, Clarification, IntroMessage, LearningQuestion, Mode, Tone
from vectorstore.models import ExpertProfile, FieldEvidence


class Engine(Protocol):
    """Turns a wish into a clarifying question or learning questions, and drafts intro messages."""

    mode: Mode

    def next_step(self, wish: str, answers: Sequence[str] = ()) -> Clarification | list[LearningQuestion]: ...

    def draft_intro(
        self,
        expert: ExpertProfile,
        questions: Sequence[str],
        *,
        channel: Channel,
        tone: Tone,
        requester_name: str = "",
        requester_context: str = "",
        evidence: Sequence[FieldEvidence] = (),
        minutes: int = 20,
    ) -> IntroMessage: ...


class OfflineEngine:
    """No model and no network: rules, a curated question bank and templates, all deterministic."""

    mode = Mode.offline

    def next_step(self, wish: str, answers: Sequence[str] = ()) -> Clarification | list[LearningQuestion]:
        return offline.next_step(wish, answers)

    def draft_intro(
        self,
        expert: ExpertProfile,
        questions: Sequence[str],
        *,
        channel: Channel,
        tone: Tone,
        requester_name: str = "",
        requester_context: str = "",
        evidence: Sequence[FieldEvidence] = (),
        minutes: int = 20,
    ) -> IntroMessage:
        return intro_templates.draft_intro(
            expert,
            questions,
            channel=channel,
            tone=tone,
            requester_name=requester_name,
            requester_context=requester_context,
            evidence=evidence,
            minutes=minutes,
        )
