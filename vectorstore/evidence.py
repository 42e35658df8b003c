"""Match explanations: which phrases of which profile fields answer the question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vectorstore.analysis import STOP_WORDS, stem, tokenize_spans
from vectorstore.models import ExpertProfile, FieldEvidence

if TYPE_CHECKING:
    from vectorstore.retrieval import Retriever

MAX_FIELDS = 3
MAX_PHRASES = 3
WHOLE_CLAUSE_WORDS = 8  # a title or expertise item up to this long is quoted whole
MAX_GROUP_GAP = 2  # matched words this close together are quoted as one phrase
_CLAUSE_RE = re.compile(r"[^.;:!?()\n]+")
_EDGE = " ,.-–—'\"“”"


@dataclass(frozen=True)
class _Span:
    """A quoted piece of a profile field and the weight of the question terms it matched."""

    text: str
    weight: float


def _clause_spans(clause: str, retriever: Retriever, wanted: dict[str, float], whole: bool) -> list[_Span]:
    """Matched phrases of one clause; `whole` quotes a short clause (a title, an expertise item) intact."""
    tokens = tokenize_spans(clause)
    if not tokens:
        return []
    stems = [stem(token) for token, _, _ in tokens]
    hits: dict[int, float] = {}
    for position, term in enumerate(stems):
        weight = wanted.get(term)
        if weight and tokens[position][0] not in STOP_WORDS:
            hits[position] = weight
    if retriever.lexicon is not None:
        for hit in retriever.lexicon.find(stems):
            weight = wanted.get(hit.term, 0.0)
            for position in range(hit.start, hit.end):
                if weight > hits.get(position, 0.0):
                    hits[position] = weight
    if not hits:
        return []
    if whole and len(tokens) <= WHOLE_CLAUSE_WORDS:
        return [_Span(text=clause.strip(_EDGE), weight=sum(hits.values()))]
    spans: list[_Span] = []
    group: list[int] = []
    for position in sorted(hits):
        if group and position - group[-1] > MAX_GROUP_GAP:
            spans.append(_quote(clause, tokens, group, hits))
            group = []
        group.append(position)
    spans.append(_quote(clause, tokens, group, hits))
    return spans


def _quote(
    clause: str, tokens: list[tuple[str, int, int]], group: list[int], hits: dict[int, float]
) -> _Span:
    first, last = group[0], group[-1]
    if first == last:  # one word of context keeps a lone keyword readable ("advance modelling")
        if last + 1 < len(tokens) and tokens[last + 1][0] not in STOP_WORDS:
            last += 1
        elif first > 0 and tokens[first - 1][0] not in STOP_WORDS:
            first -= 1
    text = clause[tokens[first][1] : tokens[last][2]].strip(_EDGE)
    return _Span(text=text, weight=sum(hits[i] for i in group))


def explain_match(retriever: Retriever, query: str, profile: ExpertProfile) -> list[FieldEvidence]:
    """Up to three fields of `profile` with the question phrases they match, strongest first."""
    terms = retriever.query_terms(query)
    idf = retriever.index.idf
    wanted = {term: weight * max(idf.get(term, 1.0), 0.1) for term, weight in terms.weights.items()}
    fields: dict[str, list[tuple[str, bool]]] = {
        "title": [(profile.title, True)],
        "expertise": [(item, True) for item in profile.expertise],
        "department": [(profile.department, True)],
        "bio": [(m.group(), False) for m in _CLAUSE_RE.finditer(profile.bio)],
    }
    evidence: list[tuple[float, FieldEvidence]] = []
    for name, clauses in fields.items():
        spans: list[_Span] = []
        snippet = ""
        for clause, whole in clauses:
            found = _clause_spans(clause, retriever, wanted, whole)
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
