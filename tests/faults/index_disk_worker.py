"""One step of the disk-full fault test, in its own process: `seed`, `overfill`, `fill` or `check` DIR.

`overfill` imports far more than the disk holds; `fill` imports what fits, while a filler file (the
third argument, on the same disk) takes the rest of the space once the import has started. Prints one
JSON line: what the index holds, what a search finds, and the error the import met.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from benchmarks.index_bench import synthetic_profiles
from coach.errors import CoachError
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex
from vectorstore.models import ExpertProfile

FILLER_CAP = 64_000_000  # the test disk is a 20 MB tmpfs; never write more than this anywhere


def fill_disk(filler: Path) -> None:
    """Write zeros until the disk says it is full (another process taking the space), at most FILLER_CAP."""
    if not os.path.ismount(filler.parent):
        raise SystemExit(f"refusing to fill {filler.parent}: it is not a dedicated mount")
    block = bytes(1_000_000)
    with filler.open("wb") as out:
        try:
            for _ in range(FILLER_CAP // len(block)):
                out.write(block)
                out.flush()
        except OSError:
            return


def main(step: str, data_dir: str, filler: str = "") -> None:
    error = None
    profiles: list[ExpertProfile] = {
        "seed": synthetic_profiles(300),
        "overfill": synthetic_profiles(30_000, seed=3),
        "fill": [p.model_copy(update={"id": f"f{p.id}"}) for p in synthetic_profiles(2_000, seed=5)],
        "check": synthetic_profiles(310),  # the same generator: the first 300 are the seeded ones
    }[step]
    filled: list[bool] = []

    def progress(done: int, total: int) -> None:
        if filler and not filled:
            filled.append(True)
            fill_disk(Path(filler))

    with ExpertIndex.open(Path(data_dir), OfflineEmbedding()) as index:
        try:
            index.upsert(profiles, progress=progress)
        except CoachError as exc:
            error = {"type": type(exc).__name__, "message": str(exc)}
        found = [m.profile.id for m in index.search("pricing strategy and forecasting", k=3)]
        print(json.dumps({"count": index.count(), "found": found, "error": error}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
