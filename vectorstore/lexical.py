"""An in-memory BM25F index over pre-analysed, fielded term lists, with weighted query terms."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

Document = Sequence[Sequence[str]]  # one term list per field, in the order of the index's field weights


class BM25Index:
    """BM25F (Lucene-style idf): each field's term frequency is length-normalised within that field,
    weighted, and summed before one saturation, so a word in a title and again in a bio still
    saturates like one word. With one field of weight 1 this is plain BM25.
    """

    def __init__(
        self,
        documents: Sequence[Document],
        k1: float = 1.2,
        b: float = 0.75,
        field_weights: Sequence[float] = (1.0,),
    ) -> None:
        self.size = len(documents)
        fields = len(field_weights)
        if any(len(doc) != fields for doc in documents):
            raise ValueError(f"every document needs {fields} field term lists, one per field weight")
        lengths = np.array([[len(field) for field in doc] for doc in documents], dtype=np.float64)
        lengths = lengths.reshape(self.size, fields)
        averages = lengths.mean(axis=0) if self.size else np.ones(fields)
        averages[averages <= 0] = 1.0
        norms = 1.0 - b + b * lengths / averages  # (documents, fields)
        pseudo: dict[str, dict[int, float]] = {}
        for row, doc in enumerate(documents):
            for f, (field, weight) in enumerate(zip(doc, field_weights, strict=True)):
                if not weight:
                    continue
                for term, tf in Counter(field).items():
                    per_doc = pseudo.setdefault(term, {})
                    per_doc[row] = per_doc.get(row, 0.0) + weight * tf / norms[row, f]
        self.idf: dict[str, float] = {}
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, per_doc in pseudo.items():
            idf = math.log(1.0 + (self.size - len(per_doc) + 0.5) / (len(per_doc) + 0.5))
            pseudo_tf = np.fromiter(per_doc.values(), dtype=np.float64, count=len(per_doc))
            self.idf[term] = idf
            self._postings[term] = (
                np.fromiter(per_doc.keys(), dtype=np.int64, count=len(per_doc)),
                idf * pseudo_tf * (k1 + 1.0) / (pseudo_tf + k1),
            )

    def scores(self, query: Mapping[str, float]) -> np.ndarray:
        """BM25F score of every document for query terms with weights (1.0 = plain BM25F)."""
        out = np.zeros(self.size, dtype=np.float64)
        for term, weight in query.items():
            posting = self._postings.get(term)
            if posting is not None:
                out[posting[0]] += weight * posting[1]
        return out

    def term_weight(self, term: str, row: int) -> float:
        """The BM25F contribution of one term to one document (0 if absent); used for explanations."""
        posting = self._postings.get(term)
        if posting is None:
            return 0.0
        hit = np.flatnonzero(posting[0] == row)
        return float(posting[1][hit[0]]) if hit.size else 0.0
