"""Domain types shared by both coach engines, the CLI and the UI."""

from __future__ import annotations

import re
from datetime import date as Date
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from vectorstore.models import ExpertMatch, ExpertProfile, FieldEvidence

MAX_WISH_CHARS = 2_000
MAX_QUESTIONS = 8
# One set of text limits for every layer: the Pydantic models below, the journal's schema (its CHECKs are
# pinned per migration and a test holds them equal to these), the import format and the web forms.
QUESTION_MIN_CHARS = 5
QUESTION_MAX_CHARS = 400
WHY_MAX_CHARS = 400
MAX_JOURNAL_TEXT = 4_000
MAX_NAME_CHARS = 200

# Control characters (NUL above all) never belong in text a person typed: PostgreSQL refuses NUL, SQLite's
# length() stops at it, and escape sequences would drive the terminal that `coach journal list` prints to.
# They are dropped on the way in, so reading an old row never fails on them either.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_controls(value: object) -> object:
    """`value` without control characters if it is text; anything else unchanged (for the validators)."""
    return _CONTROL.sub("", value) if isinstance(value, str) else value


Typed = BeforeValidator(without_controls)
# `Typed` comes last so it runs first, and the length messages still speak of characters.
JournalText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_JOURNAL_TEXT), Typed
]
JournalNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_JOURNAL_TEXT), Typed]
WishText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_WISH_CHARS), Typed
]
QuestionText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=QUESTION_MIN_CHARS, max_length=QUESTION_MAX_CHARS),
    Typed,
]
WhyText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=WHY_MAX_CHARS), Typed]
ExpertId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_CHARS), Typed
]
NameText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_CHARS), Typed
]


class Mode(StrEnum):
    llm = "llm"
    offline = "offline"


class Channel(StrEnum):
    email = "email"
    slack = "slack"
    linkedin = "linkedin"


class Tone(StrEnum):
    warm = "warm"
    concise = "concise"
    formal = "formal"


class Clarification(BaseModel):
    """One short clarifying question with 3-5 answers the user can pick."""

    model_config = ConfigDict(frozen=True)

    question: str
    choices: list[str] = Field(min_length=3, max_length=5)


class WishReading(BaseModel):
    """What the coach understood of the wish: the domain, the goal and the person's situation."""

    model_config = ConfigDict(frozen=True)

    domain: str = ""
    kind: str = ""  # what the subject is: field, industry, role, skill or topic ("" while unknown)
    goal: str = ""
    role: str = ""
    facets: list[str] = Field(default_factory=list)


class LearningQuestion(BaseModel):
    """A concrete question a colleague could answer in a 20-minute conversation."""

    model_config = ConfigDict(frozen=True)

    text: QuestionText
    why: WhyText = ""
    facet: str = ""
    search_query: str = ""
    topic: str = Field(
        default="", max_length=120
    )  # what it is about, for a subject line ("data engineering")

    @property
    def query(self) -> str:
        return self.search_query or self.text


class Connector(BaseModel):
    """Someone who likely knows who knows, and the small question to ask them."""

    model_config = ConfigDict(frozen=True)

    profile: ExpertProfile
    ask: str
    reason: str


class QuestionMatches(BaseModel):
    """The people to ask for one learning question; `connector` is set when nobody fits well."""

    model_config = ConfigDict(frozen=True)

    question: LearningQuestion
    matches: list[ExpertMatch] = Field(default_factory=list)
    connector: Connector | None = None
    nobody_fits: bool = False
    reranked: bool = False  # the LLM re-ranked these people (justifications are in each match's notes)
    rerank_fallback: str | None = None  # why an attempted LLM re-ranking kept the offline order


class AgendaItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    minutes: int = Field(ge=1)
    title: str
    detail: str = ""


class Agenda(BaseModel):
    """A time-boxed coffee-chat agenda for one expert and one or more questions."""

    model_config = ConfigDict(frozen=True)

    expert: ExpertProfile
    questions: list[str]
    minutes: int
    items: list[AgendaItem]
    start: datetime | None = None
    markdown: str = ""
    ics: str = ""


