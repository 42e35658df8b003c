"""Text analysis shared by lexical and dense retrieval: normalise, tokenise, stem, drop stop words."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from vectorstore.once import once


def _word_set(words: str) -> frozenset[str]:
    """A set from whitespace-separated words (keeps long word lists compact and diffable)."""
    return frozenset(words.split())


# A compact English stop list: function words only, so that content words such as "sales" survive.
STOP_WORDS: frozenset[str] = _word_set(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each either else etc ever
    every few for from further get gets got had has have having he her here hers herself him himself
    his how i if in into is it its itself just let me might more most must my myself no nor not now
    of off on once one only or other ought our ours ourselves out over own per really same shall she
    should so some such than that the their theirs them themselves then there these they this those
    through thus to too under until up upon us very via was we were what whatever when where whether
    which while who whom whose why will with within without would yet you your yours yourself
    yourselves
    """
)

# Words that say *that* somebody wants to learn, not *what*: dropped from questions only.
QUESTION_WORDS: frozenset[str] = _word_set(
    """
    actually anybody anyone ask asking basics begin best better curious decide decided done
    exactly explain explaining explains feel find good guess help idea ideally interested know knows
    learn learning like look looking maybe mean meet mentor need new people person please right show
    somebody someone sort start talk teach teaches tell thing things think through understand
    understanding usually walk want wants way ways wonder work working works
    """
)

# Very common verbs, adverbs and quantifiers: in a question they carry no subject of their own.
GENERIC_WORDS: frozenset[str] = _word_set(
    """
    able already always around come comes coming done end ends even getting go goes going gone
    happen happening happens keep keeps kind kinds lot lots made make makes making many much often
    put puts quite see seeing seen something sometimes still take taken takes taking thing things
    try trying use used using well whole yes
    """
)

# Multi-word requests stripped from questions before concept matching, longest first.
STOP_PHRASES: tuple[str, ...] = tuple(
    sorted(
        [
            "can someone explain",
            "can someone walk me through",
            "get a feel for",
            "good first person to meet",
            "how can we",
            "how do we",
            "how do you",
            "how does",
            "how should i",
            "i am new",
            "i want to learn",
            "i want to understand",
            "i would like to learn",
            "i would like to understand",
            "i'd like a feel for",
            "i'd like to learn",
            "i'd like to understand",
            "i'm new",
            "in a nutshell",
            "someone who can explain",
            "start to finish",
            "that sort of thing",
            "the basics",
            "walk me through",
            "what does it take",
            "what goes into",
            "what should",
            "who can explain",
            "who can teach me",
            "who could teach me",
            "who does what",
            "who handles",
            "who handles that",
        ],
        key=len,
        reverse=True,
    )
)

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_WORD_RE = re.compile(r"\S+")
_AMP_ACRONYM_RE = re.compile(r"\b([a-z])\s*&\s*([a-z])\b")  # P&L, R&D, M&A -> pl, rd, ma
_LETTER_PREFIX_RE = re.compile(r"\b([a-z])-([a-z]{2,})")  # e-book, e-reader -> ebook, ereader
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


@once
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


# Snowball folds some words into an unrelated one ("production" -> "product", "experience" ->
# "experi" like "experiment", "securities" -> "secur" like "security"). These keep their own stems.
_STEM_GROUPS: dict[str, tuple[str, ...]] = {
    "production": ("production", "productions"),
    "productiv": ("productive", "productivity"),
    "experiment": ("experiment", "experiments", "experimental", "experimenting", "experimentation"),
    "experienc": ("experience", "experiences", "experienced"),
    "accounting": ("accounting", "accountancy"),
    "accountant": ("accountant", "accountants"),
    "securities": ("securities",),
    "authority": ("authority", "authorities"),
}
STEM_OVERRIDES: dict[str, str] = {word: root for root, words in _STEM_GROUPS.items() for word in words}


@lru_cache(maxsize=65_536)  # bounded: every distinct word of every query lands here
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of one lower-case word, except the known collisions above."""
    return STEM_OVERRIDES.get(word) or str(_stemmer().stemWord(word))


def normalize(text: str) -> str:
    """Lower-case, strip accents, and rewrite the spellings that split one idea into several tokens."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES)).encode("ascii", "ignore").decode()
    lowered = text.lower()
    if "`" in lowered:
        lowered = lowered.replace("`", "'")
    if "&" in lowered:
        lowered = _AMP_ACRONYM_RE.sub(r"\1\2", lowered).replace("&", " and ")
    if "-" in lowered:
        lowered = _LETTER_PREFIX_RE.sub(r"\1\2", lowered)
    return lowered


