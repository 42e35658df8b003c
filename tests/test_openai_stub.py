"""The OpenAI stub server, exercised through the real openai client and LangChain's ChatOpenAI."""

from __future__ import annotations

import base64
import json
import math
import struct
import threading
import time

import openai
import pytest
from langchain_core.messages import AIMessageChunk
from langchain_openai import ChatOpenAI
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel

from tests.openai_stub import ChatRequest, OpenAIStub, StubReply, embed_text


class Verdict(BaseModel):
    """A small structured answer to parse from the stub."""

    expert_ids: list[str]
    reason: str


@pytest.fixture
def client(stub: OpenAIStub) -> openai.OpenAI:
    return openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=0, timeout=5)


def chat_model(stub: OpenAIStub, **kwargs: object) -> ChatOpenAI:
    """ChatOpenAI pointed at the stub, with the timeout LangChain does not set by itself."""
    return ChatOpenAI(
        model="stub-model",
        base_url=stub.base_url,
        api_key="test",  # type: ignore[arg-type]
        timeout=5,
        max_retries=0,
        use_responses_api=False,
        **kwargs,  # type: ignore[arg-type]
    )


def _floats(embedding: list[float] | str) -> list[float]:
    """Decode what the client hands back: floats, or base64 float32 when asked for explicitly."""
    if isinstance(embedding, list):
        return embedding
    raw = base64.b64decode(embedding)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def ask(client: openai.OpenAI, text: str = "hello") -> str | None:
    reply = client.chat.completions.create(model="stub-model", messages=[{"role": "user", "content": text}])
    return reply.choices[0].message.content


def test_client_gets_scripted_json_reply_with_estimated_usage(
    stub: OpenAIStub, client: openai.OpenAI
) -> None:
    stub.enqueue(StubReply(content='{"expert_ids": ["e1"]}'))
    prompt = "x" * 400

    reply = client.chat.completions.create(
        model="stub-model",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": prompt}],
        response_format={"type": "json_object"},
        max_tokens=50,
    )

    assert json.loads(reply.choices[0].message.content or "") == {"expert_ids": ["e1"]}
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == math.ceil(len("be brief\n" + prompt) / 4)
    assert reply.usage.completion_tokens == math.ceil(len('{"expert_ids": ["e1"]}') / 4)
    [recorded] = stub.chat_requests
    assert (recorded.response_format_type, recorded.max_tokens, recorded.stream) == ("json_object", 50, False)
    assert [m.role for m in recorded.messages] == ["system", "user"]


def test_replies_are_fifo_then_default() -> None:
    with OpenAIStub(StubReply(content="default")) as stub:
        client = openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=0, timeout=5)
        stub.enqueue(StubReply(content="first"), StubReply(content="second"))
        assert [ask(client) for _ in range(3)] == ["first", "second", "default"]


def test_handler_answers_from_the_prompt() -> None:
    def handler(request: ChatRequest) -> StubReply:
        ids = sorted(word for word in request.prompt_text.split() if word.startswith("id-"))
        return StubReply(content=json.dumps({"ids": ids, "model": request.model}))

    with OpenAIStub(handler) as stub:
        client = openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=0, timeout=5)
        answer = ask(client, "compare id-7 with id-3 please")
    assert json.loads(answer or "") == {"ids": ["id-3", "id-7"], "model": "stub-model"}


@pytest.mark.parametrize("include_usage", [True, False])
def test_real_client_streams_complete_chunks(
    stub: OpenAIStub, client: openai.OpenAI, include_usage: bool
) -> None:
    text = "Ask about  editing,\nthen about agents. "
    stub.enqueue(StubReply(content=text))

    chunks = list(
        client.chat.completions.create(
            model="stub-model",
            messages=[{"role": "user", "content": "plan my chat"}],
            stream=True,
            stream_options={"include_usage": include_usage},
        )
    )

    deltas = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert "".join(deltas) == text
    assert len(deltas) > 3, "content should arrive in several chunks"
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    usage = chunks[-1].usage
    assert (usage is not None) == include_usage
    assert stub.chat_requests[0].include_usage == include_usage


def test_langchain_streams(stub: OpenAIStub) -> None:
    stub.enqueue(StubReply(content="Three questions to ask a publisher."))

    pieces = list(chat_model(stub).stream("I want a mentor in publishing"))

    assert "".join(str(p.content) for p in pieces) == "Three questions to ask a publisher."
    assert stub.chat_requests[0].stream
    assert stub.chat_requests[0].last_user_text == "I want a mentor in publishing"


