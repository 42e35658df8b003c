"""Retrieval research harness: ranking variants over one or more eval dirs, as JSON.

    .venv/bin/python benchmarks/retrieval_trials.py --data DIR [--data DIR ...] [--variants a,b]
        [--local-model .coach/models/all-MiniLM-L6-v2] [--sweep dense_weight=0.5,1 concept_weight=1,1.25]
        [--loso] [--per-query VARIANT] [--lexicon concepts.yaml]

The dense side is a brute-force cosine search standing in for the Chroma query (same top-100 depth).
`--loso` (leave one set out) picks the grid point with the best mean nDCG@5 on all sets but one and
reports it on the one left out, for every set in turn. `--lexicon` replaces the bundled concept lexicon,
e.g. an older one (`git show REV:vectorstore/concepts.yaml > old.yaml`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vectorstore.concepts import ConceptLexicon
from vectorstore.evaluation import EvalSet
from vectorstore.metrics import evaluate
from vectorstore.models import ExpertProfile
from vectorstore.passages import PassageScorer
from vectorstore.profiles import load_profiles
from vectorstore.retrieval import RetrievalConfig, Retriever
from vectorstore.static_embedding import default_static

DENSE_DEPTH = 100  # neighbours asked of Chroma per query
Embed = Callable[[Sequence[str]], np.ndarray]
Ranker = Callable[[str], list[str]]


@dataclass
class Labelled:
    """One eval set in memory: its profiles, questions and judgments."""

    name: str
    profiles: list[ExpertProfile]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load(directory: Path) -> Labelled:
    data = EvalSet.load(directory)
    profiles = load_profiles(data.profiles_path).profiles
    return Labelled(directory.name, profiles, data.queries, data.qrels)


class DenseIndex:
    """Brute-force cosine search over profile texts under one embedding."""

    def __init__(self, profiles: list[ExpertProfile], embed: Embed) -> None:
        self.ids = [p.id for p in profiles]
        self.embed = embed
        self.matrix = np.asarray(embed([p.embedding_text() for p in profiles]), dtype=np.float32)
        self.passages = PassageScorer(embed)  # shared by every variant: sentence vectors are costly

    def vector(self, text: str) -> np.ndarray:
        return np.asarray(self.embed([text]), dtype=np.float32)[0]

    def query(self, text: str, depth: int = DENSE_DEPTH) -> list[tuple[str, float]]:
        sims = self.matrix @ self.vector(text)
        order = np.argsort(-sims, kind="stable")[:depth]
        return [(self.ids[i], float(1.0 - sims[i])) for i in order]


def static_embed(texts: Sequence[str]) -> np.ndarray:
    return default_static().embed(texts)


def local_embed(model_dir: Path) -> Embed:
    from vectorstore.local_embedding import LocalOnnxEmbedding

    model = LocalOnnxEmbedding(str(model_dir))
    return lambda texts: np.asarray(model(list(texts)), dtype=np.float32)


def hybrid(
    data: Labelled, config: RetrievalConfig, dense: DenseIndex | None, lexicon: ConceptLexicon | None = None
) -> Ranker:
    """BM25 + concepts fused with `dense`; with a passage weight, `dense`'s model also scores bio sentences."""
    passages = dense.passages if dense is not None and config.passage_weight else None
    retriever = Retriever(data.profiles, config, passages=passages, lexicon=lexicon)

    def run(text: str) -> list[str]:
        neighbours = dense.query(text) if dense is not None else []
        vector = dense.vector(text) if passages is not None and dense is not None else None
        return [pid for pid, _ in retriever.rank(text, neighbours, k=10, query_vector=vector)]

    return run


def dense_alone(dense: DenseIndex) -> Ranker:
    return lambda text: [pid for pid, _ in dense.query(text, 10)]


BASE = RetrievalConfig(dense_weight=1.0, static_weight=0.0)  # the offline default, via a dense list
LOCAL = replace(BASE, dense_weight=1.0, static_weight=1.0, passage_weight=1.0)  # COACH_EMBEDDING=local
ONE_FIELD = (1.0,)  # plain BM25 over the whole profile (before BM25F)


def make_variants(
    data: Labelled, local_model: Path | None, lexicon: ConceptLexicon | None = None
) -> dict[str, Ranker]:
    """Every variant worth comparing; each maps a question to a ranked id list."""
    mix = partial(hybrid, data, lexicon=lexicon)
    static = DenseIndex(data.profiles, static_embed)
    variants: dict[str, Ranker] = {
        "bm25_stems": mix(replace(BASE, use_concepts=False, field_weights=ONE_FIELD), None),
        "bm25_concepts": mix(replace(BASE, field_weights=ONE_FIELD), None),
        "bm25f_concepts": mix(BASE, None),
        "static_alone": dense_alone(static),
        "default": mix(BASE, static),
        "default_one_field": mix(replace(BASE, field_weights=ONE_FIELD), static),
        "default_fields_equal": mix(replace(BASE, field_weights=(1.0, 1.0, 1.0, 1.0)), static),
        "default_no_concepts": mix(replace(BASE, use_concepts=False), static),
        "default_no_constraints": mix(replace(BASE, language_boost=0.0, location_boost=0.0), static),
        "default_dense_0.5": mix(replace(BASE, dense_weight=0.5), static),
        "default_dense_1.5": mix(replace(BASE, dense_weight=1.5), static),
        "default_rrf": mix(replace(BASE, fusion="rrf"), static),
        "default_static_passages": mix(replace(BASE, passage_weight=0.5), static),
    }
    if local_model is not None:
        local = DenseIndex(data.profiles, local_embed(local_model))
        variants |= {
            "local_alone": dense_alone(local),
            "local_bm25": mix(replace(LOCAL, static_weight=0.0, passage_weight=0.0), local),
            "local_bm25_static": mix(replace(LOCAL, passage_weight=0.0), local),
            "local_default": mix(LOCAL, local),
            "local_passages_1.5_static_0.5": mix(
                replace(LOCAL, passage_weight=1.5, static_weight=0.5), local
            ),
            "local_default_no_concepts": mix(replace(LOCAL, use_concepts=False), local),
        }
    return variants


