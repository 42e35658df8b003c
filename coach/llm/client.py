"""The chat model for OpenAI-compatible servers (or none, offline): the one place that builds it."""

from __future__ import annotations

from urllib.parse import urlsplit

from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from coach.config import MaxTokensField, Settings
from coach.llm.memory import Server

# Local servers (llama.cpp, vLLM, Ollama) ignore the key, but the openai client insists on one.
PLACEHOLDER_KEY = "not-needed"
OPENAI_URL = "https://api.openai.com/v1"
TEMPERATURE = 0.3


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """ChatOpenAI for the configured server, or None when neither a key nor a base URL is set."""
    if settings.openai_api_key is None and not settings.openai_base_url:
        return None
    key = settings.openai_api_key or SecretStr(PLACEHOLDER_KEY)
    # langchain-openai always sends the limit as max_completion_tokens, which Ollama's and llama-cpp-python's
    # OpenAI layers ignore (their answers then run to the context size); OpenAI refuses both fields at once.
    if max_tokens_field(settings) is MaxTokensField.max_tokens:
        limit: dict[str, object] = {"extra_body": {"max_tokens": settings.llm_max_tokens}}
    else:
        limit = {"max_tokens": settings.llm_max_tokens}  # sent as max_completion_tokens
    return ChatOpenAI(
        model=settings.model,
        base_url=settings.openai_base_url,
        api_key=key,
        timeout=settings.llm_timeout,
        # The coach retries (coach/llm/retry.py): the client's own retries repeat a timeout and sleep out a
        # Retry-After of up to two minutes inside a chat turn.
        max_retries=0,
        temperature=TEMPERATURE,
        use_responses_api=False,
        **limit,  # type: ignore[arg-type]
    )


def max_tokens_field(settings: Settings) -> MaxTokensField:
    """The field the answer-length limit goes in: auto means max_tokens for any server but OpenAI's own."""
    if settings.llm_max_tokens_field is not MaxTokensField.auto:
        return settings.llm_max_tokens_field
    return MaxTokensField.max_tokens if settings.openai_base_url else MaxTokensField.max_completion_tokens


def server_of(chat_model: BaseChatModel) -> Server:
    """What the shape memory keys a chat model by: its server's base URL and the model name."""
    if isinstance(chat_model, ChatOpenAI):
        return Server((chat_model.openai_api_base or OPENAI_URL).rstrip("/"), chat_model.model_name)
    return Server(type(chat_model).__name__, "")


def describe(settings: Settings) -> str:
    """A badge for the UI: "LLM: gpt-4o-mini", "LLM: llama3 @ localhost:8080" or the offline coach."""
    if settings.openai_api_key is None and not settings.openai_base_url:
        return "Offline coach (no LLM configured)"
    host = urlsplit(settings.openai_base_url).netloc if settings.openai_base_url else ""
    # Credentials in a URL (user:pass@host) must never reach the screen.
    host = host.rpartition("@")[2]
    return f"LLM: {settings.model} @ {host}" if host else f"LLM: {settings.model}"
