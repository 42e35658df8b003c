"""LLM compatibility benchmark: the whole coaching flow N times against one OpenAI-compatible server.

Per run: `coach ask` (coaching step, clarifications answered with the first choice, batched re-ranking,
agenda, intro), then a single-question re-rank, the journal's what-next ideas and the eval's query rewrite,
so every coaching task is exercised. Prints one JSON object: request shapes tried and accepted (answered
with HTTP 200) per task, valid-answer rate (answers that passed validation), fallback rate (flows where any
step fell back to the offline coach), calls, requests and prompt tokens per flow, p50/p95 flow latency, breaker openings (and how many of
them capability refusals caused: there should be none), and the shape the server is remembered by.

Run against a server:  .venv/bin/python benchmarks/llm_compat.py --base-url http://127.0.0.1:8080/v1 --model NAME
Against llama.cpp:     .venv/bin/python benchmarks/llm_compat.py --llama --runs 5   (after .ci/llama-server.sh)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coach.config import load_settings
from coach.errors import LLMUnavailable
from coach.llm.breaker import CircuitBreaker
from coach.llm.client import build_chat_model
from coach.llm.engine import LLMEngine
from coach.llm.report import CallReport, collecting
from coach.runtime import open_index
from coach.service import CoachService, FlowResult
from tests import llama_server

REFUSED = "the server refused every request shape"
WISHES = [
    "I want to understand how traditional publishing makes money",
    "I'm a new manager and want to get better at giving feedback",
    "I'd like to move from customer support into product management",
    "how do audiobook royalties get calculated",
    "I want to understand how our data pipeline feeds the sales dashboards",
]


class CountingBreaker(CircuitBreaker):
    """A circuit breaker that counts how often it opened."""

    openings = 0

    def record_failure(self, *, trip: bool = False, hold_s: float = 0.0) -> None:
        # With no cooldown the breaker goes straight to half-open, so an opening shows in retry_after's
        # anchor (when it opened), not in `state`.
        before = self._opened_at
        super().record_failure(trip=trip, hold_s=hold_s)
        if self._opened_at is not None and self._opened_at != before:
            self.openings += 1


def percentile(samples: list[float], q: int) -> float:
    if len(samples) < 2:
        return round(samples[0], 2) if samples else 0.0
    return round(statistics.quantiles(samples, n=100, method="inclusive")[q - 1], 2)


def one_run(
    service: CoachService, engine: LLMEngine, wish: str
) -> tuple[list[CallReport], FlowResult | None, float]:
    started = time.perf_counter()
    with collecting() as calls:
        flow = service.ask(wish)
        questions = [q.text for q in flow.step.questions][:3]
        pool = [(m.profile, m.evidence) for m in flow.matches[0].matches] if flow.matches else []
        for extra in (
            lambda: engine.rerank(questions[0], pool) if pool else [],
            lambda: engine.what_next(["The first chat showed which numbers matter"], questions[:2]),
            lambda: engine.rewrite_queries(questions),
        ):
            with suppress(LLMUnavailable):  # counted through its call report
                extra()
    return list(calls), flow, time.perf_counter() - started


def fell_back(flow: FlowResult) -> bool:
    rerank = any(q.rerank_fallback for q in flow.matches)
    return bool(flow.step.fallback or (flow.intro and flow.intro.fallback) or rerank)


def measure(base_url: str, model: str, runs: int, system_role: bool, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp),
            openai_base_url=base_url,
            model=model,
            llm_timeout=timeout,
            llm_max_retries=0,
            llm_max_tokens=350,
            llm_system_role=system_role,
        )
        chat_model = build_chat_model(settings)
        assert chat_model is not None
        breaker = CountingBreaker(cooldown_s=0)  # count every opening; never skip a call because of one
        engine = LLMEngine(chat_model, settings.prompts_dir, breaker=breaker, system_role=system_role)
        tried: dict[str, Counter[str]] = defaultdict(Counter)
        accepted: dict[str, Counter[str]] = defaultdict(Counter)
        valid: Counter[str] = Counter()
        errors: dict[str, Counter[str]] = defaultdict(Counter)
        total: Counter[str] = Counter()
        latencies, fallbacks, calls_per_flow, requests_per_flow, tokens_per_flow = [], 0, [], [], []
        capability_openings = refused_tries = 0
        with open_index(settings) as index:
            service = CoachService(index=index, llm=engine, rerank=True)
            for run in range(runs):
                openings, tokens = breaker.openings, engine.prompt_tokens
                reports, flow, seconds = one_run(service, engine, WISHES[run % len(WISHES)])
                if breaker.openings > openings and all(
                    r.error is None or r.error.startswith(REFUSED) for r in reports
                ):
                    capability_openings += breaker.openings - openings
                refused_tries += sum(t.outcome.startswith("refused") for r in reports for t in r.tries)
                latencies.append(seconds)
                fallbacks += bool(flow and fell_back(flow))
                calls_per_flow.append(len(reports))
                requests_per_flow.append(sum(r.requests for r in reports))
                tokens_per_flow.append(engine.prompt_tokens - tokens)
                for report in reports:
                    total[report.task] += 1
                    valid[report.task] += report.shape is not None
                    if report.error:
                        errors[report.task][report.error[:90]] += 1
                    for attempt in report.tries:
                        tried[report.task][attempt.shape] += 1
                        if not attempt.outcome.startswith("refused"):  # HTTP 200 in this shape
                            accepted[report.task][attempt.shape] += 1
                print(f"run {run + 1}/{runs}: {seconds:.1f} s, {len(reports)} calls", file=sys.stderr)
    tasks = {
        task: {
            "calls": total[task],
            "shapes_tried": dict(tried[task]),
            "shapes_accepted": dict(accepted[task]),
            "valid_answers": valid[task],
            "valid_answer_rate": round(valid[task] / total[task], 3),
            "errors": dict(errors[task]),
        }
        for task in sorted(total)
    }
    return {
        "base_url": base_url,
        "model": model,
        "runs": runs,
        "system_role": system_role,
        "tasks": tasks,
        "valid_answer_rate": round(sum(valid.values()) / max(1, sum(total.values())), 3),
        "fallback_rate": round(fallbacks / runs, 3),
        "calls_per_flow": round(statistics.mean(calls_per_flow), 2),
        "requests_per_flow": round(statistics.mean(requests_per_flow), 2),
        "prompt_tokens_per_flow": round(statistics.mean(tokens_per_flow)),
        "latency_s": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
        "breaker_openings": breaker.openings,
        "breaker_openings_from_capability_errors": capability_openings,
        "capability_refusals": refused_tries,
        "remembered_shape": engine.memory.known(),
    }


@contextmanager
def llama(log: Path) -> Iterator[llama_server.LlamaServer]:
    why = llama_server.missing()
    if why is not None:
        raise SystemExit(why)
    with llama_server.LlamaServer(log) as server:
        yield server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", help="an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--model", default=llama_server.ALIAS)
    parser.add_argument(
        "--llama", action="store_true", help="start the cached llama.cpp server (Gemma 3 270M)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per request")
    parser.add_argument("--no-system-role", action="store_true", help="fold instructions into the user turn")
    parser.add_argument("--server-log", type=Path, help="where --llama writes the server's log (kept)")
    args = parser.parse_args(argv)
    if not args.llama and not args.base_url:
        parser.error("give --base-url URL or --llama")
    with tempfile.TemporaryDirectory() as logs:
        log = args.server_log or Path(logs) / "llama-server.log"
        with llama(log) if args.llama else nullcontext() as server:
            base_url = server.base_url if server is not None else args.base_url
            system_role = not (args.no_system_role or args.llama)  # the Gemma format drops system messages
            result = measure(base_url, args.model, args.runs, system_role, args.timeout)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
