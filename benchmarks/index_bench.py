"""Index benchmark: ingest rate, search latency, reopen time and peak memory per index size, vs bare Chroma.

Each size runs in its own process, so peak RSS is that size's own. Prints one JSON object.
Run: .venv/bin/python benchmarks/index_bench.py [--sizes 1000 10000 100000] [--repeats 200]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex
from vectorstore.models import Availability, ExpertProfile, SearchFilters

DEPARTMENTS = [
    "Finance",
    "Editorial",
    "Sales",
    "Marketing",
    "Engineering",
    "Legal",
    "People",
    "Product",
    "Data",
    "Operations",
    "Design",
    "Support",
    "Strategy",
    "Rights",
    "Audio",
]
SKILLS = [
    "budgeting",
    "forecasting",
    "title P&L",
    "pricing strategy",
    "contract negotiation",
    "GDPR compliance",
    "incident response",
    "cloud infrastructure",
    "hiring and interviewing",
    "public speaking",
    "data pipelines",
    "dashboards",
    "SEO",
    "brand campaigns",
    "supply chain",
    "inventory planning",
    "UX research",
    "accessibility",
    "royalty statements",
    "rights licensing",
    "audio production",
    "customer retention",
    "churn analysis",
    "roadmapping",
    "OKRs",
    "coaching new managers",
    "machine learning",
    "A/B testing",
    "procurement",
    "vendor management",
    "copyediting",
    "acquisitions",
    "metadata",
    "retail distribution",
    "returns analysis",
    "localisation",
]
TITLES = ["Analyst", "Senior Analyst", "Manager", "Senior Manager", "Director", "Lead", "Principal", "VP"]
LOCATIONS = ["London", "New York", "Berlin", "Toronto", "Singapore", "Remote", "Madrid", "Bangalore"]
QUESTIONS = [
    "How do we decide how much to pay an author up front?",
    "What financial metrics matter most for a new title?",
    "Who can teach me how incidents are handled on call?",
    "How do I get better at presenting to executives?",
    "What should I know about GDPR before launching a survey?",
    "How are returns from retailers forecast?",
    "How do I run my first hiring loop as a new manager?",
    "What makes a good pricing experiment?",
    "How does our data pipeline feed the sales dashboards?",
    "How do we negotiate translation rights abroad?",
]


def synthetic_profiles(n: int, seed: int = 7) -> list[ExpertProfile]:
    rng = random.Random(seed)
    profiles = []
    for i in range(n):
        dept = rng.choice(DEPARTMENTS)
        skills = rng.sample(SKILLS, 4)
        profiles.append(
            ExpertProfile(
                id=f"s{i:06d}",
                name=f"Person {i}",
                title=f"{rng.choice(TITLES)}, {dept}",
                department=dept,
                location=rng.choice(LOCATIONS),
                bio=f"Works on {skills[0]} and {skills[1]}; previously led {skills[2]} for the {dept} team.",
                expertise=skills,
                availability=rng.choice(list(Availability)),
                languages=["English"]
                + ([rng.choice(["Spanish", "German", "French"])] if rng.random() < 0.3 else []),
            )
        )
    return profiles


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20)
    return round(statistics.median(samples), 2), round(cuts[18], 2)


def timed(fn, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for i in range(repeats):
        started = time.perf_counter()
        fn(QUESTIONS[i % len(QUESTIONS)])
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def bench_size(n: int, repeats: int) -> dict[str, float | int]:
    profiles = synthetic_profiles(n)
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        with ExpertIndex.open(Path(tmp), OfflineEmbedding()) as index:
            started = time.perf_counter()
            index.upsert(profiles)
            ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        del index  # only one index in memory while the reopen is measured
        index = ExpertIndex.open(Path(tmp), OfflineEmbedding())  # what a restart (or a reload) costs
        reopen_s = time.perf_counter() - started
        with index:
            collection = index.raw_collection()
            for q in QUESTIONS:  # warm up both paths
                index.search(q, k=5)
                collection.query(query_texts=[q], n_results=5)
            ours = timed(lambda q: index.search(q, k=5), repeats)
            bare = timed(lambda q: collection.query(query_texts=[q], n_results=5), repeats)
            open_only = SearchFilters(availability=[Availability.open])
            filtered = timed(lambda q: index.search(q, k=5, filters=open_only), repeats)
            bare_filtered = timed(
                lambda q: collection.query(query_texts=[q], n_results=5, where={"availability": "open"}),
                repeats,
            )
            disk_mb = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 1e6
    ours_p50, ours_p95 = percentiles(ours)
    bare_p50, bare_p95 = percentiles(bare)
    filtered_p50, filtered_p95 = percentiles(filtered)
    bare_filtered_p50, _ = percentiles(bare_filtered)
    return {
        "profiles": n,
        "ingest_profiles_per_s": round(n / ingest_s, 1),
        "reopen_s": round(reopen_s, 2),
        "search_p50_ms": ours_p50,
        "search_p95_ms": ours_p95,
        "chroma_query_p50_ms": bare_p50,
        "chroma_query_p95_ms": bare_p95,
        "search_ratio_vs_chroma": round(ours_p50 / bare_p50, 2),
        "filtered_search_p50_ms": filtered_p50,
        "filtered_search_p95_ms": filtered_p95,
        "filtered_search_ratio_vs_chroma": round(filtered_p50 / bare_filtered_p50, 2),
        "disk_mb": round(disk_mb, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def in_child(n: int, repeats: int) -> dict[str, float | int]:
    """One size in a fresh process, so that its peak RSS is not the largest size's so far."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(n), "--repeats", str(repeats)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"the {n}-profile run failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(bench_size(args.child, args.repeats)))
        return
    results = [in_child(n, args.repeats) for n in args.sizes]
    targets = {"search_p95_ms_at_10k": 50, "search_ratio_vs_chroma": 2.0, "ingest_profiles_per_s": 500}
    print(
        json.dumps(
            {
                "embedding": OfflineEmbedding().key,
                "sizes": results,
                "peak_rss_mb": max(float(r["peak_rss_mb"]) for r in results),
                "targets": targets,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
