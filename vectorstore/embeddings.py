"""Registered Chroma embedding functions: the offline default, any OpenAI-compatible endpoint, a local model."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from coach.errors import ConfigError
from vectorstore import static_embedding
from vectorstore.local_embedding import LocalOnnxEmbedding


@register_embedding_function
class OfflineEmbedding(EmbeddingFunction[Documents]):
    """The bundled static embedding (WordLlama token vectors from its wheel): in-process, no download."""

    # Fusion weights (docs/retrieval.md). Chroma holds the static embedding itself here, and the ranker
    # keeps the same vectors in memory, so an exact in-process search replaces the Chroma query.
    dense_weight = 0.0
    static_weight = 1.0
    passage_weight = 0.0  # best-sentence re-scoring with the static vectors measured worse (docs)

    def __init__(self, version: str = static_embedding.VERSION) -> None:
        if version != static_embedding.VERSION:
            raise ConfigError(
                f"index built with offline embedding {version}; this build has {static_embedding.VERSION}"
            )
        self.version = version

    def __call__(self, input: Documents) -> Embeddings:
        return list(static_embedding.default_static().embed(list(input)))

    @staticmethod
    def name() -> str:
        return "coach-offline"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"version": self.version}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OfflineEmbedding:
        return OfflineEmbedding(version=str(config.get("version", static_embedding.VERSION)))

    @property
    def key(self) -> str:
        return f"offline-{self.version}"


@register_embedding_function
class OpenAICompatibleEmbedding(EmbeddingFunction[Documents]):
    """Embeddings from OpenAI or any server that speaks /v1/embeddings; the key is never persisted."""

    # Unmeasured here (no server): the weights chosen for a local sentence-embedding model, without
    # the passage stage, which would send every candidate's bio sentences to the server.
    dense_weight = 1.0
    static_weight = 1.0
    passage_weight = 0.0

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        batch_size: int = 256,
    ) -> None:
        self.model = model
        self.base_url = base_url
        self._api_key = api_key
        self.timeout = timeout
        self.batch_size = batch_size
        self._client: Any = None

    def __call__(self, input: Documents) -> Embeddings:
        import numpy as np
        import openai

        if self._client is None:
            if not self._api_key and not self.base_url:
                raise ConfigError(
                    "The openai embedding needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)"
                )
            self._client = openai.OpenAI(
                api_key=self._api_key or "not-needed",
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=2,
            )
        texts = list(input)
        vectors: list[Any] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [text or " " for text in texts[start : start + self.batch_size]]
            response = self._client.embeddings.create(model=self.model, input=batch)
            vectors.extend(np.asarray(item.embedding, dtype=np.float32) for item in response.data)
        return vectors

    @staticmethod
    def name() -> str:
        return "coach-openai"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAICompatibleEmbedding:
        return OpenAICompatibleEmbedding(model=str(config.get("model")), base_url=config.get("base_url"))

    @property
    def key(self) -> str:
        return "openai-" + re.sub(r"[^a-z0-9]+", "-", self.model.lower()).strip("-")


CoachEmbedding = OfflineEmbedding | OpenAICompatibleEmbedding | LocalOnnxEmbedding


def embed_one(function: EmbeddingFunction[Documents], texts: Sequence[str]) -> Embeddings:
    """Embed texts with a Chroma embedding function (used for queries, so Chroma never picks one)."""
    return function(list(texts))
