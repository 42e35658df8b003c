"""`coach eval --llm`: retrieval quality with the LLM's query rewrite and batched re-ranking, and its cost."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from coach.errors import LLMUnavailable
from coach.llm.engine import LLMEngine
from coach.llm.rerank import RERANK_DEPTH, rerank_turn
from coach.matching import search_question
from coach.models import LearningQuestion
from vectorstore.embeddings import CoachEmbedding
from vectorstore.evaluation import EvalSet, eval_index, summarise
from vectorstore.index import ExpertIndex
from vectorstore.models import ExpertMatch
from vectorstore.profiles import load_profiles

TURN = 3  # questions per batch, like the coach's usual turn (3-5): fewer per call means deeper pools


def run_llm_eval(
    directory: Path, embedding: CoachEmbedding, engine: LLMEngine, *, k: int = 10, turn: int = TURN
) -> dict[str, float | int | str]:
    """Like `run_eval`, but each batch of questions is rewritten (one call) and re-ranked (one call).

    A rewrite that fails searches with the question alone; a re-ranking that fails keeps the offline
    order. Both are counted per question, so a run against a broken server reads as the offline one.
    """
    data = EvalSet.load(directory)
    loaded = load_profiles(data.profiles_path)
    calls, tokens = engine.calls, engine.prompt_tokens
    run: dict[str, list[str]] = {}
    latencies: list[float] = []
    rewrite_failed: set[str] = set()
    rerank_failed: set[str] = set()
    started_all = time.perf_counter()
    with eval_index(loaded.profiles, embedding) as index:
        items = list(data.queries.items())
        for start in range(0, len(items), turn):
            batch = items[start : start + turn]
            questions, failed = _rewritten([text for _, text in batch], engine)
            if failed:
                rewrite_failed.update(qid for qid, _ in batch)
            pools = _searched(index, questions, max(k, RERANK_DEPTH), latencies)
            results = rerank_turn(engine, list(zip(questions, pools, strict=True)))
            for (qid, _), result in zip(batch, results, strict=True):
                run[qid] = [m.profile.id for m in result.matches]
                if result.fallback is not None:
                    rerank_failed.add(qid)
    return {
        **summarise(run, data.qrels, latencies, profiles=len(loaded.profiles), embedding_key=embedding.key),
        "mode": "llm",
        "llm_calls": engine.calls - calls,
        "prompt_tokens": engine.prompt_tokens - tokens,
        "rewrite_fallbacks": len(rewrite_failed),
        "rerank_fallbacks": len(rerank_failed),
        "fallbacks": len(rewrite_failed | rerank_failed),
        "seconds": round(time.perf_counter() - started_all, 2),
    }


def _rewritten(texts: Sequence[str], engine: LLMEngine) -> tuple[list[LearningQuestion], bool]:
    """The questions with the LLM's search queries, or without them (and True) when the rewrite failed."""
    try:
        queries = engine.rewrite_queries(texts)
    except LLMUnavailable:
        queries = [""] * len(texts)
        failed = True
    else:
        failed = False
    return [
        LearningQuestion(text=text, search_query=query) for text, query in zip(texts, queries, strict=True)
    ], failed


def _searched(
    index: ExpertIndex, questions: Sequence[LearningQuestion], depth: int, latencies: list[float]
) -> list[list[ExpertMatch]]:
    """Each question's offline candidates (question and rewrite fused), timing every search."""
    pools = []
    for question in questions:
        started = time.perf_counter()
        pools.append(search_question(index, question, k=depth))
        latencies.append((time.perf_counter() - started) * 1000)
    return pools
