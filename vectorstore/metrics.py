"""Ranking quality metrics: nDCG with gain 2^grade - 1, recall and reciprocal rank, averaged per query."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(grades: Sequence[int]) -> float:
    """Discounted cumulative gain of grades in rank order (gain 2^g - 1, discount log2(rank + 1))."""
    return sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(grades))


def ndcg_at(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """nDCG@k of one ranking; 0 when nothing is relevant."""
    ideal = dcg(sorted(judged.values(), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    return dcg([judged.get(doc, 0) for doc in ranked[:k]]) / ideal


def recall_at(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """Share of relevant (grade > 0) documents found in the top k."""
    relevant = {doc for doc, grade in judged.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], judged: Mapping[str, int]) -> float:
    """1 / rank of the first relevant document, 0 if none is ranked."""
    for rank, doc in enumerate(ranked, start=1):
        if judged.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def evaluate(
    run: dict[str, list[str]],
    qrels: dict[str, dict[str, int]],
    k_ndcg: Sequence[int] = (5, 10),
    k_recall: int = 10,
) -> dict[str, float]:
    """Mean nDCG@k, recall@k and MRR over every query in `qrels`; a query missing from `run` scores 0."""
    if not qrels:
        raise ValueError("qrels is empty: pass at least one judged query")
    totals: dict[str, float] = {f"ndcg@{k}": 0.0 for k in k_ndcg}
    totals[f"recall@{k_recall}"] = 0.0
    totals["mrr"] = 0.0
    for query_id, judged in qrels.items():
        ranked = run.get(query_id, [])
        for k in k_ndcg:
            totals[f"ndcg@{k}"] += ndcg_at(ranked, judged, k)
        totals[f"recall@{k_recall}"] += recall_at(ranked, judged, k_recall)
        totals["mrr"] += reciprocal_rank(ranked, judged)
    return {name: value / len(qrels) for name, value in totals.items()}
