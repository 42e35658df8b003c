"""`coach eval --llm` on the local stub: fallbacks score as offline, re-ranking reorders, cost is counted."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from coach.cli import cli
from coach.llm.evaluation import TURN
from tests.openai_stub import ChatRequest, OpenAIStub, StubReply
from tests.rerank_script import echo_queries, invented, ranking_reply, reverse, task_of

SOFTWARE = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "software"
QUERIES = 18  # in SOFTWARE
BATCHES = math.ceil(QUERIES / TURN)
METRICS = ("ndcg@5", "ndcg@10", "recall@10", "mrr", "queries", "profiles", "embedding")
Handler = Callable[[ChatRequest], StubReply]


def run_eval(*extra: str) -> Result:
    return CliRunner().invoke(
        cli, ["eval", "--data", str(SOFTWARE), "--json", *extra], catch_exceptions=False
    )


@pytest.fixture(scope="module")
def offline() -> dict[str, object]:
    result = run_eval()
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


@pytest.fixture
def llm_env(openai_stub: OpenAIStub, monkeypatch: pytest.MonkeyPatch) -> OpenAIStub:
    monkeypatch.setenv("OPENAI_BASE_URL", openai_stub.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("COACH_LLM_TIMEOUT", "2")
    monkeypatch.setenv("COACH_LLM_MAX_RETRIES", "0")
    return openai_stub


def answering(rewrite: Handler, rerank: Handler) -> Handler:
    def answer(request: ChatRequest) -> StubReply:
        return rerank(request) if task_of(request) == "rerank_many" else rewrite(request)

    return answer


def garbage(request: ChatRequest) -> StubReply:
    return StubReply(content="I would rank them by seniority.")


@dataclass(frozen=True)
class Case:
    name: str
    rewrite: Handler
    rerank: Handler
    calls: int
    rewrite_fallbacks: int
    rerank_fallbacks: int
    same_as_offline: bool
    answered: bool = True  # a server error reports no usage, so it costs no counted tokens


CASES = [
    Case("invented ids", echo_queries, lambda r: ranking_reply(r, invented), 2 * BATCHES, 0, QUERIES, True),
    # Garbage gets one repair request, then the offline order.
    Case("garbage", echo_queries, garbage, 3 * BATCHES, 0, QUERIES, True),
    # The circuit breaker opens after two failures in a row: the later batches make no call at all.
    Case(
        "server down",
        lambda r: StubReply(status=500),
        lambda r: StubReply(status=500),
        2,
        QUERIES,
        QUERIES,
        True,
        answered=False,
    ),
    Case("reversed", echo_queries, lambda r: ranking_reply(r, reverse), 2 * BATCHES, 0, 0, False),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_llm_eval_plumbing(llm_env: OpenAIStub, offline: dict[str, object], case: Case) -> None:
    llm_env.default = answering(case.rewrite, case.rerank)
    result = run_eval("--llm")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    requests = llm_env.chat_requests
    assert report["mode"] == "llm"
    assert report["llm_calls"] == len(requests) == case.calls
    billed = sum(math.ceil(len(r.prompt_text) / 4) for r in requests) if case.answered else 0
    assert report["prompt_tokens"] == billed
    assert (report["rewrite_fallbacks"], report["rerank_fallbacks"]) == (
        case.rewrite_fallbacks,
        case.rerank_fallbacks,
    )
    assert report["fallbacks"] == max(case.rewrite_fallbacks, case.rerank_fallbacks)
    same = {name: report[name] for name in METRICS} == {name: offline[name] for name in METRICS}
    assert same is case.same_as_offline
    if not case.same_as_offline:
        assert report["mrr"] < offline["mrr"], "putting the weakest candidates first must cost quality"  # type: ignore[operator]


def test_a_rewrite_searches_with_the_llms_query_too(llm_env: OpenAIStub, offline: dict[str, object]) -> None:
    def finance(request: ChatRequest) -> StubReply:
        count = request.last_user_text.count(
            "\n"
        )  # "Write exactly N queries ...:" then one line per question
        return StubReply(content=json.dumps({"queries": ["revenue recognition, month-end close"] * count}))

    llm_env.default = answering(finance, lambda r: ranking_reply(r, invented))
    report = json.loads(run_eval("--llm").stdout)
    assert report["rewrite_fallbacks"] == 0 and report["rerank_fallbacks"] == QUERIES
    assert report["ndcg@5"] != offline["ndcg@5"], "the rewritten query takes part in the search"


def test_without_an_llm_it_says_how_to_configure_one() -> None:
    result = run_eval("--llm")
    assert result.exit_code == 2
    assert "OPENAI_API_KEY" in result.stderr and "OPENAI_BASE_URL" in result.stderr
    assert result.stdout == ""
