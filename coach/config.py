"""Settings: the only place that reads the environment."""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coach.errors import ConfigError
from coach.models import Mode


def package_path(package: str, *parts: str) -> Path:
    """A file or folder shipped as package data, wherever the package is installed (wheel or checkout)."""
    return Path(str(resources.files(package).joinpath(*parts)))


SAMPLE_PROFILES = package_path("vectorstore", "sample_profiles.csv")
PROMPTS_DIR = package_path("coach.prompts")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class MaxTokensField(StrEnum):
    """Which request field carries the answer-length limit (servers read one or the other)."""

    auto = "auto"
    max_tokens = "max_tokens"  # Ollama, llama-cpp-python, vLLM, LM Studio
    max_completion_tokens = "max_completion_tokens"  # OpenAI (its reasoning models refuse max_tokens)


class EmbeddingKind(StrEnum):
    offline = "offline"
    openai = "openai"
    local = "local"


class Settings(BaseSettings):
    """Every setting of the app, with its variable and default (the README's configuration table)."""

    model_config = SettingsConfigDict(env_prefix="COACH_", extra="ignore", frozen=True)

    data_dir: Path = Field(default=Path(".coach"), description="Holds all state: index, journal, lock.")
    chroma_url: str | None = Field(default=None, description="http://host:port of a Chroma server.")
    embedding: EmbeddingKind = Field(default=EmbeddingKind.offline, description="offline, openai or local.")
    embedding_model: str = Field(default="text-embedding-3-small", description="Model for openai.")
    embedding_model_path: Path | None = Field(
        default=None, description="Directory with model.onnx and tokenizer.json, for local."
    )
    sample_profiles: Path = Field(
        default=SAMPLE_PROFILES, description="Indexed into an index never written before."
    )
    prompts_dir: Path = Field(default=PROMPTS_DIR, description="Prompt templates and offline data.")

    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "COACH_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "COACH_OPENAI_BASE_URL")
    )
    model: str = Field(default="gpt-4o-mini", description="Chat model name.")
    llm_timeout: float = Field(default=30.0, gt=0, description="Seconds per LLM request.")
    llm_max_retries: int = Field(default=1, ge=0, le=5)
    llm_max_tokens: int = Field(default=900, ge=64, le=8000)
    llm_max_tokens_field: MaxTokensField = Field(
        default=MaxTokensField.auto,
        description="Request field for llm_max_tokens: auto is max_tokens with OPENAI_BASE_URL, else max_completion_tokens.",
    )
    llm_system_role: bool = Field(
        default=True,
        description="false: send the instructions in the first user message (chat templates without a system role).",
    )
    breaker_cooldown: float = Field(default=60.0, ge=0, description="Seconds to skip a failing LLM.")
    llm_rerank: bool = Field(default=True, description="Let the LLM re-rank the people found per question.")

    host: str = Field(default="127.0.0.1")
    port: int = Field(default=7860, ge=1, le=65535)
    auth: SecretStr | None = Field(default=None, description="user:password; required off loopback.")
    max_file_mb: float = Field(default=20.0, gt=0, description="Largest profile file accepted.")
    max_rows: int = Field(default=50_000, gt=0, description="Most rows in one profile file.")
    link_allowlist: tuple[str, ...] = Field(default=(), description="Hosts links may point to.")

    @field_validator("chroma_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("COACH_CHROMA_URL must look like http://localhost:8000")
        return value or None

    @property
    def mode(self) -> Mode:
        return Mode.llm if self.openai_api_key or self.openai_base_url else Mode.offline

    @property
    def max_file_bytes(self) -> int:
        """The profile file size limit in bytes: decimal megabytes, as every message states it."""
        return int(self.max_file_mb * 1_000_000)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    def auth_pair(self) -> tuple[str, str] | None:
        if self.auth is None:
            return None
        user, sep, password = self.auth.get_secret_value().partition(":")
        if not sep or not user or not password:
            raise ConfigError("COACH_AUTH must be user:password, e.g. COACH_AUTH=alex:s3cret")
        return user, password

    def check_exposure(self) -> None:
        """Refuse to serve off loopback without a login."""
        if self.host not in LOOPBACK_HOSTS and self.auth is None:
            raise ConfigError(
                f"COACH_HOST={self.host} exposes the app beyond this machine: set COACH_AUTH=user:password"
            )


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; keyword overrides win (used by the CLI and tests)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"Invalid configuration: {exc}") from exc
