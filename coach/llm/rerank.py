"""LLM re-ranking of a turn's matches: one batched call, grounded in the candidates, offline order on failure."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from coach.errors import LLMUnavailable
from coach.matching import RecentAsks, match_question, search_question
from coach.models import LearningQuestion, QuestionMatches
from vectorstore.index import ExpertIndex
from vectorstore.models import ExpertMatch, ExpertProfile, FieldEvidence, SearchFilters

log = logging.getLogger(__name__)

RERANK_DEPTH = 10  # offline candidates per question offered to the re-ranker
RANK_STEP = 0.08  # score gap between neighbours in the LLM's order: its top 6 stay comparable for balance()
NOTE_PREFIX = "why (LLM): "
EMPTY_RANKING = "the re-ranker named none of this question's candidates"


@runtime_checkable
class Reranker(Protocol):
    """Orders each question's candidates, best first, with a short justification per person named."""

    def rerank_many(
        self, items: Sequence[tuple[str, Sequence[tuple[ExpertProfile, Sequence[FieldEvidence]]]]]
    ) -> list[list[tuple[str, str]]]: ...


@dataclass(frozen=True)
class Reranked:
    """One question's candidates after re-ranking, and whether the offline order had to stay."""

    matches: list[ExpertMatch]
    vouched: frozenset[str]  # ids the re-ranker named as able to answer
    fallback: str | None = None  # why the offline order was kept; None when the LLM's order is used


def apply_ranking(matches: Sequence[ExpertMatch], ranking: Sequence[tuple[str, str]]) -> Reranked:
    """The people the LLM named first, in its order; the rest after them in the offline order.

    Scores are rewritten to match the new order (1.0, 0.92, 0.84, ... then below the last named), so that
    load balancing, which compares scores, starts from the LLM's order; each justification becomes a note.
    """
    by_id = {m.profile.id: m for m in matches}
    named = [(pid, why) for pid, why in ranking if pid in by_id]
    if not named:
        return Reranked(list(matches), frozenset(), EMPTY_RANKING)
    first: list[ExpertMatch] = []
    for position, (pid, why) in enumerate(named):
        match = by_id[pid]
        notes = [*match.notes, f"{NOTE_PREFIX}{why}"] if why else list(match.notes)
        first.append(match.model_copy(update={"score": _rank_score(position), "notes": notes}))
    rest = [m for m in matches if m.profile.id not in {pid for pid, _ in named}]
    ceiling = _rank_score(len(named)) * 0.9
    best_rest = max((m.score for m in rest), default=1.0) or 1.0
    below = [m.model_copy(update={"score": round(ceiling * m.score / best_rest, 4)}) for m in rest]
    return Reranked(first + below, frozenset(pid for pid, _ in named))


def rerank_turn(
    reranker: Reranker, pools: Sequence[tuple[LearningQuestion, Sequence[ExpertMatch]]]
) -> list[Reranked]:
    """One call for all the turn's questions; when it fails, every question keeps its offline order."""
    items = [
        (question.text, [(m.profile, m.evidence) for m in matches[:RERANK_DEPTH]])
        for question, matches in pools
    ]
    try:
        rankings = reranker.rerank_many(items)
    except LLMUnavailable as exc:
        log.warning("LLM re-ranking unavailable, keeping the offline order: %s", exc)
        reason = f"LLM re-ranking unavailable: {exc}"
        return [Reranked(list(matches), frozenset(), reason) for _, matches in pools]
    if len(rankings) != len(pools):
        reason = f"the re-ranker answered for {len(rankings)} of {len(pools)} questions"
        return [Reranked(list(matches), frozenset(), reason) for _, matches in pools]
    return [apply_ranking(matches, ranking) for (_, matches), ranking in zip(pools, rankings, strict=True)]


def match_reranked(
    index: ExpertIndex,
    questions: Sequence[LearningQuestion],
    reranker: Reranker,
    *,
    k: int = 3,
    filters: SearchFilters | None = None,
    recent_asks: RecentAsks | None = None,
) -> list[QuestionMatches]:
    """Search every question, let the LLM re-rank all of them in one call, then balance load as offline."""
    pools = [
        (question, search_question(index, question, k=max(k + 3, RERANK_DEPTH), filters=filters))
        for question in questions
    ]
    results = rerank_turn(reranker, pools)
    return [
        match_question(
            index, question, k=k, recent_asks=recent_asks, found=result.matches, vouched=result.vouched
        ).model_copy(update={"reranked": result.fallback is None, "rerank_fallback": result.fallback})
        for question, result in zip(questions, results, strict=True)
    ]


def _rank_score(position: int) -> float:
    return round(max(1.0 - RANK_STEP * position, 0.1), 4)
