"""OpenAI-compatible server families as OpenAIStub handlers: what each accepts, and its own error bodies.

Each family takes or refuses a request as its documentation and source say, and answers in its own words:
- llama-cpp-python 0.3.36: `llama_cpp/llama_types.py` ChatCompletionRequestResponseFormat (`type` is "text"
  or "json_object", optional `schema`); `llama_cpp/server/errors.py` turns request validation errors into
  HTTP 500 "internal_server_error"; named tool_choice forces a call, "auto" is ignored. The 500 body below
  is the one the real server sent (see docs/llm.md).
- vLLM: docs.vllm.ai "Structured Outputs" and "OpenAI-Compatible Server";
  `vllm/entrypoints/openai/chat_completion/protocol.py` (response_format types text/json_object/json_schema,
  `check_tool_usage`: named tool_choice always, "auto" only with --enable-auto-tool-choice);
  `vllm/entrypoints/openai/engine/protocol.py` ErrorResponse `{"error": {message, type, param, code}}`.
- Ollama: docs/api/openai-compatibility.mdx (response_format supported, tool_choice not);
  `openai/openai.go` FromChatRequest (json_schema -> format=schema, json_object -> "json", other types
  ignored) and NewError (400 -> "invalid_request_error"); `server/routes.go` refuses tools for a model
  without the tools capability: "<model> does not support tools".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.openai_stub import ChatRequest, Handler, StubReply

Answer = Callable[[ChatRequest], dict[str, Any]]  # the JSON object the model would write for a request

LLAMA_CPP_JSON_SCHEMA_500 = {
    "error": {
        "message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
        "'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': "
        "{'expected': \"'text' or 'json_object'\"}}\n\n  File \"llama_cpp/server/app.py\", line 376, in "
        "create_chat_completion\n    POST /v1/chat/completions",
        "type": "internal_server_error",
        "param": None,
        "code": None,
    }
}
VLLM_AUTO_TOOL_CHOICE = (
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
)
VLLM_UNSUPPORTED_SCHEMA = "The provided JSON schema contains features not supported by xgrammar."
OLLAMA_NO_TOOLS = "registry.ollama.ai/library/gemma3:270m does not support tools"
PROSE = "Happy to help! Here are some thoughts in plain prose."


def raw(status: int, body: dict[str, Any]) -> StubReply:
    return StubReply(status=status, raw=json.dumps(body))


def vllm_error(status: int, message: str, param: str | None = None) -> StubReply:
    kind = "BadRequestError" if status == 400 else "InternalServerError"
    return raw(status, {"error": {"message": message, "type": kind, "param": param, "code": status}})


def ollama_error(status: int, message: str) -> StubReply:
    kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
    return raw(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})


def _named_tool(chat: ChatRequest) -> str | None:
    choice = chat.body.get("tool_choice")
    return str(choice["function"]["name"]) if isinstance(choice, dict) else None


def _answer(chat: ChatRequest, answer: Answer) -> StubReply:
    name = _named_tool(chat)
    if chat.tools and name:
        return StubReply(tool_call={"name": name, "arguments": answer(chat)})
    return StubReply(content=json.dumps(answer(chat)))


def llama_cpp(answer: Answer) -> Handler:
    """llama-cpp-python's server: json_object (+schema) and named tools; json_schema is a 500."""

    def handle(chat: ChatRequest) -> StubReply:
        if chat.response_format_type == "json_schema":
            return raw(500, LLAMA_CPP_JSON_SCHEMA_500)
        if chat.tools and _named_tool(chat) is None:
            return StubReply(content=PROSE)  # tools without a named choice are ignored
        return _answer(chat, answer)

    return handle


def vllm(answer: Answer, *, schema_supported: bool = True) -> Handler:
    """vLLM: every response_format type; tools need a named tool_choice unless auto tool choice is on."""

    def handle(chat: ChatRequest) -> StubReply:
        if chat.tools and chat.body.get("tool_choice", "auto") == "auto":
            return vllm_error(400, VLLM_AUTO_TOOL_CHOICE, "tool_choice")
        if chat.response_format_type == "json_schema" and not schema_supported:
            return vllm_error(400, VLLM_UNSUPPORTED_SCHEMA, "response_format")
        return _answer(chat, answer)

    return handle


def ollama(answer: Answer, *, tools_capable: bool = False) -> Handler:
    """Ollama's OpenAI layer: json_schema and json_object; tools refused for models without the capability."""

    def handle(chat: ChatRequest) -> StubReply:
        if chat.tools and not tools_capable:
            return ollama_error(400, OLLAMA_NO_TOOLS)
        if chat.tools:
            return StubReply(content=PROSE)  # tool_choice is not supported: the model may just talk
        return _answer(chat, answer)

    return handle


def no_structured_output(answer: Answer, *, tools: bool) -> Handler:
    """A server that refuses response_format (400) and either forces named tools or ignores them."""

    def handle(chat: ChatRequest) -> StubReply:
        if chat.response_format is not None:
            return vllm_error(400, "response_format is not supported by this server", "response_format")
        if chat.tools and not tools:
            return StubReply(content=PROSE)
        return _answer(chat, answer)

    return handle
