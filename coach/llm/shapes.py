"""The request shapes a JSON answer can be asked for in, strictest first, and how to read the answer back.

Servers differ in what they take (see docs/llm.md): OpenAI, vLLM and Ollama take `response_format`
`json_schema`; llama-cpp-python refuses it (HTTP 500) but takes `json_object` with a `schema`, enforced by a
grammar; servers without structured output may still force a named function call; and any server can be
asked in plain words, with the schema in the prompt and the answer validated.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable

from coach.llm.replies import InvalidReply


class Shape(StrEnum):
    """How the answer's JSON schema is sent; the order of the members is the order they are tried in."""

    json_schema = "json_schema"  # response_format {"type": "json_schema", "json_schema": {...}}
    json_object_schema = "json_object+schema"  # response_format {"type": "json_object", "schema": {...}}
    tools = "tools"  # one function tool, forced by a named tool_choice
    plain = "plain"  # no response_format: the schema in the prompt, the answer parsed and validated


SHAPES: tuple[Shape, ...] = tuple(Shape)
PLAIN_INSTRUCTION = (
    "Reply with one JSON object and nothing else (no prose, no code fence). "
    "It must match this JSON schema:\n{schema}"
)
_PREVIEW_CHARS = 60
CUT_OFF = "it was cut off at the length limit; answer more briefly"


class ShapeIgnored(Exception):
    """The server answered 200 but ignored the shape (no tool call came back): the next shape may work."""


def bind(chat_model: BaseChatModel, shape: Shape, name: str, schema: dict[str, Any]) -> Runnable[Any, Any]:
    """The chat model set up to ask for `schema` in `shape`."""
    if shape is Shape.json_schema:
        spec = {"name": name, "schema": schema, "strict": True}
        return chat_model.bind(response_format={"type": "json_schema", "json_schema": spec})
    if shape is Shape.json_object_schema:
        return chat_model.bind(response_format={"type": "json_object", "schema": schema})
    if shape is Shape.tools:
        tool = {
            "type": "function",
            "function": {"name": name, "description": f"Give the {name} answer.", "parameters": schema},
        }
        # Only a named tool_choice forces the call: llama-cpp-python ignores "auto" and "required".
        return chat_model.bind(tools=[tool], tool_choice={"type": "function", "function": {"name": name}})
    return chat_model


def prepare(shape: Shape, messages: Sequence[BaseMessage], schema: dict[str, Any]) -> LanguageModelInput:
    """The messages to send: for the plain shape the schema joins the last user message.

    It joins rather than follows it, because chat templates that insist on alternating roles (Gemma's on
    vLLM, for one) refuse two user messages in a row.
    """
    if shape is not Shape.plain:
        return list(messages)
    instruction = PLAIN_INSTRUCTION.format(schema=json.dumps(schema, separators=(",", ":")))
    last = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None)
    if last is None:
        return [*messages, HumanMessage(instruction)]
    joined = HumanMessage(f"{messages[last].text}\n\n{instruction}")
    return [*messages[:last], joined, *messages[last + 1 :]]


def fold_system(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The system instructions moved into the first user message, for chat templates without a system role.

    llama-cpp-python's Gemma format drops system messages without a word; Gemma's own template prepends
    them to the first user turn, which is what this does on the client side.
    """
    system = "\n\n".join(m.text for m in messages if isinstance(m, SystemMessage))
    rest = [m for m in messages if not isinstance(m, SystemMessage)]
    first = next((i for i, m in enumerate(rest) if isinstance(m, HumanMessage)), None)
    if not system or first is None:
        return list(messages)
    rest[first] = HumanMessage(f"{system}\n\n{rest[first].text}")
    return rest


def answer_of(shape: Shape, message: BaseMessage) -> tuple[dict[str, Any], str]:
    """The answer's JSON object and the text it came as (fed back to the model when it needs a repair)."""
    if not isinstance(message, AIMessage):
        raise InvalidReply(f"it was a {type(message).__name__}, not an assistant message")
    if message.response_metadata.get("finish_reason") == "length":
        raise InvalidReply(CUT_OFF)
    if shape is Shape.tools:
        if message.tool_calls:
            args = message.tool_calls[0]["args"]
            return args, json.dumps(args, ensure_ascii=False)
        if message.invalid_tool_calls:
            raw = message.invalid_tool_calls[0].get("args") or ""
            raise InvalidReply(f"the function arguments were not valid JSON ({preview(raw)})")
        raise ShapeIgnored("the server answered without calling the function")
    text = message.text
    return json_object(text), text


def json_object(text: str) -> dict[str, Any]:
    """The JSON object in a reply, tolerating a code fence or a sentence around it."""
    stripped = text.strip()
    if not stripped:
        raise InvalidReply("it was empty; reply with one JSON object")
    candidates = [stripped]
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
        raise InvalidReply(f"it was JSON but a {type(value).__name__}, not an object")
    raise InvalidReply(f"it was not JSON (it began {preview(stripped)}); reply with one JSON object only")


def preview(text: str) -> str:
    """The start of a text, quoted on one line, for messages about it."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= _PREVIEW_CHARS else flat[:_PREVIEW_CHARS] + "…")
