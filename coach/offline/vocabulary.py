"""Which words the offline coach knows: English words, the lexicon's own words, and fixes for misspelt ones.

English comes from the word-frequency list that ships with `symspellpy` (82,765 words, read once on first
use). Misspellings are fixed with SymSpell towards the lexicon's words ("prodcut" -> "product", "kubernetis"
-> "kubernetes") and, only when the fix is unambiguous, towards common English words ("forcasting" ->
"forecasting", "statments" -> "statements"): one edit away, the same first letter (typos seldom change it),
a common word (a million uses in the list), ten times commoner than any other word one edit away, and never
a word the list holds at all, or one that is a known word plus an English prefix or suffix ("onboarding",
"influencers", "unpatched"). Measured by benchmarks/spelling_fixes.py on seven organisations' profile words:
78% of one-letter typos fixed, 2% fixed to another word (mostly a plural), 3% of unknown words changed.
The coach asks for English before reading a text in another language, so such words are never "corrected".
"""

from __future__ import annotations

import difflib
import importlib.resources
import re
from collections.abc import Iterable

from symspellpy import SymSpell, Verbosity

from vectorstore.once import once

_DICTIONARY = "frequency_dictionary_en_82_765.txt"
_MIN_COUNT = 20_000  # rarer "words" in the list are mostly names, codes and foreign words
_WORD = re.compile(r"[a-z][a-z'-]*")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_MIN_FIX_LENGTH = 4  # shorter words have too many neighbours to be fixed safely
_MIN_ENGLISH_FIX_LENGTH = 5
_COMMON = 1_000_000  # an English fix must be a word this common in the list
_DOMINANT = 10  # ... and this many times commoner than the next word as close
_SUFFIXES = ("ings", "ing", "ers", "er", "ees", "ee", "es", "s", "ed", "ly", "ments", "ment", "ness")
_PREFIXES = (
    "un",
    "re",
    "non",
    "pre",
    "co",
    "sub",
    "over",
    "under",
    "micro",
    "multi",
    "self",
    "on",
    "off",
    "up",
)
_MIN_STEM = 5  # "audit" + "ee"; shorter stems make typos look like words ("stat" + "ments", "sup" + "ly")
MAX_SUGGESTIONS = 3


@once
def _frequencies() -> dict[str, int]:
    """Every word in symspellpy's frequency list with its count, read once per process."""
    text = (importlib.resources.files("symspellpy") / _DICTIONARY).read_text(encoding="utf-8")
    counts: dict[str, int] = {}
    for line in text.splitlines():
        word, _, count = line.partition(" ")
        if count:
            counts[word] = int(count)
    return counts


@once
def english_words() -> frozenset[str]:
    """Lower-case English words from symspellpy's frequency list, read once per process."""
    return frozenset(word for word, count in _frequencies().items() if count >= _MIN_COUNT)


def _one_edit(word: str) -> list[tuple[int, str]]:
    """Common English words one edit (delete, swap, replace, insert) from `word`, commonest first, with counts.

    Generating the word's ~50 x length edits and looking each up is far cheaper than indexing 77,000 words."""
    counts = _frequencies()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    edits |= {a + c + b for a, b in splits for c in _LETTERS}
    found = [(counts[e], e) for e in edits - {word} if counts.get(e, 0) >= _MIN_COUNT]
    return sorted(found, reverse=True)


class Vocabulary:
    """English words plus the lexicon's words; fixes typos towards the lexicon's words and common English."""

    def __init__(self, lexicon_words: Iterable[str]) -> None:
        self.lexicon_words = frozenset(w.lower() for w in lexicon_words if _WORD.fullmatch(w.lower()))
        self._speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word in self.lexicon_words:
            if len(word) >= _MIN_FIX_LENGTH:
                self._speller.create_dictionary_entry(word, 1)

    def _is_word(self, word: str) -> bool:
        return word in self.lexicon_words or word in english_words()

    def knows(self, word: str) -> bool:
        """Whether `word` is English or one of the lexicon's words, also with an English prefix or suffix
        ("apis", "influencers", "recommender", "unpatched", "onboarding")."""
        word = word.lower().strip("'-")
        if not word or self._is_word(word):
            return True
        word = re.sub(r"(?:'s|s')$", "", word)
        for suffix in _SUFFIXES:
            stem = word.removesuffix(suffix)
            if stem == word or len(stem) < _MIN_STEM:
                continue
            if self._is_word(stem) or self._is_word(stem + "e"):
                return True
            if stem.endswith("i") and self._is_word(stem[:-1] + "y"):  # "buddies"
                return True
        return any(
            word.startswith(prefix)
            and len(word) - len(prefix) >= _MIN_STEM
            and self._is_word(word[len(prefix) :])
            for prefix in _PREFIXES
        )

    def fix(self, word: str) -> str:
        """The word `word` is a misspelling of (a lexicon word, else an unambiguous English one), or `word`."""
        lower = word.lower()
        if len(lower) < _MIN_FIX_LENGTH or not _WORD.fullmatch(lower) or self.knows(lower):
            return word
        distance = 1 if len(lower) < 8 else 2
        found = self._speller.lookup(lower, Verbosity.TOP, max_edit_distance=distance)
        found = [s for s in found if s.term[:1] == lower[:1]]  # typos seldom change the first letter
        if found and found[0].distance <= 1:
            return found[0].term
        english = _confident_english(lower)  # "forcasting" is forecasting, not podcasting
        return english or (found[0].term if found else word)

    def suggestions(self, word: str) -> list[str]:
        """Words an unknown word may have been meant as, likeliest first, for the person to choose from."""
        lower = word.lower()
        if not _WORD.fullmatch(lower) or self.knows(lower):
            return []
        found = [s.term for s in self._speller.lookup(lower, Verbosity.CLOSEST, max_edit_distance=2)]
        found += [term for _, term in _one_edit(lower)]
        if not found:  # two edits away: close common words with the same first letter
            common = [w for w, c in _frequencies().items() if c >= _COMMON and w[:1] == lower[:1]]
            found = difflib.get_close_matches(lower, common, n=MAX_SUGGESTIONS, cutoff=0.8)
        same_start = [w for w in found if w[:1] == lower[:1]]
        return list(dict.fromkeys(same_start))[:MAX_SUGGESTIONS]

    def reads_as_english(self, phrase: str) -> bool:
        """Whether every word of a phrase is known: "quantum computing" yes; "asdf qwerty", "como funciona" no.

        Words typed in capitals or with '&' ("ESG", "L&D") count as known: they are acronyms or names."""
        return not self.unknown_words(phrase) and any(not t.isdigit() for t in _tokens(phrase))

    def unknown_words(self, phrase: str) -> list[str]:
        """The words of a phrase that are neither English nor the lexicon's, acronyms and numbers aside."""
        return [t for t in _tokens(phrase) if not (t.isupper() or "&" in t or t.isdigit() or self.knows(t))]


def _tokens(phrase: str) -> list[str]:
    return re.findall(r"[^\W\d_][\w&'-]*|\d+", phrase)


def _confident_english(word: str) -> str | None:
    """The one common English word `word` is a typo of, or None when there is no clear one."""
    if len(word) < _MIN_ENGLISH_FIX_LENGTH or word in _frequencies():
        return None
    found = _one_edit(word)
    if not found or found[0][1][:1] != word[:1] or found[0][0] < _COMMON:
        return None
    if len(found) > 1 and found[1][0] * _DOMINANT > found[0][0]:
        return None
    return found[0][1]
