"""Check the fit rule (vectorstore/fit.py): questions asked of their own organisation should fit,
questions asked of another organisation mostly should not (some are answerable anywhere: hiring,
security, compliance). Prints, per set, both rates for the top match, and how well each signal
alone separates the two kinds of question (AUC), as JSON.

    .venv/bin/python benchmarks/fit_calibration.py --data DIR --data DIR [...]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, action="append", required=True)
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
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
