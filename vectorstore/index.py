"""ExpertIndex: the one place that talks to Chroma (embedded or server) and ranks experts."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock, Timeout

from coach.errors import IndexBusyError, IndexStateError
from vectorstore.embeddings import CoachEmbedding
from vectorstore.filters import FilterIndex
from vectorstore.fit import FitSignals, fit_signals
from vectorstore.models import ExpertMatch, ExpertProfile, FieldEvidence, SearchFilters
from vectorstore.passages import PassageScorer
from vectorstore.retrieval import RetrievalConfig, Retriever

log = logging.getLogger(__name__)

COLLECTION_PREFIX = "experts"
DENSE_CANDIDATES = 100
Progress = Callable[[int, int], None]


@dataclass
class UpsertReport:
    """What an import changed; ids are listed so callers can show them."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("added", "updated", "unchanged", "removed")}


def open_client(data_dir: Path | None, chroma_url: str | None) -> tuple[ClientAPI, FileLock | None]:
    """An HttpClient for a server URL, else an embedded PersistentClient that this process owns."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        ), None
    if data_dir is None:
        raise IndexStateError("Give a data directory (COACH_DATA_DIR) or a Chroma server (COACH_CHROMA_URL)")
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / "index.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusyError(
            f"Another coach process is using the index in {data_dir}. Stop it, point COACH_DATA_DIR "
            "elsewhere, or share one index through a server: chroma run --path DIR, then COACH_CHROMA_URL."
        ) from None
    return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings), lock


class ExpertIndex:
    """Expert profiles in a Chroma collection, with in-memory lexical ranking and filters."""

    def __init__(self, client: ClientAPI, embedding: CoachEmbedding, lock: FileLock | None = None) -> None:
        self._client = client
        self._embedding = embedding
        self._lock = lock
        # Bio-sentence vectors outlive each write's new Retriever: they are costly under a real model.
        self._passages = PassageScorer(embedding) if embedding.passage_weight else None
        self._collection = self._resolve()
        self._load()

    @classmethod
    def open(
        cls, data_dir: Path | None, embedding: CoachEmbedding, chroma_url: str | None = None
    ) -> ExpertIndex:
        client, lock = open_client(data_dir, chroma_url)
        try:
            return cls(client, embedding, lock)
        except BaseException:
            if lock is not None:
                lock.release()
            raise

    def close(self) -> None:
        if self._lock is not None and self._lock.is_locked:
            self._lock.release()

    def __enter__(self) -> ExpertIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def embedding_key(self) -> str:
        return self._embedding.key

    def count(self) -> int:
        return len(self._profiles)

    def get(self, profile_id: str) -> ExpertProfile | None:
        return self._profiles.get(profile_id)

    def profiles(self) -> list[ExpertProfile]:
        return list(self._profiles.values())

    def raw_collection(self) -> ChromaCollection:
        """The live Chroma collection, for benchmarks that compare against a bare query."""
        return self._collection

    def facets(self) -> dict[str, list[str]]:
        """Distinct locations, departments and languages, for filter pickers."""
        return self._state.filters.facets()

    def search(
        self, question: str, k: int = 5, filters: SearchFilters | None = None, *, explain: bool = True
    ) -> list[ExpertMatch]:
        """The k best experts for a question, best first, each with the evidence behind it.

        explain=False skips the evidence, for callers that re-rank candidates and explain only the final few.
        """
        question = question.strip()
        state = self._state  # one read: an import swapping the state mid-search cannot mix old and new
        if not question or not state.profiles or k <= 0:
            return []
        allowed = state.filters.allowed(filters)
        if allowed is not None and not allowed:
            return []
        dense: list[tuple[str, float]] = []
        vector = None
        if state.retriever.config.dense_weight:  # else the ranker's own static vectors are the dense side
            n_results = min(
                max(DENSE_CANDIDATES, k * 4), len(state.profiles) if allowed is None else len(allowed)
            )
            embedded = self._embedding([question])
            vector = np.asarray(embedded[0], dtype=np.float32)  # also the passage stage's question
            result = state.collection.query(
                query_embeddings=embedded,
                n_results=n_results,
                where=state.filters.where(filters),
                include=["distances"],
            )
            dense = list(zip(result["ids"][0], (result["distances"] or [[]])[0], strict=True))
        ranked = state.retriever.rank(question, dense, k, allowed, query_vector=vector)
        return [
            ExpertMatch(
                profile=state.profiles[pid],
                score=round(score, 4),
                evidence=state.retriever.explain(question, state.profiles[pid]) if explain else [],
            )
            for pid, score in ranked
        ]

    def explain(self, question: str, profile: ExpertProfile) -> list[FieldEvidence]:
        """Which profile fields and phrases answer the question."""
        return self._state.retriever.explain(question, profile)

    def fit(self, question: str, profile: ExpertProfile) -> FitSignals:
        """How well a profile fits a question (vectorstore/fit.py); `.fits` is the calibrated decision."""
        return fit_signals(self._state.retriever, question, profile)

    def upsert(
        self,
        profiles: Iterable[ExpertProfile],
        *,
        replace: bool = False,
        keep: Collection[str] = (),
        progress: Progress | None = None,
    ) -> UpsertReport:
        """Add or update profiles, all or nothing; replace=True also removes those not given (except `keep`)."""
        incoming = {profile.id: profile for profile in profiles}
        report = UpsertReport()
        for pid, profile in incoming.items():
            current = self._profiles.get(pid)
            if current is None:
                report.added.append(pid)
            elif current.content_hash() != profile.content_hash():
                report.updated.append(pid)
            else:
                report.unchanged.append(pid)
        if replace:
            report.removed = [pid for pid in self._profiles if pid not in incoming and pid not in keep]
        if report.changed:
            keep = [pid for pid in self._profiles if pid not in report.removed and pid not in report.updated]
            write = [incoming[pid] for pid in report.added + report.updated]
            self._write_generation(keep, write, progress)
        elif progress:
            progress(len(incoming), len(incoming))
        return report

    # --- generations: every write builds a complete new collection, then switches to it atomically

    def _collections(self) -> list[ChromaCollection]:
        prefix = f"{COLLECTION_PREFIX}-"
        names = [c if isinstance(c, str) else c.name for c in self._client.list_collections()]
        return [
            self._client.get_collection(n, embedding_function=None) for n in names if n.startswith(prefix)
        ]

    def _resolve(self) -> ChromaCollection:
        complete = [c for c in self._collections() if (c.metadata or {}).get("complete")]
        mine = [c for c in complete if (c.metadata or {}).get("embedding") == self.embedding_key]
        for stale in self._collections():
            if not (stale.metadata or {}).get("complete"):
                log.warning("dropping unfinished index write %s", stale.name)
                self._client.delete_collection(stale.name)
        if mine:
            best = max(mine, key=lambda c: int((c.metadata or {}).get("generation", 0)))
            return self._client.get_collection(best.name, embedding_function=self._embedding)  # type: ignore[arg-type]
        collection = self._new_collection(generation=1)
        previous = max(complete, key=lambda c: int((c.metadata or {}).get("generation", 0)), default=None)
        if previous is not None:
            log.warning("re-indexing %s with embedding %s", previous.name, self.embedding_key)
            profiles = [p for _, p in _read_profiles(previous)]
            self._fill(collection, [], previous, profiles, None)
        self._finish(collection, [c for c in complete])
        return collection

    def _new_collection(self, generation: int) -> ChromaCollection:
        name = f"{COLLECTION_PREFIX}-{_slug(self.embedding_key)}-g{generation}"
        if name in {c.name for c in self._collections()}:
            self._client.delete_collection(name)
        return self._client.create_collection(
            name,
            embedding_function=self._embedding,  # type: ignore[arg-type]
            metadata={"complete": False, "embedding": self.embedding_key, "generation": generation},
            configuration={"hnsw": {"space": "cosine"}},
        )

    def _write_generation(
        self, keep: list[str], write: list[ExpertProfile], progress: Progress | None
    ) -> None:
        generation = int((self._collection.metadata or {}).get("generation", 0)) + 1
        target = self._new_collection(generation)
        try:
            self._fill(target, keep, self._collection, write, progress)
        except Exception as exc:
            self._client.delete_collection(target.name)
            raise IndexStateError(f"Writing the index failed, nothing was changed: {exc}") from exc
        previous = self._collection
        self._finish(target, [])
        self._collection = target
        # What was just written, in the order it was written, without reading 10k profiles back.
        self._load({**{pid: self._profiles[pid] for pid in keep}, **{p.id: p for p in write}})
        self._client.delete_collection(previous.name)  # only after searches have moved to the new state

    def _fill(
        self,
        target: ChromaCollection,
        keep: Sequence[str],
        source: ChromaCollection,
        write: Sequence[ExpertProfile],
        progress: Progress | None,
    ) -> None:
        batch = min(1000, self._client.get_max_batch_size())
        total = len(keep) + len(write)
        done = 0
        for start in range(0, len(keep), batch):
            got = source.get(ids=list(keep[start : start + batch]), include=["embeddings", "metadatas"])
            target.add(ids=got["ids"], embeddings=got["embeddings"], metadatas=got["metadatas"])  # type: ignore[arg-type]
            done += len(got["ids"])
            if progress:
                progress(done, total)
        for start in range(0, len(write), batch):
            chunk = write[start : start + batch]
            # No documents: nothing reads them back, and Chroma's full-text indexing of them took two
            # thirds of an import (21 s vs 7 s for 10k profiles). The profile lives in the metadata.
            texts = [profile.embedding_text() or profile.name for profile in chunk]
            target.add(
                ids=[profile.id for profile in chunk],
                embeddings=self._embedding(texts),
                metadatas=[_metadata(profile) for profile in chunk],
            )
            done += len(chunk)
            if progress:
                progress(done, total)

    def _finish(self, target: ChromaCollection, old: Sequence[ChromaCollection]) -> None:
        metadata = dict(target.metadata or {})
        metadata["complete"] = True
        target.modify(metadata=metadata)
        for collection in old:
            if collection.name != target.name:
                self._client.delete_collection(collection.name)

    def _load(self, profiles: dict[str, ExpertProfile] | None = None) -> None:
        if profiles is None:
            profiles = dict(_read_profiles(self._collection))
        if self._passages is not None:  # a sentence model is slow: have the vectors ready before searches
            self._passages.warm_in_background(list(profiles.values()))
        self._state = _State(
            collection=self._collection,
            profiles=profiles,
            filters=FilterIndex(profiles.values()),
            retriever=Retriever(
                list(profiles.values()),
                RetrievalConfig(
                    dense_weight=self._embedding.dense_weight,
                    static_weight=self._embedding.static_weight,
                    passage_weight=self._embedding.passage_weight,
                ),
                passages=self._passages,
            ),
        )

    @property
    def _profiles(self) -> dict[str, ExpertProfile]:
        return self._state.profiles


@dataclass(frozen=True)
class _State:
    """Everything a search reads, replaced in one assignment after each write."""

    collection: ChromaCollection
    profiles: dict[str, ExpertProfile]
    filters: FilterIndex
    retriever: Retriever


def _read_profiles(collection: ChromaCollection, batch: int = 5000) -> Iterable[tuple[str, ExpertProfile]]:
    offset = 0
    while True:
        got = collection.get(include=["metadatas"], limit=batch, offset=offset)
        for pid, metadata in zip(got["ids"], got["metadatas"] or [], strict=True):
            yield pid, ExpertProfile.model_validate_json(str(metadata["profile"]))
        if len(got["ids"]) < batch:
            return
        offset += batch


def _metadata(profile: ExpertProfile) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "profile": profile.model_dump_json(),
        "availability": profile.availability.value,
        "location": profile.location.casefold(),
        "department": profile.department.casefold(),
    }
    if profile.languages:
        metadata["languages"] = [language.casefold() for language in profile.languages]
    return metadata


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
