"""Web app latency on loopback: submit -> first streamed chunk and -> finished offline turn, 1 and 20 sessions.

Run: .venv/bin/python benchmarks/ui_bench.py [--sessions 1 20] [--rounds 3] [--url URL]. Prints JSON.
Each session is its own gradio_client.Client (its own server-side state); all sessions start together.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
REPO = Path(__file__).resolve().parent.parent

from gradio_client import Client  # noqa: E402

WISHES = (
    "I want a mentor. I work on the self-publishing side and want to understand traditional publishing.",
    "I'm a new manager and want to get better at giving feedback",
    "I'd like to move from customer support into product management",
)
TARGET_P95_S = 1.5
POLL_S = 0.005


@dataclass
class Timings:
    first_chunk: list[float] = field(default_factory=list)
    turn: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def timed_turn(client: Client, message: str, history: list[Any], timings: Timings) -> list[Any]:
    """One /chat turn: the first streamed output marks the first chunk, the job's end the finished turn.

    Polls every few milliseconds rather than iterating the Job, whose iterator spins on a 1 ms sleep and
    would eat the CPU the server needs on a small machine.
    """
    start = time.perf_counter()
    job = client.submit(message, history, api_name="/chat")
    first = None
    while first is None and not job.done():
        if job.outputs():
            first = time.perf_counter() - start
        else:
            time.sleep(POLL_S)
    outputs = job.result()
    total = time.perf_counter() - start
    timings.first_chunk.append(first if first is not None else total)
    timings.turn.append(total)
    return list(outputs[0])


def session(url: str, rounds: int, offset: int, start: threading.Barrier, timings: Timings) -> None:
    try:
        client = Client(
            url, verbose=False, ssl_verify=False
        )  # plain http on loopback: skip loading CA bundles per request
        start.wait(timeout=120)
        for round_number in range(rounds):
            wish = WISHES[(offset + round_number) % len(WISHES)]
            chat = timed_turn(client, wish, [], timings)
            options = chat[-1].get("options") or []
            if options:  # answer the clarifying question, a second turn
                timed_turn(client, options[0]["value"], chat, timings)
    except Exception as exc:  # reported in the JSON rather than killing the other sessions
        timings.errors.append(f"{type(exc).__name__}: {exc}")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1) if values else float("nan"),
    }


def run(url: str, sessions: int, rounds: int) -> dict[str, Any]:
    timings = Timings()
    start = threading.Barrier(sessions)
    threads = [
        threading.Thread(target=session, args=(url, rounds, n, start, timings)) for n in range(sessions)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "sessions": sessions,
        "turns": len(timings.turn),
        "wall_s": round(time.perf_counter() - began, 2),
        "first_chunk": summary(timings.first_chunk),
        "offline_turn": summary(timings.turn),
        "meets_target": bool(timings.turn) and percentile(timings.turn, 95) <= TARGET_P95_S,
        "errors": timings.errors[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 20])
    parser.add_argument(
        "--rounds", type=int, default=3, help="wishes per session (each may add an answer turn)"
    )
    parser.add_argument("--url", help="measure an app that is already running instead of starting app.py")
    args = parser.parse_args()
    if args.url:
        results = _measure(args.url, None, args.sessions, args.rounds)
    else:
        with (
            tempfile.TemporaryDirectory(prefix="ui-bench-") as data_dir,
            _server(Path(data_dir)) as (url, pid),
        ):
            results = _measure(url, pid, args.sessions, args.rounds)
    print(
        json.dumps(
            {
                "benchmark": "ui_offline_chat_turn",
                "cpus": os.cpu_count(),
                "server": "app.py in its own process (offline coach, bundled sample profiles)",
                "target": f"offline turn p95 <= {TARGET_P95_S} s at 20 sessions",
                "results": results,
            },
            indent=2,
        )
    )


def _measure(url: str, pid: int | None, sessions: list[int], rounds: int) -> list[dict[str, Any]]:
    run(url, 1, 1)  # warm-up: first-request costs (imports, caches) are not what we measure
    results = []
    for count in sessions:
        before, client_before = _cpu_seconds(pid), time.process_time()
        result = run(url, count, rounds)
        turns = max(result["turns"], 1)
        result["server_cpu_ms_per_turn"] = round((_cpu_seconds(pid) - before) * 1000 / turns, 1)
        result["client_cpu_ms_per_turn"] = round((time.process_time() - client_before) * 1000 / turns, 1)
        results.append(result)
    return results


@contextmanager
def _server(data_dir: Path) -> Iterator[tuple[str, int]]:
    """`python app.py` on a free loopback port, as a user would run it; stopped afterwards."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_"))}
    env.update(COACH_DATA_DIR=str(data_dir), COACH_PORT=str(port), COACH_HOST="127.0.0.1")
    process = subprocess.Popen(
        [sys.executable, str(REPO / "app.py")],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"app.py exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
                )
            try:
                with urllib.request.urlopen(url + "config", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("app.py did not start within 120 s") from None
                time.sleep(0.3)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (Linux /proc), to tell server cost from client cost."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
