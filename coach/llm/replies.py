"""The shapes the LLM answers in: one Pydantic schema per coaching task, sent as strict JSON schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from coach.agenda import single_line
from coach.llm.client import Reply
from coach.models import MAX_QUESTIONS

MAX_CANDIDATES = 20


class QuestionDraft(Reply):
    text: str = Field(min_length=5, max_length=400)
    why: str = Field(default="", max_length=400)
    search_query: str = Field(default="", max_length=300)


class StepReply(Reply):
    kind: Literal["clarify", "questions"]
    question: str = Field(default="", max_length=300)
    choices: list[str] = Field(default_factory=list, max_length=5)
    questions: list[QuestionDraft] = Field(default_factory=list, max_length=MAX_QUESTIONS)

    @model_validator(mode="after")
    def _shape(self) -> StepReply:
        distinct = {single_line(c).casefold() for c in self.choices if single_line(c)}
        if self.kind == "clarify" and not (self.question and 3 <= len(distinct) <= 5):
            raise ValueError('a "clarify" reply needs a question and 3-5 different choices')
        return self


class IntroReply(Reply):
    subject: str = Field(default="", max_length=200)
    body: str = Field(min_length=20, max_length=3000)


class RankedExpert(Reply):
    id: str = Field(max_length=200)
    why: str = Field(default="", max_length=400)


class RerankReply(Reply):
    ranking: list[RankedExpert] = Field(max_length=MAX_CANDIDATES)


class QuestionRanking(Reply):
    # No bounds in the schema: an out-of-range number is dropped when grounded, not a failed reply.
    question: int
    ranking: list[RankedExpert] = Field(max_length=MAX_CANDIDATES)


class RerankManyReply(Reply):
    rankings: list[QuestionRanking] = Field(max_length=MAX_QUESTIONS)


class QueriesReply(Reply):
    queries: list[str] = Field(max_length=MAX_QUESTIONS)


class NextQuestionsReply(Reply):
    questions: list[QuestionDraft] = Field(min_length=1, max_length=MAX_QUESTIONS)
