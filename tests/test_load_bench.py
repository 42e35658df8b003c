"""The load benchmark, run briefly with a few users: every action succeeds and every acknowledged journal
write is found afterwards, on one instance and on two sharing PostgreSQL and a Chroma server.

Behaviour only: the timings it prints are for benchmarks/results, not for asserting here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.timeout(400)]
BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "load_bench.py"
ACTIONS = {
    "chat_turn",
    "new_wish",
    "search",
    "agenda",
    "intro",
    "journal_view",
    "log_chat",
    "keep_questions",
    "mark_sent",
    "import_profiles",
}


def run_bench(instances: int) -> dict[str, object]:
    command = [
        sys.executable,
        str(BENCH),
        "--instances",
        str(instances),
        "--users",
        "6",
        "--spawn-rate",
        "6",
        "--duration",
        "12",
        "--think",
        "0.1",
        "0.3",
    ]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=380, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize("instances", [1, 2])
def test_a_short_load_run_fails_nothing_and_loses_nothing(instances: int) -> None:
    result = run_bench(instances)
    assert result["errors"] == 0, result["error_samples"]
    actions = result["actions"]
    assert isinstance(actions, dict)
    assert set(actions) >= ACTIONS, f"actions never run: {ACTIONS - set(actions)}"
    for name, stats in actions.items():
        assert {"requests", "errors", "p50_ms", "p95_ms", "p99_ms"} <= set(stats), name
    journal = result["journal"]
    assert isinstance(journal, dict)
    assert journal["written"] > 0 and journal["lost"] == 0
    for kind in ("chats", "kept_questions", "asks"):
        assert journal[kind]["written"] == journal[kind]["found"], kind
    profiles = result["profiles"]
    assert isinstance(profiles, dict) and profiles["imported"] > 0
    assert profiles["seen_by_each_instance"] == [profiles["seeded"] + profiles["imported"]] * instances
    assert set(result["peak_rss_mb"]) >= {f"app_{n}" for n in range(instances)}  # type: ignore[arg-type]
