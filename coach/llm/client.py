"""The chat model for OpenAI-compatible servers (or none, offline): built here, called here for JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelRefusalError,
    ModelTimeoutError,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import Runnable
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from coach.config import Settings
from coach.errors import LLMUnavailable
from coach.llm.breaker import CircuitBreaker

# Local servers (llama.cpp, vLLM, Ollama) ignore the key, but the openai client insists on one.
PLACEHOLDER_KEY = "not-needed"
TEMPERATURE = 0.3
REPAIR = "Your previous answer was invalid: {problem}. Reply with JSON matching the schema."
# Keywords strict structured output rejects; callers enforce lengths when they validate the answer.
_UNSUPPORTED_KEYWORDS = frozenset({"default", "maxLength", "minLength", "title"})

T = TypeVar("T")
R = TypeVar("R", bound="Reply")

# Most specific first: a timeout is also a connection error, a context overflow also a bad request.
_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ModelTimeoutError, "timeout"),
    (ModelRateLimitError, "rate limited"),
    (ModelAuthenticationError, "authentication failed: check OPENAI_API_KEY"),
    (ModelPermissionDeniedError, "permission denied: check the key's access to the model"),
    (ModelNotFoundError, "model not found: check COACH_MODEL and OPENAI_BASE_URL"),
    (ContextOverflowError, "prompt too long for the model"),
    (ModelRefusalError, "the model refused"),
    (ModelConnectionError, "connection refused"),
)


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """ChatOpenAI for the configured server, or None when neither a key nor a base URL is set."""
    if settings.openai_api_key is None and not settings.openai_base_url:
        return None
    key = settings.openai_api_key or SecretStr(PLACEHOLDER_KEY)
    return ChatOpenAI(
        model=settings.model,
        base_url=settings.openai_base_url,
        api_key=key,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]  # alias of max_completion_tokens
        temperature=TEMPERATURE,
        use_responses_api=False,
    )


def describe(settings: Settings) -> str:
    """A badge for the UI: "LLM: gpt-4o-mini", "LLM: llama3 @ localhost:8080" or the offline coach."""
    if settings.openai_api_key is None and not settings.openai_base_url:
        return "Offline coach (no LLM configured)"
    host = urlsplit(settings.openai_base_url).netloc if settings.openai_base_url else ""
    # Credentials in a URL (user:pass@host) must never reach the screen.
    host = host.rpartition("@")[2]
    return f"LLM: {settings.model} @ {host}" if host else f"LLM: {settings.model}"


def failure_reason(error: BaseException) -> str | None:
    """A short reason for a failed model call ("timeout", "server error 503"), or None if not a model error."""
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    status = getattr(error, "status_code", None)
    if isinstance(error, ModelAPIError) or (isinstance(status, int) and status >= 500):
        return f"server error {status}" if isinstance(status, int) else "server error"
    if isinstance(error, ModelInvalidRequestError):
        return f"request rejected ({status or 400})"
    return None


class Reply(BaseModel):
    """Base of model answers: extra keys ignored when read, every field required in the wire schema."""

    model_config = ConfigDict(
        frozen=True,
        str_strip_whitespace=True,
        json_schema_serialization_defaults_required=True,
        json_schema_extra={"additionalProperties": False},
    )


def structured(chat_model: BaseChatModel, name: str, schema: dict[str, Any]) -> Runnable[Any, Any]:
    """A runnable giving {"raw", "parsed", "parsing_error"}: json_schema first, json_mode if that is rejected."""
    spec = {"name": name, "schema": schema, "strict": True}
    primary = chat_model.with_structured_output(spec, method="json_schema", include_raw=True)
    # Servers without json_schema support answer 400; json_mode then relies on the prompt's JSON example.
    # function_calling is avoided: servers without tools reject it, and servers that ignore tools return None.
    fallback = chat_model.with_structured_output(spec, method="json_mode", include_raw=True)
    return primary.with_fallbacks([fallback], exceptions_to_handle=(ModelInvalidRequestError,))


def wire_schema(model: type[Reply]) -> dict[str, Any]:
    """The model's JSON schema as strict structured output accepts it (every field required, no defaults)."""

    def clean(node: Any, *, named: bool = False) -> Any:
        if isinstance(node, dict):
            if named:  # keys of "properties" and "$defs" are names, not keywords
                return {key: clean(value) for key, value in node.items()}
            return {
                key: clean(value, named=key in ("properties", "$defs"))
                for key, value in node.items()
                if key not in _UNSUPPORTED_KEYWORDS
            }
        return [clean(item) for item in node] if isinstance(node, list) else node

    schema: dict[str, Any] = clean(model.model_json_schema(mode="serialization"))
    return schema


