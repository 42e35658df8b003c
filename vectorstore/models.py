"""Expert profile schema and the search result types."""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_FIELD_CHARS = 4_000
_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*")
LIST_SEPARATOR = ";"


class Availability(StrEnum):
    open = "open"
    limited = "limited"
    unavailable = "unavailable"


def _split_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    return value


class ExpertProfile(BaseModel):
    """One colleague who can be asked; unknown input columns are kept in `extra`."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=MAX_FIELD_CHARS)
    department: str = Field(default="", max_length=MAX_FIELD_CHARS)
    location: str = Field(default="", max_length=MAX_FIELD_CHARS)
    email: str = Field(default="", max_length=320)
    bio: str = Field(default="", max_length=MAX_FIELD_CHARS)
    expertise: list[str] = Field(default_factory=list)
    availability: Availability = Availability.open
    languages: list[str] = Field(default_factory=list)
    max_chats_per_month: int | None = Field(default=None, ge=0, le=1000)
    extra: dict[str, str] = Field(default_factory=dict)

    @field_validator("expertise", "languages", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("expertise", "languages")
    @classmethod
    def _list_items(cls, value: list[str]) -> list[str]:
        if len(value) > 100:
            raise ValueError("at most 100 items")
        for item in value:
            if len(item) > 200:
                raise ValueError(f"item longer than 200 characters: {item[:40]!r}…")
        return value

    @field_validator("availability", mode="before")
    @classmethod
    def _availability(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return Availability.open
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("max_chats_per_month", mode="before")
    @classmethod
    def _capacity(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def search_text(self) -> str:
        """The text that is embedded and scored: everything that says what this person knows."""
        parts = [self.title, self.department, "; ".join(self.expertise), self.bio]
        return "\n".join(part for part in parts if part)

    def embedding_text(self) -> str:
        """`search_text()` without the person's own name: a name says nothing about what they know,
        and in a mean-pooled embedding its tokens only blur the vector (measured in docs/retrieval.md)."""
        text = self.search_text()
        return self.without_name(text) or text

    def without_name(self, text: str) -> str:
        """`text` with every word of the person's name (and its possessive) removed."""
        name = {part.casefold() for part in _WORD_RE.findall(self.name) if len(part) > 1}
        if not name:
            return text

        def keep(match: re.Match[str]) -> str:
            word = match.group()
            bare = word[:-2] if word[-2:] in ("'s", "’s") else word
            return "" if bare.casefold() in name else word

        return _WORD_RE.sub(keep, text).strip()

    def content_hash(self) -> str:
        """A stable digest of the record, used to tell updated rows from unchanged ones."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


class SearchFilters(BaseModel):
    """Filters applied before ranking; None means no constraint."""

    model_config = ConfigDict(frozen=True)

    availability: list[Availability] | None = None
    location: str | None = None
    department: str | None = None
    language: str | None = None


class FieldEvidence(BaseModel):
    """Which phrases of one profile field matched the question."""

    model_config = ConfigDict(frozen=True)

    field: str
    phrases: list[str]
    snippet: str = ""


class ExpertMatch(BaseModel):
    """A ranked search result with the evidence behind it."""

    model_config = ConfigDict(frozen=True)

    profile: ExpertProfile
    score: float
    evidence: list[FieldEvidence] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def why(self) -> str:
        if not self.evidence:
            return "similar wording overall"
        return "; ".join(f"{ev.field}: {', '.join(ev.phrases)}" for ev in self.evidence)
