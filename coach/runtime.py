"""Build the long-lived pieces from settings (embedding, index, journal, service) and serve the app."""

from __future__ import annotations

import logging

from coach.config import EmbeddingKind, Settings
from coach.journal.store import Journal
from coach.models import Mode
from coach.service import CoachService
from vectorstore.embeddings import CoachEmbedding, OfflineEmbedding, OpenAICompatibleEmbedding
from vectorstore.index import ExpertIndex, Progress
from vectorstore.local_embedding import LocalOnnxEmbedding
from vectorstore.profiles import load_profiles

log = logging.getLogger(__name__)


def build_embedding(settings: Settings) -> CoachEmbedding:
    """The configured embedding; a local model is read from COACH_EMBEDDING_MODEL_PATH, never downloaded."""
    if settings.embedding is EmbeddingKind.local:
        path = settings.embedding_model_path
        return LocalOnnxEmbedding(model_path=str(path) if path is not None else "")
    if settings.embedding is EmbeddingKind.openai:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return OpenAICompatibleEmbedding(
            model=settings.embedding_model,
            base_url=settings.openai_base_url,
            api_key=key,
            timeout=settings.llm_timeout,
        )
    return OfflineEmbedding()


def open_index(settings: Settings, *, seed: bool = True, progress: Progress | None = None) -> ExpertIndex:
    """Open the configured index; on an index never written before, load the bundled sample organisation.

    Only a never-initialised index is seeded: one that a real import emptied stays empty, so the
    fictional sample never mixes into a real deployment.
    """
    index = ExpertIndex.open(settings.data_dir, build_embedding(settings), chroma_url=settings.chroma_url)
    if seed and not index.initialised and settings.sample_profiles.exists():
        result = load_profiles(settings.sample_profiles)
        log.info("indexing %d sample profiles from %s", len(result.profiles), settings.sample_profiles)
        index.upsert(result.profiles, progress=progress)
    return index


def open_journal(settings: Settings) -> Journal:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Journal.open(settings.journal_path)


def build_service(settings: Settings, index: ExpertIndex, journal: Journal | None = None) -> CoachService:
    """The coach with the LLM engine when one is configured, else offline only."""
    from coach.llm.engine import LLMEngine

    llm = LLMEngine.from_settings(settings)
    return CoachService(index=index, llm=llm, journal=journal, rerank=settings.llm_rerank)


def serve(settings: Settings) -> None:
    """The composition root: settings -> index -> coach -> web UI -> launch (blocks until stopped)."""
    from coach.web.app import build_ui, launch

    settings.check_exposure()
    index = open_index(settings)
    service = build_service(settings, index, open_journal(settings))
    launch(build_ui(service, settings, mode_label(settings)), settings)


def mode_label(settings: Settings) -> str:
    """What the UI badge says: 'LLM: <model>' or 'Offline coach'."""
    from coach.llm.client import describe

    return describe(settings) if settings.mode is Mode.llm else "Offline coach"
