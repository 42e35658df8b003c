"""Injection corpus benchmark: every case of tests/data/injection.yaml planted where it says and run through
the offline coach, the LLM coach against a stub that echoes injected text, and (with --browser) the real web
app in headless Chromium. Counts per family: followed instructions, active content, invented people, contact
details sent to the LLM. Targets: all zero.

Run: .venv/bin/python benchmarks/injection_bench.py [--engines offline llm] [--browser] [--only FAMILY]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostile.corpus import load_cases
from tests.hostile.measure import run_engine, summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", nargs="*", default=["offline", "llm"], choices=["offline", "llm"])
    parser.add_argument("--browser", action="store_true", help="also render the cases in headless Chromium")
    parser.add_argument("--only", nargs="*", default=None, help="families to run (default: all)")
    args = parser.parse_args(argv)
    cases = [c for c in load_cases() if not args.only or c.family in args.only]
    started = time.perf_counter()
    runs = [run_engine(engine, cases) for engine in args.engines]
    result = summary(runs)
    if args.browser:
        from tests.hostile.chromium import run_browser

        result["chromium"] = run_browser(cases).as_json()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