def tokenize(text: str) -> list[str]:
    """Normalised word tokens; possessive 's is dropped, other contractions kept whole."""
    tokens = []
    for match in _TOKEN_RE.finditer(normalize(text)):
        token = match.group()
        if token.endswith("'s"):
            token = token[:-2]
        tokens.append(token)
    return tokens


def tokenize_spans(text: str) -> list[tuple[str, int, int]]:
    """Tokens of `text` with the (start, end) character span in `text` of the word each came from."""
    lowered = normalize(text)
    out: list[tuple[str, int, int]] = []
    if len(lowered) == len(text):  # normalisation kept every offset
        for match in _TOKEN_RE.finditer(lowered):
            token = match.group()
            out.append((token[:-2] if token.endswith("'s") else token, match.start(), match.end()))
        return out
    for word in _WORD_RE.finditer(text):
        out.extend((token, word.start(), word.end()) for token in tokenize(word.group()))
    return out


@once
def _stop_phrase_needles() -> tuple[str, ...]:
    return tuple(f" {' '.join(tokenize(phrase))} " for phrase in STOP_PHRASES)


def strip_stop_phrases(text: str) -> str:
    """Remove request boilerplate ("who can teach me", "how do we") from a question."""
    padded = f" {' '.join(tokenize(text))} "
    for needle in _stop_phrase_needles():
        while needle in padded:
            padded = padded.replace(needle, " | ")
    return padded


QUESTION_DROPS = STOP_WORDS | QUESTION_WORDS | GENERIC_WORDS


@dataclass(frozen=True)
class Tokens:
    """A text as its word sequence (stop words kept, for phrase matching) and its content stems."""

    words: tuple[str, ...]
    stems: tuple[str, ...]
    content: tuple[str, ...]


def analyze(text: str, *, question: bool = False) -> Tokens:
    """Tokenise and stem `text`; questions also lose request boilerplate and question words."""
    source = strip_stop_phrases(text) if question else text
    words = tuple(tokenize(source))
    stems = tuple(stem(word) for word in words)
    dropped = QUESTION_DROPS if question else STOP_WORDS
    content = tuple(term for term, _, _ in term_positions(words, stems, dropped))
    return Tokens(words=words, stems=stems, content=content)


# Fixed expressions whose words mean something else alone: "trust and safety" is content moderation,
# not trust; "zero trust" is access control. Each is one search term, so a question about trust
# does not meet the Trust and Safety Lead, while one about trust and safety still does.
COMPOUNDS: tuple[str, ...] = (
    "trust and safety",
    "zero trust",
    "health and safety",
    "machine learning",
    "learning and development",
    "customer success",
    "public relations",
    "employee relations",
    "investor relations",
    "business intelligence",
    "change management",
    "real estate",
)


@once
def _compounds() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for phrase in COMPOUNDS:
        seq = tuple(stem(word) for word in tokenize(phrase))
        by_first.setdefault(seq[0], []).append((seq, "_".join(seq)))
    return {first: tuple(entries) for first, entries in by_first.items()}


def term_positions(
    words: tuple[str, ...], stems: tuple[str, ...], dropped: frozenset[str]
) -> list[tuple[str, int, int]]:
    """Content terms with the word span each covers: stems, with a fixed expression as one term."""
    out: list[tuple[str, int, int]] = []
    compounds = _compounds()
    i = 0
    while i < len(words):
        for seq, term in compounds.get(stems[i], ()):
            if stems[i : i + len(seq)] == seq:
                out.append((term, i, i + len(seq)))
                i += len(seq)
                break
        else:
            word = words[i]
            if word not in dropped and len(word) > 1 and "'" not in word:
                out.append((stems[i], i, i + 1))
            i += 1
    return out


def stem_phrase(phrase: str) -> tuple[str, ...]:
    """The stem sequence of a lexicon phrase, matched against `Tokens.stems`."""
    return tuple(stem(word) for word in tokenize(phrase))
