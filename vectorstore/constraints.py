"""Constraints stated in a question's words: a language the person speaks, a place they are based."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from vectorstore.analysis import normalize

# Common world languages; matched only in speaking contexts, so "Spanish market" is not a constraint.
LANGUAGES: tuple[str, ...] = (
    "Afrikaans",
    "Albanian",
    "Amharic",
    "Arabic",
    "Armenian",
    "Bengali",
    "Bulgarian",
    "Burmese",
    "Cantonese",
    "Catalan",
    "Croatian",
    "Czech",
    "Danish",
    "Dari",
    "Dutch",
    "English",
    "Estonian",
    "Farsi",
    "Filipino",
    "Finnish",
    "French",
    "German",
    "Greek",
    "Gujarati",
    "Hausa",
    "Hebrew",
    "Hindi",
    "Hungarian",
    "Icelandic",
    "Igbo",
    "Indonesian",
    "Irish",
    "Italian",
    "Japanese",
    "Kannada",
    "Kazakh",
    "Khmer",
    "Korean",
    "Latvian",
    "Lithuanian",
    "Malay",
    "Malayalam",
    "Mandarin",
    "Marathi",
    "Nepali",
    "Norwegian",
    "Pashto",
    "Persian",
    "Polish",
    "Portuguese",
    "Punjabi",
    "Romanian",
    "Russian",
    "Serbian",
    "Sinhala",
    "Slovak",
    "Slovenian",
    "Somali",
    "Spanish",
    "Swahili",
    "Swedish",
    "Tagalog",
    "Tamil",
    "Telugu",
    "Thai",
    "Turkish",
    "Twi",
    "Ukrainian",
    "Urdu",
    "Vietnamese",
    "Welsh",
    "Wolof",
    "Xhosa",
    "Yoruba",
    "Zulu",
)

_LANG = "|".join(lang.lower() for lang in LANGUAGES)
_LANGUAGE_PATTERNS = (
    re.compile(rf"\b(?:speaks?|speaking|fluent in|talks?|works? in|native|knows?|who has)\s+({_LANG})\b"),
    re.compile(rf"\b({_LANG})[- ](?:speaking|speaker|speakers)\b"),
    re.compile(rf"\bin ({_LANG})\s*(?:[.,;:!?)]|$)"),
    re.compile(rf"\b(?:speaks?|speaking|fluent in)\s+(?:\w+,?\s+)*?(?:or|and)\s+({_LANG})\b"),
)

_REMOTE_RE = re.compile(r"\b(?:remote|remotely|work(?:s|ing)? from home|distributed)\b")
_LOCATION_CUES = r"(?:based in|located in|sits in|sitting in|in|at|from|near|out of|our)"


@dataclass(frozen=True)
class QueryConstraints:
    """What a question requires of the person, beyond the topic."""

    languages: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.languages or self.locations)


def detect_languages(question: str) -> list[str]:
    """Languages the question asks the person to speak, title-cased ("Spanish")."""
    text = normalize(question)
    found: list[str] = []
    for pattern in _LANGUAGE_PATTERNS:
        for match in pattern.finditer(text):
            name = match.group(1).title()
            if name not in found:
                found.append(name)
    return found


def detect_locations(question: str, known: Collection[str]) -> list[str]:
    """Known locations (as spelled in `known`) that the question places the person in."""
    text = normalize(question)
    found: list[str] = []
    for place in sorted(known, key=len, reverse=True):
        key = normalize(place).strip()
        if not key:
            continue
        if key == "remote":
            if _REMOTE_RE.search(text):
                found.append(place)
            continue
        # "in London", "at the Chicago site", "in the Manchester office"
        if re.search(rf"\b{_LOCATION_CUES}\s+(?:the\s+)?{re.escape(key)}\b", text) and place not in found:
            found.append(place)
    return found


def detect(question: str, known_locations: Collection[str]) -> QueryConstraints:
    """Both kinds of constraint at once."""
    return QueryConstraints(
        languages=tuple(detect_languages(question)),
        locations=tuple(detect_locations(question, known_locations)),
    )


def satisfies_language(required: Collection[str], spoken: Collection[str]) -> bool:
    """True when the person speaks every required language (case-insensitive)."""
    have = {normalize(lang).strip() for lang in spoken}
    return all(normalize(lang).strip() in have for lang in required)


def satisfies_location(required: Collection[str], location: str) -> bool:
    """True when the person is in one of the required locations (any one is enough)."""
    here = normalize(location).strip()
    return any(normalize(place).strip() == here for place in required)