@pytest.mark.parametrize(
    ("status", "error_type", "code"),
    [
        (400, openai.BadRequestError, None),
        (401, openai.AuthenticationError, "invalid_api_key"),
        (429, openai.RateLimitError, "rate_limit_exceeded"),
        (500, openai.InternalServerError, None),
        (503, openai.InternalServerError, None),
    ],
)
def test_error_statuses_surface_as_client_exceptions(
    stub: OpenAIStub,
    client: openai.OpenAI,
    status: int,
    error_type: type[openai.APIStatusError],
    code: str | None,
) -> None:
    stub.enqueue(StubReply(status=status, content="scripted failure"))

    with pytest.raises(error_type) as caught:
        ask(client)

    assert caught.value.status_code == status
    assert caught.value.code == code
    assert "scripted failure" in caught.value.message


def test_rate_limit_retries_fast(stub: OpenAIStub) -> None:
    client = openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=2, timeout=5)
    stub.enqueue(StubReply(status=429), StubReply(status=429), StubReply(content="finally"))

    started = time.perf_counter()
    assert ask(client) == "finally"

    assert time.perf_counter() - started < 0.5, "retry-after headers should make retries immediate"
    assert len(stub.chat_requests) == 3


def test_slow_reply_times_out_the_client(stub: OpenAIStub) -> None:
    client = openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=0, timeout=0.3)
    stub.enqueue(StubReply(content="too late", delay_s=2.0))

    started = time.perf_counter()
    with pytest.raises(openai.APITimeoutError):
        ask(client)

    assert time.perf_counter() - started < 1.5


def test_structured_output_json_schema_parses(stub: OpenAIStub) -> None:
    stub.enqueue(StubReply(content='{"expert_ids": ["p-12", "p-40"], "reason": "both edit novels"}'))

    verdict = chat_model(stub).with_structured_output(Verdict, method="json_schema").invoke("who?")

    assert verdict == Verdict(expert_ids=["p-12", "p-40"], reason="both edit novels")
    request = stub.chat_requests[0]
    assert request.response_format_type == "json_schema"
    assert request.response_format is not None
    assert "expert_ids" in json.dumps(request.response_format["json_schema"]["schema"])


def test_ignore_response_format_returns_prose(stub: OpenAIStub, client: openai.OpenAI) -> None:
    stub.ignore_response_format = True
    stub.default = StubReply(content='{"expert_ids": [], "reason": "x"}')
    json_schema: ResponseFormatJSONSchema = {
        "type": "json_schema",
        "json_schema": {"name": "Verdict", "schema": Verdict.model_json_schema()},
    }

    formatted = client.chat.completions.create(
        model="stub-model",
        messages=[{"role": "user", "content": "who?"}],
        response_format=json_schema,
    )

    assert formatted.choices[0].message.content == stub.plain_reply
    assert ask(client, "no format asked") == '{"expert_ids": [], "reason": "x"}'
    # LangChain's json_schema path parses inside the openai client: prose is a pydantic
    # ValidationError (a ValueError), raised even with include_raw=True.
    structured = chat_model(stub).with_structured_output(Verdict, method="json_schema", include_raw=True)
    with pytest.raises(ValueError, match="Invalid JSON"):
        structured.invoke("who?")


def test_reject_tools_answers_400_only_when_tools_are_sent(stub: OpenAIStub) -> None:
    stub.reject_tools = True
    stub.default = StubReply(content="no tools needed")
    model = chat_model(stub)

    with pytest.raises(openai.BadRequestError, match="does not support tools"):
        model.with_structured_output(Verdict, method="function_calling").invoke("who?")

    assert model.invoke("hi").content == "no tools needed"
    assert [r.tool_names for r in stub.chat_requests] == [("Verdict",), ()]


@pytest.mark.parametrize("stream", [False, True])
def test_tool_call_reply_reaches_langchain(stub: OpenAIStub, stream: bool) -> None:
    arguments = {"expert_ids": ["p-1"], "reason": "ran a press"}
    stub.enqueue(StubReply(tool_call={"name": "Verdict", "arguments": json.dumps(arguments)}))
    model = chat_model(stub).bind_tools([Verdict])

    if stream:
        merged = AIMessageChunk(content="")
        for piece in model.stream("who?"):
            merged += piece  # type: ignore[assignment]
        tool_calls = merged.tool_calls
    else:
        tool_calls = model.invoke("who?").tool_calls  # type: ignore[attr-defined]

    assert [(c["name"], c["args"]) for c in tool_calls] == [("Verdict", arguments)]


