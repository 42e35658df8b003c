"""Injection corpus benchmark: every case of tests/data/injection.yaml planted where it says and run through
the offline coach, the LLM coach against a stub that echoes injected text, and (with --browser) the real web
app in headless Chromium. Counts per family: followed instructions, active content, invented people, contact
details sent to the LLM. Targets: all zero.

Run: .venv/bin/python benchmarks/injection_bench.py [--engines offline llm] [--browser] [--only FAMILY]
Prints one JSON object; with --markdown, the per-family table of docs/reliability.md instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

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
    parser.add_argument("--markdown", action="store_true", help="print the per-family table, not JSON")
    args = parser.parse_args(argv)
    cases = [c for c in load_cases() if not args.only or c.family in args.only]
    started = time.perf_counter()
    runs = [run_engine(engine, cases) for engine in args.engines]
    result = summary(runs)
    if args.browser:
        from tests.hostile.chromium import run_browser

        with contextlib.redirect_stdout(sys.stderr):  # Gradio says "Closing server ..." on stdout
            result["chromium"] = run_browser(cases).as_json()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(markdown_table(result) if args.markdown else json.dumps(result, indent=2, ensure_ascii=False))


def markdown_table(result: dict[str, Any]) -> str:
    """One row per family: cases, then followed/active/invented/contacts-to-LLM per engine, then Chromium."""
    engines = result["engines"]
    label = {"offline": "offline", "llm": "echoing stub"}
    heads = [f"{label[name]}: followed / active / invented / contacts to LLM" for name in engines]
    if "chromium" in result:
        heads.append("Chromium: script runs / requests out / dialogs / active elements")
    lines = ["| family | cases | " + " | ".join(heads) + " |", "|---" * (len(heads) + 2) + "|"]
    first = next(iter(engines.values()))["per_family"]
    for family, row in first.items():
        cells = [family.replace("_", " "), str(row["cases"])]
        for run in engines.values():
            r = run["per_family"][family]
            cells.append(" / ".join(str(r[c]) for c in ("followed", "active", "invented", "contacts_to_llm")))
        if "chromium" in result:
            r = result["chromium"]["per_family"].get(family, {})
            keys = ("script_runs", "requests_out", "dialogs", "active_elements")
            cells.append(" / ".join(str(r.get(c, "-")) for c in keys))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