def score(ranker: Ranker, data: Labelled) -> dict[str, float]:
    ids = sorted(q for q in data.queries if q in data.qrels)
    run = {qid: ranker(data.queries[qid]) for qid in ids}
    metrics = evaluate(run, {q: data.qrels[q] for q in ids}, k_ndcg=(5, 10), k_recall=10)
    return {name: round(value, 4) for name, value in metrics.items()}


def _value(text: str) -> float | bool | tuple[float, ...]:
    """`true`, `0.5`, or `1:1:0.5:1` (a tuple, e.g. field_weights)."""
    if text in ("true", "false"):
        return text == "true"
    return tuple(float(v) for v in text.split(":")) if ":" in text else float(text)


def parse_grid(specs: list[str]) -> list[dict[str, float | bool | tuple[float, ...]]]:
    """`dense_weight=0.5,1 field_weights=1:1:0.5:1,1:1:1:1` -> the cartesian product of settings."""
    axes = []
    for spec in specs:
        key, _, values = spec.partition("=")
        options = [_value(v) for v in values.split(",")]
        axes.append([(key, v) for v in options])
    return [dict(combo) for combo in itertools.product(*axes)]


def sweep(
    sets: list[Labelled],
    grid: list[dict[str, float | bool | tuple[float, ...]]],
    local_model: Path | None = None,
    lexicon: ConceptLexicon | None = None,
) -> dict[str, dict[str, float]]:
    """nDCG@5 of every grid point on every set (dense side: the local model if given, else the static one)."""
    out: dict[str, dict[str, float]] = {}
    embed = local_embed(local_model) if local_model else static_embed
    base = LOCAL if local_model else BASE
    denses = {d.name: DenseIndex(d.profiles, embed) for d in sets}
    for point in grid:
        label = " ".join(
            f"{k}={':'.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in point.items()
        )
        config = replace(base, **point)  # type: ignore[arg-type]
        out[label] = {d.name: score(hybrid(d, config, denses[d.name], lexicon), d)["ndcg@5"] for d in sets}
    return out


def leave_one_set_out(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float | str]]:
    """For each set: the grid point best on the others, and its score on the set left out."""
    names = list(next(iter(table.values())))
    result: dict[str, dict[str, float | str]] = {}
    for held in names:
        others = [n for n in names if n != held]
        best = max(table, key=lambda label: float(np.mean([table[label][n] for n in others])))
        result[held] = {
            "chosen_on_others": best,
            "held_out_ndcg@5": table[best][held],
            "best_possible_on_held_out": max(row[held] for row in table.values()),
        }
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, action="append", required=True, help="an eval dir (repeatable)")
    parser.add_argument("--variants", default="", help="comma-separated subset of variant names")
    parser.add_argument("--local-model", type=Path, default=None, help="a model.onnx + tokenizer.json folder")
    parser.add_argument("--sweep", nargs="*", default=[], help="grid, e.g. dense_weight=0.5,1")
    parser.add_argument("--loso", action="store_true", help="leave-one-set-out over the --sweep grid")
    parser.add_argument("--per-query", default="", help="print per-query top 5 for this variant (stderr)")
    parser.add_argument(
        "--lexicon", type=Path, default=None, help="a concepts.yaml to use instead of the bundled one"
    )
    args = parser.parse_args(argv)
    lexicon = ConceptLexicon.load(args.lexicon) if args.lexicon else None
    sets = [load(d) for d in args.data]
    if args.sweep:
        table = sweep(sets, parse_grid(args.sweep), args.local_model, lexicon)
        report: dict[str, object] = {"sweep_ndcg@5": table}
        report["macro_ndcg@5"] = {
            label: round(float(np.mean(list(row.values()))), 4) for label, row in table.items()
        }
        if args.loso:
            held = leave_one_set_out(table)
            report["leave_one_set_out"] = held
            report["leave_one_set_out_macro"] = round(
                float(np.mean([h["held_out_ndcg@5"] for h in held.values()])), 4
            )
        print(json.dumps(report, indent=2))
        return
    results: dict[str, dict[str, dict[str, float]]] = {}
    for data in sets:
        variants = make_variants(data, args.local_model, lexicon)
        chosen = [v for v in args.variants.split(",") if v] or list(variants)
        results[data.name] = {name: score(variants[name], data) for name in chosen}
        if args.per_query:
            ranker = variants[args.per_query]
            for qid in sorted(data.qrels):
                marks = [f"{pid}:{data.qrels[qid].get(pid, 0)}" for pid in ranker(data.queries[qid])[:5]]
                print(data.name, qid, data.queries[qid][:70], "|", " ".join(marks), file=sys.stderr)
    names = list(next(iter(results.values())))
    results["macro"] = {
        v: {
            m: round(float(np.mean([results[s.name][v][m] for s in sets])), 4)
            for m in results[sets[0].name][v]
        }
        for v in names
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
