"""What the LLM answers with: one Pydantic schema per coaching task, sent to the server as a JSON schema."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach.agenda import single_line
from coach.models import MAX_QUESTIONS

MAX_CANDIDATES = 20
# Keywords strict structured output rejects; callers enforce lengths when they validate the answer.
_UNSUPPORTED_KEYWORDS = frozenset({"default", "maxLength", "minLength", "title"})


class InvalidReply(ValueError):
    """The model answered, but not usably; the message is fed back to it once."""


class Reply(BaseModel):
    """Base of model answers: extra keys ignored when read, every field required in the wire schema."""

    model_config = ConfigDict(
        frozen=True,
        str_strip_whitespace=True,
        json_schema_serialization_defaults_required=True,
        json_schema_extra={"additionalProperties": False},
    )


def wire_schema(model: type[Reply]) -> dict[str, Any]:
    """The model's JSON schema as strict structured output accepts it (every field required, no defaults)."""

    def clean(node: Any, *, named: bool = False) -> Any:
        if isinstance(node, dict):
            if named:  # keys of "properties" and "$defs" are names, not keywords
                return {key: clean(value) for key, value in node.items()}
            return {
                key: clean(value, named=key in ("properties", "$defs"))
                for key, value in node.items()
                if key not in _UNSUPPORTED_KEYWORDS
            }
        return [clean(item) for item in node] if isinstance(node, list) else node

    schema: dict[str, Any] = clean(model.model_json_schema(mode="serialization"))
    return schema


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
