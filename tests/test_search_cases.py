"""Table-driven retrieval cases on the small fixture organisation (tests/fixtures/README.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex
from vectorstore.models import Availability, SearchFilters
from vectorstore.profiles import load_profiles


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExpertIndex]:
    with ExpertIndex.open(tmp_path_factory.mktemp("org-small"), OfflineEmbedding()) as idx:
        idx.upsert(load_profiles(FIXTURES / "org_small.csv").profiles)
        yield idx


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how do I price a SaaS product", "al-006"),
        ("who can explain our revenue recognition", "al-002"),
        ("I want to get better at public speaking", "al-016"),
        ("how do we run incident postmortems", "al-010"),
        ("GDPR and data privacy questions", "al-018"),
        ("how do we upgrade our Kubernetes clusters", "al-011"),
        ("how to interview and hire engineers", "al-021"),
        ("advice for first-time managers", "al-014"),
        ("how to reduce churn and handle renewals", "al-024"),
        ("usability testing and user research", "al-007"),
    ],
)
def test_top_match(index: ExpertIndex, question: str, expected: str) -> None:
    matches = index.search(question, k=5)
    assert matches[0].profile.id == expected, [m.profile.id for m in matches]
    phrases = [p.lower() for ev in matches[0].evidence for p in ev.phrases]
    text = " ".join(
        [
            matches[0].profile.title,
            matches[0].profile.bio,
            *matches[0].profile.expertise,
            matches[0].profile.department,
        ]
    ).lower()
    assert phrases and all(p in text for p in phrases), "evidence quotes the profile itself"


@pytest.mark.parametrize(
    ("question", "filters", "expected_ids", "first"),
    [
        (
            "how to interview and hire engineers",
            SearchFilters(language="Spanish"),
            {"al-004", "al-010", "al-021", "al-022", "al-024"},
            "al-021",
        ),
        (
            "anything",
            SearchFilters(language="german"),
            {"al-003", "al-007", "al-011", "al-014", "al-018"},
            None,
        ),
        ("anything", SearchFilters(location="Berlin"), {"al-003", "al-007", "al-011", "al-018"}, None),
        ("anything", SearchFilters(department="Legal"), {"al-017", "al-018", "al-019"}, None),
        (
            "machine learning model evaluation",
            SearchFilters(availability=[Availability.open, Availability.limited]),
            None,
            "al-013",
        ),
    ],
)
def test_filtered_search(
    index: ExpertIndex,
    question: str,
    filters: SearchFilters,
    expected_ids: set[str] | None,
    first: str | None,
) -> None:
    matches = index.search(question, k=24, filters=filters)
    ids = [m.profile.id for m in matches]
    if expected_ids is not None:
        assert set(ids) == expected_ids
    if first is not None:
        assert ids[0] == first
    assert "al-012" not in ids or filters.availability is None


def test_unfiltered_includes_the_unavailable_expert_first(index: ExpertIndex) -> None:
    assert index.search("machine learning model evaluation", k=3)[0].profile.id == "al-012"


def test_sample_org_is_loadable_and_large() -> None:
    result = load_profiles(Path(__file__).resolve().parents[1] / "vectorstore" / "sample_profiles.csv")
    assert len(result.profiles) >= 200 and not result.rejected
    assert len({p.department for p in result.profiles}) >= 12
