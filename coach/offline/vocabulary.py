"""Which words the offline coach knows: English words, the lexicon's own words, and fixes for misspelt ones.

English comes from the word-frequency list that ships with `symspellpy` (82,765 words, read once on first
use). Misspellings are fixed only towards the lexicon's words ("prodcut" -> "product", "kubernetis" ->
"kubernetes"), with SymSpell, so a word from another language is never "corrected" into a wrong English one.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable
from functools import cache

from symspellpy import SymSpell, Verbosity

_DICTIONARY = "frequency_dictionary_en_82_765.txt"
_MIN_COUNT = 20_000  # rarer "words" in the list are mostly names, codes and foreign words
_WORD = re.compile(r"[a-z][a-z'-]*")
_MIN_FIX_LENGTH = 4  # shorter words have too many neighbours to be fixed safely


@cache
def english_words() -> frozenset[str]:
    """Lower-case English words from symspellpy's frequency list, read once per process."""
    text = (importlib.resources.files("symspellpy") / _DICTIONARY).read_text(encoding="utf-8")
    words: set[str] = set()
    for line in text.splitlines():
        word, _, count = line.partition(" ")
        if count and int(count) >= _MIN_COUNT:
            words.add(word)
    return frozenset(words)


class Vocabulary:
    """English words plus the lexicon's words; fixes typos towards the lexicon's words only."""

    def __init__(self, lexicon_words: Iterable[str]) -> None:
        self.lexicon_words = frozenset(w.lower() for w in lexicon_words if _WORD.fullmatch(w.lower()))
        self._speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word in self.lexicon_words:
            if len(word) >= _MIN_FIX_LENGTH:
                self._speller.create_dictionary_entry(word, 1)

    def knows(self, word: str) -> bool:
        """Whether `word` is English or one of the lexicon's words (plural and possessive forms too)."""
        word = word.lower().strip("'-")
        if not word or word in self.lexicon_words or word in english_words():
            return True
        stem = re.sub(r"(?:'s|s'|s)$", "", word)
        return stem != word and (stem in self.lexicon_words or stem in english_words())

    def fix(self, word: str) -> str:
        """The lexicon word `word` is a misspelling of, or `word` itself."""
        lower = word.lower()
        if len(lower) < _MIN_FIX_LENGTH or not _WORD.fullmatch(lower) or self.knows(lower):
            return word
        distance = 1 if len(lower) < 8 else 2
        found = self._speller.lookup(lower, Verbosity.TOP, max_edit_distance=distance)
        return found[0].term if found else word

    def reads_as_english(self, phrase: str) -> bool:
        """Whether every word of a phrase is known: "quantum computing" yes; "asdf qwerty", "como funciona" no.

        Words typed in capitals or with '&' ("ESG", "L&D") count as known: they are acronyms or names."""
        tokens = re.findall(r"[^\W\d_][\w&'-]*|\d+", phrase)
        words = [t for t in tokens if not (t.isupper() or "&" in t or t.isdigit())]
        some_word = any(not t.isdigit() for t in tokens)
        return some_word and all(self.knows(w) for w in words)