@pytest.mark.parametrize(
    ("inputs", "dimensions", "encoding"),
    [
        ("one text", None, "float"),
        (["a", "b", "c"], None, "base64"),
        (["a", "b"], 16, "float"),
        ([], None, "float"),
    ],
)
def test_embeddings_are_deterministic_unit_vectors(
    stub: OpenAIStub, client: openai.OpenAI, inputs: str | list[str], dimensions: int | None, encoding: str
) -> None:
    texts = [inputs] if isinstance(inputs, str) else inputs
    extra = {} if dimensions is None else {"dimensions": dimensions}

    result = client.embeddings.create(
        model="stub-embed",
        input=inputs,
        encoding_format=encoding,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )

    vectors = [_floats(d.embedding) for d in result.data]
    assert len(vectors) == len(texts)
    for text, vector in zip(texts, vectors, strict=True):
        assert len(vector) == (dimensions or 64)
        assert vector == pytest.approx(embed_text(text, dimensions or 64), abs=1e-6)
        assert math.fsum(v * v for v in vector) == pytest.approx(1.0, abs=1e-5)
    assert result.usage.prompt_tokens == sum(math.ceil(len(t) / 4) for t in texts)


def test_embedding_default_encoding_and_dim() -> None:
    with OpenAIStub(embedding_dim=8) as stub:
        client = openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=0, timeout=5)
        first = client.embeddings.create(model="e", input=["same", "other"]).data
        again = client.embeddings.create(model="e", input="same").data
    assert len(first[0].embedding) == 8
    assert first[0].embedding == again[0].embedding != first[1].embedding
    assert stub.embedding_requests[0].body == {
        "model": "e",
        "input": ["same", "other"],
        "encoding_format": "base64",
    }


def test_models_and_recorded_requests(stub: OpenAIStub, client: openai.OpenAI) -> None:
    stub.enqueue(StubReply(content="hi"))
    ask(client, "hello")
    models = client.models.list()

    assert [m.id for m in models.data] == ["stub-model"]
    assert [(r.method, r.path) for r in stub.requests] == [
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/models"),
    ]
    assert stub.requests[0].headers["authorization"] == "Bearer test"


def test_reset_restores_the_constructed_state(stub: OpenAIStub, client: openai.OpenAI) -> None:
    stub.reject_tools = stub.ignore_response_format = True
    stub.default = StubReply(content="changed")
    stub.enqueue(StubReply(content="left over"))
    ask(client)

    stub.reset()

    assert (stub.requests, stub.reject_tools, stub.ignore_response_format, stub.default) == (
        [],
        False,
        False,
        None,
    )
    with pytest.raises(openai.InternalServerError, match="no scripted reply"):
        ask(client)


@pytest.mark.parametrize(
    ("default", "expected"),
    [
        (None, "call stub.enqueue"),
        (lambda request: 1 / 0, "ZeroDivisionError"),  # type: ignore[arg-type]
    ],
)
def test_missing_or_broken_script_explains_itself(default: object, expected: str) -> None:
    with OpenAIStub(default) as stub:  # type: ignore[arg-type]
        client = openai.OpenAI(base_url=stub.base_url, api_key="test", max_retries=0, timeout=5)
        with pytest.raises(openai.InternalServerError, match=expected):
            ask(client)


def test_unknown_path_is_a_404_in_openai_shape(stub: OpenAIStub, client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="does not serve"):
        client.completions.create(model="stub-model", prompt="legacy")


def test_three_stubs_run_side_by_side_and_stop_cleanly() -> None:
    threads_before = set(threading.enumerate())
    started = time.perf_counter()
    stubs = [OpenAIStub(StubReply(content=f"stub {i}")).start() for i in range(3)]
    startup_s = (time.perf_counter() - started) / 3

    answers = [
        ask(openai.OpenAI(base_url=s.base_url, api_key="test", max_retries=0, timeout=5)) for s in stubs
    ]
    for s in stubs:
        s.stop()

    assert answers == ["stub 0", "stub 1", "stub 2"]
    assert len({s.port for s in stubs}) == 3
    assert startup_s < 1.0
    assert set(threading.enumerate()) <= threads_before
    with pytest.raises(RuntimeError, match="not running"):
        _ = stubs[0].base_url
