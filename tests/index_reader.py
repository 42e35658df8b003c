"""Search a shared index in a loop, printing one JSON line per search (another process's view, for tests).

Usage: python -m tests.index_reader CHROMA_URL QUESTION SECONDS [ID_PREFIX]
Each line: {"t": unix time, "ids": [...]} or {"t": ..., "error": "..."}; it stops by itself after SECONDS,
or 3 seconds after it first found an id starting with ID_PREFIX.
"""

from __future__ import annotations

import json
import sys
import time

from coach.config import load_settings
from coach.models import LearningQuestion
from coach.runtime import build_service, open_index


def main(url: str, question: str, seconds: float, prefix: str = "") -> None:
    settings = load_settings(chroma_url=url)
    service = build_service(settings, open_index(settings, seed=False))
    print(json.dumps({"t": time.time(), "ready": True}), flush=True)
    asked = LearningQuestion(text=question, why="to test a shared index")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            [found] = service.match([asked], k=10)
            ids = [m.profile.id for m in found.matches]
            line: dict[str, object] = {"t": time.time(), "ids": ids}
            if prefix and any(i.startswith(prefix) for i in ids):
                deadline = min(deadline, time.monotonic() + 3)
        except Exception as exc:  # the test asserts there are none; report instead of dying
            line = {"t": time.time(), "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(line), flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    main(*sys.argv[1:3], float(sys.argv[3]), *sys.argv[4:5])
