"""The workplace concept lexicon: maps everyday and jargon phrases to shared concept terms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from vectorstore.analysis import stem_phrase
from vectorstore.once import once
from vectorstore.yaml_bounds import SAFE_LOADER

DEFAULT_LEXICON_PATH = Path(__file__).with_name("concepts.yaml")
CONCEPT_PREFIX = "~"  # concept terms cannot collide with word stems, which are [a-z0-9]
MAX_GAP = 2  # words that may interrupt a multi-word phrase


@dataclass(frozen=True)
class ConceptHit:
    """One phrase of the lexicon found in a text: where, which concept."""

    concept: str
    start: int
    end: int  # exclusive word index

    @property
    def term(self) -> str:
        return CONCEPT_PREFIX + self.concept


def _match_end(stems: Sequence[str], start: int, seq: tuple[str, ...], max_gap: int) -> int | None:
    """End index of `seq` matched from `start` with at most `max_gap` extra words, else None.

    Gaps let "pay an author up front" meet "pay up front" and "find it online" meet "find online".
    """
    pos, gaps = start + 1, 0
    for wanted in seq[1:]:
        while pos < len(stems) and stems[pos] != wanted:
            gaps += 1
            pos += 1
            if gaps > max_gap:
                return None
        if pos >= len(stems):
            return None
        pos += 1
    return pos


@dataclass(frozen=True)
class ConceptLexicon:
    """Phrases (as stem sequences) grouped by concept, indexed by their first stem for matching."""

    concepts: Mapping[str, tuple[tuple[str, ...], ...]]
    _by_first: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]] = field(repr=False, compare=False)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Sequence[str]]) -> ConceptLexicon:
        """Build from {concept: [phrase, ...]}; phrases are stemmed here."""
        concepts: dict[str, tuple[tuple[str, ...], ...]] = {}
        by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for name, phrases in raw.items():
            if not isinstance(phrases, list | tuple) or not all(isinstance(p, str) for p in phrases):
                raise ValueError(
                    f"concept {name!r} must map to a list of phrases (strings); quote phrases such as "
                    '"1:1" that YAML reads as numbers'
                )
            stemmed = tuple(dict.fromkeys(s for s in (stem_phrase(p) for p in phrases) if s))
            concepts[str(name)] = stemmed
            for seq in stemmed:
                by_first.setdefault(seq[0], []).append((seq, str(name)))
        frozen = {
            first: tuple(sorted(entries, key=lambda e: -len(e[0]))) for first, entries in by_first.items()
        }
        return cls(concepts=concepts, _by_first=frozen)

    @classmethod
    def load(cls, path: Path) -> ConceptLexicon:
        """Read a YAML lexicon of {concept: [phrase, ...]}."""
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # libyaml: 4x faster
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"cannot read concept lexicon {path}: {exc}; fix or restore the file") from exc
        if not isinstance(raw, dict):
            raise ValueError(f"concept lexicon {path} must be a mapping of concept name to phrase list")
        return cls.from_mapping(raw)

    def find(self, stems: Sequence[str], max_gap: int = MAX_GAP) -> list[ConceptHit]:
        """Every lexicon phrase in `stems`, in order, allowing up to `max_gap` words inserted in total."""
        hits: list[ConceptHit] = []
        n = len(stems)
        for i, first in enumerate(stems):
            for seq, concept in self._by_first.get(first, ()):
                end = _match_end(stems, i, seq, max_gap) if len(seq) > 1 else i + 1
                if end is not None and end <= n:
                    hits.append(ConceptHit(concept=concept, start=i, end=end))
        return hits

    def terms(self, stems: Sequence[str]) -> list[str]:
        """The distinct concept terms ("~pricing") of a stem sequence, in order of first mention."""
        return list(dict.fromkeys(hit.term for hit in self.find(stems)))


@once
def default_lexicon() -> ConceptLexicon:
    """The bundled lexicon, loaded once per process."""
    return ConceptLexicon.load(DEFAULT_LEXICON_PATH)


def concept_names(terms: Iterable[str]) -> list[str]:
    """Concept names from concept terms, ignoring plain words."""
    return [t[len(CONCEPT_PREFIX) :] for t in terms if t.startswith(CONCEPT_PREFIX)]
