"""Match explanations: which phrases of which profile fields answer the question.

A title, a department or an expertise item is quoted whole. A bio is quoted as a phrase that can be
read alone: the matched words plus their neighbours up to two more content words, never crossing the
person's name or a pronoun, and dropped if it still carries fewer than two content words ("Ewan
designed" or "team handles" explain nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vectorstore.analysis import QUESTION_DROPS, STOP_WORDS, stem, term_positions, tokenize, tokenize_spans
from vectorstore.models import ExpertProfile, FieldEvidence

if TYPE_CHECKING:
    from vectorstore.retrieval import Retriever

MAX_FIELDS = 3
MAX_PHRASES = 3
WHOLE_CLAUSE_WORDS = 8  # a title or expertise item up to this long is quoted whole
MAX_GROUP_GAP = 2  # matched words this close together are quoted as one phrase
MAX_QUOTE_WORDS = 8  # a bio phrase is cut at this many words
MIN_CONTENT_WORDS = 2  # a bio phrase must carry at least this many content words
_CLAUSE_RE = re.compile(r"[^.;:!?()\n,]+")
_EDGE = " ,.-–—'\"“”"
PRONOUNS = frozenset(
    [
        "i",
        "me",
        "my",
        "we",
        "our",
        "us",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "they",
        "them",
        "their",
        "it",
        "its",
        "who",
        "whom",
        "whose",
    ]
)


@dataclass(frozen=True)
class _Span:
    """A quoted piece of a profile field and the weight of the question terms it matched."""

    text: str
    weight: float


def _hits(
    tokens: list[tuple[str, int, int]], retriever: Retriever, wanted: dict[str, float]
) -> dict[int, float]:
    """Token positions that match a question term (a stem, a fixed expression or a concept), with weights."""
    words = tuple(token for token, _, _ in tokens)
    stems = tuple(stem(word) for word in words)
    hits: dict[int, float] = {}
    for term, start, end in term_positions(words, stems, STOP_WORDS):
        weight = wanted.get(term)
        if weight:
            for position in range(start, end):
                hits[position] = max(hits.get(position, 0.0), weight)
    if retriever.lexicon is not None:
        for hit in retriever.lexicon.find(stems):
            weight = wanted.get(hit.term, 0.0)
            for position in range(hit.start, hit.end):
                if weight > hits.get(position, 0.0):
                    hits[position] = weight
    return hits


def _clause_spans(
    clause: str, retriever: Retriever, wanted: dict[str, float], whole: bool, barriers: frozenset[str]
) -> list[_Span]:
    """Matched phrases of one clause; `whole` quotes a short clause (a title, an expertise item) intact."""
    tokens = tokenize_spans(clause)
    if not tokens:
        return []
    hits = _hits(tokens, retriever, wanted)
    if not hits:
        return []
    if whole and len(tokens) <= WHOLE_CLAUSE_WORDS:
        return [_Span(text=clause.strip(_EDGE), weight=sum(hits.values()))]
    spans: list[_Span] = []
    group: list[int] = []
    for position in sorted(hits):
        if group and position - group[-1] > MAX_GROUP_GAP:
            spans.extend(_quote(clause, tokens, group, hits, barriers))
            group = []
        group.append(position)
    spans.extend(_quote(clause, tokens, group, hits, barriers))
    return spans


def _is_content(token: str, barriers: frozenset[str]) -> bool:
    return token not in QUESTION_DROPS and token not in barriers and len(token) > 1


def _quote(
    clause: str,
    tokens: list[tuple[str, int, int]],
    group: list[int],
    hits: dict[int, float],
    barriers: frozenset[str],
) -> list[_Span]:
    """The matched words widened into a readable phrase, or nothing if it stays too thin."""
    first, last = group[0], group[-1]
    if any(tokens[i][0] in barriers for i in range(first, last + 1)):
        return []

    def content(lo: int, hi: int) -> int:
        return sum(_is_content(tokens[i][0], barriers) for i in range(lo, hi + 1))

    # widen to the right first (a verb's object, a noun's complement), then to the left
    while (
        last + 1 < len(tokens)
        and tokens[last + 1][0] not in barriers
        and last - first + 1 < MAX_QUOTE_WORDS
        and content(first, last) < MIN_CONTENT_WORDS + 1
    ):
        last += 1
    while (
        first > 0
        and tokens[first - 1][0] not in barriers
        and last - first + 1 < MAX_QUOTE_WORDS
        and content(first, last) < MIN_CONTENT_WORDS
    ):
        first -= 1
    while last > group[-1] and not _is_content(tokens[last][0], barriers):
        last -= 1  # no dangling "the", "and", "of"
    while first < group[0] and not _is_content(tokens[first][0], barriers):
        first += 1
    if content(first, last) < MIN_CONTENT_WORDS:
        return []
    text = clause[tokens[first][1] : tokens[last][2]].strip(_EDGE)
    return [_Span(text=text, weight=sum(hits[i] for i in group))]


def explain_match(retriever: Retriever, query: str, profile: ExpertProfile) -> list[FieldEvidence]:
    """Up to three fields of `profile` with the question phrases they match, strongest first."""
    terms = retriever.query_terms(query)
    idf = retriever.index.idf
    wanted = {term: weight * max(idf.get(term, 1.0), 0.1) for term, weight in terms.weights.items()}
    barriers = PRONOUNS | frozenset(tokenize(profile.name))
    department_in_title = bool(profile.department) and profile.department.lower() in profile.title.lower()
    fields: dict[str, list[tuple[str, bool]]] = {
        "title": [(profile.title, True)],
        "expertise": [(item, True) for item in profile.expertise],
        "department": [] if department_in_title else [(profile.department, True)],
        "bio": [(m.group(), False) for m in _CLAUSE_RE.finditer(profile.bio)],
    }
    evidence: list[tuple[float, FieldEvidence]] = []
    for name, clauses in fields.items():
        spans: list[_Span] = []
        snippet = ""
        for clause, whole in clauses:
            found = _clause_spans(clause, retriever, wanted, whole, barriers)
            if found and not snippet and not whole:
                snippet = clause.strip()
            spans.extend(found)
        if not spans:
            continue
        spans.sort(key=lambda s: -s.weight)
        phrases = list(dict.fromkeys(s.text for s in spans if s.text))[:MAX_PHRASES]
        score = sum(s.weight for s in spans[:MAX_PHRASES])
        evidence.append((score, FieldEvidence(field=name, phrases=phrases, snippet=snippet)))
    evidence.sort(key=lambda item: -item[0])
    chosen = [ev for _, ev in evidence[:MAX_FIELDS]]
    required = {lang.lower() for lang in terms.constraints.languages}
    spoken = [lang for lang in profile.languages if lang.lower() in required]
    if spoken:
        chosen = [*chosen[: MAX_FIELDS - 1], FieldEvidence(field="languages", phrases=spoken)]
    return chosen
