"""Build the long-lived pieces from settings: embedding and expert index (seeded on first use)."""

from __future__ import annotations

import logging

from coach.config import EmbeddingKind, Settings
from vectorstore.embeddings import CoachEmbedding, OfflineEmbedding, OpenAICompatibleEmbedding
from vectorstore.index import ExpertIndex, Progress
from vectorstore.profiles import load_profiles

log = logging.getLogger(__name__)


def build_embedding(settings: Settings) -> CoachEmbedding:
    if settings.embedding is EmbeddingKind.openai:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return OpenAICompatibleEmbedding(
            model=settings.embedding_model, base_url=settings.openai_base_url, api_key=key, timeout=settings.llm_timeout
        )
    return OfflineEmbedding()


def open_index(settings: Settings, *, seed: bool = True, progress: Progress | None = None) -> ExpertIndex:
    """Open the configured index; on first use with an empty index, load the bundled sample organisation."""
    index = ExpertIndex.open(settings.data_dir, build_embedding(settings), chroma_url=settings.chroma_url)
    if seed and index.count() == 0 and settings.sample_profiles.exists():
        result = load_profiles(settings.sample_profiles)
        log.info("indexing %d sample profiles from %s", len(result.profiles), settings.sample_profiles)
        index.upsert(result.profiles, progress=progress)
    return index
