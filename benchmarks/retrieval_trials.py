"""Retrieval research harness: runs ranking variants over an eval dir and prints metrics as JSON.

.venv/bin/python benchmarks/retrieval_trials.py [--eval-dir DIR] [--variants a,b] [--split half]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vectorstore import textvec
from vectorstore.metrics import evaluate
from vectorstore.models import ExpertProfile
from vectorstore.retrieval import RetrievalConfig, Retriever
from vectorstore.textvec import DEFAULT_EMBEDDER, HashEmbedder

DEFAULT_EVAL_DIR = Path("/work/shared/eval/dev")
DENSE_DEPTH = 50  # neighbours asked of Chroma per query


@dataclass(frozen=True)
class EvalSet:
    """Profiles, questions and judgments of one eval directory."""

    profiles: list[ExpertProfile]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_eval(directory: Path) -> EvalSet:
    """Read profiles.jsonl, queries.jsonl and qrels.tsv."""
    profiles = [
        ExpertProfile.model_validate(json.loads(line))
        for line in (directory / "profiles.jsonl").read_text().splitlines()
        if line.strip()
    ]
    queries = {
        row["id"]: row["text"]
        for row in (json.loads(line) for line in (directory / "queries.jsonl").read_text().splitlines())
    }
    qrels: dict[str, dict[str, int]] = {}
    with (directory / "qrels.tsv").open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels.setdefault(row["query_id"], {})[row["profile_id"]] = int(row["grade"])
    return EvalSet(profiles=profiles, queries=queries, qrels=qrels)


class DenseIndex:
    """Brute-force cosine search standing in for the Chroma query."""

    def __init__(self, ids: list[str], texts: list[str], embedder: HashEmbedder = DEFAULT_EMBEDDER) -> None:
        self.ids = ids
        self.embedder = embedder
        self.matrix = embedder.embed_many(texts)

    def query(self, text: str, depth: int = DENSE_DEPTH) -> list[tuple[str, float]]:
        sims = self.matrix @ self.embedder.embed(text)
        order = np.argsort(-sims, kind="stable")[:depth]
        return [(self.ids[i], float(1.0 - sims[i])) for i in order]


Ranker = Callable[[str], list[str]]


def parse_overrides(specs: list[str]) -> list[dict[str, int | float | str | bool]]:
    """`--sweep dense_weight=0.5,1 concept_weight=0.7` -> the cartesian product of settings."""
    grid: list[dict[str, int | float | str | bool]] = [{}]
    for spec in specs:
        key, _, values = spec.partition("=")
        options: list[int | float | str | bool] = []
        for raw in values.split(","):
            if raw in ("true", "false"):
                options.append(raw == "true")
            elif raw.isdigit():
                options.append(int(raw))
            else:
                try:
                    options.append(float(raw))
                except ValueError:
                    options.append(raw)
        grid = [{**g, key: v} for g in grid for v in options]
    return grid


def make_variants(data: EvalSet, sweep: list[str] | None = None) -> dict[str, Ranker]:
    """Every variant worth comparing; each maps a question to a ranked id list."""
    dense_index = DenseIndex([p.id for p in data.profiles], [p.search_text() for p in data.profiles])
    base = RetrievalConfig()
    no_dense: list[tuple[str, float]] = []

    def hybrid(
        config: RetrievalConfig, with_dense: bool = True, embedder: HashEmbedder | None = None
    ) -> Ranker:
        retriever = Retriever(data.profiles, config)
        index = dense_index
        if embedder is not None:
            index = DenseIndex(
                [p.id for p in data.profiles], [p.search_text() for p in data.profiles], embedder
            )

        def run(text: str) -> list[str]:
            dense = index.query(text) if with_dense else no_dense
            return [pid for pid, _ in retriever.rank(text, dense, k=10)]

        return run

    def dense_only(text: str) -> list[str]:
        return [pid for pid, _ in dense_index.query(text, 10)]

    if sweep:
        variants: dict[str, Ranker] = {}
        for g in parse_overrides(sweep):
            dense_knobs = {k[6:]: v for k, v in g.items() if k.startswith("dense.")}
            config = replace(base, **{k: v for k, v in g.items() if not k.startswith("dense.")})  # type: ignore[arg-type]
            embedder = HashEmbedder(**dense_knobs) if dense_knobs else None  # type: ignore[arg-type]
            variants[" ".join(f"{k}={v}" for k, v in g.items())] = hybrid(config, embedder=embedder)
        return variants
    return {
        "bm25_stems": hybrid(replace(base, use_concepts=False), with_dense=False),
        "bm25_concepts": hybrid(replace(base, concept_weight=1.0), with_dense=False),
        "dense_hashvec": dense_only,
        "rrf_no_concepts": hybrid(replace(base, use_concepts=False)),
        "rrf_concepts": hybrid(replace(base, fusion="rrf")),
        "linear_concepts": hybrid(base),
        "linear_no_constraints": hybrid(replace(base, language_boost=0.0, location_boost=0.0)),
        "linear_no_dense": hybrid(base, with_dense=False),
        "linear_dense_1": hybrid(replace(base, dense_weight=1.0)),
    }


def score_variant(ranker: Ranker, data: EvalSet, query_ids: list[str]) -> dict[str, float]:
    """Metrics plus mean and p95 per-question latency (ms) over `query_ids`."""
    run: dict[str, list[str]] = {}
    timings = []
    for qid in query_ids:
        start = time.perf_counter()
        run[qid] = ranker(data.queries[qid])
        timings.append((time.perf_counter() - start) * 1000)
    metrics = evaluate(run, {q: data.qrels[q] for q in query_ids if q in data.qrels})
    metrics["latency_ms_p50"] = float(np.percentile(timings, 50))
    metrics["latency_ms_p95"] = float(np.percentile(timings, 95))
    return {name: round(value, 4) for name, value in metrics.items()}


def synthetic_profiles(profiles: list[ExpertProfile], size: int, seed: int = 11) -> list[ExpertProfile]:
    """`size` profiles made by copying the given ones with shuffled expertise and a dropped bio sentence."""
    rng = random.Random(seed)
    out: list[ExpertProfile] = []
    while len(out) < size:
        base = profiles[len(out) % len(profiles)]
        expertise = rng.sample(base.expertise, len(base.expertise))
        sentences = base.bio.split(". ")
        if len(sentences) > 1:
            sentences.pop(rng.randrange(len(sentences)))
        out.append(
            base.model_copy(
                update={"id": f"{base.id}-{len(out)}", "expertise": expertise, "bio": ". ".join(sentences)}
            )
        )
    return out


def latency_report(data: EvalSet, size: int, results: int = 10) -> dict[str, float]:
    """Build time, per-query rank and rank+explain latency (ms) at `size` profiles, plus embedding speed."""
    profiles = synthetic_profiles(data.profiles, size)
    texts = [p.search_text() for p in profiles]
    textvec.embed_texts(texts[:50])  # warm the per-word caches the way a long-running process would
    start = time.perf_counter()
    dense_index = DenseIndex([p.id for p in profiles], texts)
    embed_s = time.perf_counter() - start
    start = time.perf_counter()
    retriever = Retriever(profiles)
    build_s = time.perf_counter() - start
    by_id = {p.id: p for p in profiles}
    rank_ms, explain_ms, query_embed_ms = [], [], []
    allowed = {p.id for p in profiles[::2]}
    for i, text in enumerate(list(data.queries.values()) * 2):
        start = time.perf_counter()
        textvec.embed_texts([text])
        query_embed_ms.append((time.perf_counter() - start) * 1000)
        dense = dense_index.query(text)
        start = time.perf_counter()
        ranked = retriever.rank(text, dense, k=results, allowed=allowed if i % 2 else None)
        rank_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        for pid, _ in ranked:
            retriever.explain(text, by_id[pid])
        explain_ms.append((time.perf_counter() - start) * 1000)
    total = [r + e for r, e in zip(rank_ms, explain_ms, strict=True)]
    return {
        "profiles": size,
        "embed_profiles_per_s": round(size / embed_s),
        "query_embed_ms_p95": round(float(np.percentile(query_embed_ms, 95)), 3),
        "retriever_build_s": round(build_s, 2),
        "rank_ms_p50": round(float(np.percentile(rank_ms, 50)), 2),
        "rank_ms_p95": round(float(np.percentile(rank_ms, 95)), 2),
        f"explain_{results}_ms_p95": round(float(np.percentile(explain_ms, 95)), 2),
        "rank_plus_explain_ms_p95": round(float(np.percentile(total, 95)), 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--variants", default="", help="comma-separated subset of variant names")
    parser.add_argument("--split", choices=["all", "half"], default="all", help="half: two random halves")
    parser.add_argument("--sweep", nargs="*", default=[], help="config grid, e.g. dense_weight=0.5,1")
    parser.add_argument("--scale", type=int, default=0, help="also time rank+explain at N synthetic profiles")
    parser.add_argument("--per-query", default="", help="print per-query ranks for this variant")
    args = parser.parse_args(argv)
    data = load_eval(args.eval_dir)
    variants = make_variants(data, args.sweep)
    chosen = [v for v in args.variants.split(",") if v] or list(variants)
    query_ids = sorted(q for q in data.queries if q in data.qrels)
    splits = {"all": query_ids}
    if args.split == "half":
        shuffled = random.Random(7).sample(query_ids, len(query_ids))
        half = len(shuffled) // 2
        splits = {"A": sorted(shuffled[:half]), "B": sorted(shuffled[half:])}
    report = {
        split: {name: score_variant(variants[name], data, ids) for name in chosen}
        for split, ids in splits.items()
    }
    if args.scale:
        report["latency"] = latency_report(data, args.scale)  # type: ignore[assignment]
    if args.per_query:
        ranker = variants[args.per_query]
        for qid in query_ids:
            ranked = ranker(data.queries[qid])
            marks = [f"{pid}:{data.qrels[qid].get(pid, 0)}" for pid in ranked[:5]]
            relevant = sorted(data.qrels[qid], key=lambda p: -data.qrels[qid][p])
            print(qid, data.queries[qid][:70], "|", " ".join(marks), "| want", relevant, file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
