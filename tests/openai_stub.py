"""A scriptable OpenAI-compatible HTTP server, run in-process, for tests and benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import math
import random
import re
import signal
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

CHAT_PATH = "/v1/chat/completions"
EMBEDDINGS_PATH = "/v1/embeddings"
_ERROR_KINDS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Bad request (scripted by OpenAIStub)."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached (scripted by OpenAIStub)."),
    500: ("server_error", None, "The server had an error (scripted by OpenAIStub)."),
    503: ("server_error", None, "The server is overloaded (scripted by OpenAIStub)."),
}


@dataclass(frozen=True)
class StubReply:
    """One scripted answer: assistant text, a tool call, an HTTP error or a raw body, optionally slow.

    `raw` is sent as the whole response body, with `status` and `content_type`, instead of a chat
    completion or an OpenAI-style error: a real server's own error body, a proxy's HTML page, `{}`.
    """

    content: str | None = None
    status: int = 200
    delay_s: float = 0.0
    tool_call: dict[str, Any] | None = None
    raw: str | None = None
    content_type: str = "application/json"
    finish_reason: str | None = None  # e.g. "length" for an answer cut off at max_tokens


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat request, with its content flattened to text."""

    role: str
    text: str


@dataclass(frozen=True)
class ChatRequest:
    """The parts of a /v1/chat/completions body that handlers and assertions look at."""

    model: str
    messages: tuple[ChatMessage, ...]
    response_format: dict[str, Any] | None
    tools: tuple[dict[str, Any], ...]
    max_tokens: int | None
    stream: bool
    include_usage: bool
    body: dict[str, Any]

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ChatRequest:
        """Parse a request body as the OpenAI client sends it."""
        messages = tuple(
            ChatMessage(role=str(m.get("role", "")), text=_flatten_content(m.get("content")))
            for m in body.get("messages") or []
        )
        stream_options = body.get("stream_options") or {}
        return cls(
            model=str(body.get("model", "")),
            messages=messages,
            response_format=body.get("response_format"),
            tools=tuple(body.get("tools") or ()),
            max_tokens=body.get("max_completion_tokens", body.get("max_tokens")),
            stream=bool(body.get("stream", False)),
            include_usage=bool(stream_options.get("include_usage", False)),
            body=body,
        )

    @property
    def prompt_text(self) -> str:
        """All message text joined by newlines, e.g. to find ids mentioned in the prompt."""
        return "\n".join(m.text for m in self.messages)

    @property
    def last_user_text(self) -> str:
        """The text of the last user message, or "" when there is none."""
        return next((m.text for m in reversed(self.messages) if m.role == "user"), "")

    @property
    def response_format_type(self) -> str | None:
        """The response_format type ("json_schema", "json_object", "text"), or None if none was sent."""
        return None if self.response_format is None else str(self.response_format.get("type"))

    @property
    def tool_names(self) -> tuple[str, ...]:
        """Names of the function tools offered to the model."""
        return tuple(str(t.get("function", {}).get("name", "")) for t in self.tools)


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the stub received."""

    method: str
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str]


Handler = Callable[[ChatRequest], StubReply]


class OpenAIStub:
    """An OpenAI-compatible server on 127.0.0.1 that answers with scripted StubReply objects."""

    def __init__(
        self,
        default: StubReply | Handler | None = None,
        *,
        port: int = 0,
        model: str = "stub-model",
        embedding_dim: int = 64,
        ignore_response_format: bool = False,
        reject_tools: bool = False,
        plain_reply: str = "Happy to help! Here are some thoughts in plain prose.",
    ) -> None:
        self.default = default
        self.model = model
        self.embedding_dim = embedding_dim
        # Server-level quirks, switchable between requests.
        self.ignore_response_format = ignore_response_format
        self.reject_tools = reject_tools
        self.plain_reply = plain_reply
        self._initial: dict[str, Any] = dict(vars(self))
        self._port = port
        self._queue: deque[StubReply] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def enqueue(self, *replies: StubReply) -> None:
        """Queue replies for the next chat requests, first in first out."""
        with self._lock:
            self._queue.extend(replies)

    def reset(self) -> None:
        """Forget queued replies and recorded requests and restore the constructor's settings."""
        vars(self).update(self._initial)
        with self._lock:
            self._queue.clear()
            self._requests.clear()

    @property
    def port(self) -> int:
        """The bound port; only meaningful after start()."""
        return self._port

    @property
    def base_url(self) -> str:
        """The URL to pass as base_url to OpenAI clients, ending in /v1."""
        if self._server is None:
            raise RuntimeError("OpenAIStub is not running: call start() or use it as a context manager.")
        return f"http://127.0.0.1:{self._port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[ChatRequest]:
        """The chat completion requests received so far, parsed."""
        return [ChatRequest.from_body(r.body or {}) for r in self.requests if r.path == CHAT_PATH]

    @property
    def embedding_requests(self) -> list[RecordedRequest]:
        """The embedding requests received so far."""
        return [r for r in self.requests if r.path == EMBEDDINGS_PATH]

    def start(self) -> OpenAIStub:
        """Bind a port and serve from a daemon thread; returns once the server accepts connections."""
        if self._server is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._build_app(), log_level="warning", lifespan="off", timeout_graceful_shutdown=2
        )
        self._stopping.clear()
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"openai-stub-{self._port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"OpenAIStub failed to start on port {self._port}; see the log above.")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit, cut short any scripted delays, and join the server thread."""
        if self._server is None or self._thread is None:
            return
        self._stopping.set()
        self._server.should_exit = True
        self._thread.join(timeout=5)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _record(self, request: Request, body: dict[str, Any] | None) -> None:
        recorded = RecordedRequest(request.method, request.url.path, body, dict(request.headers))
        with self._lock:
            self._requests.append(recorded)

    def _next_reply(self, chat: ChatRequest) -> StubReply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if isinstance(self.default, StubReply):
            return self.default
        if self.default is not None:
            return self.default(chat)
        return StubReply(
            status=500,
            content="OpenAIStub has no scripted reply: call stub.enqueue(StubReply(...)) or pass default=.",
        )

    async def _sleep(self, seconds: float) -> None:
        # Sleep in slices so stop() never waits for a slow reply nobody is listening to any more.
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set() and (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.05))

    def _build_app(self) -> FastAPI:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

        @app.post(CHAT_PATH)
        async def chat_completions(request: Request) -> Response:
            body = await request.json()
            self._record(request, body)
            chat = ChatRequest.from_body(body)
            if self.reject_tools and chat.tools:
                return _error_response(400, "This server does not support tools; retry without `tools`.")
            try:
                reply = self._next_reply(chat)
            except Exception as exc:  # a broken test handler should surface, not hang the client
                return _error_response(500, f"OpenAIStub handler raised {exc!r}")
            await self._sleep(reply.delay_s)
            if reply.raw is not None:
                return Response(reply.raw, status_code=reply.status, media_type=reply.content_type)
            if reply.status >= 400:
                return _error_response(reply.status, reply.content)
            if self.ignore_response_format and chat.response_format_type in ("json_schema", "json_object"):
                reply = StubReply(content=self.plain_reply)
            if chat.stream:
                return StreamingResponse(_sse_chunks(chat, reply), media_type="text/event-stream")
            return JSONResponse(_completion(chat, reply))

        @app.post(EMBEDDINGS_PATH)
        async def embeddings(request: Request) -> Response:
            body = await request.json()
            self._record(request, body)
            raw = body.get("input", [])
            texts = [raw] if isinstance(raw, str) or (raw and isinstance(raw[0], int)) else list(raw)
            dim = int(body.get("dimensions") or self.embedding_dim)
            as_base64 = body.get("encoding_format") == "base64"
            data = []
            for i, text in enumerate(texts):
                vector = embed_text(text if isinstance(text, str) else json.dumps(text), dim)
                encoded: list[float] | str = (
                    base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode() if as_base64 else vector
                )
                data.append({"object": "embedding", "index": i, "embedding": encoded})
            tokens = sum(_estimate_tokens(str(t)) for t in texts)
            usage = {"prompt_tokens": tokens, "total_tokens": tokens}
            model = body.get("model", self.model)
            return JSONResponse({"object": "list", "data": data, "model": model, "usage": usage})

        @app.get("/v1/models")
        async def models(request: Request) -> Response:
            self._record(request, None)
            entry = {"id": self.model, "object": "model", "created": 0, "owned_by": "openai-stub"}
            return JSONResponse({"object": "list", "data": [entry]})

        @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
        async def unknown(request: Request, path: str) -> Response:
            self._record(request, None)
            message = f"OpenAIStub does not serve {request.method} /{path}; use {CHAT_PATH}."
            return _error_response(404, message, url_error=True)

        return app


