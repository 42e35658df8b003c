"""Best-sentence similarity: a question against each sentence of a profile's bio under a dense model.

A sentence-embedding model (all-MiniLM-L6-v2) is trained on sentence pairs; a whole profile
(title, department, skills and a four-sentence bio) averaged into one vector blurs the one sentence
that answers the question ("She rebuilt the provisioning model for IFRS 9"). The ranker re-scores
its first-stage top candidates with the best cosine between the question and any one bio sentence.
Sentence vectors are remembered; the index warms them in a background thread after each load, and
a search embeds any it still lacks, so a warm index pays only for the question's own vector, which
the dense search has already computed.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from vectorstore.models import ExpertProfile

log = logging.getLogger(__name__)

MIN_SENTENCE_WORDS = 3  # shorter pieces ("Dr.", "e.g.") are joined to the sentence before them
CACHE_SIZE = 60_000  # remembered sentence vectors; 384 floats each for MiniLM, about 90 MB at most
WARM_BATCH = 64  # profiles per embedding call while warming
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

Embed = Callable[[list[str]], Sequence[Any]]


def sentences(profile: ExpertProfile) -> list[str]:
    """The bio's sentences without the person's name, or the whole profile text when it has no bio."""
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(profile.bio.strip()):
        piece = piece.strip()
        if not piece:
            continue
        if pieces and len(piece.split()) < MIN_SENTENCE_WORDS:
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    named = [profile.without_name(piece) for piece in pieces]
    return [piece for piece in named if piece] or [profile.embedding_text() or profile.name]


class PassageScorer:
    """The best cosine between a question vector and a profile's bio sentences, with a vector cache."""

    def __init__(self, embed: Embed, cache_size: int = CACHE_SIZE) -> None:
        self._embed = embed
        self._cache: dict[str, np.ndarray] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._generation = 0  # bumped by each warm-up, so an older one stops early

    def best(self, query: np.ndarray, profiles: Sequence[ExpertProfile]) -> np.ndarray:
        """For each profile, its highest sentence cosine with the (unit) question vector."""
        texts = [sentences(profile) for profile in profiles]
        vectors = self._vectors([text for group in texts for text in group])
        query = np.asarray(query, dtype=np.float32)
        out = np.empty(len(profiles), dtype=np.float64)
        for i, group in enumerate(texts):
            out[i] = max(float(vectors[text] @ query) for text in group)
        return out

    def warm_in_background(self, profiles: Sequence[ExpertProfile]) -> threading.Thread:
        """Embed every profile's sentences in a daemon thread; a newer call makes this one stop."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        thread = threading.Thread(
            target=self.warm, args=(list(profiles), generation), name="passage-warm-up", daemon=True
        )
        thread.start()
        return thread

    def warm(self, profiles: Sequence[ExpertProfile], generation: int | None = None) -> None:
        """Embed the sentences of `profiles` that are not cached yet (stops if a newer warm-up began)."""
        for start in range(0, len(profiles), WARM_BATCH):
            if generation is not None and generation != self._generation:
                return
            texts = [text for p in profiles[start : start + WARM_BATCH] for text in sentences(p)]
            try:
                self._vectors(texts)
            except Exception as error:  # the model's own errors; searches will report them
                log.warning("warming bio-sentence vectors stopped: %s", error)
                return

    def _vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            found = {text: self._cache[text] for text in texts if text in self._cache}
        missing = list(dict.fromkeys(text for text in texts if text not in found))
        if missing:
            fresh = [np.asarray(v, dtype=np.float32) for v in self._embed(missing)]
            fresh = [v / max(float(np.linalg.norm(v)), 1e-12) for v in fresh]
            found.update(zip(missing, fresh, strict=True))
            with self._lock:
                if len(self._cache) + len(missing) > self._cache_size:
                    self._cache.clear()
                self._cache.update(zip(missing, fresh, strict=True))
        return found
