"""One step of the disk-full fault test, in its own process: `seed`, `overfill` or `check` DIR.

Prints one JSON line: what the index holds, what a search finds, and the error an import met.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.index_bench import synthetic_profiles
from coach.errors import CoachError
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex

SIZES = {"seed": 300, "overfill": 30_000, "check": 0}


def main(step: str, data_dir: str) -> None:
    error = None
    with ExpertIndex.open(Path(data_dir), OfflineEmbedding()) as index:
        if step == "check":  # after the failure: the old profiles plus a small import must still fit
            index.upsert(synthetic_profiles(310))  # the same generator: the first 300 are unchanged
        elif SIZES[step]:
            try:
                index.upsert(synthetic_profiles(SIZES[step], seed=3 if step == "overfill" else 7))
            except CoachError as exc:
                error = {"type": type(exc).__name__, "message": str(exc)}
        found = [m.profile.id for m in index.search("pricing strategy and forecasting", k=3)]
        print(json.dumps({"count": index.count(), "found": found, "error": error}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
