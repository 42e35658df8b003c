"""Finding known domains, role words and facet cues in normalised text, compiled once from the bank."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from coach.offline.bank import QuestionBank
from coach.offline.phrases import Phrasebook, display_case
from coach.offline.rules import MODIFIED_BY
from coach.offline.vocabulary import Vocabulary

# A phrase matches as whole words; a hyphen and a space are interchangeable.
_LEFT, _RIGHT = r"(?<![\w-])", r"(?![\w-])"


def phrase_key(phrase: str) -> str:
    """The comparable form of a phrase: lower case, hyphens as spaces, single spaces."""
    return " ".join(phrase.lower().replace("-", " ").split())


def _alternation(phrases: list[str]) -> re.Pattern[str]:
    # Longest first, so at any position the regex prefers "cloud security" over "cloud".
    keys = sorted({phrase_key(p) for p in phrases if p.strip()}, key=lambda k: (-len(k), k))
    if not keys:
        return re.compile(r"(?!)")  # matches nothing
    body = "|".join(r"[\s-]+".join(re.escape(word) for word in key.split()) for key in keys)
    return re.compile(f"{_LEFT}(?:{body}){_RIGHT}")


@dataclass(frozen=True)
class Hit:
    """One phrase found in a text: what it means and where it is."""

    name: str
    start: int
    end: int


class Lexicon:
    """The bank's domains, role words and facet cues as compiled patterns."""

    def __init__(self, bank: QuestionBank) -> None:
        self.acronyms = bank.acronyms
        self.role_nouns = bank.words.role_nouns
        self.kinds = {name: domain.kind for name, domain in bank.domains.items()}
        self._domain_of: dict[str, str] = {}
        self._weak_of: dict[str, str] = {}
        self._role_of: dict[str, str] = {}
        self._thing_of: dict[str, str] = {}
        self._words_of: dict[str, frozenset[str]] = {}
        for domain in bank.domains.values():
            said = [domain.name, *domain.aliases, *domain.weak_aliases, *domain.role_aliases]
            said += [*domain.thing_aliases, *domain.keywords]
            self._words_of[domain.name] = frozenset(w for p in said for w in re.findall(r"[\w&]+", p.lower()))
            for alias in [domain.name, *domain.aliases]:
                self._domain_of.setdefault(phrase_key(alias), domain.name)
            for alias in domain.weak_aliases:
                self._weak_of.setdefault(phrase_key(alias), domain.name)
            for alias in domain.role_aliases:
                self._role_of.setdefault(phrase_key(alias), domain.name)
            for alias in domain.thing_aliases:
                self._thing_of.setdefault(phrase_key(alias), domain.name)
        self._domains = _alternation([*self._domain_of, *self._thing_of])
        self._aliases = sorted(key for key in self._domain_of if " " in key)
        self._weak = _alternation(list(self._weak_of))
        self._roles = _alternation([*self._role_of, *self._domain_of])
        facets = bank.bank.facets.values()
        self._cues = {
            name: _alternation(facet.cues) for name, facet in bank.bank.facets.items() if facet.cues
        }
        self._any_cue = _alternation([cue for facet in facets for cue in facet.cues])
        known = [*self._domain_of, *self._weak_of, *self._role_of, *self._thing_of, *self.role_nouns]
        known += [cue for facet in facets for cue in facet.cues]
        known += [*bank.words.spelling.values(), *bank.words.fuzzy_words, *self.acronyms]
        self._casing = {
            w.lower(): w for d in bank.domains.values() for w in d.name.split() if not w.islower()
        }
        # the head nouns of fields ("marketing", "engineering"): a phrase led by one is no gerund skill
        self.field_words = frozenset(
            key.split()[-1] for key, name in self._domain_of.items() if self.kinds[name] != "skill"
        )
        self.vocabulary = Vocabulary(w for phrase in known for w in re.findall(r"[a-z][a-z'-]*", phrase))
        self.phrases = Phrasebook(bank.words, self.vocabulary.fix)

    def domain_hits(self, text: str, *, weak: bool = False) -> list[Hit]:
        """Known domain phrases in `text`, left to right; of overlapping ones the longest wins."""
        pattern, names = (
            (self._weak, self._weak_of) if weak else (self._domains, self._domain_of | self._thing_of)
        )
        candidates: list[Hit] = []
        for word in re.finditer(r"[\w&]+", text):
            match = pattern.match(text, word.start())
            if match:
                candidates.append(Hit(names[phrase_key(match.group())], match.start(), match.end()))
        # "the warehouse management system" names a tool, not people management
        candidates = [hit for hit in candidates if not MODIFIED_BY.match(text, hit.end)]
        kept: list[Hit] = []
        for hit in sorted(candidates, key=lambda h: (h.start - h.end, h.start)):
            if all(hit.end <= other.start or hit.start >= other.end for other in kept):
                kept.append(hit)
        return sorted(kept, key=lambda h: h.start)

    def first_domain(self, text: str) -> Hit | None:
        """The first domain alias in `text`, else the first everyday word for one ("books" -> publishing)."""
        hits = self.domain_hits(text) or self.domain_hits(text, weak=True)
        return hits[0] if hits else None

    def is_thing(self, hit: Hit, text: str) -> bool:
        """Whether a hit names one thing of its domain ("our data warehouse"), not the domain itself."""
        return phrase_key(text[hit.start : hit.end]) in self._thing_of

    def words_of(self, name: str) -> frozenset[str]:
        """Every word the lexicon uses for a domain: its name, aliases and keywords ("ux", "research", ...)."""
        return self._words_of.get(name, frozenset())

    def alias_words(self, hit: Hit, text: str) -> int:
        """How many words the alias behind a hit has: the domain's own phrase ("business development") is
        stronger evidence than one word of it ("design")."""
        return len(phrase_key(text[hit.start : hit.end]).split())

    def is_weak(self, phrase: str) -> bool:
        return phrase_key(phrase) in self._weak_of

    def knows_phrase(self, phrase: str) -> bool:
        """Whether a phrase is any alias the lexicon knows, everyday words included ("apis", "tax")."""
        key = phrase_key(phrase)
        return key in self._domain_of or key in self._weak_of or key in self._thing_of

    def close_domain(self, phrase: str) -> str | None:
        """The domain a misspelt alias means ("costumer support" -> customer support), when one is very close."""
        key = phrase_key(phrase)
        if len(key) < 8 or " " not in key:
            return None
        close = difflib.get_close_matches(key, self._aliases, n=1, cutoff=0.85)
        return self._domain_of[close[0]] if close else None

    def names_domain(self, phrase: str) -> str | None:
        """The domain a whole phrase is a name or alias of ("ux research" -> UX design), else None."""
        return self._domain_of.get(phrase_key(phrase))

    def without_cues(self, text: str) -> str:
        """`text` with every facet cue blanked ("the money side" -> "the   side")."""
        return self._any_cue.sub(" ", text)

    def role_domain(self, role: str) -> str | None:
        """The domain a role phrase belongs to, by its last known word: "nurse manager" -> people management."""
        keys = [phrase_key(match.group()) for match in self._roles.finditer(role)]
        return (self._role_of.get(keys[-1]) or self._domain_of[keys[-1]]) if keys else None

    def is_role(self, phrase: str) -> bool:
        """Whether the whole phrase is a known role word ("nurse", "new manager")."""
        return phrase_key(phrase) in self._role_of

    def facets_in(self, text: str) -> list[str]:
        """Facets whose cues appear in `text`, in order of first appearance."""
        found: list[tuple[int, str]] = []
        for name, pattern in self._cues.items():
            match = pattern.search(text)
            if match:
                found.append((match.start(), name))
        return [name for _, name in sorted(found)]

    def display(self, phrase: str, original: str = "") -> str:
        """A user's phrase for display: known acronyms in capitals ("ai tools" -> "AI tools"), names as the
        lexicon spells them ("excel pivot tables" -> "Excel pivot tables"), shouting and mIxEd case lowered.
        A capitalised first word is kept when the phrase does not start the person's text ("teach me Tableau")."""
        starts = original.lstrip(" \"'“(").lower().startswith(phrase.lower()) if original else True
        shown = display_case(phrase, self.acronyms, first_is_name=not starts)
        return " ".join(self._casing.get(word.lower(), word) for word in shown.split())
