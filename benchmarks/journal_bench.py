"""Journal sizing: write/read latency on SQLite and PostgreSQL, bytes per chat, ask counts, insights, and
one `coach serve` instance's start time and memory. Prints JSON (the numbers in docs/deploy.md).

    python benchmarks/journal_bench.py [--chats 300] [--skip-serve]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.journal.insights import build_report  # noqa: E402
from coach.journal.store import Journal  # noqa: E402
from coach.models import LearningQuestion, ReferralIn  # noqa: E402
from tests.servers import PostgresServer, coach_serve, free_port, wait_http  # noqa: E402
from vectorstore.models import ExpertProfile  # noqa: E402


def timed(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
    }


def exercise(location: str, chats: int) -> dict[str, Any]:
    """One user's loop `chats` times, then reads, ask counts across 1,000 users and a report."""
    with Journal(location) as journal:
        n = iter(range(10**9))

        def log() -> None:
            i = next(n)
            journal.log_chat(
                "bench",
                f"e{i % 40}",
                f"Expert {i % 40}",
                True,
                [f"takeaway {i}", f"second takeaway {i}"],
                [ReferralIn(name=f"Person {i}")],
                [f"What should I ask next about {i}?"],
                [],
            )

        keep = timed(
            lambda: journal.keep_questions(
                "bench", "A wish", [LearningQuestion(text=f"Question {time.time_ns()}?")]
            ),
            50,
        )
        write = timed(log, chats)
        read = timed(lambda: journal.timeline("bench"), 30)
        export = timed(lambda: journal.export_json("bench"), 10)
        for user in range(1000):
            journal.record_ask(f"user-{user}", f"e{user % 40}")
            journal.record_searches(
                f"user-{user}", [("pricing", user % 3, user % 3 == 0)], f"Dept {user % 12}"
            )
        count = timed(
            lambda: journal.count_asks([f"e{i}" for i in range(20)], datetime.now(UTC) - timedelta(days=30)),
            30,
        )
        profiles = [
            ExpertProfile(id=f"e{i}", name=f"Expert {i}", department=f"Dept {i % 12}") for i in range(40)
        ]
        report = timed(lambda: build_report(journal.db, profiles, now=datetime.now(UTC), weeks=8), 5)
    return {
        "keep_questions": keep,
        "log_chat": write,
        "timeline_read": read,
        "export_json": export,
        "count_asks_20_experts_1000_users": count,
        "insights_report_1000_users": report,
    }


def serve_instance(data_dir: Path) -> dict[str, float]:
    """Start one offline `coach serve` (embedded index, SQLite), time it and read its memory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    start = time.monotonic()
    process = coach_serve({"COACH_DATA_DIR": str(data_dir), "COACH_PORT": str(port)}, data_dir / "serve.log")
    try:
        assert process.popen is not None
        wait_http(f"http://127.0.0.1:{port}/", timeout=180, process=process.popen)
        started = time.monotonic() - start
        rss_kb = 0
        for line in Path(f"/proc/{process.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
        return {"start_s": round(started, 1), "rss_mb": round(rss_kb / 1024, 1)}
    finally:
        process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--skip-serve", action="store_true")
    args = parser.parse_args()
    out: dict[str, Any] = {"chats": args.chats, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.sqlite3"
        out["sqlite"] = exercise(str(path), args.chats)
        subprocess.run(
            [sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(path)!r}).execute('VACUUM')"]
        )
        out["sqlite"]["file_kb"] = round(path.stat().st_size / 1024, 1)
        out["sqlite"]["bytes_per_chat"] = round(path.stat().st_size / args.chats)
        server = PostgresServer().start()
        try:
            url = server.empty_database("bench")
            out["postgresql"] = exercise(url, args.chats)
        finally:
            server.stop("fast")
        if not args.skip_serve:
            out["coach_serve"] = serve_instance(Path(folder) / "serve")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
