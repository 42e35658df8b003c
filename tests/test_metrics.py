"""Hand-computed checks of the ranking metrics."""

from __future__ import annotations

import math

import pytest

from vectorstore.metrics import evaluate, ndcg_at, recall_at, reciprocal_rank

QRELS = {"q1": {"a": 2, "b": 1}, "q2": {"c": 1}}


@pytest.mark.parametrize(
    ("ranked", "judged", "k", "expected"),
    [
        (["a", "b"], {"a": 2, "b": 1}, 5, 1.0),
        (["b", "a"], {"a": 2, "b": 1}, 5, (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))),
        (["x", "a"], {"a": 2}, 5, (3 / math.log2(3)) / 3),
        (["x", "y"], {"a": 2}, 5, 0.0),
        (["x", "a"], {"a": 2}, 1, 0.0),
        (["a"], {}, 5, 0.0),
    ],
)
def test_ndcg_matches_hand_computed_values(
    ranked: list[str], judged: dict[str, int], k: int, expected: float
) -> None:
    assert ndcg_at(ranked, judged, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranked", "judged", "expected_recall", "expected_rr"),
    [
        (["a", "x", "b"], {"a": 2, "b": 1}, 1.0, 1.0),
        (["x", "b"], {"a": 2, "b": 1}, 0.5, 0.5),
        (["x", "y", "z"], {"a": 1}, 0.0, 0.0),
    ],
)
def test_recall_and_reciprocal_rank(
    ranked: list[str], judged: dict[str, int], expected_recall: float, expected_rr: float
) -> None:
    assert recall_at(ranked, judged, 10) == pytest.approx(expected_recall)
    assert reciprocal_rank(ranked, judged) == pytest.approx(expected_rr)


def test_recall_counts_only_the_top_k() -> None:
    assert recall_at(["x", "a"], {"a": 1}, 1) == 0.0


def test_evaluate_averages_over_every_judged_query_including_missing_ones() -> None:
    run = {"q1": ["a", "b"]}  # q2 has no ranking: it scores zero
    result = evaluate(run, QRELS, k_ndcg=(5,), k_recall=10)
    assert result == pytest.approx({"ndcg@5": 0.5, "recall@10": 0.5, "mrr": 0.5})


def test_evaluate_reports_every_requested_cutoff() -> None:
    result = evaluate({"q1": ["b", "a"], "q2": ["c"]}, QRELS)
    assert set(result) == {"ndcg@5", "ndcg@10", "recall@10", "mrr"}
    assert result["mrr"] == pytest.approx(1.0)


def test_evaluate_rejects_empty_qrels() -> None:
    with pytest.raises(ValueError, match="qrels is empty"):
        evaluate({}, {})
