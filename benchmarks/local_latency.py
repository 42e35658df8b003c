"""Search latency with the local sentence model, cold (right after an import) and warm (bio-sentence
vectors cached), as JSON. Needs `make local-model`.

    .venv/bin/python benchmarks/local_latency.py --data ../shared/eval/bank \
        [--model .coach/models/all-MiniLM-L6-v2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vectorstore.evaluation import EvalSet, eval_index
from vectorstore.local_embedding import LocalOnnxEmbedding
from vectorstore.passages import PassageScorer
from vectorstore.profiles import load_profiles


def _quantiles(latencies: list[float]) -> dict[str, float]:
    ordered = statistics.quantiles(latencies, n=20)
    return {"p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(ordered[18], 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, required=True, help="an eval dir (profiles.jsonl, queries.jsonl)"
    )
    parser.add_argument("--model", type=Path, default=Path(".coach/models/all-MiniLM-L6-v2"))
    args = parser.parse_args(argv)
    data = EvalSet.load(args.data)
    profiles = load_profiles(data.profiles_path).profiles
    questions = list(data.queries.values())
    report: dict[str, object] = {"set": args.data.name, "profiles": len(profiles), "queries": len(questions)}
    with eval_index(profiles, LocalOnnxEmbedding(str(args.model))) as index:
        for label in ("cold", "warm"):
            if label == "warm":  # what a long-running app sees once its background warm-up is done
                scorer = index._passages
                if isinstance(scorer, PassageScorer):
                    scorer.warm(profiles)
            latencies = []
            for question in questions:
                started = time.perf_counter()
                index.search(question, k=10, explain=False)
                latencies.append((time.perf_counter() - started) * 1000)
            report[label] = _quantiles(latencies)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
