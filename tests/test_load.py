"""A draft is not an ask: only sent requests count, "many" is relative to capacity, and "moved up/down"
is said only where load changed the order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from coach.journal.store import Journal
from coach.matching import Load, balance
from coach.models import LearningQuestion
from coach.service import CoachService
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex
from vectorstore.models import Availability, ExpertMatch, ExpertProfile


def person(pid: str, capacity: int | None = None, availability: str = "open") -> ExpertProfile:
    return ExpertProfile(
        id=pid, name=pid.title(), max_chats_per_month=capacity, availability=Availability(availability)
    )


def matched(*people: tuple[ExpertProfile, float]) -> list[ExpertMatch]:
    return [ExpertMatch(profile=p, score=score) for p, score in people]


@dataclass(frozen=True)
class Case:
    name: str
    matches: list[ExpertMatch]
    asks: dict[str, int]
    order: list[str]
    notes: dict[str, str] = field(default_factory=dict)  # id -> the start of its load note


A, B, C = person("ann"), person("ben"), person("cat")
CASES = [
    Case("nobody asked", matched((A, 1.0), (B, 0.9)), {}, ["ann", "ben"]),
    Case("one ask of four is not many", matched((A, 1.0), (B, 0.9)), {"ann": 1}, ["ann", "ben"]),
    Case("two asks of four are not many", matched((A, 1.0), (B, 0.9)), {"ann": 2}, ["ann", "ben"]),
    Case(
        "three of four is many",
        matched((A, 1.0), (B, 0.9)),
        {"ann": 3},
        ["ben", "ann"],
        {"ann": "moved down: 3 requests", "ben": "moved up"},
    ),
    Case(
        "a stated capacity of 10 makes three asks few",
        matched((person("ann", 10), 1.0), (B, 0.9)),
        {"ann": 3},
        ["ann", "ben"],
    ),
    Case(
        "a capacity of 1 makes one ask many",
        matched((person("ann", 1), 1.0), (B, 0.9)),
        {"ann": 1},
        ["ben", "ann"],
        {"ann": "moved down: 1 requests sent in the last 30 days against 1", "ben": "moved up"},
    ),
    Case(
        "a busy expert far ahead stays first: nothing moved, nothing said",
        matched((A, 1.0), (B, 0.3)),
        {"ann": 3},
        ["ann", "ben"],
    ),
    Case(
        "only people who passed the busy one say moved up",
        matched((A, 1.0), (B, 0.95), (C, 0.9)),
        {"ann": 4},
        ["ben", "cat", "ann"],
        {"ann": "moved down", "ben": "moved up", "cat": "moved up"},
    ),
    Case(
        "a busy expert already behind gives nobody a note",
        matched((A, 1.0), (B, 0.9), (C, 0.8)),
        {"cat": 4},
        ["ann", "ben", "cat"],
    ),
    Case(
        "unavailable people go last without a load note",
        matched((person("ann", availability="unavailable"), 1.0), (B, 0.9)),
        {"ben": 1},
        ["ben", "ann"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_balance(case: Case) -> None:
    result = balance(case.matches, Load(case.asks))
    assert [m.profile.id for m in result] == case.order
    notes = {m.profile.id: " ".join(m.notes) for m in result if m.notes}
    assert set(notes) == set(case.notes)
    for pid, start in case.notes.items():
        assert notes[pid].startswith(start), notes[pid]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CoachService]:
    team = [
        ExpertProfile(id=f"p{n}", name=f"Pat {n}", expertise=["subscription pricing", "discount approvals"])
        for n in range(4)
    ]
    with (
        ExpertIndex.open(tmp_path / "idx", OfflineEmbedding()) as index,
        Journal(tmp_path / "j.sqlite3") as journal,
    ):
        index.upsert(team)
        yield CoachService(index=index, journal=journal)


QUESTION = LearningQuestion(text="How do we approve discounts on subscription pricing?")


def ranking(service: CoachService) -> list[tuple[str, list[str]]]:
    return [(m.profile.id, m.notes) for m in service.match([QUESTION], k=4)[0].matches]


def test_drafting_intros_never_changes_anyones_ranking(service: CoachService) -> None:
    before = ranking(service)
    top = before[0][0]
    for channel in ("email", "slack", "linkedin"):
        for _ in range(5):
            service.intro(top, [QUESTION.text], channel=channel)  # type: ignore[arg-type]
    assert ranking(service) == before, "drafts are not asks"
    assert service.recent_asks([top]) == {top: 0}


def test_marking_sent_moves_a_busy_expert_down_for_everyone(service: CoachService) -> None:
    top = ranking(service)[0][0]
    for user in ("ann", "ben", "cat"):
        assert service.mark_sent(user, top, [QUESTION.text], wish="learn pricing") is True
    assert service.mark_sent("ann", top, [QUESTION.text]) is False, "marking sent twice is one ask"
    after = ranking(service)
    assert after[0][0] != top
    moved = dict(after)[top]
    assert moved and moved[0].startswith("moved down: 3 requests sent in the last 30 days against 4")
    assert service.journal is not None
    assert [q.text for q in service.journal.open_questions("ann")] == [QUESTION.text], (
        "the ask's question is kept"
    )
