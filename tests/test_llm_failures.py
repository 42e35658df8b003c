"""Replies that are no answer (a proxy's HTML page, `{}`, 413, 422, prose): typed errors and offline fallback.

Before these were classified, an HTML page raised AttributeError, `{}` TypeError, and 413/422 escaped as
raw openai errors, so the turn crashed instead of falling back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from coach.config import PROMPTS_DIR, Settings, load_settings
from coach.errors import CoachError
from coach.llm.breaker import BreakerState, CircuitBreaker
from coach.llm.client import build_chat_model
from coach.llm.engine import LLMEngine
from coach.llm.failures import (
    LLMBadResponse,
    LLMInvalidOutput,
    LLMOutage,
    LLMRequestRefused,
    LLMRequestTooLarge,
)
from coach.models import Mode
from coach.runtime import build_service, open_index
from tests import server_families as family
from tests.openai_stub import OpenAIStub, StubReply

LOGIN_PAGE = "<!doctype html><html><body><form action='/login'>Sign in to continue</form></body></html>"
WISH = "I want to understand how traditional publishing makes money"


def engine_for(stub: OpenAIStub, threshold: int = 1) -> LLMEngine:
    settings = Settings(openai_base_url=stub.base_url, llm_timeout=2.0, llm_max_retries=0)  # type: ignore[call-arg]
    model = build_chat_model(settings)
    assert model is not None
    return LLMEngine(model, PROMPTS_DIR, breaker=CircuitBreaker(failure_threshold=threshold))


@dataclass(frozen=True)
class Case:
    reply: StubReply
    error: type[CoachError]
    reason: str
    requests: int
    outage: bool  # whether the breaker counts it


CASES = {
    "200 with a proxy's HTML login page": Case(
        StubReply(raw=LOGIN_PAGE, content_type="text/html"), LLMBadResponse, "not a chat completion", 1, True
    ),
    "200 with {}": Case(StubReply(raw="{}"), LLMBadResponse, "OPENAI_BASE_URL", 1, True),
    "200 with choices: []": Case(
        StubReply(raw='{"choices": []}'), LLMBadResponse, "not a chat completion", 1, True
    ),
    "413 from a proxy": Case(
        StubReply(status=413, raw="<html>413 Request Entity Too Large</html>", content_type="text/html"),
        LLMRequestTooLarge,
        "request too large",
        1,
        False,
    ),
    "422 on every shape": Case(
        StubReply(
            status=422, raw='{"detail": [{"loc": ["body", "response_format"], "msg": "extra fields"}]}'
        ),
        LLMRequestRefused,
        "refused every request shape",
        4,
        False,
    ),
    "vLLM context overflow (400)": Case(
        family.vllm_error(
            400,
            "This model's maximum context length is 2048 tokens. However, your request has 4000 input tokens.",
            "input_tokens",
        ),
        LLMRequestTooLarge,
        "prompt too long",
        1,
        False,
    ),
    "prose twice": Case(
        StubReply(content="Sure! Here are three great questions for your coffee chat."),
        LLMInvalidOutput,
        r"it was not JSON \(it began 'Sure! Here are",
        2,
        False,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_failure_is_a_typed_coach_error_with_a_clear_reason(stub: OpenAIStub, case: Case) -> None:
    stub.default = case.reply
    engine = engine_for(stub)

    with pytest.raises(case.error, match=case.reason) as raised:
        engine.next_step(WISH)

    assert isinstance(raised.value, CoachError)
    assert len(stub.chat_requests) == case.requests
    assert (engine.breaker.state is BreakerState.open) == case.outage


def test_a_non_json_reply_is_not_reported_as_a_missing_field(stub: OpenAIStub) -> None:
    stub.default = StubReply(content="I think you should ask about metrics.")

    with pytest.raises(LLMInvalidOutput) as raised:
        engine_for(stub).next_step(WISH)

    assert "Field required" not in str(raised.value) and "not JSON" in str(raised.value)
    repair = stub.chat_requests[1].last_user_text
    assert "it was not JSON" in repair and "Field required" not in repair


def service_for(tmp_path: Path, stub: OpenAIStub, **overrides: Any) -> Any:
    values: dict[str, Any] = {"llm_timeout": 2.0, "llm_max_retries": 0, **overrides}
    settings = load_settings(data_dir=tmp_path, openai_base_url=stub.base_url, **values)
    return build_service(settings, open_index(settings))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_service_falls_back_offline_and_says_why(tmp_path: Path, stub: OpenAIStub, case: Case) -> None:
    stub.default = case.reply
    service = service_for(tmp_path, stub)

    result = service.step(WISH, ["how it makes money"])

    assert result.mode is Mode.offline and result.questions
    assert result.fallback is not None and result.fallback.strip()
    assert result.llm is not None and result.llm.calls[0].error == result.fallback


def test_a_timeout_is_an_outage_and_the_ui_gets_the_offline_answer(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.default = StubReply(content="{}", delay_s=3)
    service = service_for(tmp_path, stub, llm_timeout=0.3)

    result = service.step(WISH, ["how it makes money"])

    assert (result.mode, result.fallback) == (Mode.offline, "timeout")
    assert result.llm is not None and not result.llm.shapes
    with pytest.raises(LLMOutage):
        engine_for(stub).next_step(WISH)


@pytest.mark.parametrize("shape", ["json_schema", "plain"])
def test_an_answer_cut_off_at_the_token_limit_is_repaired_not_counted_as_an_outage(
    stub: OpenAIStub, shape: str
) -> None:
    # With response_format the openai client itself raises LengthFinishReasonError on finish_reason=length.
    if shape == "plain":
        stub.enqueue(*(family.vllm_error(400, "response_format is not supported") for _ in range(3)))
    step = '{"kind": "questions", "question": "", "choices": [], "questions": []}'
    stub.enqueue(StubReply(content='{"kind": "questions", "questions": [{"te', finish_reason="length"))
    stub.enqueue(StubReply(content=step.replace("[]}", QUESTIONS_JSON + "}")))
    engine = engine_for(stub)

    result = engine.next_step(WISH, ["how it makes money"])

    assert isinstance(result, list) and len(result) == 3
    assert "cut off at the length limit" in stub.chat_requests[-1].last_user_text
    assert engine.breaker.state is BreakerState.closed


QUESTIONS_JSON = (
    '[{"text": "Which metrics does the finance team watch?", "why": "", "search_query": ""}, '
    '{"text": "How is an advance judged?", "why": "", "search_query": ""}, '
    '{"text": "What revenue goals shape the plan?", "why": "", "search_query": ""}]'
)