def embed_text(text: str, dim: int) -> list[float]:
    """A deterministic unit vector derived from a hash of the text; equal texts give equal vectors."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def _flatten_content(content: Any) -> str:
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _error_response(status: int, message: str | None, *, url_error: bool = False) -> JSONResponse:
    kind, code, default_message = _ERROR_KINDS.get(status, ("server_error", None, f"HTTP {status}."))
    code = None if url_error else code
    error = {"message": message or default_message, "type": kind, "param": None, "code": code}
    # retry-after-ms wins in the openai client; "retry-after: 0" alone would fall back to backoff.
    headers = {"retry-after": "0", "retry-after-ms": "1"} if status in (429, 503) else None
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _tool_call_json(tool_call: dict[str, Any]) -> dict[str, Any]:
    arguments = tool_call.get("arguments", "{}")
    return {
        "id": tool_call.get("id", f"call_{uuid.uuid4().hex[:24]}"),
        "type": "function",
        "function": {
            "name": tool_call["name"],
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
        },
    }


def _usage(chat: ChatRequest, reply: StubReply) -> dict[str, int]:
    prompt = _estimate_tokens(chat.prompt_text)
    answer = reply.content or ""
    if reply.tool_call is not None:
        answer += json.dumps(reply.tool_call)
    completion = _estimate_tokens(answer)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion(chat: ChatRequest, reply: StubReply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
    finish_reason = "stop"
    if reply.tool_call is not None:
        message["tool_calls"] = [_tool_call_json(reply.tool_call)]
        finish_reason = "tool_calls"
    finish_reason = reply.finish_reason or finish_reason
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": chat.model,
        "system_fingerprint": "fp_openai_stub",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": _usage(chat, reply),
    }


async def _sse_chunks(chat: ChatRequest, reply: StubReply) -> AsyncIterator[str]:
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": chat.model,
        "system_fingerprint": "fp_openai_stub",
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        extra = {"usage": None} if chat.include_usage else {}
        return f"data: {json.dumps({**base, 'choices': [choice], **extra})}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in re.findall(r"\s*\S+|\s+", reply.content or ""):
        yield chunk({"content": piece})
    if reply.tool_call is not None:
        call = _tool_call_json(reply.tool_call)
        head = {
            "index": 0,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"]},
        }
        yield chunk({"tool_calls": [{**head, "function": {**head["function"], "arguments": ""}}]})
        yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": call["function"]["arguments"]}}]})
    yield chunk({}, "tool_calls" if reply.tool_call is not None else "stop")
    if chat.include_usage:
        yield f"data: {json.dumps({**base, 'choices': [], 'usage': _usage(chat, reply)})}\n\n"
    yield "data: [DONE]\n\n"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Serve forever, answering every chat request with --reply; for benchmarks run by hand."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--reply", default="OK", help="assistant text for every chat request")
    parser.add_argument("--model", default="stub-model")
    parser.add_argument("--embedding-dim", type=int, default=64)
    args = parser.parse_args(argv)
    reply = StubReply(content=args.reply)
    stub = OpenAIStub(reply, port=args.port, model=args.model, embedding_dim=args.embedding_dim)
    signal.signal(signal.SIGTERM, _interrupt)
    with stub:
        print(f"OpenAI stub serving at {stub.base_url} (Ctrl+C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
