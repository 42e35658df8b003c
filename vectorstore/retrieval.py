"""Hybrid ranking: BM25 over stems and lexicon concepts, fused with dense neighbours and static vectors."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from vectorstore.analysis import analyze
from vectorstore.concepts import ConceptLexicon, default_lexicon
from vectorstore.constraints import QueryConstraints, detect, satisfies_language, satisfies_location
from vectorstore.lexical import BM25Index
from vectorstore.models import ExpertProfile, FieldEvidence
from vectorstore.passages import PassageScorer
from vectorstore.static_embedding import StaticEmbedder, default_static

QUERY_CACHE_SIZE = 256  # explain() re-reads the question once per result


@dataclass(frozen=True)
class RetrievalConfig:
    """The knobs of the hybrid ranker; defaults are the tuned values documented in docs/retrieval.md."""

    use_concepts: bool = True
    concept_weight: float = 1.25  # weight of a concept term relative to a word in the BM25 query
    lexical_weight: float = 1.0
    dense_weight: float = 0.0  # Chroma's neighbours under the index's embedding (local, openai)
    static_weight: float = 1.0  # the bundled static embedding, searched exactly in memory
    fusion: str = "linear"  # "rrf" (reciprocal rank) or "linear" (max-normalised scores)
    rrf_k: float = 60.0
    language_boost: float = 0.5  # relative score boost for people who meet a stated language need
    location_boost: float = 0.5
    lexical_depth: int = 200  # lexical candidates considered for fusion
    static_depth: int = 100  # static-embedding neighbours considered, like Chroma's n_results
    similarity_floor: float = 0.3  # dense scores are divided by max(best similarity, this floor)
    k1: float = 1.2
    b: float = 0.75
    # Second stage (vectorstore/passages.py): the first stage's top candidates gain this weight times
    # their best bio sentence's cosine with the question under the dense model (local, openai).
    passage_weight: float = 0.0
    passage_depth: int = 30
    # BM25F weights of title, expertise, department, bio (FIELDS): a department name is shared by
    # everyone in it and says less about one person than their own title, skills or bio.
    field_weights: tuple[float, ...] = (1.0, 1.0, 0.5, 1.0)  # or (1.0,): one field, plain BM25


@dataclass(frozen=True)
class QueryTerms:
    """A question as weighted BM25 terms plus the constraints it states."""

    weights: dict[str, float]
    constraints: QueryConstraints
    vector: np.ndarray  # the question under the bundled static embedding


FIELDS = ("title", "expertise", "department", "bio")  # the BM25F fields, in `field_weights` order


def profile_terms(
    profile: ExpertProfile,
    lexicon: ConceptLexicon | None,
    cache: dict[str, tuple[str, ...]] | None = None,
) -> list[list[str]]:
    """The BM25F document of a profile: per field (FIELDS), its content stems plus the concepts it names.

    `cache` remembers the analysis of each field text across one build: titles, departments and
    expertise items repeat across an organisation ("product management", "Finance").
    """
    fields: list[list[str]] = []
    for texts in ((profile.title,), profile.expertise, (profile.department,), (profile.bio,)):
        terms: list[str] = []
        for text in texts:
            found = cache.get(text) if cache is not None else None
            if found is None:
                tokens = analyze(text)
                concepts = tuple(lexicon.terms(tokens.stems)) if lexicon is not None else ()
                found = tokens.content + concepts
                if cache is not None:
                    cache[text] = found
            terms.extend(found)
        fields.append(terms)
    return fields


class Retriever:
    """Ranks profiles for a question by fusing lexical and dense evidence; rebuilt when profiles change."""

    def __init__(
        self,
        profiles: Sequence[ExpertProfile],
        config: RetrievalConfig | None = None,
        static: StaticEmbedder | None = None,
        passages: PassageScorer | None = None,
        lexicon: ConceptLexicon | None = None,
    ) -> None:
        self.config = config or RetrievalConfig()
        self.static = static or default_static()
        self.passages = passages
        self.lexicon: ConceptLexicon | None = (
            (lexicon or default_lexicon()) if self.config.use_concepts else None
        )  # `lexicon` replaces the bundled one (benchmarks compare lexicons)
        self.profiles = list(profiles)
        self.ids = [p.id for p in self.profiles]
        self.row_of = {pid: row for row, pid in enumerate(self.ids)}
        analysed: dict[str, tuple[str, ...]] = {}
        documents = [profile_terms(p, self.lexicon, analysed) for p in self.profiles]
        if len(self.config.field_weights) == 1:  # plain BM25 over the whole profile, for comparison
            documents = [[[term for field in doc for term in field]] for doc in documents]
        self.index = BM25Index(
            documents,
            k1=self.config.k1,
            b=self.config.b,
            field_weights=self.config.field_weights,
        )
        self.locations = sorted({p.location for p in self.profiles if p.location})
        # Kept for every index: the fit check needs one calibrated similarity whatever Chroma holds.
        self.vectors = self.static.embed([p.embedding_text() for p in self.profiles])
        self._query_cache: dict[str, QueryTerms] = {}
        self._baseline_cache: dict[str, float] = {}

    def query_terms(self, query: str) -> QueryTerms:
        """Weighted BM25 terms of a question (content stems and concepts) and its constraints; cached."""
        cached = self._query_cache.get(query)
        if cached is None:
            if len(self._query_cache) >= QUERY_CACHE_SIZE:
                self._query_cache.clear()
            cached = self._query_cache[query] = self._analyse_query(query)
        return cached

    def _analyse_query(self, query: str) -> QueryTerms:
        tokens = analyze(query, question=True)
        weights: dict[str, float] = {}
        for term in tokens.content:
            weights[term] = 1.0
        if self.lexicon is not None:
            for term in self.lexicon.terms(tokens.stems):
                weights[term] = self.config.concept_weight
        return QueryTerms(
            weights=weights, constraints=detect(query, self.locations), vector=self.static.embed([query])[0]
        )

    def typical_similarity(self, query: str) -> float:
        """The median cosine of the question with every profile: what an unrelated colleague scores."""
        cached = self._baseline_cache.get(query)
        if cached is None:
            if len(self._baseline_cache) >= QUERY_CACHE_SIZE:
                self._baseline_cache.clear()
            sims = _cosines(self.vectors, self.query_terms(query).vector)
            cached = self._baseline_cache[query] = float(np.median(sims)) if len(sims) else 0.0
        return cached

    def unknown_share(self, query: str) -> float:
        """The share of the question's words that no profile here uses at all (0 for a question without words)."""
        words = [t for t in self.query_terms(query).weights if not t.startswith("~")]
        return sum(t not in self.index.idf for t in words) / len(words) if words else 0.0

    def similarity(self, query: str, profile_id: str) -> float:
        """Cosine of the question and a profile under the bundled static embedding (0 if unknown)."""
        row = self.row_of.get(profile_id)
        return 0.0 if row is None else float(self.vectors[row] @ self.query_terms(query).vector)

    def _allowed_mask(self, allowed: Collection[str] | None) -> np.ndarray:
        mask = np.ones(len(self.ids), dtype=bool)
        if allowed is not None:
            mask[:] = False
            rows = np.fromiter((self.row_of.get(pid, -1) for pid in allowed), dtype=np.int64)
            mask[rows[rows >= 0]] = True
        return mask

    def _constraint_factor(self, row: int, constraints: QueryConstraints) -> float:
        profile = self.profiles[row]
        factor = 1.0
        if constraints.languages and satisfies_language(constraints.languages, profile.languages):
            factor += self.config.language_boost
        if constraints.locations and satisfies_location(constraints.locations, profile.location):
            factor += self.config.location_boost
        return factor

    def rank(
        self,
        query: str,
        dense: Sequence[tuple[str, float]],
        k: int,
        allowed: Collection[str] | None = None,
        query_vector: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """The top k (profile id, score) pairs, best first, restricted to `allowed` when given.

        `dense` holds (id, cosine distance) neighbours under the index's model; `query_vector` is the
        question under that model, needed for the passage stage (skipped without it).
        """
        if k <= 0:
            return []
        cfg = self.config
        terms = self.query_terms(query)
        mask = self._allowed_mask(allowed)
        lexical = np.where(mask, self.index.scores(terms.weights), 0.0)
        depth = min(cfg.lexical_depth, int(np.count_nonzero(lexical)))
        if depth:
            top = np.argpartition(-lexical, depth - 1)[:depth]
            lex_rows = top[np.argsort(-lexical[top], kind="stable")]
        else:
            lex_rows = np.empty(0, dtype=np.int64)
        dense_rows = [
            (self.row_of[pid], dist) for pid, dist in dense if pid in self.row_of and mask[self.row_of[pid]]
        ]
        fused: dict[int, float] = {}
        if cfg.fusion == "rrf":
            for rank, row in enumerate(lex_rows):
                fused[int(row)] = fused.get(int(row), 0.0) + cfg.lexical_weight / (cfg.rrf_k + rank + 1)
            for rank, (row, _) in enumerate(dense_rows):
                fused[row] = fused.get(row, 0.0) + cfg.dense_weight / (cfg.rrf_k + rank + 1)
        else:
            top_lex = float(lexical[lex_rows[0]]) if len(lex_rows) else 1.0
            for row in lex_rows:
                fused[int(row)] = cfg.lexical_weight * float(lexical[row]) / top_lex
            _add_scaled(
                fused, [(row, 1.0 - dist) for row, dist in dense_rows], cfg.dense_weight, cfg.similarity_floor
            )
            if cfg.static_weight:
                sims = np.where(mask, _cosines(self.vectors, terms.vector), -1.0)
                depth = min(cfg.static_depth, len(sims))
                top = np.argpartition(-sims, depth - 1)[:depth] if depth else np.empty(0, dtype=np.int64)
                _add_scaled(
                    fused,
                    [(int(r), float(sims[r])) for r in top if mask[r]],
                    cfg.static_weight,
                    cfg.similarity_floor,
                )
        factors = (
            {row: self._constraint_factor(row, terms.constraints) for row in fused}
            if terms.constraints
            else {}
        )
        if factors:
            fused = {row: s * factors[row] for row, s in fused.items()}
        if cfg.passage_weight and self.passages is not None and query_vector is not None and fused:
            self._add_passages(fused, query_vector, factors)
        best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [(self.ids[row], score) for row, score in best]

    def _add_passages(
        self, fused: dict[int, float], query_vector: np.ndarray, factors: dict[int, float]
    ) -> None:
        """Re-score the top candidates with their best bio sentence, scaled like a dense score."""
        assert self.passages is not None
        cfg = self.config
        top = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[: cfg.passage_depth]
        rows = [row for row, _ in top]
        sims = self.passages.best(query_vector, [self.profiles[row] for row in rows])
        scale = max(float(sims.max()), cfg.similarity_floor)
        for row, sim in zip(rows, sims, strict=True):
            fused[row] += cfg.passage_weight * max(float(sim), 0.0) / scale * factors.get(row, 1.0)

    def explain(self, query: str, profile: ExpertProfile) -> list[FieldEvidence]:
        """Which fields of `profile` match which phrases of the question, best first (at most 3)."""
        from vectorstore.evidence import explain_match

        return explain_match(self, query, profile)


def _add_scaled(
    fused: dict[int, float], sims: Sequence[tuple[int, float]], weight: float, floor: float = 0.0
) -> None:
    """Add similarities scaled so the best is `weight`, unless even the best is below `floor`."""
    if not weight or not sims:
        return
    top = max(max(s for _, s in sims), floor)
    if top <= 0:
        return
    for row, sim in sims:
        fused[row] = fused.get(row, 0.0) + weight * max(sim, 0.0) / top


def _cosines(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Row-wise dot products. einsum, not `@`: a BLAS matrix-vector call cost 3-7 ms at 10k rows here
    (thread hand-offs on a busy 2-core machine), einsum about 1 ms."""
    return np.einsum("ij,j->i", matrix, vector)
