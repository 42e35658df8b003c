"""BM25F field weighting and the passage (best bio sentence) stage of the ranker, on made-up profiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pytest

from vectorstore.lexical import BM25Index
from vectorstore.models import ExpertProfile
from vectorstore.passages import PassageScorer, sentences
from vectorstore.retrieval import RetrievalConfig, Retriever
from vectorstore.static_embedding import default_static


def _plain_bm25(docs: list[list[str]], term: str, k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Textbook BM25 (Lucene idf) of one term, written out independently of the index."""
    avg = sum(len(d) for d in docs) / len(docs)
    df = sum(term in d for d in docs)
    idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
    out = []
    for d in docs:
        tf = d.count(term)
        out.append(idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg)))
    return out


DOCS = [["audit", "risk", "risk"], ["audit"], ["payroll", "tax", "audit", "audit", "pension"], ["tax"]]


@pytest.mark.parametrize("term", ["audit", "risk", "tax", "absent"])
def test_one_field_bm25f_is_plain_bm25(term: str) -> None:
    index = BM25Index([[doc] for doc in DOCS])
    expected = _plain_bm25(DOCS, term)
    assert np.allclose(index.scores({term: 1.0}), expected)


def test_a_field_weight_scales_that_field_only() -> None:
    # person 0 says "treasury" in the title, person 1 only in the department
    docs = [[["treasury"], ["audit"]], [["analyst"], ["treasury"]]]
    equal = BM25Index(docs, field_weights=(1.0, 1.0)).scores({"treasury": 1.0})
    assert equal[0] == pytest.approx(equal[1])
    halved = BM25Index(docs, field_weights=(1.0, 0.5)).scores({"treasury": 1.0})
    assert halved[0] == pytest.approx(equal[0])
    assert 0 < halved[1] < halved[0]


def test_a_document_without_every_field_is_refused() -> None:
    with pytest.raises(ValueError, match="2 field term lists"):
        BM25Index([[["a"], ["b"]], [["c"]]], field_weights=(1.0, 1.0))


def _person(pid: str, name: str, title: str, department: str, bio: str) -> ExpertProfile:
    return ExpertProfile(id=pid, name=name, title=title, department=department, bio=bio)


def test_department_counts_less_than_a_title() -> None:
    people = [
        _person("t", "Ada Lane", "Payroll Specialist", "Finance", "Runs month-end."),
        _person("d", "Bo Chen", "Operations Analyst", "Payroll", "Runs month-end."),
    ]
    ranked = Retriever(people, RetrievalConfig(static_weight=0.0)).rank("payroll", [], k=2)
    assert [pid for pid, _ in ranked] == ["t", "d"]
    assert ranked[1][1] < ranked[0][1]


@dataclass(frozen=True)
class Split:
    bio: str
    expected: list[str]


SPLITS = [
    Split("Ada runs audits. She trained at KPMG.", ["runs audits.", "She trained at KPMG."]),
    Split(
        "Ada builds models, e.g. cash flow. Ok. She teaches new analysts.",
        ["builds models, e.g. cash flow. Ok.", "She teaches new analysts."],
    ),
    Split("", ["Auditor\nFinance"]),
]


@pytest.mark.parametrize("case", SPLITS, ids=["two", "short-piece-joined", "no-bio"])
def test_sentences_split_the_bio_without_the_name(case: Split) -> None:
    person = _person("p", "Ada Lane", "Auditor", "Finance", case.bio)
    assert sentences(person) == case.expected


class CountingEmbed:
    """The bundled static embedding standing in for a dense model, counting the texts it embeds."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, texts: list[str]) -> Sequence[np.ndarray]:
        self.texts.extend(texts)
        return list(default_static().embed(texts))


def test_passage_vectors_are_embedded_once() -> None:
    embed = CountingEmbed()
    scorer = PassageScorer(embed)
    person = _person("p", "Ada Lane", "Auditor", "Finance", "Ada runs audits. She trained at KPMG.")
    query = default_static().embed(["who runs audits"])[0]
    first = scorer.best(query, [person])
    assert scorer.best(query, [person]) == pytest.approx(first)
    assert embed.texts == ["runs audits.", "She trained at KPMG."]


PEOPLE = [
    _person(
        "buried",
        "Mia Roe",
        "Finance Manager",
        "Finance",
        "Mia manages the monthly close and budget reviews for the retail division. She chairs the "
        "quarterly forecast meeting. Years ago she set up the provisioning model for expected credit "
        "losses on our loan book.",
    ),
    _person(
        "close", "Ian Fox", "Finance Manager", "Finance", "Ian manages the monthly close and budget reviews."
    ),
    _person("fore", "Lea Kim", "Finance Manager", "Finance", "Lea chairs the quarterly forecast meeting."),
]


def test_the_passage_stage_lifts_the_person_whose_one_sentence_answers() -> None:
    query = "how do we set aside provisions for expected credit losses on loans"
    vector = default_static().embed([query])[0]
    first_stage = RetrievalConfig(static_weight=0.0, lexical_weight=0.0, dense_weight=1.0)
    dense = [(p.id, 0.5) for p in PEOPLE]  # the whole-profile model sees three near-identical people
    flat = Retriever(PEOPLE, first_stage).rank(query, dense, k=3)
    assert [score for _, score in flat] == pytest.approx([1.0, 1.0, 1.0])
    staged = Retriever(PEOPLE, RetrievalConfig(static_weight=0.0, lexical_weight=0.0, passage_weight=1.0,
                                               dense_weight=1.0), passages=PassageScorer(CountingEmbed()))  # fmt: skip
    ranked = staged.rank(query, dense, k=3, query_vector=vector)
    assert ranked[0][0] == "buried"
    assert staged.rank(query, dense, k=3) == flat  # no question vector: the stage is skipped


def test_warming_embeds_every_sentence_ahead_of_searches() -> None:
    embed = CountingEmbed()
    scorer = PassageScorer(embed)
    scorer.warm_in_background(PEOPLE).join(timeout=60)
    warmed = len(embed.texts)
    assert warmed == sum(len(sentences(p)) for p in PEOPLE)
    scorer.best(default_static().embed(["credit losses"])[0], PEOPLE)
    assert len(embed.texts) == warmed
