"""ExpertIndex: the one place that talks to Chroma (embedded or server) and ranks experts."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from filelock import FileLock

from coach.errors import IndexStateError, ProfileError
from vectorstore.client import open_client
from vectorstore.disk import make_private, room, store_bytes
from vectorstore.embeddings import CoachEmbedding
from vectorstore.failures import GenerationGone, as_coach_error, chroma_failures, disk_full
from vectorstore.filters import FilterIndex
from vectorstore.fit import FitSignals, fit_signals
from vectorstore.generations import GRACE_S, Generations
from vectorstore.models import ExpertMatch, ExpertProfile, FieldEvidence, SearchFilters
from vectorstore.passages import PassageScorer
from vectorstore.records import UpsertReport, plan_upsert, read_profiles, record_metadata
from vectorstore.retrieval import RetrievalConfig, Retriever

log = logging.getLogger(__name__)

DENSE_CANDIDATES = 100
REFRESH_S = 2.0  # with a shared server: how stale a process's view of the index may be, at most
PUBLISH_ATTEMPTS = 3
DEFAULT_BYTES_PER_PROFILE = 8_000  # before a store has its own figure (measured: 4-7 KB)
Progress = Callable[[int, int], None]
Exclusive = Callable[[], AbstractContextManager[object]]
__all__ = ["ExpertIndex", "Progress", "UpsertReport", "open_client"]


class ExpertIndex:
    """Expert profiles in a Chroma collection, with in-memory lexical ranking and filters.

    Writes build a new generation and switch to it (vectorstore/generations.py); searches read one
    generation throughout and never wait for a write. With a shared server (`shared=True`) the index
    follows the pointer that other processes move, checking it at most every `refresh_s` seconds.
    """

    def __init__(
        self,
        client: ClientAPI,
        embedding: CoachEmbedding,
        lock: FileLock | None = None,
        *,
        shared: bool = False,
        chroma_dir: Path | None = None,
        where: str = "the embedded index",
        exclusive: Exclusive | None = None,
        refresh_s: float = REFRESH_S,
        grace_s: float = GRACE_S,
    ) -> None:
        self._client = client
        self._embedding = embedding
        self._lock = lock
        self._shared = shared
        self._chroma_dir = chroma_dir
        self._where = where
        self._exclusive: Exclusive = exclusive or nullcontext
        self._refresh_s = refresh_s
        self._grace_s = grace_s
        self._gens = Generations(client, shared=shared, chroma_dir=chroma_dir, grace_s=grace_s)
        # Bio-sentence vectors outlive each write's new Retriever: they are costly under a real model.
        self._passages = PassageScorer(embedding) if embedding.passage_weight else None
        self._write_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._checked = self._collected = time.monotonic()
        self.initialised = False  # True once any import was published here (never seed the sample then)
        with chroma_failures(where), self._write_lock:
            self._state = self._resolve()
            self._tidy()

    @classmethod
    def open(
        cls,
        data_dir: Path | None,
        embedding: CoachEmbedding,
        chroma_url: str | None = None,
        *,
        exclusive: Exclusive | None = None,
    ) -> ExpertIndex:
        client, lock = open_client(data_dir, chroma_url)
        try:
            if chroma_url:
                return cls(client, embedding, shared=True, where=chroma_url, exclusive=exclusive)
            assert data_dir is not None
            chroma_dir = data_dir / "chroma"
            return cls(
                client, embedding, lock, chroma_dir=chroma_dir, where=str(data_dir), exclusive=exclusive
            )
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

    def use_exclusive(self, exclusive: Exclusive) -> None:
        """Run every later write inside `exclusive()`, e.g. a lock shared by all app instances."""
        self._exclusive = exclusive

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
        collection = self._current().collection
        if collection is None:
            raise IndexStateError("The index is empty: import profiles first (coach index FILE).")
        return collection

    def facets(self) -> dict[str, list[str]]:
        """Distinct locations, departments and languages, for filter pickers."""
        return self._current().filters.facets()

    def search(
        self, question: str, k: int = 5, filters: SearchFilters | None = None, *, explain: bool = True
    ) -> list[ExpertMatch]:
        """The k best experts for a question, best first, each with the evidence behind it.

        explain=False skips the evidence, for callers that re-rank candidates and explain only the final few.
        """
        with chroma_failures(self._where):
            state = self._current()
            try:
                with self._gens.lease(state.name), chroma_failures(self._where):
                    return self._search(state, question, k, filters, explain)
            except GenerationGone:  # outlived its grace elsewhere: follow the pointer and try once more
                state = self._current(force=True)
                with self._gens.lease(state.name), chroma_failures(self._where):
                    return self._search(state, question, k, filters, explain)

    def _search(
        self, state: _State, question: str, k: int, filters: SearchFilters | None, explain: bool
    ) -> list[ExpertMatch]:
        question = question.strip()
        if not question or not state.profiles or k <= 0 or state.collection is None:
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
        return self._current().retriever.explain(question, profile)

    def fit(self, question: str, profile: ExpertProfile) -> FitSignals:
        """How well a profile fits a question (vectorstore/fit.py); `.fits` is the calibrated decision."""
        return fit_signals(self._current().retriever, question, profile)

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
        if replace and not incoming:
            raise ProfileError("No profiles to import: replacing would empty the index. Nothing was changed.")
        with chroma_failures(self._where), self._write_lock, self._exclusive():
            for _ in range(PUBLISH_ATTEMPTS):
                state = self._current(force=True)
                report = plan_upsert(incoming, state.profiles, replace, keep)
                if not report.changed:
                    if progress:
                        progress(len(incoming), len(incoming))
                    return report
                kept = [
                    pid for pid in state.profiles if pid not in report.removed and pid not in report.updated
                ]
                write = [incoming[pid] for pid in report.added + report.updated]
                if self._write_generation(state, kept, write, progress, base=state.name):
                    return report
                log.warning("another process switched the index during this import; rebuilding on top of it")
        raise IndexStateError("Other imports kept finishing during this one; run it again.")

    # --- generations: every write builds a complete new collection, then switches to it atomically

    def _resolve(self) -> _State:
        """The state to start from: the pointer's generation, an older layout's, or a re-index."""
        pointer = self._gens.pointer()
        if pointer is None:
            legacy = self._gens.legacy()
            mine = [c for c in legacy if (c.metadata or {}).get("embedding") == self.embedding_key]
            if mine:  # adopt it; if another process adopted one first, take theirs
                self._gens.publish(mine[-1], None, self.embedding_key)
                pointer = self._gens.pointer()
            elif legacy:
                return self._reindex(legacy[-1].name, base=None)
        if pointer is None:
            return _State.empty()
        self.initialised = True
        if pointer.embedding != self.embedding_key:
            return self._reindex(pointer.current, base=pointer.current)
        return self._load(self._open(pointer.current), pointer.generation)

    def _reindex(self, source: str, base: str | None) -> _State:
        collection = self._client.get_collection(source, embedding_function=None)
        log.warning("re-indexing %s with embedding %s", source, self.embedding_key)
        profiles = [p for _, p in read_profiles(collection)]
        with self._exclusive():
            if not self._write_generation(_State.empty(), [], profiles, None, base=base):
                raise IndexStateError("Another process re-indexed at the same time; start again.")
        self.initialised = True
        return self._state

    def _open(self, name: str) -> ChromaCollection:
        return self._client.get_collection(name, embedding_function=self._embedding)  # type: ignore[arg-type]

    def _write_generation(
        self,
        source: _State,
        keep: list[str],
        write: list[ExpertProfile],
        progress: Progress | None,
        base: str | None,
    ) -> bool:
        """Build the next generation from `source` plus `write`, then publish it; False if another won."""
        need = self._bytes_needed(source, len(keep) + len(write))
        if self._chroma_dir is not None and room(self._chroma_dir) < need:  # refuse before filling the disk
            raise disk_full(self._where, f": this import needs about {need / 1e6:.0f} MB")
        target = self._gens.begin(self.embedding_key, source.generation + 1, self._embedding)

        def tick(done: int, total: int) -> None:
            self._gens.heartbeat(target)
            if progress:
                progress(done, total)

        try:
            self._fill(target, keep, source.collection, write, tick)
            # What was just written, in the order it was written, without reading 10k profiles back.
            written = {**{pid: source.profiles[pid] for pid in keep}, **{p.id: p for p in write}}
            state = self._load(target, source.generation + 1, written)
            published = self._gens.publish(target, base, self.embedding_key)
        except Exception as exc:
            error = as_coach_error(exc, self._where)
            if error is None or type(error) is IndexStateError:
                # Chroma words running out of space as e.g. "Error in compaction": look at the disk.
                short = self._chroma_dir is not None and room(self._chroma_dir) < need
                error = (
                    disk_full(self._where)
                    if short
                    else IndexStateError(f"Writing the index failed, nothing was changed: {exc}")
                )
            self._abandon(target)
            raise error from exc
        if not published:
            self._abandon(target)
            return False
        self._state = state  # searches move to the new generation; the old one goes once they let go
        self.initialised = True
        self._tidy()
        return True

    def _bytes_needed(self, source: _State, rows: int) -> int:
        """What a new generation of `rows` profiles will take on disk: this store's bytes per profile so far."""
        if self._chroma_dir is None:
            return 0
        per_profile = DEFAULT_BYTES_PER_PROFILE
        if len(source.profiles) >= 100:
            per_profile = max(store_bytes(self._chroma_dir) // len(source.profiles), 1_000)
        return rows * per_profile + 5_000_000

    def _abandon(self, target: ChromaCollection) -> None:
        try:
            self._gens.abandon(target)
        except Exception as exc:  # the store is down or full: the next start or import collects it
            log.warning("could not remove the unfinished index write %s: %s", target.name, exc)

    def _tidy(self) -> None:
        """Collect generations nobody can read and keep the embedded index's files private."""
        try:
            self._gens.collect()
            if self._chroma_dir is not None:
                make_private(self._chroma_dir)
        except Exception as exc:  # tidying is best effort; the data is safe either way
            log.warning("could not tidy old index generations: %s", exc)
        self._collected = time.monotonic()

    def _current(self, *, force: bool = False) -> _State:
        """The state to read; with a shared server, follow the pointer when it moved (at most every refresh_s)."""
        state = self._state
        if not force and (not self._shared or time.monotonic() - self._checked < self._refresh_s):
            return state
        if not self._reload_lock.acquire(blocking=force):
            return state  # another thread is loading the new generation; keep reading this one
        try:
            self._checked = time.monotonic()
            try:
                pointer = self._gens.pointer()
            except Exception as exc:
                if force:
                    raise
                log.warning(
                    "could not read the index pointer, still serving generation %s: %s", state.name, exc
                )
                return state
            if pointer is not None and pointer.current != state.name:
                if pointer.embedding != self.embedding_key:
                    log.error(
                        "the shared index was rebuilt with embedding %s; this process uses %s: give every "
                        "process the same COACH_EMBEDDING",
                        pointer.embedding,
                        self.embedding_key,
                    )
                    return state
                self._state = self._load(self._open(pointer.current), pointer.generation)
                self.initialised = True
            if self._shared and time.monotonic() - self._collected > self._grace_s / 2:
                self._tidy()
            return self._state
        finally:
            self._reload_lock.release()

    def _fill(
        self,
        target: ChromaCollection,
        keep: Sequence[str],
        source: ChromaCollection | None,
        write: Sequence[ExpertProfile],
        progress: Progress | None,
    ) -> None:
        batch = min(1000, self._client.get_max_batch_size())
        total = len(keep) + len(write)
        done = 0
        for start in range(0, len(keep), batch):
            assert source is not None, "kept rows come from the current generation"
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
                metadatas=[record_metadata(profile) for profile in chunk],
            )
            done += len(chunk)
            if progress:
                progress(done, total)

    def _load(
        self, collection: ChromaCollection, generation: int, profiles: dict[str, ExpertProfile] | None = None
    ) -> _State:
        if profiles is None:
            profiles = dict(read_profiles(collection))
        if self._passages is not None:  # a sentence model is slow: have the vectors ready before searches
            self._passages.warm_in_background(list(profiles.values()))
        return _State(
            collection=collection,
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
            generation=generation,
        )

    @property
    def _profiles(self) -> dict[str, ExpertProfile]:
        return self._current().profiles


@dataclass(frozen=True)
class _State:
    """Everything a search reads, replaced in one assignment after each write."""

    collection: ChromaCollection | None
    profiles: dict[str, ExpertProfile]
    filters: FilterIndex
    retriever: Retriever
    generation: int = 0

    @property
    def name(self) -> str | None:
        return self.collection.name if self.collection is not None else None

    @classmethod
    def empty(cls) -> _State:
        return cls(collection=None, profiles={}, filters=FilterIndex([]), retriever=Retriever([]))
