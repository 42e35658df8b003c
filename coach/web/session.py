"""One browser session of the web app: its state and the form parsing behind each event, without Gradio."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from coach.errors import CoachInputError
from coach.models import (
    MAX_QUESTIONS,
    QUESTION_MAX_CHARS,
    QUESTION_MIN_CHARS,
    Clarification,
    LearningQuestion,
    QuestionMatches,
    without_controls,
)
from vectorstore.index import ExpertIndex
from vectorstore.models import Availability, ExpertProfile, FieldEvidence, SearchFilters

log = logging.getLogger(__name__)

ANY = "Any"
T = TypeVar("T")
DEFAULT_TIME = "10:00"
_TIME = re.compile(r"^\s*(\d{1,2})[:.h](\d{2})\s*$")


@dataclass
class CoachSession:
    """Everything one browser session knows; kept in gr.State, never shared between users."""

    wish: str = ""
    answers: list[str] = field(default_factory=list)
    clarification: Clarification | None = None
    questions: list[LearningQuestion] = field(default_factory=list)
    matches: list[QuestionMatches] = field(default_factory=list)
    filters: SearchFilters | None = None
    staged: list[ExpertProfile] = field(default_factory=list)
    suggestions: list[LearningQuestion] = field(default_factory=list)
    # What the Agenda and Intro tabs show (the expert and the questions they were drafted from), so a
    # click on a tab header redrafts only when the choice under People changed.
    drafted: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def drafting(self, expert_id: str) -> tuple[str, ...]:
        """The key of a draft for this expert from the session's current questions."""
        return (expert_id, *(q.text for q in self.questions))

    def is_drafted(self, view: str, expert_id: str) -> bool:
        """True when `view` ("agenda" or "intro") already shows this expert for the current questions."""
        return self.drafted.get(view) == self.drafting(expert_id)

    def mark_drafted(self, view: str, expert_id: str) -> None:
        self.drafted[view] = self.drafting(expert_id)

    def restart(self, wish: str = "") -> CoachSession:
        """A new conversation that keeps the session's filters and any staged profile import."""
        return CoachSession(wish=wish, filters=self.filters, staged=self.staged)


def next_weekday(today: date) -> date:
    """Tomorrow, or the Monday after when tomorrow falls on a weekend."""
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def parse_start(day_text: str | None, time_text: str | None) -> datetime | None:
    """A naive start from the form's date and time; None when the date is left empty."""
    if not (day_text or "").strip():
        return None
    try:
        day = date.fromisoformat((day_text or "").strip())
    except ValueError:
        raise CoachInputError(f"Date {day_text!r} is not a date like 2026-12-01 (year-month-day).") from None
    found = _TIME.match(time_text or DEFAULT_TIME)
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise CoachInputError(f"Time {time_text!r} is not a time like 10:00 (24-hour clock).")
    return datetime.combine(day, time(int(found.group(1)), int(found.group(2))))


def table_rows(table: Any) -> list[str]:
    """The first-column texts of a Dataframe value (a list of rows, a payload dict or a pandas frame)."""
    rows = table.get("data", []) if isinstance(table, dict) else table
    if hasattr(rows, "columns") and hasattr(rows, "values"):
        rows = rows.values.tolist()
    if not isinstance(rows, list | tuple):  # what an API client sent is not a table: no rows
        rows = []
    texts = []
    for row in rows or []:
        cell = row[0] if isinstance(row, list | tuple) and row else row
        # Cleaned as the question model will clean it, so the length checked below is the length kept.
        text = " ".join(str(without_controls(str(cell if cell is not None else ""))).split())
        if text and text.lower() != "nan":
            texts.append(text)
    return texts


def parse_questions(table: Any, known: Sequence[LearningQuestion]) -> list[LearningQuestion]:
    """The edited question list; blank rows are dropped and unchanged rows keep their 'why'."""
    texts = list(dict.fromkeys(table_rows(table)))
    if not texts:
        raise CoachInputError(
            "The question list is empty: add a question, or describe your wish in the chat."
        )
    if len(texts) > MAX_QUESTIONS:
        raise CoachInputError(
            f"{len(texts)} questions is too many: keep the {MAX_QUESTIONS} that matter most."
        )
    by_text = {q.text: q for q in known}
    questions = []
    for number, text in enumerate(texts, start=1):
        if not QUESTION_MIN_CHARS <= len(text) <= QUESTION_MAX_CHARS:
            raise CoachInputError(
                f"Question {number} should be {QUESTION_MIN_CHARS} to {QUESTION_MAX_CHARS} characters long; "
                f"it has {len(text)}."
            )
        questions.append(by_text.get(text) or LearningQuestion(text=text))
    return questions


def build_filters(
    availability: Sequence[str] | None, location: str | None, department: str | None, language: str | None
) -> SearchFilters | None:
    """Filters from the pickers; everything ticked (or nothing) and "Any" everywhere means no filter."""
    ticked = (
        availability if isinstance(availability, list | tuple) else [availability] if availability else []
    )
    chosen = [one_of(a, list(Availability), "Availability") for a in ticked]

    def picked(value: str | None) -> str | None:
        return None if value in (None, "", ANY) else value

    filters = SearchFilters(
        availability=chosen if chosen and len(chosen) < len(Availability) else None,
        location=picked(location),
        department=picked(department),
        language=picked(language),
    )
    return None if filters == SearchFilters() else filters


def expert_questions(session: CoachSession, expert_id: str) -> tuple[list[str], list[FieldEvidence]]:
    """The questions this person was matched for (a connector gets their small ask) and the evidence."""
    texts: list[str] = []
    evidence: list[FieldEvidence] = []
    for group in session.matches:
        for match in [] if group.nobody_fits else group.matches:
            if match.profile.id == expert_id:
                texts.append(group.question.text)
                evidence = evidence or match.evidence
        if group.connector is not None and group.connector.profile.id == expert_id:
            texts.append(group.connector.ask)
    return list(dict.fromkeys(texts)), evidence


def staged_changes(index: ExpertIndex, profiles: Sequence[ExpertProfile]) -> tuple[list[ExpertProfile], int]:
    """The profiles an import would add or update (new first), and how many are unchanged."""
    added = [p for p in profiles if index.get(p.id) is None]
    updated = [
        p for p in profiles if (old := index.get(p.id)) is not None and old.content_hash() != p.content_hash()
    ]
    return added + updated, len(profiles) - len(added) - len(updated)


def one_of(value: object, options: Sequence[T], what: str) -> T:
    """The option a fixed-choice component (radio, dropdown) sent, as the app's own value.

    A browser only sends offered values, but an API client can send anything, and `int(None)` or
    `Channel("x")` would then be a crash behind the generic apology instead of a message."""
    key = _option_key(value)
    for option in options:
        if _option_key(option) == key:
            return option
    raise CoachInputError(f"{what} must be one of {', '.join(str(o) for o in options)}.")


def whole_number(value: object, low: int, high: int, what: str) -> int:
    """A number from a slider or number box, within its bounds; anything else is a clear error."""
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if not (low <= number <= high) or not number.is_integer():
        raise CoachInputError(f"{what} must be a whole number from {low} to {high}.")
    return int(number)


def _option_key(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().casefold()


def text_lines(text: str | None) -> list[str]:
    """Non-empty lines of a multi-line answer ("one per line" fields)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
