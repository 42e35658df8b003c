"""Build the long-lived pieces from settings (embedding, index, journal, service) and serve the app."""

from __future__ import annotations

import logging

from coach.config import EmbeddingKind, Settings
from coach.journal.database import SharedLock
from coach.journal.store import Journal
from coach.models import Mode
from coach.service import CoachService
from coach.users import UserDirectory
from vectorstore.embeddings import CoachEmbedding, OfflineEmbedding, OpenAICompatibleEmbedding
from vectorstore.index import ExpertIndex, Progress
from vectorstore.local_embedding import LocalOnnxEmbedding
from vectorstore.profiles import load_profiles

log = logging.getLogger(__name__)
SEED_WAIT = 120.0  # seconds a starting instance waits for another one seeding the sample organisation
IMPORT_WAIT = 5.0  # an import meeting another one says so (LockBusy) rather than queueing behind it


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
    index = ExpertIndex.open(
        settings.data_dir,
        build_embedding(settings),
        chroma_url=settings.chroma_url,
        exclusive=import_lock(settings, wait=SEED_WAIT),  # instances starting together seed once
    )
    if seed and not index.initialised and settings.sample_profiles.exists():
        result = load_profiles(settings.sample_profiles)
        log.info("indexing %d sample profiles from %s", len(result.profiles), settings.sample_profiles)
        index.upsert(result.profiles, progress=progress)
    index.use_exclusive(import_lock(settings, wait=IMPORT_WAIT))
    return index


def import_lock(settings: Settings, *, wait: float) -> SharedLock:
    """One profile import at a time across every process sharing the journal database (an advisory lock
    on PostgreSQL, a file lock beside the SQLite journal); the index runs each write inside it."""
    return SharedLock(settings.journal_location, "profile-import", wait=wait)


def open_journal(settings: Settings) -> Journal:
    """The journal at COACH_JOURNAL_URL (PostgreSQL, shared by instances), else SQLite in the data dir."""
    if settings.journal_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Journal.open(settings.journal_location)


def open_users(settings: Settings) -> UserDirectory:
    """The accounts: the users file, plus the single COACH_AUTH login when one is set."""
    pair = settings.auth_pair()
    return UserDirectory(
        settings.users_path, admins=settings.admins, extra=dict([pair]) if pair is not None else None
    )


def build_service(
    settings: Settings,
    index: ExpertIndex,
    journal: Journal | None = None,
    users: UserDirectory | None = None,
) -> CoachService:
    """The coach with the LLM engine when one is configured, else offline only."""
    from coach.llm.engine import LLMEngine

    llm = LLMEngine.from_settings(settings)
    return CoachService(
        index=index, llm=llm, journal=journal, rerank=settings.llm_rerank, users=users or open_users(settings)
    )


def serve(settings: Settings) -> None:
    """The composition root: settings -> index -> coach -> web UI -> launch (blocks until stopped)."""
    from coach.web.app import build_ui, launch

    users = open_users(settings)
    settings.check_exposure(users.has_accounts)
    index = open_index(settings)
    service = build_service(settings, index, open_journal(settings), users)
    launch(build_ui(service, settings, mode_label(settings)), settings, users=users)


def mode_label(settings: Settings) -> str:
    """What the UI badge says: 'LLM: <model>' or 'Offline coach'."""
    from coach.llm.client import describe

    return describe(settings) if settings.mode is Mode.llm else "Offline coach"
