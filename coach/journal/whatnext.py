"""What next: suggestions for the next question, built from the journal and grounded in the index."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from coach.clauses import fit_phrase, single_line
from coach.errors import LLMUnavailable
from coach.journal.store import Journal
from coach.models import LearningQuestion, QuestionSource
from coach.referrals import MAX_TOPIC_CHARS, referral_question
from vectorstore.index import ExpertIndex
from vectorstore.models import ExpertProfile

log = logging.getLogger(__name__)
MAX_SUGGESTIONS = 8
OPEN_FILL = 3  # plain open questions are listed in full elsewhere: suggest a few only when little else is new


class SuggestionKind(StrEnum):
    open_question = "open_question"
    chat_question = "chat_question"
    referral = "referral"
    builds_on_takeaways = "builds_on_takeaways"


@dataclass(frozen=True)
class Suggestion:
    """One 'what do I want to learn next?' idea; `question` goes straight back into matching."""

    kind: SuggestionKind
    question: LearningQuestion
    reason: str
    expert: ExpertProfile | None = None
    question_id: int | None = None
    referral_id: int | None = None


@runtime_checkable
class NextQuestionWriter(Protocol):
    """An LLM engine that can propose new questions building on recorded takeaways."""

    def what_next(
        self, takeaways: Sequence[str], open_questions: Sequence[str]
    ) -> list[LearningQuestion]: ...


def suggest_next(
    journal: Journal, user_id: str, index: ExpertIndex, writer: NextQuestionWriter | None = None
) -> list[Suggestion]:
    """Questions raised in chats first, then referrals not yet contacted, a few open questions when little
    else is new (the journal lists them all already), and new ideas."""
    questions = journal.open_questions(user_id)
    chats = {chat.id: chat for chat in journal.list_chats(user_id)}
    suggestions: list[Suggestion] = []
    for q in questions:
        if q.source is QuestionSource.chat:
            chat = chats.get(q.chat_id or -1)
            where = f"came up in your chat with {chat.expert_name}" if chat else "came up in a chat"
            suggestions.append(
                Suggestion(
                    SuggestionKind.chat_question, LearningQuestion(text=q.text, why=q.why), where, None, q.id
                )
            )
    for referral in journal.pending_referrals(user_id):
        expert = index.get(referral.expert_id) if referral.expert_id else None
        chat = chats.get(referral.chat_id or -1)
        by = f"{chat.expert_name} suggested them" if chat else "someone suggested them"
        suggested = referral.note or (chat.notes if chat else "")
        if expert is not None:
            asked = referral_question(expert, suggested)
            text, query = asked.text, asked.search_query
            reason = f"{by}; not contacted yet"
        else:  # not in the index: never invent a profile, suggest asking for an introduction
            topic = fit_phrase(single_line(suggested).rstrip("?.!").strip(), MAX_TOPIC_CHARS)
            text = (
                f"Who could introduce me to {referral.name}, and what do they know about {topic}?"
                if topic
                else f"Who could introduce me to {referral.name}?"
            )
            query = topic or referral.name
            reason = f"{by}; {referral.name} is not in the expert index"
        suggestions.append(
            Suggestion(
                SuggestionKind.referral,
                LearningQuestion(text=text, why=reason, search_query=query),
                reason,
                expert,
                referral_id=referral.id,
            )
        )
    plain = [q for q in questions if q.source is not QuestionSource.chat]
    for q in plain[: max(0, OPEN_FILL - len(suggestions))]:
        question = LearningQuestion(text=q.text, why=q.why)
        suggestions.append(Suggestion(SuggestionKind.open_question, question, "still open", None, q.id))
    if writer is not None:
        takeaways = [t.text for t in journal.list_takeaways(user_id)]
        if takeaways:
            try:
                for new in writer.what_next(takeaways, [q.text for q in questions])[:3]:
                    suggestions.append(
                        Suggestion(SuggestionKind.builds_on_takeaways, new, "builds on your takeaways")
                    )
            except LLMUnavailable as exc:
                log.warning("what-next ideas from the LLM skipped: %s", exc)
    return _unique(suggestions)[:MAX_SUGGESTIONS]


def _unique(suggestions: list[Suggestion]) -> list[Suggestion]:
    seen: set[str] = set()
    kept = []
    for suggestion in suggestions:
        key = suggestion.question.text.casefold().strip()
        if key not in seen:
            seen.add(key)
            kept.append(suggestion)
    return kept
