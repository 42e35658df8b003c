"""Check the fit rule (vectorstore/fit.py): questions asked of their own organisation should fit,
questions asked of another organisation mostly should not (some are answerable anywhere: hiring,
security, compliance). Prints, per set, both rates for the top match, and how well each signal
alone separates the two kinds of question (AUC), as JSON.

    .venv/bin/python benchmarks/fit_calibration.py --data DIR --data DIR [...] \
        [--table tests/data/fit_questions.yaml --org vectorstore/sample_profiles.csv]

`--table` also runs the coach's own matching (top 3, as `coach ask` does) over a YAML file of
`out_of_org` and `in_org` questions asked of the `--org` profiles, and reports both rates.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retrieval_trials import DenseIndex, Labelled, load, static_embed  # type: ignore[import-not-found]

from vectorstore.fit import MIN_SIMILARITY, UNKNOWN_PENALTY, FitSignals, fit_signals
from vectorstore.retrieval import Retriever

NAMES = [f for f in FitSignals.__dataclass_fields__]


def top_signals(org: Labelled, questions: list[str]) -> np.ndarray:
    """Signals of the best-ranked profile for each question, asked of `org`."""
    retriever = Retriever(org.profiles)
    dense = DenseIndex(org.profiles, static_embed)
    by_id = {p.id: p for p in org.profiles}
    rows = []
    for text in questions:
        ranked = retriever.rank(text, dense.query(text), k=1)
        signals = fit_signals(retriever, text, by_id[ranked[0][0]])
        rows.append([getattr(signals, n) for n in NAMES])
    return np.array(rows)


def fits(x: np.ndarray) -> np.ndarray:
    """The rule of vectorstore/fit.py over a signal matrix."""
    sim, unknown = x[:, NAMES.index("similarity")], x[:, NAMES.index("unknown")]
    return sim >= MIN_SIMILARITY + UNKNOWN_PENALTY * unknown


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """The chance that an in-organisation question's signal beats a cross-organisation one's."""
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def table_rates(table: Path, org: Path) -> dict[str, float]:
    """nobody_fits (with a connector) on out-of-organisation questions; fits on in-organisation ones."""
    import tempfile

    import yaml

    from coach.matching import match_question
    from coach.models import LearningQuestion
    from vectorstore.embeddings import OfflineEmbedding
    from vectorstore.index import ExpertIndex
    from vectorstore.profiles import load_profiles

    questions = yaml.safe_load(table.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp, ExpertIndex.open(Path(tmp), OfflineEmbedding()) as index:
        index.upsert(load_profiles(org).profiles)

        def result(text: str):  # type: ignore[no-untyped-def]
            return match_question(index, LearningQuestion(text=text), k=3)

        outside = [result(t) for t in questions["out_of_org"]]
        inside = [result(t) for t in questions["in_org"]]
    return {
        "out_of_org_questions": len(outside),
        "out_of_org_nobody_fits_with_connector_rate": round(
            sum(r.nobody_fits and r.connector is not None for r in outside) / len(outside), 3
        ),
        "in_org_questions": len(inside),
        "in_org_fits_rate": round(sum(not r.nobody_fits for r in inside) / len(inside), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--table", type=Path, help="YAML with out_of_org and in_org question lists")
    parser.add_argument("--org", type=Path, help="the profiles those questions are asked of")
    args = parser.parse_args()
    sets = [load(d) for d in args.data]
    pos = {s.name: top_signals(s, list(s.queries.values())) for s in sets}
    neg = {
        s.name: np.vstack([top_signals(s, list(o.queries.values())) for o in sets if o is not s])
        for s in sets
    }
    every_pos, every_neg = np.vstack(list(pos.values())), np.vstack(list(neg.values()))
    report = {
        "rule": {"min_similarity": MIN_SIMILARITY, "unknown_penalty": UNKNOWN_PENALTY},
        "per_set": {
            s.name: {
                "own_questions_fit_rate": round(float(fits(pos[s.name]).mean()), 3),
                "other_sets_questions_nobody_fits_rate": round(float((~fits(neg[s.name])).mean()), 3),
            }
            for s in sets
        },
        "auc_per_signal": {n: round(auc(every_pos[:, i], every_neg[:, i]), 3) for i, n in enumerate(NAMES)},
    }
    if args.table and args.org:
        report["table"] = table_rates(args.table, args.org)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
