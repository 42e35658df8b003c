"""Why a model call failed: a request shape the server cannot take, an outage, or a reply that is no answer.

Every failure becomes a typed `LLMUnavailable` (so the service falls back to the offline coach) with a short
reason that says what happened and, where it helps, what to change. Only outages count towards opening the
circuit breaker: a server that refuses a request shape, or a prompt that is too long, is up and answering.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from dataclasses import dataclass
from enum import StrEnum

import openai
from langchain_core.exceptions import ContextOverflowError, ModelConnectionError, ModelTimeoutError

from coach.errors import LLMUnavailable


class LLMOutage(LLMUnavailable):
    """The server is down, slow, rate limiting or failing; repeated outages open the circuit breaker."""


class LLMCircuitOpen(LLMUnavailable):
    """Calls are paused for a while after repeated outages."""


class LLMConfigProblem(LLMUnavailable):
    """The server refuses the key, the model or the URL: a setting needs changing."""


class LLMRequestRefused(LLMUnavailable):
    """The server refused every request shape the coach knows, or one it should take (see the reason)."""


class LLMRequestTooLarge(LLMUnavailable):
    """The prompt is too long for the model, or the request body too large for the server or a proxy."""


class LLMBadResponse(LLMUnavailable):
    """The server answered, but not with a chat completion (an HTML login page, an empty object)."""


class LLMInvalidOutput(LLMUnavailable):
    """The model answered twice, but neither answer was usable."""


class FailureKind(StrEnum):
    capability = "capability"  # this request shape is not supported here: try the next one
    outage = "outage"
    timeout = "timeout"  # an outage that already cost the caller the whole timeout
    config = "config"
    too_large = "too_large"
    bad_response = "bad_response"


_ERRORS: dict[FailureKind, type[LLMUnavailable]] = {
    FailureKind.capability: LLMRequestRefused,
    FailureKind.outage: LLMOutage,
    FailureKind.timeout: LLMOutage,
    FailureKind.config: LLMConfigProblem,
    FailureKind.too_large: LLMRequestTooLarge,
    FailureKind.bad_response: LLMBadResponse,
}
# A 500 that names a request field is a server refusing the request (llama-cpp-python answers every request
# validation error with 500), not a server that is down.
_CAPABILITY = re.compile(
    r"response_format|json_schema|json_object|structured.output|tool_choice|\btools?\b|function.call"
    r"|grammar|\bschema\b|validation error|not supported|unsupported|extra_forbidden|extra inputs",
    re.IGNORECASE,
)
_OVERFLOW = re.compile(
    r"context.length|context.window|maximum context|too many tokens|prompt is too long|input tokens exceed",
    re.IGNORECASE,
)
_CONFIG: dict[int, str] = {
    401: "authentication failed: check OPENAI_API_KEY",
    403: "permission denied: check the key's access to the model",
    404: "model or URL not found: check COACH_MODEL and OPENAI_BASE_URL (it usually ends in /v1)",
}
_DETAIL_CHARS = 160
# The HTTP client's exceptions (openai vendors httpx as httpx2) that mean no connection was made at all;
# any other transport error means the connection broke while the answer was on its way.
_TRANSPORT = ("httpx", "httpcore")
_NOT_CONNECTED = frozenset({"ConnectError", "ConnectTimeout"})
REFUSED = "connection refused: is the server running at OPENAI_BASE_URL?"
CUT_SHORT = "the connection closed before the answer was complete (cut short)"


@dataclass(frozen=True)
class Failure:
    """One failed call, classified: its kind, the HTTP status if there was one, and a reason for people.

    `retry_after` is the wait in seconds the server asked for (a Retry-After header), if it named one.
    """

    kind: FailureKind
    reason: str
    status: int | None = None
    retry_after: float | None = None

    @property
    def counts_as_outage(self) -> bool:
        """Whether the circuit breaker should count it: the server is unreachable, failing or misconfigured."""
        return self.kind in (
            FailureKind.outage,
            FailureKind.timeout,
            FailureKind.config,
            FailureKind.bad_response,
        )

    def error(self) -> LLMUnavailable:
        return _ERRORS[self.kind](self.reason)


def classify(error: BaseException) -> Failure:
    """What a failed chat-model call means, from the exception the openai client or LangChain raised."""
    status = _status(error)
    text = error_text(error)
    # Most specific first: a timeout is also a connection error, a context overflow also a bad request.
    if isinstance(error, ModelTimeoutError | openai.APITimeoutError):
        return Failure(FailureKind.timeout, "timeout")
    if isinstance(error, ModelConnectionError | openai.APIConnectionError):
        transport = {type(c).__name__ for c in _causes(error) if type(c).__module__.startswith(_TRANSPORT)}
        broke = bool(transport) and not transport & _NOT_CONNECTED
        return Failure(FailureKind.outage, CUT_SHORT if broke else REFUSED)
    if isinstance(error, ContextOverflowError):
        return Failure(FailureKind.too_large, "prompt too long for the model", status)
    if status is None:
        name = type(error).__name__
        # The openai client returns an HTML page as a plain string and a body without `choices` as an empty
        # completion; LangChain then fails on it with AttributeError, TypeError, KeyError or a validation error.
        return Failure(
            FailureKind.bad_response,
            f"the server's answer was not a chat completion ({name}: {_short(str(error))}); check that "
            "OPENAI_BASE_URL points at the API (usually ending in /v1), not at a web page or a login proxy",
        )
    detail = _short(server_message(error))
    if _OVERFLOW.search(text) and status in (400, 413, 422):
        return Failure(FailureKind.too_large, "prompt too long for the model", status)
    if status == 413:
        return Failure(
            FailureKind.too_large, "request too large for the server or a proxy (HTTP 413)", status
        )
    if status in (400, 422) or (status == 500 and _CAPABILITY.search(text)):
        return Failure(FailureKind.capability, f"HTTP {status}: {detail}", status)
    if status in _CONFIG:
        return Failure(FailureKind.config, _CONFIG[status], status)
    wait = retry_after(error)
    if status == 429:
        return Failure(FailureKind.outage, "rate limited" + _asked(wait), status, wait)
    if status == 408:
        return Failure(FailureKind.outage, "timeout", status, wait)
    if status >= 500:
        return Failure(FailureKind.outage, f"server error {status}" + _asked(wait), status, wait)
    return Failure(FailureKind.config, f"request rejected (HTTP {status}: {detail})", status)


def cut_off(error: BaseException) -> bool:
    """Whether the openai client refused an answer because it stopped at the token limit.

    With a response_format the client parses the answer itself and raises LengthFinishReasonError for a
    truncated one: that is an answer to repair ("more briefly"), not a broken server.
    """
    return isinstance(error, openai.LengthFinishReasonError)


def error_text(error: BaseException) -> str:
    """The message and body the server sent with an error, as one string to search."""
    body = getattr(error, "body", None)
    parts = [str(getattr(error, "message", "") or error)]
    if body is not None:
        parts.append(body if isinstance(body, str) else json.dumps(body, default=str))
    return " ".join(parts)


def server_message(error: BaseException) -> str:
    """The server's own words: `error.message` of an OpenAI-style body (Ollama, vLLM, llama.cpp), else the text."""
    body = getattr(error, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get("message"), str):
        return str(inner["message"])
    if isinstance(inner, str):  # Ollama's native API: {"error": "..."}
        return inner
    return str(getattr(error, "message", "") or error)


def retry_after(error: BaseException) -> float | None:
    """The wait in seconds an error response asked for (retry-after-ms, Retry-After seconds or a date)."""
    headers = getattr(getattr(error, "response", None), "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = str(headers.get(name) or "").strip()
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if seconds >= 0 and seconds != float("inf"):
            return seconds
    parsed = email.utils.parsedate_tz(str(headers.get("retry-after") or ""))
    return None if parsed is None else max(0.0, email.utils.mktime_tz(parsed) - time.time())


def _asked(wait: float | None) -> str:
    return "" if wait is None or wait < 1 else f"; the server asked to wait {wait:.0f} s"


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _status(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    return status if isinstance(status, int) else None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"
