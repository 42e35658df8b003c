"""Coach benchmark: offline flow latency (wish to intro) and, against the local stub, LLM calls and tokens.

The LLM flow is step + one batched re-ranking + intro, measured with re-ranking on (the default), off
(COACH_LLM_RERANK=false), and with a re-ranker answering garbage (its repair request, then the offline order).

Prints one JSON object. Run: .venv/bin/python benchmarks/coach_bench.py [--runs 40]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coach.config import load_settings
from coach.runtime import build_service, open_index
from tests.openai_stub import ChatRequest, OpenAIStub, StubReply
from tests.rerank_script import ranking_reply, task_of

WISHES = [
    "I want a mentor. I work on the self-publishing side and want to understand traditional publishing.",
    "I'm a new manager and want to get better at giving feedback",
    "I'd like to move from customer support into product management",
    "how do audiobook royalties get calculated",
    "i want learn about the cloud security, please help",
    "I want to understand how our data pipeline feeds the sales dashboards",
]

TOPICS = [
    ("Which metrics does the finance team watch most closely", "FP&A, title P&L, finance metrics"),
    ("How is an author's advance decided", "acquisitions, advances, contracts"),
    ("How are audiobook royalties calculated", "royalties, audio, rights"),
    ("Which costs make a print run profitable", "production costs, print runs, suppliers"),
    ("How do retailer returns show up in sales reports", "sales analytics, returns, retail"),
]


def scripted(request: ChatRequest) -> StubReply:
    """Plausible valid answers for each prompt, so the benchmark counts a successful flow."""
    text = request.prompt_text
    if task_of(request) == "rerank_many":
        return ranking_reply(request, lambda ids: ids[:5])
    if "learning questions" in text.lower() or "clarify" in text.lower():
        # Five questions on different topics: the most, and the least overlapping, candidates to re-rank.
        questions = [
            {"text": f"{question}?", "why": "to read reports", "search_query": query}
            for question, query in TOPICS
        ]
        return StubReply(
            content=json.dumps({"kind": "questions", "questions": questions, "question": "", "choices": []})
        )
    return StubReply(
        content=json.dumps(
            {
                "subject": "20 minutes on your metrics?",
                "body": "I'm trying to understand the numbers. Would you have 20 minutes? If now is busy, no problem at all.",
            }
        )
    )


def percentiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=20)
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(cuts[18], 1)}


def offline_latency(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp))
        with open_index(settings) as index:
            service = build_service(settings, index)
            service.ask(WISHES[0])  # warm up
            samples = []
            for i in range(runs):
                started = time.perf_counter()
                service.ask(WISHES[i % len(WISHES)])
                samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def garbage_rerank(request: ChatRequest) -> StubReply:
    """Valid answers, except that the re-ranker answers prose."""
    if task_of(request) == "rerank_many":
        return StubReply(content="I would pick the most senior people.")
    return scripted(request)


def llm_usage(
    runs: int, *, rerank: bool = True, handler: Callable[[ChatRequest], StubReply] = scripted
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, OpenAIStub(default=handler) as stub:
        settings = load_settings(
            data_dir=Path(tmp), openai_base_url=stub.base_url, openai_api_key="bench", llm_rerank=rerank
        )
        with open_index(settings) as index:
            service = build_service(settings, index)
            calls, tokens, fallbacks, reranked = [], [], 0, 0
            rerank_tokens: list[int] = []
            for i in range(runs):
                before = len(stub.chat_requests)
                before_tokens = service.llm.prompt_tokens  # type: ignore[union-attr]
                flow = service.ask(WISHES[i % len(WISHES)], ["the money side"])
                fallbacks += bool(flow.step.fallback or (flow.intro and flow.intro.fallback))
                reranked += all(qm.reranked for qm in flow.matches)
                sent = stub.chat_requests[before:]
                calls.append(len(sent))
                tokens.append(service.llm.prompt_tokens - before_tokens)  # type: ignore[union-attr]
                rerank_tokens += [
                    math.ceil(len(r.prompt_text) / 4) for r in sent if task_of(r) == "rerank_many"
                ]
    return {
        "llm_calls_per_flow_max": max(calls),
        "llm_calls_per_flow_mean": round(statistics.mean(calls), 2),
        "prompt_tokens_per_flow_max": max(tokens),
        "prompt_tokens_per_flow_mean": round(statistics.mean(tokens), 1),
        "rerank_prompt_tokens_max": max(rerank_tokens, default=0),
        "flows_with_fallback": fallbacks,
        "flows_reranked": reranked,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    report = {
        "offline_flow_wish_to_intro": offline_latency(args.runs),
        "llm_flow_with_stub": llm_usage(min(args.runs, 12)),
        "llm_flow_with_stub_rerank_off": llm_usage(min(args.runs, 12), rerank=False),
        "llm_flow_with_stub_rerank_garbage": llm_usage(min(args.runs, 12), handler=garbage_rerank),
        "targets": {"llm_calls_per_flow_max": 4, "prompt_tokens_per_flow_max": 6000},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
