"""The offline dense embedding: signed feature hashing of stems, character n-grams and lexicon concepts."""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vectorstore.analysis import QUESTION_DROPS, STOP_WORDS, analyze
from vectorstore.concepts import default_lexicon

DIM = 1024
VERSION = "hashvec-1"
_CACHE_LIMIT = 200_000  # distinct words remembered per process (a few tens of MB at most)

Sparse = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class HashEmbedder:
    """Hashes a text's word stems, character n-grams and concepts into one unit vector; no fitting."""

    dim: int = DIM
    stem_weight: float = 1.0
    char_weight: float = 0.6  # spelling similarity ("royalty" ~ "royalties", "forecast" ~ "forecaster")
    concept_weight: float = 0.7
    char_ngrams: tuple[int, ...] = (3, 4, 5)
    drop_question_words: bool = False
    _words: dict[tuple[str, str], Sparse] = field(default_factory=dict, repr=False, compare=False)

    def _slot(self, feature: str) -> tuple[int, float]:
        """Hash a feature to (dimension, sign); crc32 is stable across processes, unlike hash()."""
        h = zlib.crc32(feature.encode("utf-8"))
        return h % self.dim, 1.0 if (h >> 20) & 1 else -1.0

    def _sparse(self, features: Sequence[tuple[str, float]]) -> Sparse:
        index = np.empty(len(features), dtype=np.int64)
        value = np.empty(len(features), dtype=np.float32)
        for i, (name, weight) in enumerate(features):
            index[i], sign = self._slot(name)
            value[i] = sign * weight
        return index, value

    def _word(self, word: str, stem: str) -> Sparse:
        key = (word, stem)
        cached = self._words.get(key)
        if cached is None:
            padded = f"<{word}>"
            grams = [padded[i : i + n] for n in self.char_ngrams for i in range(len(padded) - n + 1)]
            per_gram = self.char_weight / math.sqrt(len(grams)) if grams else 0.0
            features = [("w:" + stem, self.stem_weight)] + [("c:" + g, per_gram) for g in grams]
            if len(self._words) >= _CACHE_LIMIT:
                self._words.clear()
            cached = self._words[key] = self._sparse(features)
        return cached

    def _concept(self, term: str) -> Sparse:
        key = ("", term)
        cached = self._words.get(key)
        if cached is None:
            cached = self._words[key] = self._sparse([("k:" + term, self.concept_weight)])
        return cached

    def embed(self, text: str) -> np.ndarray:
        """One L2-normalised float32 vector (texts without words share one fixed vector)."""
        tokens = analyze(text, question=True)
        dropped = QUESTION_DROPS if self.drop_question_words else STOP_WORDS
        counts = Counter(
            (w, s)
            for w, s in zip(tokens.words, tokens.stems, strict=True)
            if w not in dropped and len(w) > 1 and "'" not in w
        )
        parts = [(self._word(w, s), 1.0 + math.log(n)) for (w, s), n in counts.items()]
        if self.concept_weight:
            parts += [(self._concept(term), 1.0) for term in default_lexicon().terms(tokens.stems)]
        if not parts:
            # Chroma's cosine distance is undefined for a zero vector
            parts = [(self._concept("empty"), 1.0)]
        index = np.concatenate([p[0] for p, _ in parts])
        value = np.concatenate([p[1] * scale for p, scale in parts])
        vector = np.bincount(index, value, minlength=self.dim).astype(np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self.embed(text)
        return out


DEFAULT_EMBEDDER = HashEmbedder()


def embed_texts(texts: Sequence[str]) -> np.ndarray:
    """Embed texts statelessly: float32 (n, DIM), unit rows, the same vector for a text in any process."""
    return DEFAULT_EMBEDDER.embed_many(texts)
