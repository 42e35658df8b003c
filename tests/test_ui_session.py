"""Form parsing and per-session bookkeeping behind the web app's events."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from coach.errors import CoachInputError
from coach.models import LearningQuestion, QuestionMatches
from coach.web.session import (
    CoachSession,
    build_filters,
    expert_questions,
    next_weekday,
    parse_questions,
    parse_start,
    table_rows,
)
from vectorstore.models import Availability, ExpertMatch, ExpertProfile, SearchFilters


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 23), date(2026, 11, 24)),  # Monday -> Tuesday
        (date(2026, 11, 27), date(2026, 11, 30)),  # Friday -> Monday
        (date(2026, 11, 28), date(2026, 11, 30)),  # Saturday -> Monday
        (date(2026, 11, 29), date(2026, 11, 30)),  # Sunday -> Monday
    ],
)
def test_next_weekday(today: date, expected: date) -> None:
    assert next_weekday(today) == expected


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        ("2026-12-01", "10:00", datetime(2026, 12, 1, 10, 0)),
        (" 2026-12-01 ", "9.30", datetime(2026, 12, 1, 9, 30)),
        ("2026-12-01", "", datetime(2026, 12, 1, 10, 0)),
        ("", "10:00", None),
    ],
)
def test_parse_start(day: str, at: str, expected: datetime | None) -> None:
    assert parse_start(day, at) == expected


@pytest.mark.parametrize(
    ("day", "at", "message"),
    [
        ("01/12/2026", "10:00", "year-month-day"),
        ("2026-12-01", "25:00", "24-hour"),
        ("2026-12-01", "ten", "10:00"),
    ],
)
def test_parse_start_explains_bad_input(day: str, at: str, message: str) -> None:
    with pytest.raises(CoachInputError, match=message):
        parse_start(day, at)


@pytest.mark.parametrize(
    ("table", "rows"),
    [
        ([["a question?"], [""], ["  spaced   out  "]], ["a question?", "spaced out"]),
        ({"headers": ["Question"], "data": [["one"], [None]]}, ["one"]),
        (["bare", ""], ["bare"]),
        (None, []),
    ],
)
def test_table_rows(table: object, rows: list[str]) -> None:
    assert table_rows(table) == rows


def test_parse_questions_keeps_why_of_unchanged_rows() -> None:
    known = [LearningQuestion(text="Which metrics matter most?", why="to read reports")]
    questions = parse_questions([["Which metrics matter most?"], ["How are advances judged?"], [""]], known)
    assert [q.why for q in questions] == ["to read reports", ""]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([[""]], "empty"),
        ([[f"Question number {n}?"] for n in range(9)], "too many"),
        ([["Hm?"]], "5 to 400"),
    ],
)
def test_parse_questions_rejects_unusable_lists(table: object, message: str) -> None:
    with pytest.raises(CoachInputError, match=message):
        parse_questions(table, [])


@pytest.mark.parametrize(
    ("picked", "expected"),
    [
        ((["open", "limited", "unavailable"], "Any", "Any", "Any"), None),
        (([], None, "", "Any"), None),
        (
            (["open"], "London", "Any", "French"),
            SearchFilters(availability=[Availability.open], location="London", language="French"),
        ),
        ((["open", "limited", "unavailable"], "Any", "Finance", "Any"), SearchFilters(department="Finance")),
    ],
)
def test_build_filters(picked: tuple, expected: SearchFilters | None) -> None:  # type: ignore[type-arg]
    assert build_filters(*picked) == expected


def _session() -> CoachSession:
    sam = ExpertProfile(id="p1", name="Sam Lee")
    q1, q2 = LearningQuestion(text="Which metrics matter?"), LearningQuestion(text="How are advances judged?")
    return CoachSession(
        wish="learn finance",
        questions=[q1, q2],
        matches=[
            QuestionMatches(question=q1, matches=[ExpertMatch(profile=sam, score=1.0)]),
            QuestionMatches(
                question=q2, matches=[ExpertMatch(profile=ExpertProfile(id="p2", name="Ann"), score=1.0)]
            ),
        ],
    )


def test_expert_questions_lists_only_that_persons_questions() -> None:
    assert expert_questions(_session(), "p1") == (["Which metrics matter?"], [])
    assert expert_questions(_session(), "nobody") == ([], [])


def test_restart_keeps_filters_and_staged_profiles() -> None:
    session = _session()
    session.filters = SearchFilters(location="London")
    fresh = session.restart("new wish")
    assert (fresh.wish, fresh.questions, fresh.filters) == ("new wish", [], session.filters)