class UsageMeter(BaseCallbackHandler):
    """Counts chat requests and the prompt tokens the server reports, across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.prompt_tokens = 0

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        with self._lock:
            self.calls += 1

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        replies = [getattr(g, "message", None) for generations in response.generations for g in generations]
        tokens = sum(
            m.usage_metadata["input_tokens"] for m in replies if isinstance(m, AIMessage) and m.usage_metadata
        )
        with self._lock:
            self.prompt_tokens += tokens


class InvalidReply(ValueError):
    """The model answered, but not usably; the message is fed back to it once."""


class StructuredChat:
    """Validated JSON answers from a chat model: one repair call, breaker-gated, usage counted."""

    def __init__(self, chat_model: BaseChatModel, *, breaker: CircuitBreaker) -> None:
        self.chat_model = chat_model
        self.breaker = breaker
        self._meter = UsageMeter()
        self._runnables: dict[tuple[str, str], Runnable[Any, Any]] = {}

    @property
    def calls(self) -> int:
        return self._meter.calls

    @property
    def prompt_tokens(self) -> int:
        return self._meter.prompt_tokens

    def ask(
        self,
        name: str,
        messages: Sequence[BaseMessage],
        reply_type: type[R],
        check: Callable[[R], T],
        *,
        schema: dict[str, Any] | None = None,
    ) -> T:
        """check(reply) for the model's answer; after two invalid answers or any failure, LLMUnavailable."""
        if not self.breaker.allow():
            raise LLMUnavailable(
                f"circuit open: the LLM failed recently; retrying after {self.breaker.retry_after()} s"
            )
        runnable = self._runnable(name, schema or wire_schema(reply_type))
        conversation, problem = list(messages), ""
        for _attempt in range(2):
            try:
                result = runnable.invoke(conversation, config={"callbacks": [self._meter]})
            except Exception as error:
                self.breaker.record_failure()
                reason = failure_reason(error)
                if reason is None:
                    raise
                raise LLMUnavailable(reason) from error
            try:
                value = check(_parse(reply_type, result))
            except (InvalidReply, ValidationError) as invalid:
                problem = _describe(invalid)
                raw = result.get("raw")
                said = raw.content if isinstance(raw, AIMessage) and isinstance(raw.content, str) else ""
                repair = HumanMessage(REPAIR.format(problem=problem))
                conversation = [*messages, AIMessage(content=said), repair]
                continue
            self.breaker.record_success()
            return value
        self.breaker.record_failure()
        raise LLMUnavailable(f"invalid output twice ({problem[:120]})")

    def _runnable(self, name: str, schema: dict[str, Any]) -> Runnable[Any, Any]:
        key = (name, json.dumps(schema, sort_keys=True))
        if key not in self._runnables:
            self._runnables[key] = structured(self.chat_model, name, schema)
        return self._runnables[key]


def _parse(reply_type: type[R], result: dict[str, Any]) -> R:
    raw = result.get("raw")
    if isinstance(raw, AIMessage) and raw.response_metadata.get("finish_reason") == "length":
        raise InvalidReply("it was cut off at the length limit; answer more briefly")
    if result.get("parsing_error") is not None or not isinstance(result.get("parsed"), dict):
        raise InvalidReply("it was not a JSON object")
    return reply_type.model_validate(result["parsed"])


def _describe(invalid: Exception) -> str:
    if isinstance(invalid, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg'].removeprefix('Value error, ')}"
            for e in invalid.errors(include_url=False)[:4]
        ]
        return "; ".join(parts)
    return str(invalid)
