"""An in-memory BM25 index over pre-analysed term lists, with weighted query terms."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np


class BM25Index:
    """BM25 (Lucene-style idf) over documents given as term lists; scoring is sparse numpy adds."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(documents)
        lengths = np.array([len(doc) for doc in documents], dtype=np.float64)
        avg = float(lengths.mean()) if self.size and lengths.sum() > 0 else 1.0
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for row, doc in enumerate(documents):
            norm = k1 * (1.0 - b + b * lengths[row] / avg)
            for term, tf in Counter(doc).items():
                docs, weights = postings.setdefault(term, ([], []))
                docs.append(row)
                weights.append(tf * (k1 + 1.0) / (tf + norm))
        self.idf: dict[str, float] = {}
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (docs, weights) in postings.items():
            idf = math.log(1.0 + (self.size - len(docs) + 0.5) / (len(docs) + 0.5))
            self.idf[term] = idf
            self._postings[term] = (np.array(docs, dtype=np.int64), np.array(weights) * idf)

    def scores(self, query: Mapping[str, float]) -> np.ndarray:
        """BM25 score of every document for query terms with weights (1.0 = plain BM25)."""
        out = np.zeros(self.size, dtype=np.float64)
        for term, weight in query.items():
            posting = self._postings.get(term)
            if posting is not None:
                out[posting[0]] += weight * posting[1]
        return out

    def term_weight(self, term: str, row: int) -> float:
        """The BM25 contribution of one term to one document (0 if absent); used for explanations."""
        posting = self._postings.get(term)
        if posting is None:
            return 0.0
        hit = np.flatnonzero(posting[0] == row)
        return float(posting[1][hit[0]]) if hit.size else 0.0
