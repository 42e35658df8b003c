"""The offline coach as an `Engine`: rules, a curated question bank and templates, all deterministic."""

from __future__ import annotations

from collections.abc import Sequence

from coach.models import Clarification, IntroMessage, IntroRequest, LearningQuestion, Mode
from coach.offline import intro as intro_templates
from coach.offline import steps


class OfflineEngine:
    """No model and no network: rules, a curated question bank and templates, all deterministic."""

    mode = Mode.offline

    def next_step(self, wish: str, answers: Sequence[str] = ()) -> Clarification | list[LearningQuestion]:
        return steps.next_step(wish, answers)

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
            topic=request.topic,
        )
