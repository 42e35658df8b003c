"""Behaviour of the hybrid retriever and the offline embedding on a small made-up organisation."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

from vectorstore.concepts import ConceptLexicon
from vectorstore.models import ExpertProfile
from vectorstore.retrieval import Retriever
from vectorstore.static_embedding import DIM, default_static


def _profile(
    pid: str, title: str, expertise: str, bio: str, languages: str = "English", location: str = "Remote"
) -> ExpertProfile:
    return ExpertProfile(
        id=pid, name=pid.upper(), title=title, department="", expertise=expertise.split("; "), bio=bio,
        languages=languages.split("; "), location=location,
    )  # fmt: skip


PROFILES = [
    _profile("fin", "Finance Business Partner", "P&L models; gross margin; budgeting", "Builds the title P&L used in deal reviews."),
    _profile("hr", "Talent Acquisition Partner", "recruiting; structured interviewing", "Runs hiring for engineering and sales roles."),
    _profile("sre", "Site Reliability Engineer", "incident response; on-call; load testing", "Keeps the website up during traffic spikes."),
    _profile("sec", "Security Engineer", "application security; breach response", "Leads the response when accounts are compromised."),
    _profile("loc", "Localization Manager", "translation vendors; language quality", "Ships the product in nine languages.", "English; Spanish", "Madrid"),
    _profile("loc2", "Translation Coordinator", "translation memory; translation vendors", "Coordinates translators for new markets.", "English; German", "Berlin"),
    _profile("ux", "Product Designer", "user research; usability testing", "Designs onboarding flows and runs interviews with customers."),
]  # fmt: skip


def dense_for(query: str, profiles: list[ExpertProfile] = PROFILES) -> list[tuple[str, float]]:
    """What a Chroma query over `search_text()` embeddings returns: (id, cosine distance), best first."""
    matrix = default_static().embed([p.embedding_text() for p in profiles])
    sims = matrix @ default_static().embed([query])[0]
    order = np.argsort(-sims, kind="stable")
    return [(profiles[i].id, float(1 - sims[i])) for i in order]


@pytest.fixture(scope="module")
def retriever() -> Retriever:
    return Retriever(PROFILES)


@dataclass(frozen=True)
class Case:
    query: str
    best: str


CASES = [
    Case("How does the business make money, which margins matter?", "fin"),
    Case("Who can teach me how to find and interview good candidates?", "hr"),
    Case("What happens when the website falls over at night?", "sre"),
    Case("If someone broke into customer logins, what would we do?", "sec"),
    Case("How do we test whether people can actually use the new screens?", "ux"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.best for c in CASES])
def test_paraphrased_questions_find_the_expert_first(retriever: Retriever, case: Case) -> None:
    ranked = retriever.rank(case.query, dense_for(case.query), k=3)
    assert ranked[0][0] == case.best


def test_language_constraint_promotes_speakers(retriever: Retriever) -> None:
    query = "Ideally someone who speaks German: how do we pick translation vendors?"
    ranked = retriever.rank(query, dense_for(query), k=2)
    assert ranked[0][0] == "loc2"
    plain = "How do we pick translation vendors and keep language quality high?"
    assert retriever.rank(plain, dense_for(plain), k=1)[0][0] == "loc"


@pytest.mark.parametrize("k", [0, 1, 3, 50])
def test_rank_returns_at_most_k_sorted_results(retriever: Retriever, k: int) -> None:
    query = "translation and hiring budgets"
    ranked = retriever.rank(query, dense_for(query), k=k)
    assert len(ranked) == min(k, len(PROFILES))
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("allowed", [{"hr", "ux"}, {"sec"}, set(), {"unknown-id"}])
def test_rank_only_returns_allowed_ids(retriever: Retriever, allowed: set[str]) -> None:
    query = "security incident response and hiring"
    dense = dense_for(query)  # deliberately unfiltered: rank must still respect `allowed`
    ranked = retriever.rank(query, dense, k=10, allowed=allowed)
    assert {pid for pid, _ in ranked} <= allowed
    if allowed & {p.id for p in PROFILES}:
        assert ranked


def test_rank_works_without_dense_neighbours(retriever: Retriever) -> None:
    assert retriever.rank("gross margin", [], k=1)[0][0] == "fin"


def test_rank_is_deterministic() -> None:
    query = "who knows about recruiting and translation?"
    first = Retriever(PROFILES).rank(query, dense_for(query), k=5)
    second = Retriever(list(reversed(PROFILES))).rank(query, dense_for(query), k=5)
    assert first == Retriever(PROFILES).rank(query, dense_for(query), k=5)
    assert {pid for pid, _ in first} == {pid for pid, _ in second}


def test_a_given_lexicon_replaces_the_bundled_one() -> None:
    """Benchmarks compare lexicons: a concept only the given lexicon has links words no profile shares."""
    query = "who keeps the lights on when we're swamped?"
    lexicon = ConceptLexicon.from_mapping({"uptime": ["keeps the lights on", "traffic spikes"]})
    with_it = Retriever(PROFILES, lexicon=lexicon)
    assert "~uptime" in with_it.query_terms(query).weights
    assert with_it.rank(query, [], k=1)[0][0] == "sre"
    assert "~uptime" not in Retriever(PROFILES).query_terms(query).weights


@pytest.mark.parametrize(
    ("query", "pid", "field"),
    [
        ("How does the business make money?", "fin", "expertise"),
        ("Who can teach me interviewing?", "hr", "expertise"),
        ("What do we do when the site goes down during traffic spikes?", "sre", "bio"),
    ],
)
def test_explain_quotes_phrases_from_the_profile(
    retriever: Retriever, query: str, pid: str, field: str
) -> None:
    profile = next(p for p in PROFILES if p.id == pid)
    evidence = retriever.explain(query, profile)
    assert 1 <= len(evidence) <= 3
    assert field in {ev.field for ev in evidence}
    for ev in evidence:
        assert ev.phrases
        source = {"title": profile.title, "expertise": "; ".join(profile.expertise), "bio": profile.bio,
                  "department": profile.department, "languages": ", ".join(profile.languages)}[ev.field]  # fmt: skip
        for phrase in ev.phrases:
            assert phrase in source


def test_explain_mentions_a_met_language_constraint(retriever: Retriever) -> None:
    loc2 = next(p for p in PROFILES if p.id == "loc2")
    evidence = retriever.explain("someone who speaks German about translation vendors", loc2)
    assert any(ev.field == "languages" and ev.phrases == ["German"] for ev in evidence)


def test_explain_is_empty_when_nothing_matches(retriever: Retriever) -> None:
    assert retriever.explain("zebra xylophone", PROFILES[0]) == []


@pytest.mark.parametrize("texts", [["one text"], ["a", "", "P&L and margins", "x" * 5000]])
def test_static_embedding_shape_and_norm(texts: list[str]) -> None:
    vectors = default_static().embed(texts)
    assert vectors.shape == (len(texts), DIM) and vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert norms == pytest.approx(np.ones(len(texts)), abs=1e-5)  # even empty text: Chroma needs unit vectors


def test_static_embedding_is_stable_across_processes() -> None:
    text = "Builds the title P&L models used in acquisition meetings"
    code = (
        "from vectorstore.static_embedding import default_static; "
        f"print([float(x) for x in default_static().embed([{text!r}])[0][:8]])"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = [float(x) for x in default_static().embed([text])[0][:8]]
    assert [round(float(x), 5) for x in eval(other.stdout.replace("np.float32", ""))] == [
        round(x, 5) for x in here
    ]


def test_paraphrases_embed_closer_than_unrelated_text() -> None:
    a, b, c = default_static().embed(
        ["pay an author up front", "advances and royalties", "kubernetes autoscaling"]
    )
    assert float(a @ b) > float(a @ c)