class IntroRequest(BaseModel):
    """What an intro message is drafted from: the person (from the index), the questions, and how to ask."""

    model_config = ConfigDict(frozen=True)

    expert: ExpertProfile
    questions: list[str]
    channel: Channel = Channel.email
    tone: Tone = Tone.warm
    requester_name: str = ""
    requester_context: str = ""
    evidence: list[FieldEvidence] = Field(default_factory=list)
    minutes: int = 20
    topic: str = ""  # what question 1 is about, for the subject line; worked out from it when empty


class IntroMessage(BaseModel):
    """A short, specific, easy-to-decline note to one expert."""

    model_config = ConfigDict(frozen=True)

    expert_id: str
    channel: Channel
    tone: Tone
    subject: str = ""
    text: str


# --- The learning journal: wish -> question -> coffee chat -> takeaways, referrals, next questions.


class QuestionStatus(StrEnum):
    open = "open"
    answered = "answered"
    dropped = "dropped"


class QuestionSource(StrEnum):
    coach = "coach"
    chat = "chat"
    user = "user"


class ChatStatus(StrEnum):
    planned = "planned"
    done = "done"
    cancelled = "cancelled"


class ReferralStatus(StrEnum):
    suggested = "suggested"
    contacted = "contacted"


class Wish(BaseModel):
    """A learning wish in the user's own words: where the loop starts."""

    model_config = ConfigDict(frozen=True)

    id: int
    uid: str
    text: WishText
    created_at: datetime


class Question(BaseModel):
    """A journal question and where it stands; `chat_id` is set when it came up in a chat."""

    model_config = ConfigDict(frozen=True)

    id: int
    uid: str
    text: QuestionText
    why: WhyText = ""
    status: QuestionStatus = QuestionStatus.open
    source: QuestionSource = QuestionSource.user
    wish_id: int | None = None
    chat_id: int | None = None
    created_at: datetime
    answered_at: datetime | None = None


class CoffeeChat(BaseModel):
    """One conversation with an expert; `expert_name` is copied from the profile at the time."""

    model_config = ConfigDict(frozen=True)

    id: int
    uid: str
    expert_id: ExpertId
    expert_name: NameText
    date: Date
    status: ChatStatus
    question_ids: list[int] = Field(default_factory=list)
    notes: JournalNote = ""
    created_at: datetime
    logged_at: datetime | None = None


class Takeaway(BaseModel):
    """One thing learned in a chat."""

    model_config = ConfigDict(frozen=True)

    id: int
    uid: str
    chat_id: int
    text: JournalText
    created_at: datetime


class ReferralIn(BaseModel):
    """Someone an expert suggested asking: an index id, a free-text name, or both."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    expert_id: Annotated[str | None, Field(max_length=MAX_NAME_CHARS)] = None
    name: Annotated[str, Field(max_length=MAX_NAME_CHARS), Typed] = ""
    note: JournalNote = ""

    @field_validator("expert_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        value = without_controls(value)
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _someone(self) -> ReferralIn:
        if self.expert_id is None and not self.name:
            raise ValueError("a referral needs an expert_id from the index or a person's name")
        return self


class Referral(BaseModel):
    """A recorded referral and whether the user has reached out yet."""

    model_config = ConfigDict(frozen=True)

    id: int
    uid: str
    chat_id: int | None = None
    expert_id: Annotated[str | None, Typed] = None
    name: Annotated[str, Typed] = ""
    note: JournalNote = ""
    status: ReferralStatus = ReferralStatus.suggested
    created_at: datetime

    @model_validator(mode="after")
    def _someone(self) -> Referral:
        if self.expert_id is None and not self.name:
            raise ValueError("a referral needs an expert_id from the index or a person's name")
        return self


class TimelineKind(StrEnum):
    wish = "wish"
    question = "question"
    chat_planned = "chat_planned"
    chat_done = "chat_done"
    chat_cancelled = "chat_cancelled"
    question_answered = "question_answered"
    takeaway = "takeaway"
    referral = "referral"


class TimelineEvent(BaseModel):
    """One dated line of the journal's history, typed so the UI can pick an icon."""

    model_config = ConfigDict(frozen=True)

    kind: TimelineKind
    at: datetime
    entry_id: int
    text: str
    detail: str = ""
    chat_id: int | None = None
