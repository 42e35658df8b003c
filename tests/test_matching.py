"""Matching that protects busy experts, connectors when nobody fits, and what-next suggestions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coach.journal.store import Journal
from coach.journal.whatnext import SuggestionKind, suggest_next
from coach.matching import match_question
from coach.models import LearningQuestion, ReferralIn
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex
from vectorstore.models import Availability, ExpertProfile


def pricing_person(pid: str, name: str, availability: Availability = Availability.open) -> ExpertProfile:
    return ExpertProfile(
        id=pid,
        name=name,
        title="Pricing Manager",
        department="Product",
        expertise=["pricing strategy", "discounts", "subscription pricing"],
        bio="Sets prices and discounts for subscription plans.",
        availability=availability,
    )


ORG = [
    pricing_person("p1", "Ana Ruiz"),
    pricing_person("p2", "Ben Ode"),
    pricing_person("p3", "Cho Min"),
    pricing_person("star", "Dee Star", Availability.unavailable),
    ExpertProfile(
        id="head", name="Hal Head", title="Head of Product", department="Product", expertise=["roadmaps"]
    ),
    ExpertProfile(
        id="cos",
        name="Cat Staff",
        title="Chief of Staff",
        department="Office of the CEO",
        bio="Knows who owns what across the company.",
    ),
    ExpertProfile(
        id="ops",
        name="Oli Ops",
        title="Warehouse Analyst",
        department="Operations",
        expertise=["inventory", "logistics"],
    ),
]
QUESTION = LearningQuestion(text="How do we set subscription pricing and discounts?")


@pytest.fixture
def index(tmp_path: Path) -> Iterator[ExpertIndex]:
    with ExpertIndex.open(tmp_path / "idx", OfflineEmbedding()) as idx:
        idx.upsert(ORG)
        yield idx


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "journal.sqlite3") as j:
        yield j


def test_forty_requests_rotate_among_comparable_experts(index: ExpertIndex, journal: Journal) -> None:
    def recent(ids):  # type: ignore[no-untyped-def]
        return journal.count_asks(ids, since=datetime.now(UTC) - timedelta(days=30))

    firsts = []
    for n in range(40):
        result = match_question(index, QUESTION, k=3, recent_asks=recent)
        top = result.matches[0]
        assert top.profile.availability is not Availability.unavailable, "unavailable is never first"
        firsts.append(top.profile.id)
        journal.record_ask(f"user{n}", top.profile.id)  # 40 different people asking
    counts = Counter(firsts)
    assert set(counts) == {"p1", "p2", "p3"}, counts
    assert max(counts.values()) - min(counts.values()) <= 4, f"requests are spread: {counts}"
    noted = match_question(index, QUESTION, k=3, recent_asks=recent)
    assert any("requests" in note for m in noted.matches for note in m.notes), "the explanation says why"


def test_without_history_the_order_is_the_search_order(index: ExpertIndex) -> None:
    plain = [
        m.profile.id for m in index.search(QUESTION.text, k=6) if m.profile.availability != "unavailable"
    ]
    matched = [m.profile.id for m in match_question(index, QUESTION, k=3).matches]
    assert matched == plain[:3]


def test_unavailable_best_match_is_not_first_and_connector_when_nobody_fits(index: ExpertIndex) -> None:
    result = match_question(
        index, LearningQuestion(text="How do we design quantum error correction codes?"), k=3
    )
    if result.nobody_fits:
        assert result.connector is not None
        assert result.connector.ask.startswith("Who could teach me")
        assert result.connector.profile.id in {p.id for p in ORG}


def test_what_next_from_a_scripted_journal(index: ExpertIndex, journal: Journal) -> None:
    user = "alex"
    journal.add_wish(user, "understand how pricing works")
    covered = journal.add_question(user, "Who sets list prices?")
    journal.add_question(user, "How are discounts approved?")
    journal.log_chat(
        user,
        "p1",
        "Ana Ruiz",
        True,
        ["Discounts above 20% need approval"],
        [ReferralIn(expert_id="p2", note="subscription pricing experiments")],
        ["How do we test a price change?"],
        [covered.id],
    )
    journal.log_chat(
        user,
        "head",
        "Hal Head",
        True,
        ["Roadmaps are set quarterly"],
        [ReferralIn(name="Priya from Sales")],
        [],
        [],
    )
    suggestions = suggest_next(journal, user, index)
    kinds = {s.kind for s in suggestions}
    texts = " | ".join(s.question.text for s in suggestions)
    assert kinds == {SuggestionKind.chat_question, SuggestionKind.referral}
    assert "How do we test a price change?" in texts
    assert "How are discounts approved?" not in texts, "open questions are listed in the journal already"
    assert "Ben" in texts, "the referral in the index is suggested by name from the profile"
    assert "Who could introduce me to Priya from Sales?" in texts, "no topic: just ask for the introduction"
    assert "what they work on" not in texts and "what do they know about ?" not in texts, "no placeholders"
    assert all(s.expert is None or index.get(s.expert.id) == s.expert for s in suggestions)
    assert journal.list_questions("someone-else") == [], "journals are per user"
    journal.add_question("sam", "How are discounts approved?")
    fresh = suggest_next(journal, "sam", index)
    assert [(s.kind, s.question.text) for s in fresh] == [
        (SuggestionKind.open_question, "How are discounts approved?")
    ], "with nothing new, a few open questions are the next step"


@pytest.mark.parametrize(
    ("question", "topic", "ask"),
    [
        (
            "How does the division make money?",
            "how the division makes money",
            "Who could teach me how the division makes money?",
        ),
        (
            "Which financial metrics does the division watch most closely?",
            "",
            "Who could teach me about financial metrics?",
        ),
        (
            "What does a useful one-to-one look like?",
            "useful one-to-ones",
            "Who could teach me about useful one-to-ones?",
        ),
    ],
)
def test_connector_small_ask_names_the_topic_whole(question: str, topic: str, ask: str) -> None:
    from coach.matching import _small_ask

    assert _small_ask(LearningQuestion(text=question, topic=topic)) == ask
