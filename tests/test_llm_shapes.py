"""Request shapes per server family, through the real client against the stub: what is sent, what is kept.

The families' rules and error bodies are in tests/server_families.py, with the docs and source they follow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from coach.config import PROMPTS_DIR, Settings
from coach.llm.breaker import BreakerState, CircuitBreaker
from coach.llm.client import build_chat_model
from coach.llm.engine import LLMEngine
from coach.llm.failures import LLMConfigProblem, LLMOutage, LLMRequestRefused
from coach.llm.memory import ShapeMemory
from coach.llm.replies import StepReply, wire_schema
from coach.llm.report import CallReport, collecting
from tests import server_families as family
from tests.openai_stub import ChatRequest, Handler, OpenAIStub, StubReply

QUESTIONS = [
    {"text": "Which metrics does the finance team watch?", "why": "To read reports.", "search_query": "FP&A"},
    {"text": "How is an advance judged?", "why": "Money meets editing.", "search_query": "advances"},
    {"text": "What revenue goals shape the plan?", "why": "Context.", "search_query": "annual plan"},
]
STEP = {"kind": "questions", "question": "", "choices": [], "questions": QUESTIONS}
WISH = "understand how traditional publishing makes money"


def step_answer(chat: ChatRequest) -> dict[str, Any]:
    return STEP


def settings_for(base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"openai_base_url": base_url, "llm_timeout": 2.0, "llm_max_retries": 0}
    return Settings(**{**values, **overrides})


def engine_for(
    stub: OpenAIStub, *, threshold: int = 1, memory: ShapeMemory | None = None, **overrides: Any
) -> LLMEngine:
    settings = settings_for(stub.base_url, **overrides)
    model = build_chat_model(settings)
    assert model is not None
    breaker = CircuitBreaker(failure_threshold=threshold)
    return LLMEngine(model, PROMPTS_DIR, breaker=breaker, memory=memory, system_role=settings.llm_system_role)


def run_step(engine: LLMEngine) -> CallReport:
    with collecting() as calls:
        result = engine.next_step(WISH, ["how it makes money"])
    assert isinstance(result, list) and [q.text for q in result] == [q["text"] for q in QUESTIONS]
    (call,) = calls
    return call


@dataclass(frozen=True)
class Family:
    handler: Handler
    shape: str  # the shape whose answer is used
    sent: tuple[str | None, ...]  # response_format type (or "tools") of each request, in order


def kinds(stub: OpenAIStub) -> tuple[str | None, ...]:
    return tuple("tools" if r.tools else r.response_format_type for r in stub.chat_requests)


FAMILIES = {
    "llama-cpp-python": Family(
        family.llama_cpp(step_answer), "json_object+schema", ("json_schema", "json_object")
    ),
    "vLLM": Family(family.vllm(step_answer), "json_schema", ("json_schema",)),
    "vLLM, schema beyond its grammar backend": Family(
        family.vllm(step_answer, schema_supported=False), "json_object+schema", ("json_schema", "json_object")
    ),
    "Ollama": Family(family.ollama(step_answer), "json_schema", ("json_schema",)),
    "no response_format, named tools": Family(
        family.no_structured_output(step_answer, tools=True), "tools", ("json_schema", "json_object", "tools")
    ),
    "no response_format, tools ignored": Family(
        family.no_structured_output(step_answer, tools=False),
        "plain",
        ("json_schema", "json_object", "tools", None),
    ),
}


@pytest.mark.parametrize("case", FAMILIES.values(), ids=FAMILIES.keys())
def test_each_server_family_gets_the_first_shape_it_takes_and_no_breaker_opens(
    stub: OpenAIStub, case: Family
) -> None:
    stub.default = case.handler
    engine = engine_for(stub, threshold=1)

    call = run_step(engine)

    assert (call.shape, kinds(stub)) == (case.shape, case.sent)
    assert [t.shape for t in call.tries][-1] == case.shape and call.tries[-1].outcome == "accepted"
    assert all(t.outcome.startswith("refused: ") for t in call.tries[:-1])
    assert engine.breaker.state is BreakerState.closed, "a refused shape is not an outage"
    for request in stub.chat_requests:  # local servers read max_tokens, not max_completion_tokens
        assert request.body["max_tokens"] == 900 and "max_completion_tokens" not in request.body


def test_the_llama_cpp_refusal_is_read_from_its_500_body_and_the_next_turn_starts_at_the_shape_that_worked(
    stub: OpenAIStub,
) -> None:
    stub.default = family.llama_cpp(step_answer)
    engine = engine_for(stub, threshold=1)

    first = run_step(engine)
    sent_first = len(stub.chat_requests)
    second = run_step(engine)

    assert "HTTP 500" in first.tries[0].outcome and "response_format" in first.tries[0].outcome
    assert sent_first == 2 and len(stub.chat_requests) == 3, "the second turn sends one request"
    assert second.tries[0].shape == "json_object+schema"
    json_object = stub.chat_requests[-1].response_format
    assert json_object is not None and json_object["type"] == "json_object"
    assert json_object["schema"]["properties"]["kind"]["enum"] == ["clarify", "questions"]
    assert engine.memory.known() == {f"gpt-4o-mini @ {stub.base_url}": "json_object+schema"}


def test_shape_memory_is_per_server_and_model(stub: OpenAIStub) -> None:
    memory = ShapeMemory()
    stub.default = family.llama_cpp(step_answer)
    run_step(engine_for(stub, memory=memory, model="gemma3"))
    stub.default = family.vllm(step_answer)
    run_step(engine_for(stub, memory=memory, model="qwen3"))

    assert memory.known() == {
        f"gemma3 @ {stub.base_url}": "json_object+schema",
        f"qwen3 @ {stub.base_url}": "json_schema",
    }


def test_the_tools_shape_forces_one_named_function_with_the_schema(stub: OpenAIStub) -> None:
    stub.default = family.no_structured_output(step_answer, tools=True)

    run_step(engine_for(stub))

    request = stub.chat_requests[-1]
    assert request.tool_names == ("StepReply",)
    assert request.body["tool_choice"] == {"type": "function", "function": {"name": "StepReply"}}
    assert request.tools[0]["function"]["parameters"]["required"] == [
        "kind",
        "question",
        "choices",
        "questions",
    ]


def test_the_plain_shape_puts_the_schema_in_the_last_user_message_and_reads_fenced_json(
    stub: OpenAIStub,
) -> None:
    def fenced(chat: ChatRequest) -> StubReply:
        if chat.response_format is not None or chat.tools:
            return family.vllm_error(400, "not supported here")
        return StubReply(content=f"Sure! Here it is:\n```json\n{json.dumps(STEP)}\n```")

    stub.default = fenced
    call = run_step(engine_for(stub))

    plain = stub.chat_requests[-1]
    assert call.shape == "plain" and plain.messages[-1].role == "user"
    assert [m.role for m in plain.messages].count("user") == 1, "roles still alternate"
    assert "It must match this JSON schema" in plain.last_user_text and '"questions"' in plain.last_user_text


def test_without_a_system_role_the_instructions_lead_the_first_user_message(stub: OpenAIStub) -> None:
    stub.default = family.vllm(step_answer)

    run_step(engine_for(stub, llm_system_role=False))

    (request,) = stub.chat_requests
    assert [m.role for m in request.messages] == ["user"]
    assert request.messages[0].text.startswith("You are a micro-mentorship coach")
    assert "<wish>" in request.messages[0].text


def test_openai_itself_gets_max_completion_tokens(stub: OpenAIStub) -> None:
    stub.default = family.vllm(step_answer)

    run_step(engine_for(stub, llm_max_tokens_field="max_completion_tokens"))

    (request,) = stub.chat_requests
    assert request.body["max_completion_tokens"] == 900 and "max_tokens" not in request.body


def test_every_shape_refused_is_one_clear_error_without_opening_the_breaker(stub: OpenAIStub) -> None:
    stub.default = lambda chat: family.vllm_error(400, "unknown field 'temperature'")
    engine = engine_for(stub, threshold=1)

    for _ in range(3):
        with pytest.raises(
            LLMRequestRefused,
            match=r"refused every request shape \(json_schema: HTTP 400, json_object\+schema: HTTP 400, tools: HTTP 400, plain: HTTP 400; first: HTTP 400: unknown field",
        ):
            engine.next_step(WISH)

    assert len(stub.chat_requests) == 12, "each turn tries all four shapes again"
    assert engine.breaker.state is BreakerState.closed


OUTAGES = {
    "Ollama busy (503)": (
        family.ollama_error(503, "server busy, please try again.  maximum pending requests exceeded"),
        LLMOutage,
        "server error 503",
    ),
    "vLLM engine dead (500)": (
        family.vllm_error(500, "Internal server error"),
        LLMOutage,
        "server error 500",
    ),
    "Ollama model not pulled (404)": (
        family.ollama_error(404, 'model "gemma3:270m" not found, try pulling it first'),
        LLMConfigProblem,
        "check COACH_MODEL",
    ),
}


@pytest.mark.parametrize(("reply", "error", "reason"), OUTAGES.values(), ids=OUTAGES.keys())
def test_outages_are_not_capability_gaps_and_open_the_breaker(
    stub: OpenAIStub, reply: StubReply, error: type[Exception], reason: str
) -> None:
    stub.default = reply
    engine = engine_for(stub, threshold=1)

    with pytest.raises(error, match=reason):
        engine.next_step(WISH)

    assert len(stub.chat_requests) == 1, "an outage does not try other shapes"
    assert engine.breaker.state is BreakerState.open


def test_ollama_gets_the_schema_where_its_openai_layer_reads_it_into_format(stub: OpenAIStub) -> None:
    # openai/openai.go: response_format json_schema -> api.ChatRequest.Format = json_schema.schema.
    stub.default = family.ollama(step_answer)

    run_step(engine_for(stub, model="gemma3:270m"))

    (request,) = stub.chat_requests
    assert request.response_format is not None
    assert request.response_format["json_schema"]["schema"] == wire_schema(StepReply)
    assert request.model == "gemma3:270m" and not request.tools
