"""Retrieval evaluation: build a throwaway index from a labelled set and score the rankings."""

from __future__ import annotations

import csv
import json
import statistics
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from coach.errors import ProfileError
from vectorstore.embeddings import CoachEmbedding
from vectorstore.index import ExpertIndex, open_client
from vectorstore.metrics import evaluate
from vectorstore.models import ExpertProfile
from vectorstore.profiles import load_profiles


@dataclass(frozen=True)
class EvalSet:
    """A labelled set in the format of shared/eval/dev: profiles, queries and graded qrels."""

    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    profiles_path: Path

    @classmethod
    def load(cls, directory: Path) -> EvalSet:
        paths = {name: directory / name for name in ("profiles.jsonl", "queries.jsonl", "qrels.tsv")}
        missing = [name for name, path in paths.items() if not path.exists()]
        if missing:
            raise ProfileError(
                f"{directory} lacks {', '.join(missing)}; expected the layout of shared/eval/dev"
            )
        queries = {}
        for line in paths["queries.jsonl"].read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                queries[str(record["id"])] = str(record["text"])
        qrels: dict[str, dict[str, int]] = {}
        with paths["qrels.tsv"].open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                qrels.setdefault(row["query_id"], {})[row["profile_id"]] = int(row["grade"])
        return cls(queries=queries, qrels=qrels, profiles_path=paths["profiles.jsonl"])


@contextmanager
def eval_index(profiles: Sequence[ExpertProfile], embedding: CoachEmbedding) -> Iterator[ExpertIndex]:
    """A throwaway index of `profiles` in a temp dir, removed on exit."""
    with tempfile.TemporaryDirectory(prefix="coach-eval-") as tmp:
        client, lock = open_client(Path(tmp), None)
        index = ExpertIndex(client, embedding, lock)
        try:
            index.upsert(profiles)
            yield index
        finally:
            index.close()


def summarise(
    run: dict[str, list[str]],
    qrels: dict[str, dict[str, int]],
    latencies: Sequence[float],
    *,
    profiles: int,
    embedding_key: str,
) -> dict[str, float | int | str]:
    """The `coach eval` report: quality metrics, set sizes, embedding, and p50/p95 latency, rounded."""
    scores = evaluate(run, qrels, k_ndcg=(5, 10), k_recall=10)
    quantiles = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else list(latencies) * 19
    return {
        **{name: round(value, 4) for name, value in scores.items()},
        "queries": len(run),
        "profiles": profiles,
        "embedding": embedding_key,
        "latency_p50_ms": round(statistics.median(latencies), 2),
        "latency_p95_ms": round(quantiles[18], 2),
    }


def run_eval(directory: Path, embedding: CoachEmbedding, k: int = 10) -> dict[str, float | int | str]:
    """Index the set's profiles in a temp dir, search every query, and report quality and latency."""
    data = EvalSet.load(directory)
    loaded = load_profiles(data.profiles_path)
    run: dict[str, list[str]] = {}
    latencies: list[float] = []
    with eval_index(loaded.profiles, embedding) as index:
        for qid, text in data.queries.items():
            started = time.perf_counter()
            matches = index.search(text, k=max(k, 10))
            latencies.append((time.perf_counter() - started) * 1000)
            run[qid] = [match.profile.id for match in matches]
    return summarise(run, data.qrels, latencies, profiles=len(loaded.profiles), embedding_key=embedding.key)


QUALITY = ("ndcg@5", "ndcg@10", "recall@10", "mrr")


def macro_average(reports: Sequence[Mapping[str, float | int | str]]) -> dict[str, float | int]:
    """The unweighted mean of each quality metric over several sets' reports, with the sizes summed."""
    out: dict[str, float | int] = {
        name: round(sum(float(r[name]) for r in reports) / len(reports), 4)
        for name in QUALITY
        if reports and all(name in r for r in reports)
    }
    out["sets"] = len(reports)
    out["queries"] = sum(int(r.get("queries", 0)) for r in reports)
    return out


def set_names(directories: Sequence[Path]) -> list[str]:
    """A short, unique label per eval directory: its name, or more of its path when names repeat."""
    names = [d.name for d in directories]
    return [str(d) if names.count(d.name) > 1 else d.name for d in directories]
